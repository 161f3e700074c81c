"""Surrogate derivatives for the Heaviside spike function.

A spiking neuron emits s = H(x) with x = u - threshold, whose derivative is zero almost everywhere. In backward,
:class:`burstcode.LIF` replaces dH/dx with a smooth surrogate sigma'(x) so that gradients reach the membrane.

Each factory below returns a small frozen, picklable object. Calling it on a tensor ``x`` returns sigma'(x)
elementwise, in x's dtype and on x's device, and the result is finite for every finite ``x`` in float16, bfloat16,
float32 and float64.

Any other callable can take the place of these objects (``LIF(surrogate=my_function)``). It must map a tensor ``x``
of membrane minus threshold to a tensor of the same shape holding the derivative, and must not modify ``x`` in place.
It runs once per backward call, on the whole ``[T, B, ...]`` sequence, and its own operations are not differentiated,
so it needs no autograd support.

Example:
    >>> import torch
    >>> from burstcode import surrogate
    >>> sg = surrogate.atan(alpha=2.0)
    >>> sg(torch.tensor([0.0, 1.0]))
    tensor([1.0000, 0.0920])
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import torch

__all__ = [
    "ATan",
    "FastSigmoid",
    "Sigmoid",
    "Surrogate",
    "Triangle",
    "atan",
    "fast_sigmoid",
    "sigmoid",
    "triangle",
]


# Parameters outside this range would overflow float32 in the squared terms (ATan's (pi / 2 * alpha)^2, Triangle's
# 1 / width^2) or give a derivative that is zero everywhere but at x = 0, so they are rejected.
_PARAMETER_RANGE = (1e-6, 1e6)


def _positive_float(name: str, value: float) -> float:
    """Check that a surrogate parameter is a real number in ``_PARAMETER_RANGE`` and return it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    low, high = _PARAMETER_RANGE
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be a finite number in [{low:g}, {high:g}], got {value}")
    return float(value)


def _check_input(x: object) -> None:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        described = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
        raise TypeError(
            f"surrogates take a floating tensor x = u - threshold, got {described}; convert it with x.float()"
        )


def _clamp_to_dtype(derivative: torch.Tensor, peak: float) -> torch.Tensor:
    """Clamp ``derivative`` to its dtype's largest finite value when the peak ``peak`` does not fit in that dtype.

    The largest float16 value is 65504, so ATan with alpha > 131008, Sigmoid with slope > 262016 or Triangle with
    width < 1 / 65504 would otherwise return inf near x = 0. The decision is made on Python floats, so the common case
    costs no extra pass over the tensor.
    """
    largest = torch.finfo(derivative.dtype).max
    if peak > largest:
        derivative = derivative.clamp_(max=largest)
    return derivative


class Surrogate:
    """Base class of the built-in surrogates: a callable that maps x = u - threshold to sigma'(x)."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    # The subclasses are frozen dataclasses, so __post_init__ stores the checked float with object.__setattr__.


@dataclasses.dataclass(frozen=True)
class FastSigmoid(Surrogate):
    """Derivative of the fast sigmoid ``x / (1 + slope * |x|)``: ``1 / (1 + slope * |x|)^2``.

    Args:
        slope: steepness, in [1e-6, 1e6]. The peak value at x = 0 is 1 for every slope.
    """

    slope: float = 25.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "slope", _positive_float("slope", self.slope))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        # A huge |x| makes the base inf, and inf ** -2 is 0, so no NaN appears. The peak is 1, so no clamp is needed.
        _check_input(x)
        return x.abs().mul_(self.slope).add_(1.0).pow_(-2)


@dataclasses.dataclass(frozen=True)
class ATan(Surrogate):
    """Derivative of the arctangent surrogate: (alpha / 2) / (1 + (pi / 2 * alpha * x)^2).

    Args:
        alpha: steepness, in [1e-6, 1e6]. The peak value at x = 0 is alpha / 2.
    """

    alpha: float = 2.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", _positive_float("alpha", self.alpha))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        # (alpha / 2) / (1 + k^2 x^2) is written as 1 / (2 / alpha + k^2 x^2 * 2 / alpha), with k = pi / 2 * alpha,
        # which takes two passes over x. A huge |x| gives 1 / inf = 0.
        _check_input(x)
        offset = x.new_full((), 2.0 / self.alpha)
        denominator = torch.addcmul(offset, x, x, value=math.pi**2 * self.alpha / 2)
        return _clamp_to_dtype(denominator.reciprocal_(), self.alpha / 2)


@dataclasses.dataclass(frozen=True)
class Sigmoid(Surrogate):
    """Derivative of sig(slope * x): slope * sig(slope * x) * (1 - sig(slope * x)).

    Args:
        slope: steepness, in [1e-6, 1e6]. The peak value at x = 0 is slope / 4.
    """

    slope: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "slope", _positive_float("slope", self.slope))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        # torch.sigmoid saturates to 0 or 1 instead of overflowing as exp(-slope * x) would.
        _check_input(x)
        sig = (x * self.slope).sigmoid_()
        return _clamp_to_dtype(sig.addcmul_(sig, sig, value=-1.0).mul_(self.slope), self.slope / 4)


@dataclasses.dataclass(frozen=True)
class Triangle(Surrogate):
    """Triangular surrogate: ``max(0, 1 - |x| / width) / width``, zero outside [-width, width].

    Args:
        width: half-width of the support, in [1e-6, 1e6]. The peak value at x = 0 is 1 / width.
    """

    width: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", _positive_float("width", self.width))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x)
        # Dividing by width, not multiplying by 1 / width^2, keeps every scalar finite in float16, where a scalar
        # operand of an in-place op is rounded to float16 and 1 / width^2 would be inf.
        derivative = x.abs().div_(self.width).neg_().add_(1.0).clamp_(min=0.0).div_(self.width)
        return _clamp_to_dtype(derivative, 1.0 / self.width)


def fast_sigmoid(slope: float = 25.0) -> FastSigmoid:
    """Create the fast-sigmoid surrogate ``1 / (1 + slope * |x|)^2``, the default of :class:`burstcode.LIF`.

    Args:
        slope: steepness, in [1e-6, 1e6] (default 25, as in snnTorch's ``fast_sigmoid``).

    Raises:
        ValueError: if ``slope`` is not a finite number in [1e-6, 1e6].
    """
    return FastSigmoid(slope)


def atan(alpha: float = 2.0) -> ATan:
    """Create the arctangent surrogate (alpha / 2) / (1 + (pi / 2 * alpha * x)^2).

    Args:
        alpha: steepness, in [1e-6, 1e6] (default 2, as in snnTorch's ``atan`` and SpikingJelly's ``ATan``).

    Raises:
        ValueError: if ``alpha`` is not a finite number in [1e-6, 1e6].
    """
    return ATan(alpha)


def sigmoid(slope: float = 5.0) -> Sigmoid:
    """Create the sigmoid surrogate slope * sig(slope * x) * (1 - sig(slope * x)).

    Args:
        slope: steepness, in [1e-6, 1e6] (default 5).

    Raises:
        ValueError: if ``slope`` is not a finite number in [1e-6, 1e6].
    """
    return Sigmoid(slope)


def triangle(width: float = 1.0) -> Triangle:
    """Create the triangular surrogate ``max(0, 1 - |x| / width) / width``.

    Args:
        width: half-width of the support, in [1e-6, 1e6] (default 1).

    Raises:
        ValueError: if ``width`` is not a finite number in [1e-6, 1e6].
    """
    return Triangle(width)

