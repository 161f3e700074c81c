"""Spike encoders as ``nn.Module``s: model layers and torchvision transform steps around the functional kernels.

Each encoder checks its parameters once, at construction, and calls its kernel in :mod:`burstcode.functional` from
``forward``. It works in two places:

- as a model layer on a batch: ``[B, ...] -> [T, B, ...]`` (time first, as snnTorch, SpikingJelly and Norse expect);
- as a step of a ``torchvision.transforms.v2.Compose`` on one sample (a PIL image, a uint8 or a float tensor):
  ``[C, H, W] -> [T, C, H, W]``. A DataLoader then collates samples to ``[B, T, C, H, W]``; use
  ``spikes.transpose(0, 1)`` (a view, no copy) for time-first batches, or ``burstcode.LIF(batch_first=True)``.

Shapes, in one place:

============================  ==================  ===========================
input                         output              where
============================  ==================  ===========================
``[C, H, W]`` (one sample)    ``[T, C, H, W]``    transform pipeline
``[B, T, C, H, W]``           (after collation)   DataLoader batch
``[B, ...]`` (a batch)        ``[T, B, ...]``     encoder used as a layer
============================  ==================  ===========================
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from burstcode import _checks, functional

__all__ = ["DelayedBurst", "LatencyEncoder", "PoissonBurst", "RateEncoder"]


class _SpikeEncoder(nn.Module):
    """Shared machinery: generator handling, ``forward``, ``spike_probability`` and ``extra_repr``.

    Subclasses set ``_encode`` and ``_probability`` to functional kernels and return their keyword parameters from
    ``_kernel_kwargs``.
    """

    _encode: Callable[..., torch.Tensor]
    _probability: Callable[..., torch.Tensor]

    def __init__(
        self, num_steps: int, *, generator: torch.Generator | None = None, dtype: torch.dtype | None = None
    ) -> None:
        super().__init__()
        self.num_steps = _checks.check_num_steps(num_steps)
        self.dtype = _checks.check_output_dtype(dtype)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}.")
        self.generator = generator
        self._seed = None if generator is None else generator.initial_seed()
        self._seeded_worker: tuple[int, int] | None = None

    def _kernel_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    def _generator_for_this_process(self) -> torch.Generator | None:
        """Return the generator, reseeded once per DataLoader worker so that workers draw different spikes.

        A DataLoader gives each worker a copy of the dataset, transforms and their generator included, so without
        this every worker would replay the same random stream. The new seed mixes the generator's own seed with the
        worker's seed, which PyTorch derives from the main process RNG for each epoch, so runs stay reproducible
        under ``torch.manual_seed``.
        """
        if self.generator is None:
            return None
        worker = torch.utils.data.get_worker_info()
        if worker is None or self._seeded_worker == (worker.id, worker.seed):
            return self.generator
        mixed = np.random.SeedSequence([self._seed, worker.seed]).generate_state(1, np.uint64)[0]
        self.generator.manual_seed(int(mixed))
        self._seeded_worker = (worker.id, worker.seed)
        return self.generator

    def forward(self, x: Any) -> torch.Tensor:
        """Encode ``x`` as spikes.

        Args:
            x: Intensities in [0, 1] of any shape: a float tensor, a uint8 or other integer tensor (divided by its
                dtype's maximum), a bool tensor, or a PIL image (read as ``[C, H, W]``).

        Returns:
            Spikes of shape ``[num_steps, *x.shape]`` with values 0 or 1.
        """
        return type(self)._encode(
            x,
            self.num_steps,
            **self._kernel_kwargs(),
            generator=self._generator_for_this_process(),
            dtype=self.dtype,
        )

    def spike_probability(self, x: Any) -> torch.Tensor:
        """Return the exact probability P(s_t = 1) of every step and feature, of shape ``[num_steps, *x.shape]``.

        ``spike_probability(x).sum(0)`` is the expected spike count of each feature.
        """
        return type(self)._probability(x, self.num_steps, **self._kernel_kwargs())

    def __prepare_scriptable__(self) -> nn.Module:
        raise RuntimeError(_checks.NO_TORCHSCRIPT.format(name=type(self).__name__))

    def extra_repr(self) -> str:
        fields = {"num_steps": self.num_steps, **self._kernel_kwargs()}
        if self.dtype is not None:
            fields["dtype"] = self.dtype
        if self.generator is not None:
            fields["generator"] = f"<seed {self._seed}>"
        return ", ".join(f"{name}={value}" for name, value in fields.items())


class RateEncoder(_SpikeEncoder):
    """Encode intensities as independent Bernoulli spikes at every step (rate coding).

    See :func:`burstcode.functional.rate`.

    Args:
        num_steps: Number of time steps T, >= 1.
        gain: Factor applied to ``x`` before clamping to a spike probability, >= 0. Default 1.0.
        generator: Random number generator; the global torch RNG if None. Reseeded per DataLoader worker.
        dtype: Output dtype; x's floating dtype (or the default dtype) if None.

    Shape:
        - Input: ``[*]``, intensities in [0, 1].
        - Output: ``[num_steps, *]``.

    Example:
        >>> encoder = RateEncoder(num_steps=10)
        >>> encoder(torch.rand(4, 784)).shape
        torch.Size([10, 4, 784])
    """

    _encode = functional.rate
    _probability = functional.rate_probability

    def __init__(
        self,
        num_steps: int,
        *,
        gain: float = 1.0,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(num_steps, generator=generator, dtype=dtype)
        self.gain = functional._check_rate(gain)

    def _kernel_kwargs(self) -> dict[str, Any]:
        return {"gain": self.gain}


class LatencyEncoder(_SpikeEncoder):
    """Encode intensities as one spike whose time falls as intensity rises (time-to-first-spike coding).

    See :func:`burstcode.functional.latency`. The encoding is deterministic.

    Args:
        num_steps: Number of time steps T, >= 1.
        threshold: Intensities at or below it emit no spike, in [0, 1]. Default 0.0.
        generator: Accepted so that all four encoders take the same arguments; the encoding draws no random numbers.
        dtype: Output dtype; x's floating dtype (or the default dtype) if None.

    Shape:
        - Input: ``[*]``, intensities in [0, 1].
        - Output: ``[num_steps, *]``.

    Example:
        >>> LatencyEncoder(num_steps=3)(torch.tensor([1.0, 0.0])).T
        tensor([[1., 0., 0.],
                [0., 0., 0.]])
    """

    _encode = functional.latency
    _probability = functional.latency_probability

    def __init__(
        self,
        num_steps: int,
        *,
        threshold: float = 0.0,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(num_steps, generator=generator, dtype=dtype)
        self.threshold = functional._check_latency(threshold)

    def _kernel_kwargs(self) -> dict[str, Any]:
        return {"threshold": self.threshold}


class PoissonBurst(_SpikeEncoder):
    """Encode intensities as Poisson-sized bursts whose occurrence rises with intensity.

    In each interval of ``interval`` steps, a feature bursts with probability ``clamp(gain * x, 0, 1)``. The burst has
    ``Poisson(mean_burst_size)`` spikes ``isi`` steps apart and is cut at the interval's end. See
    :func:`burstcode.functional.poisson_burst` for the exact definition.

    Args:
        num_steps: Number of time steps T, >= 1.
        interval: Interval length in steps, >= 1. Default 5, our choice, because
            Moshruba et al. (arXiv:2505.04034) publish no value.
        mean_burst_size: Mean of the Poisson burst size, > 0. Default 3.0 (our choice).
        isi: Steps between the spikes of a burst, >= 1. Default 1.
        gain: Factor applied to ``x`` before clamping to a burst probability, >= 0. Default 1.0.
        generator: Random number generator; the global torch RNG if None. Reseeded per DataLoader worker.
        dtype: Output dtype; x's floating dtype (or the default dtype) if None.

    Shape:
        - Input: ``[*]``, intensities in [0, 1].
        - Output: ``[num_steps, *]``.

    Example:
        >>> encoder = PoissonBurst(num_steps=20)
        >>> encoder(torch.rand(4, 1, 28, 28)).shape
        torch.Size([20, 4, 1, 28, 28])
    """

    _encode = functional.poisson_burst
    _probability = functional.poisson_burst_probability

    def __init__(
        self,
        num_steps: int,
        *,
        interval: int = 5,
        mean_burst_size: float = 3.0,
        isi: int = 1,
        gain: float = 1.0,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(num_steps, generator=generator, dtype=dtype)
        self.interval, self.mean_burst_size, self.isi, self.gain = functional._check_poisson_burst(
            interval, mean_burst_size, isi, gain
        )

    def _kernel_kwargs(self) -> dict[str, Any]:
        return {"interval": self.interval, "mean_burst_size": self.mean_burst_size, "isi": self.isi, "gain": self.gain}


class DelayedBurst(_SpikeEncoder):
    """Encode intensities as the onset of one Poisson-sized burst: strong inputs burst early, weak inputs late.

    Each feature bursts once after a Geometric delay of mean ``(1 - x) * (num_steps - margin)``. The burst has
    ``Poisson(mean_burst_size)`` spikes ``isi`` steps apart and is cut at the last step. See
    :func:`burstcode.functional.delayed_burst` for the exact definition.

    Args:
        num_steps: Number of time steps T, >= 1.
        margin: Steps taken off the mean delay, 0 <= margin < num_steps. Default 5, our choice, because
            Moshruba et al. (arXiv:2505.04034) publish no value.
        mean_burst_size: Mean of the Poisson burst size, > 0. Default 3.0 (our choice).
        isi: Steps between the spikes of a burst, >= 1. Default 1.
        generator: Random number generator; the global torch RNG if None. Reseeded per DataLoader worker.
        dtype: Output dtype; x's floating dtype (or the default dtype) if None.

    Shape:
        - Input: ``[*]``, intensities in [0, 1].
        - Output: ``[num_steps, *]``.

    Example:
        >>> encoder = DelayedBurst(num_steps=20)
        >>> encoder(torch.rand(4, 1, 28, 28)).shape
        torch.Size([20, 4, 1, 28, 28])
    """

    _encode = functional.delayed_burst
    _probability = functional.delayed_burst_probability

    def __init__(
        self,
        num_steps: int,
        *,
        margin: int = 5,
        mean_burst_size: float = 3.0,
        isi: int = 1,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(num_steps, generator=generator, dtype=dtype)
        self.margin, self.mean_burst_size, self.isi = functional._check_delayed_burst(
            self.num_steps, margin, mean_burst_size, isi
        )

    def _kernel_kwargs(self) -> dict[str, Any]:
        return {"margin": self.margin, "mean_burst_size": self.mean_burst_size, "isi": self.isi}
