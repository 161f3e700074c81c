"""Spike encoding kernels: Rate, Latency, Poisson-Burst and Delayed-Burst, with their exact spike probabilities.

Every encoder maps intensities ``x`` in [0, 1] of any shape to spikes of shape ``[num_steps, *x.shape]`` (time
first), with values exactly 0 or 1, on x's device. Integer inputs are divided by their dtype's maximum (a uint8 image
by 255) and bool counts as 0/1. The output dtype is ``dtype`` if given, else x's floating dtype, else
``torch.get_default_dtype()``; ``torch.bool`` and ``torch.uint8`` store spikes in one byte each.

Random draws use the global torch RNG unless ``generator`` is given. Encoding builds no autograd graph and never
modifies its input.

The burst encoders follow Moshruba, Poursiami and Parsa, "Izhikevich-Inspired Temporal Dynamics for Enhancing
Privacy, Efficiency, and Transferability in Spiking Neural Networks", arXiv:2505.04034 (2025). That paper gives the
encoders in outline only, without parameter values, so every default here is a choice of this package.
"""

from __future__ import annotations

import torch

from burstcode import _checks

__all__ = [
    "delayed_burst",
    "delayed_burst_probability",
    "latency",
    "latency_probability",
    "poisson_burst",
    "poisson_burst_probability",
    "rate",
    "rate_probability",
]

# Random draws and probabilities are computed in at least float32, so float16 inputs keep their resolution.
_MIN_COMPUTE_DTYPE = torch.float32


def _prepare(x, num_steps, dtype, generator):
    """Check the common arguments and return (intensities, num_steps, output dtype, compute dtype)."""
    num_steps = _checks.check_num_steps(num_steps)
    dtype = _checks.check_output_dtype(dtype)
    x = _checks.to_tensor(x)
    _checks.check_generator(generator, x.device)
    out_dtype = _checks.output_dtype(x, dtype)
    x = _checks.as_intensity(x)
    compute_dtype = torch.promote_types(x.dtype, _MIN_COMPUTE_DTYPE)
    return x.to(compute_dtype), num_steps, out_dtype, compute_dtype


def _uniform(shape, x, generator, dtype):
    return torch.rand(shape, generator=generator, device=x.device, dtype=dtype)


# Number of pieces the time axis is cut into when a comparison cannot write straight into the output. Each piece's
# temporaries are then about 1/8 of their full size. They live in buffers reused across pieces, because a new
# allocation per piece fragments the CPU heap and raised the peak resident memory to about 4x a bool output.
_NUM_CHUNKS = 8


