"""Time burstcode's encoders against the rate encoders of snnTorch, Norse and SpikingJelly, in one process.

Every encoder produces the same output, ``[T, *batch.shape]`` float32 spikes, from the same batch. The floor writes
that output tensor once (``torch.full``) and is what no encoder can beat. Each timing is the median of ``--repeats``
rounds after ``--warmup`` rounds. A round calls every encoder once, so a ratio is the median of per-round ratios and
stays valid when the machine's speed drifts. Ratios are taken against snnTorch's ``spikegen.rate`` and against the floor.

With ``--memory``, each encoder also runs alone in a fresh subprocess, and the growth of the process's peak resident
memory during one call is reported as a multiple of the output's size (Linux only).

Usage:
    python benchmarks/encoders.py                     # T=32, batch 256x1x28x28
    python benchmarks/encoders.py --num-steps 100 --batch 64 1 28 28 --memory
    python benchmarks/encoders.py --num-steps 200 --batch 64 1 28 28 --memory --dtype bool
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import torch

import burstcode.functional as F


def peer_encoders(num_steps: int) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """Return the installed peers' rate encoders, each mapping a batch to ``[T, *batch.shape]`` spikes."""
    peers = {}
    try:
        from snntorch import spikegen

        peers["snntorch spikegen.rate"] = lambda x: spikegen.rate(x, num_steps=num_steps)
    except ImportError:
        pass
    try:
        from norse.torch.functional.encode import poisson_encode

        # Norse fires with probability f_max * dt * x per step, so f_max * dt = 1 gives p = x as in the others.
        peers["norse poisson_encode"] = lambda x: poisson_encode(x, num_steps, f_max=1000.0, dt=0.001)
    except ImportError:
        pass
    try:
        from spikingjelly.activation_based.encoding import PoissonEncoder

        encoder = PoissonEncoder()
        # SpikingJelly's encoder is single-step: one call per time step, stacked.
        peers["spikingjelly PoissonEncoder x T"] = lambda x: torch.stack([encoder(x) for _ in range(num_steps)])
    except ImportError:
        pass
    return peers


def our_encoders(num_steps: int, dtype: torch.dtype | None) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    return {
        "burstcode rate": lambda x: F.rate(x, num_steps, dtype=dtype),
        "burstcode poisson_burst": lambda x: F.poisson_burst(x, num_steps, dtype=dtype),
        "burstcode delayed_burst": lambda x: F.delayed_burst(x, num_steps, dtype=dtype),
        "burstcode latency": lambda x: F.latency(x, num_steps, dtype=dtype),
    }


def all_encoders(num_steps: int, dtype: torch.dtype | None = None) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """Return the floor, the peers (float32 spikes from a float32 input) and burstcode's encoders (``dtype`` spikes)."""
    floor = {"floor: write output once": lambda x: torch.full((num_steps, *x.shape), 1, dtype=dtype or x.dtype)}
    peers = {name: (lambda x, encode=encode: encode(x.float())) for name, encode in peer_encoders(num_steps).items()}
    return {**floor, **peers, **our_encoders(num_steps, dtype)}


def interleaved_times(encoders: dict[str, Callable[[], torch.Tensor]], warmup: int, repeats: int):
    """Time one call of each encoder per round, round after round, so that drift in machine speed hits all alike."""
    for _ in range(warmup):
        for encode in encoders.values():
            encode()
    times = {name: [] for name in encoders}
    for _ in range(repeats):
        for name, encode in encoders.items():
            start = time.perf_counter()
            encode()
            times[name].append(time.perf_counter() - start)
    return times


def peak_memory_ratio(name: str, num_steps: int, batch: list[int], dtype: str | None, input_dtype: str) -> float:
    """Run one encoder in a fresh process; return its peak resident memory growth divided by the output's size.

    The process's peak is reset just before the call (see ``peak_memory.py``), so imports and the input do not
    count. Linux only.
    """
    code = f"""
import sys, torch
sys.path.insert(0, {str(Path(__file__).parent)!r})
from encoders import all_encoders
from peak_memory import reset_peak, resident_bytes

torch.manual_seed(0)
x = torch.rand({batch}).to(getattr(torch, {input_dtype!r}))
encode = all_encoders({num_steps}, {None if dtype is None else "torch." + dtype})[{name!r}]
encode(x[:1])
before = resident_bytes("VmRSS")
reset_peak()
out = encode(x)
print((resident_bytes("VmHWM") - before) / (out.numel() * out.element_size()))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-steps", type=int, default=32, help="time steps T (default 32)")
    parser.add_argument("--batch", type=int, nargs="+", default=[256, 1, 28, 28], help="batch shape")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls before timing (default 3)")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls; the median is reported (default 20)")
    parser.add_argument("--memory", action="store_true", help="also measure peak memory, one subprocess each")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    parser.add_argument(
        "--dtype", choices=["float32", "float16", "bool", "uint8"], default=None,
        help="spike dtype of burstcode's encoders and the floor (default: the input's dtype); peers give float32",
    )
    parser.add_argument(
        "--input-dtype", choices=["float32", "float16"], default="float32",
        help="dtype of the intensities given to burstcode's encoders and the floor; peers get float32",
    )
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    x = torch.rand(args.batch).to(getattr(torch, args.input_dtype))
    encoders = all_encoders(args.num_steps, None if args.dtype is None else getattr(torch, args.dtype))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    spike_dtype = args.dtype or args.input_dtype
    print(
        f"output [{args.num_steps}, {', '.join(map(str, args.batch))}], burstcode and floor {spike_dtype} from "
        f"{args.input_dtype} input, peers float32; median of {args.repeats} calls\n"
    )

    calls = {name: (lambda encode=encode: encode(x)) for name, encode in encoders.items()}
    times = interleaved_times(calls, args.warmup, args.repeats)
    medians = {name: statistics.median(values) for name, values in times.items()}
    reference_name = "snntorch spikegen.rate"
    floor_name = "floor: write output once"

    def median_ratio(name: str, other: str) -> float:
        return statistics.median(a / b for a, b in zip(times[name], times[other]))

    header = "| encoder | median ms | x floor | x snnTorch rate |" + (" peak memory / output |" if args.memory else "")
    print(header)
    print("| --- |" + " ---: |" * (4 if args.memory else 3))
    for name, seconds in medians.items():
        versus_reference = f"{median_ratio(name, reference_name):.3f}" if reference_name in times else "n/a"
        row = f"| {name} | {seconds * 1e3:.2f} | {median_ratio(name, floor_name):.2f} | {versus_reference} |"
        if args.memory:
            row += f" {peak_memory_ratio(name, args.num_steps, args.batch, args.dtype, args.input_dtype):.2f} |"
        print(row)
    print("\nRatios are medians of per-round ratios; each round calls every encoder once.")


if __name__ == "__main__":
    main()
