"""Train a small spiking network with DistributedDataParallel on two CPU processes and compare their parameters.

Run alone with ``pytest tests/test_ddp.py``. It starts two processes with the gloo backend on 127.0.0.1 and takes a
few seconds.
"""

from __future__ import annotations

import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from burstcode.lif import LIF

WORLD_SIZE = 2
STEPS = 10
TRAIN_STEPS = 5


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SpikeCountClassifier(nn.Module):
    """Linear -> LIF -> Linear, read out as the mean over time, which is the readout of the spike rate."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(8, 16)
        self.lif = LIF(beta=torch.full((16,), 0.8), learn_beta=True, learn_threshold=True)
        self.readout = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spikes = self.lif(self.hidden(x))
        return self.readout(spikes).mean(dim=0)


def train_worker(rank: int, port: int, results: torch.Tensor) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD_SIZE)
    try:
        torch.set_num_threads(1)
        torch.manual_seed(0)  # Both ranks build the same initial weights, and DDP also broadcasts rank 0's.
        model = DistributedDataParallel(SpikeCountClassifier())
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)

        generator = torch.Generator().manual_seed(100 + rank)  # Each rank trains on different data.
        for _ in range(TRAIN_STEPS):
            x = torch.rand(STEPS, 4, 8, generator=generator)
            labels = torch.randint(0, 3, (4,), generator=generator)
            loss = nn.functional.cross_entropy(model(x), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        flat = torch.cat([parameter.detach().flatten() for parameter in model.parameters()])
        gathered = [torch.empty_like(flat) for _ in range(WORLD_SIZE)]
        dist.all_gather(gathered, flat)
        if rank == 0:
            results.copy_(torch.stack(gathered))
        # Neither rank tears gloo down while the other may still be communicating, because a rank that exits
        # first can make the other abort in gloo's background thread.
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_ranks_end_with_identical_parameters():
    parameter_count = sum(parameter.numel() for parameter in SpikeCountClassifier().parameters())
    initial = torch.cat([parameter.detach().flatten() for parameter in _seeded_model().parameters()])
    results = torch.zeros(WORLD_SIZE, parameter_count).share_memory_()

    mp.spawn(train_worker, args=(find_free_port(), results), nprocs=WORLD_SIZE, join=True)

    assert torch.isfinite(results).all()
    assert torch.equal(results[0], results[1])
    assert not torch.equal(results[0], initial)


def _seeded_model() -> SpikeCountClassifier:
    torch.manual_seed(0)
    return SpikeCountClassifier()