def _chunk_size(length: int) -> int:
    return max(1, -(-length // _NUM_CHUNKS))


def _as_bits(tensor: torch.Tensor) -> torch.Tensor:
    """Return a 2-byte floating tensor as an int16 view of its bits, and any other tensor unchanged.

    On the CPU, torch's scatter and gather kernels convert float16 and bfloat16 tensors to float32 and back, which
    took 3x the output's memory. Copying 0/1 spikes needs only the bits, so the kernels run on the int16 view.
    """
    if tensor.dtype in (torch.float16, torch.bfloat16):
        return tensor.view(torch.int16)
    return tensor


def _poisson_survival(mean_burst_size: float, count: int, device) -> torch.Tensor:
    """Return P(n > j) for j = 0, ..., count - 1 and n ~ Poisson(mean_burst_size), in float64."""
    j = torch.arange(1, count + 1, dtype=torch.float64, device=device)
    # P(n > j) = P(n >= j + 1) is the regularized lower incomplete gamma function P(j + 1, lambda).
    return torch.special.gammainc(j, torch.tensor(mean_burst_size, dtype=torch.float64, device=device))


def _poisson_cdf(mean_burst_size: float, count: int, device) -> torch.Tensor:
    """Return P(n <= j) for j = 0, ..., count - 1 and n ~ Poisson(mean_burst_size), in float64."""
    j = torch.arange(1, count + 1, dtype=torch.float64, device=device)
    return torch.special.gammaincc(j, torch.tensor(mean_burst_size, dtype=torch.float64, device=device))


# --- Rate ---------------------------------------------------------------------------------------------------------


def _check_rate(gain):
    return _checks.check_real("gain", gain, minimum=0.0)


@torch.no_grad()
def rate(
    x: torch.Tensor,
    num_steps: int,
    *,
    gain: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Encode intensities as independent Bernoulli spikes at every step (rate coding).

    Each step fires with probability ``p = clamp(gain * x, 0, 1)``, independently of every other step.

    Args:
        x: Intensities in [0, 1], any shape.
        num_steps: Number of time steps T, >= 1.
        gain: Factor applied to ``x`` before clamping to a probability, >= 0. Default 1.0.
        generator: Random number generator; the global torch RNG if None.
        dtype: Output dtype; see the module docstring.

    Returns:
        Spikes of shape ``[num_steps, *x.shape]``.

    Example:
        >>> spikes = rate(torch.tensor([0.0, 0.5, 1.0]), num_steps=4)
        >>> spikes.shape
        torch.Size([4, 3])
    """
    gain = _check_rate(gain)
    x, num_steps, out_dtype, compute_dtype = _prepare(x, num_steps, dtype, generator)

    probability = (x * gain).clamp_(0.0, 1.0)
    shape = (num_steps, *x.shape)
    if out_dtype == compute_dtype:
        # Draw the uniforms into the output and compare in place, so nothing of the output's size is allocated twice.
        out = _uniform(shape, x, generator, compute_dtype)
        return out.lt_(probability)

    # A bool, integer or half-precision output would need full-size float uniforms, several times the output's
    # bytes, so they are drawn a chunk of steps at a time into one buffer. On the CPU the chunks consume the
    # generator in the same order as one draw would.
    out = torch.empty(shape, dtype=out_dtype, device=x.device)
    chunk = _chunk_size(num_steps)
    uniforms = torch.empty((chunk, *x.shape), dtype=compute_dtype, device=x.device)
    spikes = None if out_dtype == torch.bool else torch.empty(uniforms.shape, dtype=torch.bool, device=x.device)
    for start in range(0, num_steps, chunk):
        steps = slice(start, min(start + chunk, num_steps))
        draw = uniforms[: steps.stop - steps.start].uniform_(generator=generator)
        if spikes is None:
            torch.lt(draw, probability, out=out[steps])
        else:
            out[steps].copy_(torch.lt(draw, probability, out=spikes[: steps.stop - steps.start]))
    return out


@torch.no_grad()
def rate_probability(x: torch.Tensor, num_steps: int, *, gain: float = 1.0) -> torch.Tensor:
    """Return P(s_t = 1) of :func:`rate` for every step: ``clamp(gain * x, 0, 1)`` repeated over time.

    Returns:
        Probabilities of shape ``[num_steps, *x.shape]``, in x's floating dtype (or the default dtype).
    """
    gain = _check_rate(gain)
    x, num_steps, out_dtype, _ = _prepare(x, num_steps, None, None)
    probability = (x * gain).clamp_(0.0, 1.0).to(out_dtype)
    return probability.expand(num_steps, *x.shape).clone()


# --- Latency ------------------------------------------------------------------------------------------------------


def _check_latency(threshold):
    return _checks.check_real("threshold", threshold, minimum=0.0, maximum=1.0)


def _latency_step(x: torch.Tensor, num_steps: int) -> torch.Tensor:
    # torch.round rounds half to even, so x = 0.5 with T = 4 fires at step 2 (1.5 rounds to 2).
    return torch.round((1.0 - x) * (num_steps - 1)).long()


@torch.no_grad()
def latency(
    x: torch.Tensor,
    num_steps: int,
    *,
    threshold: float = 0.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Encode intensities as one spike whose time falls as intensity rises (time-to-first-spike coding).

    A feature fires once, at step ``round((1 - x) * (num_steps - 1))``, so ``x = 1`` fires at step 0 and a faint input
    fires last. Features with ``x <= threshold`` stay silent, so black pixels emit nothing. The encoding is
    deterministic.

    Args:
        x: Intensities in [0, 1], any shape.
        num_steps: Number of time steps T, >= 1.
        threshold: Intensities at or below it emit no spike, in [0, 1]. Default 0.0.
        generator: Accepted for a uniform signature with the random encoders; unused.
        dtype: Output dtype; see the module docstring.

    Returns:
        Spikes of shape ``[num_steps, *x.shape]``.

    Example:
        >>> latency(torch.tensor([1.0, 0.5, 0.0]), num_steps=3).T
        tensor([[1., 0., 0.],
                [0., 1., 0.],
                [0., 0., 0.]])
    """
    threshold = _check_latency(threshold)
    x, num_steps, out_dtype, _ = _prepare(x, num_steps, dtype, generator)

    out = torch.zeros((num_steps, *x.shape), dtype=out_dtype, device=x.device)
    fires = (x > threshold).to(out_dtype)
    _as_bits(out).scatter_(0, _latency_step(x, num_steps).unsqueeze(0), _as_bits(fires).unsqueeze(0))
    return out


@torch.no_grad()
def latency_probability(x: torch.Tensor, num_steps: int, *, threshold: float = 0.0) -> torch.Tensor:
    """Return P(s_t = 1) of :func:`latency`: 1 at the spike step of each feature above ``threshold``, else 0."""
    out_dtype = _checks.output_dtype(_checks.to_tensor(x), None)
    return latency(x, num_steps, threshold=threshold, dtype=out_dtype)


# --- Poisson-Burst ------------------------------------------------------------------------------------------------


def _check_poisson_burst(interval, mean_burst_size, isi, gain):
    return (
        _checks.check_int("interval", interval, 1),
        _checks.check_real("mean_burst_size", mean_burst_size, minimum=0.0, strict=True),
        _checks.check_int("isi", isi, 1),
        _checks.check_real("gain", gain, minimum=0.0),
    )


@torch.no_grad()
def poisson_burst(
    x: torch.Tensor,
    num_steps: int,
    *,
    interval: int = 5,
    mean_burst_size: float = 3.0,
    isi: int = 1,
    gain: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Encode intensities as Poisson-sized bursts whose occurrence rises with intensity.

    The ``num_steps`` steps are cut into ``ceil(num_steps / interval)`` intervals; interval k covers steps
    ``[k * interval, min((k + 1) * interval, num_steps))``. In each interval, each feature independently starts a
    burst with probability ``p = clamp(gain * x, 0, 1)``. A burst has ``n ~ Poisson(mean_burst_size)`` spikes at steps
    ``k * interval + j * isi`` for ``j = 0, ..., n - 1``. Spikes past the interval's end are dropped, so a burst never
    spills into the next interval. A burst of size 0 emits nothing.

    Random numbers are drawn per interval, not per step: two uniforms per feature and interval.

    Args:
        x: Intensities in [0, 1], any shape.
        num_steps: Number of time steps T, >= 1.
        interval: Interval length L in steps, >= 1. Default 5, our choice: room for a burst of the default mean
            size 3 with the default ``isi`` of 1 step.
        mean_burst_size: Mean lambda of the Poisson burst size, > 0. Default 3.0, our choice.
        isi: Steps between the spikes of a burst (inter-spike interval), >= 1. Default 1.
        gain: Factor applied to ``x`` before clamping to a burst probability, >= 0. Default 1.0.
        generator: Random number generator; the global torch RNG if None.
        dtype: Output dtype; see the module docstring.

    Returns:
        Spikes of shape ``[num_steps, *x.shape]``.

    Example:
        >>> spikes = poisson_burst(torch.rand(2, 8), num_steps=20)
        >>> spikes.shape
        torch.Size([20, 2, 8])
    """
    interval, mean_burst_size, isi, gain = _check_poisson_burst(interval, mean_burst_size, isi, gain)
    x, num_steps, out_dtype, compute_dtype = _prepare(x, num_steps, dtype, generator)

    num_intervals = -(-num_steps // interval)
    num_slots = -(-interval // isi)  # steps of one interval where a burst can place a spike
    draw_shape = (num_intervals, *x.shape)

    # A burst occurs when u1 < p. Its size n is drawn by inverse transform, n = #{j : P(n <= j) <= u2}, so slot j
    # fires exactly when u2 >= P(n <= j). Setting u2 = -1 where no burst occurs silences every slot at once.
    # The burst draws become a bool mask before the size draws are made, so only one float draw is alive at a time.
    no_burst = _uniform(draw_shape, x, generator, compute_dtype) >= (x * gain).clamp_(0.0, 1.0)
    size_draw = _uniform(draw_shape, x, generator, compute_dtype)
    size_draw.masked_fill_(no_burst, -1.0)
    del no_burst

    cdf = _poisson_cdf(mean_burst_size, num_slots, x.device).to(compute_dtype)
    cdf = cdf.view(1, num_slots, *([1] * x.ndim))
    out = torch.empty((num_intervals, interval, *x.shape), dtype=out_dtype, device=x.device)
    slots = out if isi == 1 else out[:, ::isi]
    if isi != 1:
        out.zero_()
    if out_dtype in (compute_dtype, torch.bool):
        torch.ge(size_draw.unsqueeze(1), cdf, out=slots)
    else:
        # torch.ge into another dtype first builds its result in full, so it goes through a bool buffer a chunk of
        # intervals at a time.
        chunk = _chunk_size(num_intervals)
        spikes = torch.empty((chunk, *slots.shape[1:]), dtype=torch.bool, device=x.device)
        for start in range(0, num_intervals, chunk):
            intervals = slice(start, min(start + chunk, num_intervals))
            result = spikes[: intervals.stop - intervals.start]
            slots[intervals].copy_(torch.ge(size_draw[intervals].unsqueeze(1), cdf, out=result))
    return out.view(num_intervals * interval, *x.shape)[:num_steps]


@torch.no_grad()
def poisson_burst_probability(
    x: torch.Tensor,
    num_steps: int,
    *,
    interval: int = 5,
    mean_burst_size: float = 3.0,
    isi: int = 1,
    gain: float = 1.0,
) -> torch.Tensor:
    """Return the exact P(s_t = 1) of :func:`poisson_burst` for every step and feature.

    For step t at offset ``o = t - k * interval`` inside interval k, ``P(s_t = 1) = p * P(n > o / isi)`` if ``o`` is a
    multiple of ``isi``, else 0, with ``p = clamp(gain * x, 0, 1)``.

    Returns:
        Probabilities of shape ``[num_steps, *x.shape]``, in x's floating dtype (or the default dtype).
    """
    interval, mean_burst_size, isi, gain = _check_poisson_burst(interval, mean_burst_size, isi, gain)
    x, num_steps, out_dtype, _ = _prepare(x, num_steps, None, None)

    offset = torch.arange(num_steps, device=x.device) % interval
    on_slot = offset % isi == 0
    survival = _poisson_survival(mean_burst_size, -(-interval // isi), x.device)
    per_step = torch.where(on_slot, survival[offset // isi], torch.zeros((), dtype=torch.float64, device=x.device))

    burst_probability = (x.double() * gain).clamp_(0.0, 1.0)
    per_step = per_step.view(num_steps, *([1] * x.ndim))
    return (per_step * burst_probability).to(out_dtype)


# --- Delayed-Burst ------------------------------------------------------------------------------------------------


def _check_delayed_burst(num_steps, margin, mean_burst_size, isi):
    num_steps = _checks.check_num_steps(num_steps)
    return (
        _checks.check_margin(margin, num_steps),
        _checks.check_real("mean_burst_size", mean_burst_size, minimum=0.0, strict=True),
        _checks.check_int("isi", isi, 1),
    )


def _onset_success_probability(x: torch.Tensor, num_steps: int, margin: int) -> torch.Tensor:
    """Return q = 1 / (1 + mu) of the Geometric onset delay, whose mean is mu = (1 - x) * (num_steps - margin)."""
    return 1.0 / (1.0 + (1.0 - x) * (num_steps - margin))


@torch.no_grad()
def delayed_burst(
    x: torch.Tensor,
    num_steps: int,
    *,
    margin: int = 5,
    mean_burst_size: float = 3.0,
    isi: int = 1,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Encode intensities as the onset of one Poisson-sized burst: strong inputs burst early, weak inputs late.

    Each feature emits one burst. Its onset delay d follows a Geometric distribution on {0, 1, 2, ...} (failures
    before the first success) with mean ``(1 - x) * (num_steps - margin)``, so ``x = 1`` bursts at step 0. The burst
    has ``n ~ Poisson(mean_burst_size)`` spikes at steps ``d + j * isi``; spikes at or past ``num_steps`` are dropped,
    so a late burst may be cut short or lost.

    Random numbers are drawn once per feature (two uniforms), not per step.

    Args:
        x: Intensities in [0, 1], any shape.
        num_steps: Number of time steps T, >= 1.
        margin: Steps m taken off the mean delay, so that the faintest input still bursts at mean step T - m.
            Integer with 0 <= m < T. Default 5, our choice: one default Poisson-Burst interval.
        mean_burst_size: Mean lambda of the Poisson burst size, > 0. Default 3.0, our choice.
        isi: Steps between the spikes of a burst, >= 1. Default 1.
        generator: Random number generator; the global torch RNG if None.
        dtype: Output dtype; see the module docstring.

    Returns:
        Spikes of shape ``[num_steps, *x.shape]``.

    Example:
        >>> spikes = delayed_burst(torch.rand(2, 8), num_steps=20)
        >>> spikes.shape
        torch.Size([20, 2, 8])
    """
    margin, mean_burst_size, isi = _check_delayed_burst(num_steps, margin, mean_burst_size, isi)
    x, num_steps, out_dtype, compute_dtype = _prepare(x, num_steps, dtype, generator)

    # Inverse transform of the Geometric law: d = floor(log(u) / log(1 - q)) for u uniform in (0, 1]. For x = 1,
    # q = 1 and log(1 - q) = -inf, which gives d = 0 as required.
    q = _onset_success_probability(x, num_steps, margin)
    u = 1.0 - _uniform(x.shape, x, generator, compute_dtype)
    onset = torch.floor(torch.log(u) / torch.log1p(-q)).clamp_(max=num_steps).long()

    # Only min(n, ceil(T / isi)) matters, so the Poisson inverse transform needs that many CDF values.
    max_spikes = -(-num_steps // isi)
    cdf = _poisson_cdf(mean_burst_size, max_spikes, x.device).to(compute_dtype)
    size = torch.searchsorted(cdf, _uniform(x.shape, x, generator, compute_dtype).flatten(), right=True)
    size = size.view(x.shape)

    out = torch.empty((num_steps, *x.shape), dtype=out_dtype, device=x.device)
    if x.numel() == 0 or x.device.type == "meta":
        return out
    longest = int(size.max())
    if num_steps * (num_steps + 1) * (longest + 1) <= out.numel():
        _write_bursts_by_lookup(out, onset, size, isi)
    else:
        _write_bursts_by_scatter(out, onset, size, isi)
    return out


def _write_bursts_by_lookup(out: torch.Tensor, onset: torch.Tensor, size: torch.Tensor, isi: int) -> None:
    """Write each feature's burst into ``out`` by looking its spike train up in a table of all trains.

    A feature's spike train depends only on its (onset, size) pair, so a table with one column per pair, indexed by
    ``onset * (longest + 1) + size``, contains every possible train. ``out`` is then filled by one gather along the
    pair axis, which writes the output once. The table has ``T * (T + 1) * (longest + 1)`` entries, so the caller
    uses this path only when that is not larger than the output.
    """
    num_steps = out.shape[0]
    longest = int(size.max())
    t = torch.arange(num_steps, device=out.device).view(num_steps, 1, 1)
    first_step = torch.arange(num_steps + 1, device=out.device).view(1, num_steps + 1, 1)
    num_spikes = torch.arange(longest + 1, device=out.device).view(1, 1, longest + 1)
    since_onset = t - first_step
    table = (since_onset >= 0) & (since_onset < num_spikes * isi) & (since_onset % isi == 0)
    table = table.view(num_steps, -1).to(out.dtype)

    pair = (onset * (longest + 1) + size).flatten()
    torch.gather(_as_bits(table), 1, pair.expand(num_steps, -1), out=_as_bits(out.view(num_steps, -1)))


def _write_bursts_by_scatter(out: torch.Tensor, onset: torch.Tensor, size: torch.Tensor, isi: int) -> None:
    """Write each feature's burst into ``out`` by scattering its spikes, for when the lookup table would be large.

    Spikes of ``j >= n`` and those at ``t >= T`` are sent to one spare row past the end, so the scatter needs no mask.
    """
    num_steps = out.shape[0]
    longest = int(size.max())
    j = torch.arange(longest, device=out.device).view(longest, *([1] * onset.ndim))
    step = onset.unsqueeze(0) + j * isi
    step = torch.where((j < size.unsqueeze(0)) & (step < num_steps), step, num_steps)

    padded = torch.zeros((num_steps + 1, *onset.shape), dtype=out.dtype, device=out.device)
    one = _as_bits(torch.ones((), dtype=out.dtype, device=out.device)).expand(step.shape)
    _as_bits(padded).scatter_(0, step, one)
    out.copy_(padded[:num_steps])


@torch.no_grad()
def delayed_burst_probability(
    x: torch.Tensor,
    num_steps: int,
    *,
    margin: int = 5,
    mean_burst_size: float = 3.0,
    isi: int = 1,
) -> torch.Tensor:
    """Return the exact P(s_t = 1) of :func:`delayed_burst` for every step and feature.

    ``P(s_t = 1) = sum over j >= 0 with d = t - j * isi >= 0 of q (1 - q)^d * P(n > j)``. It is computed with the
    recursion ``a_t = (1 - q) a_{t-1} + q h_t``, where ``h_t = P(n > t / isi)`` on multiples of ``isi`` and 0
    elsewhere, so the cost is linear in ``num_steps``.

    Returns:
        Probabilities of shape ``[num_steps, *x.shape]``, in x's floating dtype (or the default dtype).
    """
    margin, mean_burst_size, isi = _check_delayed_burst(num_steps, margin, mean_burst_size, isi)
    x, num_steps, out_dtype, _ = _prepare(x, num_steps, None, None)

    q = _onset_success_probability(x.double(), num_steps, margin)
    survival = _poisson_survival(mean_burst_size, -(-num_steps // isi), "cpu").tolist()

    out = torch.empty((num_steps, *x.shape), dtype=torch.float64, device=x.device)
    previous = torch.zeros_like(q)
    for t in range(num_steps):
        slot_survival = survival[t // isi] if t % isi == 0 else 0.0
        previous = (1.0 - q) * previous + q * slot_survival
        out[t] = previous
    return out.to(out_dtype)
