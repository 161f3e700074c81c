"""Benchmark the LIF layer against snnTorch, SpikingJelly and Norse on one forward and backward pass.

Every peer runs the same work: a float32 input current ``[T, B, N]`` that requires grad, a leaky integrate-and-fire
layer with decay 0.9 per step, threshold 1 and subtractive reset, ``loss = spikes.sum()`` and ``loss.backward()``.
A floor runs one elementwise operation forward and backward over the same tensor, ``(x * 2).sum().backward()``.

How the peers are matched:

- burstcode ``LIF(beta=0.9, surrogate=atan())``, ``detach_reset=True``.
- snnTorch ``Leaky(beta=0.9, spike_grad=atan())``, stepped in a Python loop. Its reset is also detached.
- SpikingJelly ``LIFNode(tau=10, decay_input=False, v_reset=None, detach_reset=True, surrogate ATan,
  step_mode="m")``: the decay is 1 - 1/tau = 0.9, but it subtracts the threshold before the next decay, not after
  it. SpikingJelly 2.0 has no ``backend`` argument, and on CPU it runs its PyTorch code path.
- Norse ``LIFBoxCell``, stepped in a Python loop, with ``dt * tau_mem_inv = 0.1`` (the same decay 0.9, with the
  input scaled by 10 for the same drive) and subtractive reset. Norse 1.1.0 has no arctangent surrogate, so it uses
  its default SuperSpike, 1 / (|x| + 1)^2, and its reset is not detached.

The surrogate atan (alpha = 2) has the same formula in burstcode, snnTorch and SpikingJelly.

Time is measured side by side in this one process: every round runs each peer's forward plus backward once, so
drift in the machine's speed hits all peers alike. The table gives each peer's median time and the median of its
per-round ratio to burstcode. Memory is measured separately, one fresh subprocess per peer and shape, so that each
peak is the peer's own. Memory is the growth of the process's peak resident set size (VmHWM, reset just before the
runs) over its resident size after the input was built (Linux only). It counts the saved activations, temporaries, outputs and the input's
gradient of one iteration, and also any memory the allocator keeps cached. A second figure counts only the tensors
saved for backward by one forward pass (unique storages, found with ``saved_tensors_hooks``), without views of the
input, which exists anyway.

Usage, with burstcode installed or on ``PYTHONPATH`` and the peers installed (``pip install snntorch norse
spikingjelly``)::

    python benchmarks/lif.py                # full run, a few minutes on 2 cores
    python benchmarks/lif.py --threads 1    # one thread, steadier on a shared machine
    python benchmarks/lif.py --quick        # small shapes, a smoke test
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peak_memory import reset_peak, resident_bytes  # noqa: E402

logger = logging.getLogger("benchmarks.lif")

PEERS = ("burstcode", "snntorch", "spikingjelly", "norse", "floor")
BETA = 0.9
THRESHOLD = 1.0


def build_burstcode():
    from burstcode import LIF, surrogate

    layer = LIF(beta=BETA, threshold=THRESHOLD, surrogate=surrogate.atan(alpha=2.0))
    return layer, 1.0


def build_snntorch():
    import snntorch
    from snntorch import surrogate

    neuron = snntorch.Leaky(beta=BETA, threshold=THRESHOLD, spike_grad=surrogate.atan(alpha=2.0))

    def run(current):
        membrane = neuron.init_leaky()
        spikes = []
        for step_current in current:
            spike, membrane = neuron(step_current, membrane)
            spikes.append(spike)
        return torch.stack(spikes)

    return run, 1.0


def build_spikingjelly():
    from spikingjelly.activation_based import functional, neuron, surrogate

    node = neuron.LIFNode(
        tau=1.0 / (1.0 - BETA),
        decay_input=False,
        v_threshold=THRESHOLD,
        v_reset=None,
        surrogate_function=surrogate.ATan(alpha=2.0),
        detach_reset=True,
        step_mode="m",
    )

    def run(current):
        functional.reset_net(node)
        return node(current)

    return run, 1.0


def build_norse():
    from norse.torch.functional.lif_box import LIFBoxParameters
    from norse.torch.functional.reset import reset_subtract
    from norse.torch.module.lif_box import LIFBoxCell

    dt = 0.001
    parameters = LIFBoxParameters(
        tau_mem_inv=torch.as_tensor((1.0 - BETA) / dt),
        v_th=torch.as_tensor(THRESHOLD),
        reset_method=reset_subtract,
        method="super",
    )
    cell = LIFBoxCell(parameters, dt=dt)

    def run(current):
        state = None
        spikes = []
        for step_current in current:
            spike, state = cell(step_current, state)
            spikes.append(spike)
        return torch.stack(spikes)

    return run, 1.0 / (1.0 - BETA)


def build_floor():
    def run(current):
        return current * 2

    return run, 1.0


BUILDERS = {
    "burstcode": build_burstcode,
    "snntorch": build_snntorch,
    "spikingjelly": build_spikingjelly,
    "norse": build_norse,
    "floor": build_floor,
}


def saved_tensor_mib(run, current: torch.Tensor) -> float:
    """Return the memory that one forward pass saves for backward, excluding views of the input itself."""
    input_address = current.untyped_storage().data_ptr()
    storage_sizes = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() != input_address:
            storage_sizes[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        spikes = run(current)
    del spikes
    return sum(storage_sizes.values()) / 2**20


def measure(peer: str, steps: int, batch: int, features: int, warmup: int, repeats: int) -> dict:
    """Time forward plus backward of one peer in this process and return the measurements."""
    run, input_scale = BUILDERS[peer]()

    # A tiny first run loads what the peer initialises lazily, so that it does not count as memory of the real runs.
    tiny = torch.rand(2, 1, features, requires_grad=True)
    run(tiny).sum().backward()

    generator = torch.Generator().manual_seed(0)
    current = (torch.rand(steps, batch, features, generator=generator) * 0.5 * input_scale).requires_grad_()
    rss_before = resident_bytes("VmRSS") / 2**20
    reset_peak()

    times = []
    spike_rate = float("nan")
    for iteration in range(warmup + repeats):
        current.grad = None
        start = time.perf_counter()
        spikes = run(current)
        spikes.sum().backward()
        elapsed = time.perf_counter() - start
        if iteration >= warmup:
            times.append(elapsed)
        spike_rate = spikes.detach().float().mean().item()
        del spikes
    peak_rss = resident_bytes("VmHWM") / 2**20

    # Measured last, because this forward pass raises the peak resident set size without a backward pass.
    saved_mib = saved_tensor_mib(run, current)
    return {
        "peer": peer,
        "steps": steps,
        "batch": batch,
        "features": features,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "peak_rss_growth_mib": peak_rss - rss_before,
        "saved_for_backward_mib": saved_mib,
        "spike_rate": spike_rate,
    }


def time_side_by_side(peers: list[str], shape: tuple[int, int, int], warmup: int, repeats: int) -> dict:
    """Time forward plus backward of every peer in this process, one call of each per round; return seconds lists."""
    steps, batch, features = shape
    runs, currents = {}, {}
    for peer in peers:
        run, input_scale = BUILDERS[peer]()
        tiny = torch.rand(2, 1, features, requires_grad=True)
        run(tiny).sum().backward()
        generator = torch.Generator().manual_seed(0)
        runs[peer] = run
        currents[peer] = (torch.rand(shape, generator=generator) * 0.5 * input_scale).requires_grad_()

    times = {peer: [] for peer in peers}
    for iteration in range(warmup + repeats):
        for peer in peers:
            current = currents[peer]
            current.grad = None
            start = time.perf_counter()
            runs[peer](current).sum().backward()
            elapsed = time.perf_counter() - start
            if iteration >= warmup:
                times[peer].append(elapsed)
    return times


def run_worker(
    peer: str, shape: tuple[int, int, int], warmup: int, repeats: int, threads: int, huge_pages: bool
) -> dict | None:
    """Measure one peer in a fresh subprocess, so that its peak memory is its own."""
    command = [
        sys.executable, __file__, "--worker", peer,
        "--shape", ",".join(map(str, shape)),
        "--warmup", str(warmup), "--repeats", str(repeats), "--threads", str(threads),
    ]
    environment = dict(os.environ)
    if huge_pages:
        environment["THP_MEM_ALLOC_ENABLE"] = "1"
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if completed.returncode != 0:
        logger.warning("%s failed on shape %s: %s", peer, shape, completed.stderr.strip().splitlines()[-1:])
        return None
    return json.loads(completed.stdout.strip().splitlines()[-1])


def format_table(times: dict[str, list[float]], memory: dict[str, dict]) -> str:
    """Format one shape's timings and memory as a Markdown table with ratios to burstcode."""
    ours = times.get("burstcode")
    ours_memory = memory.get("burstcode")
    lines = [
        "| peer | median ms | min ms | time / burstcode | peak RSS growth MiB | burstcode RSS / peer "
        "| saved for backward MiB | spike rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for peer, seconds in times.items():
        time_ratio = statistics.median(a / b for a, b in zip(seconds, ours)) if ours else float("nan")
        row = memory.get(peer)
        growth = saved = spike_rate = memory_ratio = float("nan")
        if row is not None:
            growth, saved, spike_rate = row["peak_rss_growth_mib"], row["saved_for_backward_mib"], row["spike_rate"]
            if ours_memory and growth > 0:
                memory_ratio = ours_memory["peak_rss_growth_mib"] / growth
        lines.append(
            f"| {peer} | {statistics.median(seconds) * 1e3:.1f} | {min(seconds) * 1e3:.1f} | {time_ratio:.2f} | "
            f"{growth:.0f} | {memory_ratio:.2f} | {saved:.0f} | {spike_rate:.3f} |"
        )
    return "\n".join(lines)


def describe_machine(threads: int) -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, {threads} torch threads, torch {torch.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="run small shapes with few repeats, as a smoke test")
    parser.add_argument("--peers", nargs="+", choices=PEERS, default=list(PEERS), help="peers to measure")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all cores)")
    parser.add_argument(
        "--huge-pages",
        action="store_true",
        help="set THP_MEM_ALLOC_ENABLE=1 in the measuring processes, so that PyTorch backs large CPU tensors by "
        "transparent huge pages, which makes their first touch cheaper",
    )
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs before timing (default 2)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per peer and shape")
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.huge_pages and os.environ.get("THP_MEM_ALLOC_ENABLE") != "1":
        # PyTorch reads the variable when its CPU allocator starts, so the timing process must start with it set.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "THP_MEM_ALLOC_ENABLE": "1"})
    torch.set_num_threads(args.threads)

    if args.worker:
        steps, batch, features = map(int, args.shape.split(","))
        print(json.dumps(measure(args.worker, steps, batch, features, args.warmup, args.repeats)))
        return

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.quick:
        shapes = [((20, 8, 256), args.repeats or 3)]
    else:
        shapes = [((50, 64, 2048), args.repeats or 20), ((500, 16, 2048), args.repeats or 7)]

    huge_pages = "on" if args.huge_pages else "off"
    print(f"Machine: {describe_machine(args.threads)}, THP_MEM_ALLOC_ENABLE {huge_pages}\n")
    for shape, repeats in shapes:
        peers = list(args.peers)
        for peer in list(peers):
            try:
                BUILDERS[peer]()
            except ImportError as error:
                logger.warning("skipping %s: %s", peer, error)
                peers.remove(peer)
        logger.info("timing %s side by side on [T, B, N] = %s", ", ".join(peers), list(shape))
        times = time_side_by_side(peers, shape, args.warmup, repeats)

        memory = {}
        for peer in peers:
            logger.info("measuring the memory of %s on [T, B, N] = %s", peer, list(shape))
            row = run_worker(peer, shape, 1, 2, args.threads, args.huge_pages)
            if row is not None:
                memory[peer] = row
        print(f"\n[T, B, N] = {list(shape)}, median of {repeats} rounds after {args.warmup} warm-up rounds\n")
        print(format_table(times, memory))


if __name__ == "__main__":
    main()
