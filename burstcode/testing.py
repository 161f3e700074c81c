"""Helpers for property-based tests of spike encoders: hypothesis strategies and a statistical assertion.

The strategies need the ``hypothesis`` package (``pip install burstcode[test]``); it is imported when a strategy is
first called, so ``import burstcode`` works without it.

Example:
    >>> import burstcode
    >>> from burstcode.testing import assert_spike_statistics
    >>> x = torch.linspace(0, 1, 5)
    >>> assert_spike_statistics(burstcode.PoissonBurst(12), x, generator=torch.Generator().manual_seed(0))
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch

from burstcode import encoders

__all__ = [
    "assert_spike_statistics",
    "encoder_configs",
    "intensities",
    "spike_statistics_bounds",
]


# --- Strategies ---------------------------------------------------------------------------------------------------


def intensities(
    *,
    min_dims: int = 1,
    max_dims: int = 3,
    max_side: int = 6,
    dtype: torch.dtype = torch.float32,
    with_edges: bool = True,
) -> Any:
    """Return a hypothesis strategy for valid encoder inputs: tensors of intensities in [0, 1].

    Args:
        min_dims: Minimum number of dimensions (0 gives scalars).
        max_dims: Maximum number of dimensions.
        max_side: Maximum size of each dimension (0 is allowed, so empty tensors occur).
        dtype: Floating dtype of the tensors, or ``torch.uint8`` for integer images in [0, 255].
        with_edges: If True, about a quarter of the values are exactly 0 or 1.
    """
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
    import numpy as np

    if dtype != torch.uint8 and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ValueError(f"dtype must be a floating dtype or torch.uint8, got {dtype!r}.")

    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=max_side)
    if dtype == torch.uint8:
        elements = st.integers(0, 255)
        np_dtype = np.uint8
    else:
        values = st.floats(0.0, 1.0, allow_nan=False, width=32)
        elements = st.one_of(st.sampled_from([0.0, 1.0]), values, values, values) if with_edges else values
        np_dtype = np.float64
    arrays = hnp.arrays(np_dtype, shapes, elements=elements)
    return arrays.map(lambda array: torch.from_numpy(array).to(dtype))


def encoder_configs(encoder: type[torch.nn.Module], *, max_steps: int = 40) -> Any:
    """Return a hypothesis strategy for valid keyword arguments of ``encoder``, ``num_steps`` included.

    Args:
        encoder: One of :class:`~burstcode.RateEncoder`, :class:`~burstcode.LatencyEncoder`,
            :class:`~burstcode.PoissonBurst`, :class:`~burstcode.DelayedBurst`.
        max_steps: Largest ``num_steps`` drawn.

    Example:
        >>> from hypothesis import given
        >>> @given(encoder_configs(burstcode.PoissonBurst))
        ... def test_shape(config):
        ...     assert burstcode.PoissonBurst(**config)(torch.ones(3)).shape == (config["num_steps"], 3)
    """
    from hypothesis import strategies as st

    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError(f"max_steps must be an integer >= 1, got {max_steps!r}.")
    num_steps = st.integers(1, max_steps)
    gain = st.floats(0.0, 3.0, allow_nan=False)
    mean_burst_size = st.floats(0.05, 10.0, allow_nan=False)
    if encoder is encoders.RateEncoder:
        return st.fixed_dictionaries({"num_steps": num_steps, "gain": gain})
    if encoder is encoders.LatencyEncoder:
        return st.fixed_dictionaries({"num_steps": num_steps, "threshold": st.floats(0.0, 1.0, allow_nan=False)})
    if encoder is encoders.PoissonBurst:
        return st.fixed_dictionaries(
            {
                "num_steps": num_steps,
                "interval": st.integers(1, 12),
                "mean_burst_size": mean_burst_size,
                "isi": st.integers(1, 4),
                "gain": gain,
            }
        )
    if encoder is encoders.DelayedBurst:
        return num_steps.flatmap(
            lambda steps: st.fixed_dictionaries(
                {
                    "num_steps": st.just(steps),
                    "margin": st.integers(0, steps - 1),
                    "mean_burst_size": mean_burst_size,
                    "isi": st.integers(1, 4),
                }
            )
        )
    raise TypeError(f"no configuration strategy for {encoder!r}; expected one of burstcode's four encoder classes.")


# --- Statistical assertion ----------------------------------------------------------------------------------------


def _check_num_samples(num_samples: Any) -> None:
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be an integer >= 1, got {num_samples!r}.")


def _check_probability(probability: Any) -> None:
    """Reject a probability map whose NaN or out-of-range values would make every comparison pass."""
    if not isinstance(probability, torch.Tensor) or not probability.is_floating_point():
        described = probability.dtype if isinstance(probability, torch.Tensor) else type(probability).__name__
        raise TypeError(f"probability must be a floating tensor of shape [T, *x.shape], got {described}.")
    if probability.dim() < 1:
        raise ValueError("probability must have a time axis first, [T, *x.shape], got a 0-d tensor.")
    if probability.device.type == "meta":
        raise ValueError(
            "probability is on the meta device, which has no data to compare spikes with; compute it on a real device."
        )
    if probability.numel() == 0:
        return
    low, high = (value.item() for value in torch.aminmax(probability.detach()))
    if not (0.0 <= low and high <= 1.0):
        raise ValueError(
            f"probability must lie in [0, 1] with no NaN, but it has min {low} and max {high}; pass the encoder's "
            f"spike_probability(x) or a map of probabilities of the same shape."
        )


def _bernstein_radius(variance: torch.Tensor, value_range: float, num_samples: int, delta: float) -> torch.Tensor:
    """Return r with P(|mean - E| > r) <= delta for a mean of num_samples i.i.d. draws (Bernstein's inequality)."""
    log_term = math.log(2.0 / delta)
    return torch.sqrt(2.0 * variance * log_term / num_samples) + value_range * log_term / (3.0 * num_samples)


def spike_statistics_bounds(
    probability: torch.Tensor, num_samples: int, false_failure_rate: float
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Return the expected statistics of encoded spikes and the deviation each may show by chance.

    For the per-step spike frequency, the spike count per feature and the time-weighted count ``sum_t t * s_t`` per
    feature (mean spike time times spike count), it returns ``(expected, radius)``. A correct sampler's averages over
    ``num_samples`` independent encodings all lie within ``radius`` of ``expected`` with probability at least
    ``1 - false_failure_rate``. The radii come from Bernstein's inequality with a union bound over every checked
    value, so the rate is a guarantee, not an approximation. For the counts, the variance term uses the largest
    variance a value in ``[0, T]`` (or ``[0, T^2 / 2]``) with the given mean can have.

    Args:
        probability: ``spike_probability(x)``, of shape ``[T, *x.shape]``.
        num_samples: Number of independent encodings averaged.
        false_failure_rate: Allowed probability that a correct sampler fails, in (0, 1).
    """
    _check_probability(probability)
    _check_num_samples(num_samples)
    probability = probability.double()
    num_steps = probability.shape[0]
    num_checks = probability.numel() + 2 * probability[0].numel()
    delta = false_failure_rate / max(num_checks, 1)

    steps = torch.arange(num_steps, dtype=torch.float64).view(num_steps, *([1] * (probability.ndim - 1)))
    count = probability.sum(0)
    weighted = (steps * probability).sum(0)
    count_max = float(num_steps)
    weighted_max = float(num_steps * (num_steps - 1) / 2) or 1.0

    # A value in [0, M] with mean m has variance at most m (M - m).
    bounds = {
        "frequency": (probability, _bernstein_radius(probability * (1 - probability), 1.0, num_samples, delta)),
        "count": (count, _bernstein_radius(count * (count_max - count), count_max, num_samples, delta)),
        "time_weighted_count": (
            weighted,
            _bernstein_radius(weighted * (weighted_max - weighted), weighted_max, num_samples, delta),
        ),
    }
    return bounds


@torch.no_grad()
def assert_spike_statistics(
    encoder: Callable[..., torch.Tensor],
    x: torch.Tensor,
    *,
    num_samples: int = 2000,
    false_failure_rate: float = 1e-6,
    probability: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> None:
    """Assert that sampled spikes agree with the encoder's exact spike probability map.

    Encodes ``x`` ``num_samples`` times in one batched call and compares, for every step and feature, the spike
    frequency, the spike count and the time-weighted spike count with their expected values (see
    :func:`spike_statistics_bounds`). A correct encoder fails with probability at most ``false_failure_rate``.

    Args:
        encoder: An encoder module, or any callable ``(x, generator=...) -> [T, *x.shape]`` spikes.
        x: Intensities in [0, 1].
        num_samples: Number of independent encodings.
        false_failure_rate: Allowed probability of failing for a correct encoder, in (0, 1). Default 1e-6.
        probability: The expected ``P(s_t = 1)``; ``encoder.spike_probability(x)`` if None.
        generator: Seeded generator for a reproducible check; used in place of the module's own generator.

    Raises:
        AssertionError: Naming the statistic, the worst step or feature, and the observed and expected values.
    """
    if not 0.0 < false_failure_rate < 1.0:
        raise ValueError(f"false_failure_rate must lie in (0, 1), got {false_failure_rate}.")
    _check_num_samples(num_samples)
    if probability is None:
        if not hasattr(encoder, "spike_probability"):
            raise TypeError(
                f"{type(encoder).__name__} has no spike_probability method; pass probability=, for example "
                f"burstcode.functional.rate_probability(x, num_steps) for burstcode.functional.rate."
            )
        probability = encoder.spike_probability(x)
    _check_probability(probability)
    samples = _sample(encoder, x, num_samples, generator).double()
    expected_shape = (probability.shape[0], num_samples, *probability.shape[1:])
    if tuple(samples.shape) != expected_shape:
        raise ValueError(
            f"the encoder returned spikes of shape {tuple(samples.shape)} for {num_samples} stacked copies of x, "
            f"but probability of shape {tuple(probability.shape)} needs {expected_shape}: spikes [T, *x.shape] "
            f"per copy, time first."
        )

    num_steps = samples.shape[0]
    steps = torch.arange(num_steps, dtype=torch.float64).view(num_steps, *([1] * (samples.ndim - 1)))
    observed = {
        "frequency": samples.mean(1),
        "count": samples.sum(0).mean(0),
        "time_weighted_count": (steps * samples).sum(0).mean(0),
    }

    bounds = spike_statistics_bounds(probability.cpu(), num_samples, false_failure_rate)
    for name, (expected, radius) in bounds.items():
        error = (observed[name].cpu() - expected).abs() - radius
        if error.numel() and error.max() > 0:
            worst = tuple(int(i) for i in torch.unravel_index(error.argmax(), error.shape))
            raise AssertionError(
                f"spike {name} at index {worst} is {observed[name].cpu()[worst].item():.6g} over {num_samples} "
                f"samples, expected {expected[worst].item():.6g} +- {radius[worst].item():.3g} "
                f"(false-failure rate {false_failure_rate:g})."
            )


def _sample(encoder, x: torch.Tensor, num_samples: int, generator) -> torch.Tensor:
    """Encode ``num_samples`` copies of ``x`` at once and return spikes of shape ``[T, num_samples, *x.shape]``."""
    batch = x.unsqueeze(0).expand(num_samples, *x.shape)
    if isinstance(encoder, encoders._SpikeEncoder) and generator is not None:
        return type(encoder)._encode(
            batch, encoder.num_steps, **encoder._kernel_kwargs(), generator=generator, dtype=encoder.dtype
        )
    if generator is not None:
        return encoder(batch, generator=generator)
    return encoder(batch)
