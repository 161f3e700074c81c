"""Build encoders, train SNNs on freshly encoded batches, and query them for output probabilities.

Encoding happens inside the training loop, so every epoch draws new random spikes of the same records, and every
query of a trained model draws new spikes too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

import burstcode

__all__ = [
    "ENCODERS",
    "EncoderSettings",
    "ModelOutputs",
    "TrainingSettings",
    "TrainingStats",
    "make_encoder",
    "query_model",
    "train_model",
]

logger = logging.getLogger(__name__)

ENCODERS = ("rate", "poisson_burst", "delayed_burst", "latency")


@dataclass
class EncoderSettings:
    """Encoder parameters shared by all encoders of a run; each encoder uses the ones it has.

    The defaults are burstcode's defaults, except ``num_steps``, which we chose short enough for CPU runs.
    """

    num_steps: int = 16
    gain: float = 1.0
    interval: int = 5
    mean_burst_size: float = 3.0
    isi: int = 1
    margin: int = 5


@dataclass
class TrainingSettings:
    """Optimisation settings: Adam with a constant learning rate and cross-entropy loss."""

    epochs: int = 40
    batch_size: int = 64
    learning_rate: float = 5e-3
    device: str = "cpu"
    show_progress: bool = True


@dataclass
class TrainingStats:
    """Cost of training one model: time per epoch and peak memory.

    Attributes:
        seconds_per_epoch: mean wall-clock seconds per epoch, encoding included.
        peak_memory_mb: on CUDA, ``torch.cuda.max_memory_allocated`` during training. On CPU it is an estimate, the
            bytes of all tensors autograd saved for backward in the largest training batch plus its input spikes.
        memory_measure: which of the two ``peak_memory_mb`` is.
        final_loss: mean training loss of the last epoch.
    """

    seconds_per_epoch: float
    peak_memory_mb: float
    memory_measure: str
    final_loss: float


@dataclass
class ModelOutputs:
    """Softmax outputs of repeated queries and the spike counts of the first query.

    Attributes:
        probabilities: ``[queries, N, classes]``, the softmax of the time-averaged readout, one row per query, each
            query with freshly encoded input spikes.
        input_spikes: input spikes per record in the first query, ``[N]``.
        hidden_spikes: hidden LIF spikes per record in the first query, ``[N]``.
    """

    probabilities: torch.Tensor
    input_spikes: torch.Tensor
    hidden_spikes: torch.Tensor
    labels: torch.Tensor = field(repr=False)


def make_encoder(name: str, settings: EncoderSettings, generator: torch.Generator | None = None) -> nn.Module:
    """Build the named burstcode encoder with the parameters of ``settings``.

    Raises:
        ValueError: for an unknown encoder name.
    """
    steps = settings.num_steps
    if name == "rate":
        return burstcode.RateEncoder(steps, gain=settings.gain, generator=generator)
    if name == "poisson_burst":
        return burstcode.PoissonBurst(
            steps,
            interval=settings.interval,
            mean_burst_size=settings.mean_burst_size,
            isi=settings.isi,
            gain=settings.gain,
            generator=generator,
        )
    if name == "delayed_burst":
        return burstcode.DelayedBurst(
            steps, margin=settings.margin, mean_burst_size=settings.mean_burst_size, isi=settings.isi,
            generator=generator,
        )
    if name == "latency":
        return burstcode.LatencyEncoder(steps)
    raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")


def train_model(
    model: nn.Module,
    encoder: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    settings: TrainingSettings,
    generator: torch.Generator,
    description: str = "training",
) -> TrainingStats:
    """Train ``model`` with Adam and cross-entropy on ``(x, y)``, encoding each batch afresh.

    Args:
        model: a network that maps spikes ``[T, B, ...]`` to ``(logits, hidden_spikes)``.
        encoder: a burstcode encoder; it draws new spikes on every call.
        x: records ``[N, ...]`` in [0, 1] (on any device; batches move to ``settings.device``).
        y: labels ``[N]``.
        settings: optimisation settings.
        generator: CPU generator for the batch order.
        description: label of the progress bar.
    """
    device = torch.device(settings.device)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    loss_function = nn.CrossEntropyLoss()
    on_cuda = device.type == "cuda"
    if on_cuda:
        torch.cuda.reset_peak_memory_stats(device)

    epoch_seconds: list[float] = []
    saved_bytes = 0
    final_loss = float("nan")
    for _ in tqdm(range(settings.epochs), desc=description, leave=False, disable=not settings.show_progress):
        start = time.perf_counter()
        order = torch.randperm(len(y), generator=generator)
        total_loss = 0.0
        for batch in order.split(settings.batch_size):
            inputs = x[batch].to(device)
            targets = y[batch].to(device)
            spikes = encoder(inputs)
            meter = _SavedTensorMeter()
            with meter:
                logits, _ = model(spikes)
                loss = loss_function(logits, targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

            saved_bytes = max(saved_bytes, meter.bytes + spikes.numel() * spikes.element_size())
            total_loss += loss.item() * len(batch)
        if on_cuda:
            torch.cuda.synchronize(device)
        epoch_seconds.append(time.perf_counter() - start)
        final_loss = total_loss / len(y)

    if on_cuda:
        # NOTE: this CUDA branch has not been run, because the machines the study was built on have no GPU.
        peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
        measure = "torch.cuda.max_memory_allocated during training"
    else:
        peak_mb = saved_bytes / 2**20
        measure = "CPU estimate: autograd saved tensors plus input spikes of the largest training batch"
    seconds = sum(epoch_seconds) / max(len(epoch_seconds), 1)
    return TrainingStats(seconds_per_epoch=seconds, peak_memory_mb=peak_mb, memory_measure=measure, final_loss=final_loss)


@torch.no_grad()
def query_model(
    model: nn.Module,
    encoder: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    queries: int,
    settings: TrainingSettings,
) -> ModelOutputs:
    """Query ``model`` ``queries`` times on every record, each time with freshly encoded spikes.

    Returns:
        The softmax outputs of every query and the spike counts of the first query.
    """
    if queries < 1:
        raise ValueError(f"queries must be at least 1, got {queries}")
    device = torch.device(settings.device)
    model.to(device).eval()
    batch_size = max(settings.batch_size, 256)

    probabilities = []
    input_spikes = []
    hidden_spikes = []
    for query in range(queries):
        query_probabilities = []
        for start in range(0, len(y), batch_size):
            spikes = encoder(x[start : start + batch_size].to(device))
            logits, hidden = model(spikes)
            query_probabilities.append(torch.softmax(logits.double(), dim=1).cpu())
            if query == 0:
                input_spikes.append(spikes.sum(0).flatten(1).sum(1).cpu())
                hidden_spikes.append(hidden.cpu())
        probabilities.append(torch.cat(query_probabilities))

    return ModelOutputs(
        probabilities=torch.stack(probabilities),
        input_spikes=torch.cat(input_spikes).double(),
        hidden_spikes=torch.cat(hidden_spikes).double(),
        labels=y.cpu(),
    )


class _SavedTensorMeter(torch.autograd.graph.saved_tensors_hooks):
    """Count the bytes of the distinct tensors that autograd saves for backward inside the ``with`` block."""

    def __init__(self) -> None:
        self.bytes = 0
        self._storages: set[int] = set()
        super().__init__(self._pack, self._unpack)

    def _pack(self, tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in self._storages:
            self._storages.add(storage.data_ptr())
            self.bytes += storage.nbytes()
        return tensor

    @staticmethod
    def _unpack(tensor: torch.Tensor) -> torch.Tensor:
        return tensor
