"""Leaky integrate-and-fire (LIF) neurons that run a whole ``[T, B, ...]`` sequence in one autograd Function.

Dynamics per feature, with u_{-1} the initial membrane (default 0) and t = 0, ..., T-1:

- ``reset="subtract"``: u_t = beta * u_{t-1} + I_t - threshold * s_{t-1}
- ``reset="zero"``:     u_t = beta * u_{t-1} * (1 - s_{t-1}) + I_t
- s_t = H(u_t - threshold) with H(0) = 0, and s_{-1} = H(u_{-1} - threshold).

s_{-1} is 0 for the default zero membrane because threshold > 0. Deriving it from u_{-1} makes a run split into
chunks, each started from the previous chunk's final membrane, equal one run over the whole sequence.

In backward, dH/du is replaced by a surrogate derivative sigma'(u_t - threshold) (see :mod:`burstcode.surrogate`).
With ``detach_reset=True`` the s_{t-1} of the reset term is a constant in backward. With ``detach_reset=False``
the gradient also flows through it, again by the surrogate.

The forward pass is one Python loop over time and the backward pass one reverse loop, each step vectorized over
batch and features. Backward needs only the sequence u_t - threshold (one ``[T, B, ...]`` tensor) and the initial
membrane, because the spikes are recomputed as u_t > threshold.

Everything runs in the input's dtype. In bfloat16, which keeps 8 significant bits, the rounding of the membrane
changes some spike trains within tens of steps compared with float32.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from burstcode._checks import NO_TORCHSCRIPT
from burstcode.surrogate import Surrogate, fast_sigmoid

__all__ = ["LIF", "lif"]

RESETS = ("subtract", "zero")

SurrogateFunction = Callable[[torch.Tensor], torch.Tensor]


class _LIFFunction(torch.autograd.Function):
    """Run the LIF recursion over time and backpropagate through it in one reverse loop.

    Backward recursion. Write a_t = dL/du_t for the total gradient reaching u_t from the spikes s_t, ..., s_{T-1} and
    the final membrane u_{T-1}, with a_T = 0. Let d_t = sigma'(u_t - threshold), g_t = dL/ds_t from the spike output,
    and [nd] = 1 when detach_reset is False, else 0. Then

        a_t = d_t * g_t + [t = T-1] * dL/du_{T-1} + c_t * a_{t+1},

    where c_t = du_{t+1}/du_t through both the leak and the reset term:

        subtract: c_t = beta - [nd] * threshold * d_t
        zero:     c_t = beta * (1 - s_t) - [nd] * beta * u_t * d_t

    The same rule at t = -1 gives dL/du_{-1} = c_{-1} * a_0. The other gradients are sums over time:

        dL/dI_t    = a_t
        dL/dbeta   = sum_t a_t * u_{t-1}                   (zero reset: times (1 - s_{t-1}))
        dL/dthresh = -sum_t d_t * (g_t + [nd] * a_{t+1} * r_t) - [subtract] * sum_t a_t * s_{t-1},

    with r_t = du_{t+1}/ds_t = -threshold (subtract) or -beta * u_t (zero), and the first sum running over
    t = -1, ..., T-1 with g_{-1} = 0. Each sum is finally reduced to the shape of its parameter.
    """

    @staticmethod
    def forward(
        current: torch.Tensor,
        initial_membrane: torch.Tensor,
        beta: torch.Tensor,
        threshold: torch.Tensor,
        reset: str,
        surrogate: SurrogateFunction,
        detach_reset: bool,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        spikes, membrane = _integrate(current, initial_membrane, beta, threshold, reset, keep_sequence=True)

        # The final membrane is a copy, so that changing it in place cannot corrupt the saved sequence. Backward
        # needs u_t - threshold, the surrogate's argument, so the sequence is shifted in place once.
        final_membrane = membrane[-1].clone()
        shifted = membrane.sub_(threshold)
        return spikes, final_membrane, shifted

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[torch.Tensor, ...]) -> None:
        _, initial_membrane, beta, threshold, reset, surrogate, detach_reset = inputs
        shifted = output[2]
        ctx.mark_non_differentiable(shifted)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(shifted, initial_membrane, beta, threshold)
        ctx.reset = reset
        ctx.surrogate = surrogate
        ctx.detach_reset = detach_reset

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any,
        grad_spikes: torch.Tensor | None,
        grad_final: torch.Tensor | None,
        grad_shifted: torch.Tensor | None,
    ) -> tuple[torch.Tensor | None, ...]:
        shifted, initial_membrane, beta, threshold = ctx.saved_tensors
        needs_current, needs_initial, needs_beta, needs_threshold = ctx.needs_input_grad[:4]
        no_grads = (None,) * 7
        if grad_spikes is None and grad_final is None:
            return no_grads
        if not (needs_current or needs_initial or needs_beta or needs_threshold):
            return no_grads

        reset, surrogate, detach_reset = ctx.reset, ctx.surrogate, ctx.detach_reset
        dtype = shifted.dtype
        # Sequence-sized tensors are built only where a gradient needs them, to keep the peak memory low.
        spiked = shifted > 0 if reset == "zero" or needs_threshold else None
        membrane = shifted + threshold if needs_beta or (reset == "zero" and not detach_reset) else None
        initial_shifted = initial_membrane - threshold
        initial = _Step(initial_membrane, _surrogate_derivative(surrogate, initial_shifted), initial_shifted > 0)

        derivative = _surrogate_derivative(surrogate, shifted)
        coefficient = _coefficient(_Step(membrane, derivative, spiked).head(), beta, threshold, reset, detach_reset)

        # adjoint starts as d_t * g_t and becomes a_t in place during the reverse loop. It reuses the output buffer
        # of a built-in surrogate, which is always new, unless the threshold gradient still needs the derivative.
        keep_derivative = needs_threshold and not detach_reset
        if grad_spikes is None:
            adjoint = torch.zeros_like(shifted)
        elif keep_derivative or not isinstance(surrogate, Surrogate) or derivative.shape != shifted.shape:
            adjoint = derivative * grad_spikes
        else:
            adjoint = derivative.mul_(grad_spikes)
        if not keep_derivative:
            derivative = None

        grad_threshold = None
        if needs_threshold:
            grad_threshold = -adjoint.sum_to_size(threshold.shape)
        if grad_final is not None:
            adjoint[-1].add_(grad_final)

        for t in range(shifted.shape[0] - 2, -1, -1):
            step_coefficient = coefficient if coefficient.dim() < shifted.dim() else coefficient[t]
            adjoint[t].addcmul_(step_coefficient, adjoint[t + 1])
        coefficient = None

        grad_initial = None
        if needs_initial:
            initial_coefficient = _coefficient(initial, beta, threshold, reset, detach_reset)
            grad_initial = (initial_coefficient * adjoint[0]).sum_to_size(initial_membrane.shape)

        grad_beta = None
        if needs_beta:
            grad_beta = _grad_beta(adjoint, _Step(membrane, None, spiked), initial, reset, beta.shape)

        if needs_threshold:
            grad_threshold = grad_threshold + _grad_threshold_from_resets(
                adjoint, _Step(membrane, derivative, spiked), initial, beta, threshold, reset, detach_reset
            )

        grad_current = adjoint if needs_current else None
        return grad_current, grad_initial, grad_beta, grad_threshold, None, None, None


def _surrogate_derivative(surrogate: SurrogateFunction, shifted: torch.Tensor) -> torch.Tensor:
    """Call a surrogate on u - threshold and check that a user-supplied one returned a usable tensor."""
    derivative = surrogate(shifted)
    if not isinstance(derivative, torch.Tensor):
        raise TypeError(
            f"surrogate {surrogate!r} returned {type(derivative).__name__}, but it must return a tensor of the "
            f"derivative with the shape of its input x = u - threshold"
        )
    if derivative.shape != shifted.shape:
        raise ValueError(
            f"surrogate {surrogate!r} returned shape {tuple(derivative.shape)} for an input of shape "
            f"{tuple(shifted.shape)}; it must return the derivative elementwise, of the input's shape"
        )
    return derivative.to(shifted.dtype)


def _integrate(
    current: torch.Tensor,
    initial_membrane: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    reset: str,
    *,
    keep_sequence: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the forward recursion and return the spikes and the membrane.

    With ``keep_sequence=True`` the membrane returned is the whole sequence ``[T, ...]``, as backward needs it.
    Otherwise two feature-sized buffers take turns and the membrane returned is the final one ``[...]``.
    """
    spikes = torch.empty_like(current, memory_format=torch.contiguous_format)
    if keep_sequence:
        membrane = torch.empty_like(spikes)
        buffers = None
    else:
        membrane = None
        buffers = (torch.empty_like(initial_membrane), torch.empty_like(initial_membrane))
    previous_membrane = initial_membrane
    previous_spikes = torch.gt(initial_membrane, threshold).to(current.dtype)

    for t in range(current.shape[0]):
        membrane_t = membrane[t] if buffers is None else buffers[t % 2]
        if reset == "subtract":
            torch.addcmul(current[t], previous_membrane, beta, out=membrane_t)
            membrane_t.addcmul_(previous_spikes, threshold, value=-1.0)
        else:
            torch.mul(previous_membrane, beta, out=membrane_t)
            membrane_t.addcmul_(membrane_t, previous_spikes, value=-1.0)
            membrane_t.add_(current[t])
        torch.gt(membrane_t, threshold, out=spikes[t])
        previous_membrane, previous_spikes = membrane_t, spikes[t]

    return spikes, membrane if buffers is None else previous_membrane


class _Step(NamedTuple):
    """Membrane u, surrogate derivative d and spikes s of one step or of a whole sequence (None where unused)."""

    membrane: torch.Tensor | None
    derivative: torch.Tensor | None
    spiked: torch.Tensor | None

    def head(self) -> _Step:
        """Return the steps 0, ..., T-2 of a sequence, the ones that feed a next step."""
        return _Step(*(None if tensor is None else tensor[:-1] for tensor in self))


def _coefficient(
    step: _Step, beta: torch.Tensor, threshold: torch.Tensor, reset: str, detach_reset: bool
) -> torch.Tensor:
    """Compute c_t = du_{t+1}/du_t for the given steps (only beta itself for subtract with a detached reset)."""
    if reset == "subtract":
        if detach_reset:
            return beta
        return beta - threshold * step.derivative

    leak_without_reset = beta * (~step.spiked).to(step.derivative.dtype)
    if detach_reset:
        return leak_without_reset
    return leak_without_reset - beta * step.membrane * step.derivative


def _grad_beta(
    adjoint: torch.Tensor, sequence: _Step, initial: _Step, reset: str, shape: torch.Size
) -> torch.Tensor:
    """Sum a_t * du_t/dbeta over time and reduce it to beta's shape."""
    previous = sequence.membrane[:-1]
    initial_membrane = initial.membrane
    if reset == "zero":
        previous = previous * (~sequence.spiked[:-1]).to(adjoint.dtype)
        initial_membrane = initial_membrane * (~initial.spiked).to(adjoint.dtype)

    grad = (adjoint[0] * initial_membrane).sum_to_size(shape)
    if adjoint.shape[0] > 1:
        grad = grad + (adjoint[1:] * previous).sum_to_size(shape)
    return grad


def _grad_threshold_from_resets(
    adjoint: torch.Tensor,
    sequence: _Step,
    initial: _Step,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    reset: str,
    detach_reset: bool,
) -> torch.Tensor:
    """Sum the threshold gradient that flows through the reset terms, reduced to threshold's shape."""
    shape = threshold.shape
    dtype = adjoint.dtype
    several_steps = adjoint.shape[0] > 1
    grad = torch.zeros(shape, dtype=dtype, device=adjoint.device)

    if reset == "subtract":
        # u_t contains -threshold * s_{t-1} directly.
        grad = grad - (adjoint[0] * initial.spiked.to(dtype)).sum_to_size(shape)
        if several_steps:
            grad = grad - (adjoint[1:] * sequence.spiked[:-1].to(dtype)).sum_to_size(shape)

    if not detach_reset:
        # s_t also acts through the reset of u_{t+1}, with du_{t+1}/ds_t = r_t, and ds_t/dthreshold = -d_t.
        if reset == "subtract":
            initial_slope = -threshold
            reset_slope = -threshold
        else:
            initial_slope = -beta * initial.membrane
            reset_slope = -beta * sequence.membrane[:-1] if several_steps else None
        grad = grad - (initial.derivative * adjoint[0] * initial_slope).sum_to_size(shape)
        if several_steps:
            grad = grad - (sequence.derivative[:-1] * adjoint[1:] * reset_slope).sum_to_size(shape)
    return grad


def _check_current(current: torch.Tensor) -> None:
    if not isinstance(current, torch.Tensor):
        raise TypeError(f"current must be a torch.Tensor, got {type(current).__name__}")
    if not current.is_floating_point():
        raise TypeError(
            f"current must have a floating dtype, got {current.dtype}. Convert it first, for example with current.float()"
        )
    if current.dim() < 1:
        raise ValueError("current must be at least 1-D with time first, [T, ...], got a 0-d tensor")


def _check_reset(reset: str) -> None:
    if reset not in RESETS:
        raise ValueError(f"reset must be one of {RESETS}, got {reset!r}")


def _check_surrogate(surrogate: object) -> None:
    if not callable(surrogate):
        raise ValueError(
            f"surrogate must be a callable that maps a tensor x = u - threshold to the derivative, "
            f"got {type(surrogate).__name__}"
        )


def _check_flag(name: str, value: object) -> None:
    # A string such as "no" is truthy, so accepting any object would silently turn an option on.
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def _check_membrane(initial_membrane: object, current: torch.Tensor) -> None:
    if not isinstance(initial_membrane, torch.Tensor):
        raise TypeError(f"initial membrane must be a torch.Tensor or None, got {type(initial_membrane).__name__}")
    if initial_membrane.shape != current.shape[1:]:
        raise ValueError(
            f"initial membrane of shape {tuple(initial_membrane.shape)} does not match the feature shape "
            f"{tuple(current.shape[1:])} of current (its shape without the time axis)"
        )
    if initial_membrane.device != current.device:
        raise ValueError(
            f"initial membrane is on device {initial_membrane.device} but current is on {current.device}; "
            f"move it with membrane.to(current.device)"
        )


def _describe_range(low: float, high: float | None, low_inclusive: bool) -> str:
    bracket = "[" if low_inclusive else "("
    return f"{bracket}{low}, {high}]" if high is not None else f"{bracket}{low}, inf)"


def _check_number(name: str, value: float, *, low: float, high: float | None, low_inclusive: bool) -> None:
    """Check a Python number against [low, high] or (low, high], where high=None means no upper bound."""
    above_low = value >= low if low_inclusive else value > low
    below_high = high is None or value <= high
    if not math.isfinite(value) or not (above_low and below_high):
        raise ValueError(f"{name} must lie in {_describe_range(low, high, low_inclusive)}, got {value}")


def _neuron_parameter(
    name: str, value: float | torch.Tensor, current: torch.Tensor, feature_shape: Sequence[int]
) -> torch.Tensor:
    """Convert beta or threshold to a tensor in current's dtype and device that broadcasts to the feature shape."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if name == "beta":
            _check_number(name, float(value), low=0.0, high=1.0, low_inclusive=True)
        else:
            _check_number(name, float(value), low=0.0, high=None, low_inclusive=False)
        return torch.tensor(float(value), dtype=current.dtype, device=current.device)

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a float or a tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must have a floating dtype, got {value.dtype}")
    try:
        broadcast_shape = torch.broadcast_shapes(value.shape, feature_shape)
    except RuntimeError:
        broadcast_shape = None
    if broadcast_shape != torch.Size(feature_shape):
        raise ValueError(
            f"{name} of shape {tuple(value.shape)} does not broadcast to the feature shape {tuple(feature_shape)} "
            f"of current. Use a scalar, or a tensor of shape {tuple(feature_shape)[-1:]} for per-neuron values"
        )
    if value.device.type == "meta" and current.device.type != "meta":
        raise ValueError(
            f"{name} is on the meta device, which has no data, but current is on {current.device}; "
            f"create {name} on {current.device} (for a module, call .to({str(current.device)!r}) or to_empty())"
        )
    return value.to(device=current.device, dtype=current.dtype)


def lif(
    current: torch.Tensor,
    beta: float | torch.Tensor = 0.9,
    threshold: float | torch.Tensor = 1.0,
    *,
    reset: str = "subtract",
    surrogate: SurrogateFunction | None = None,
    detach_reset: bool = True,
    initial_membrane: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run LIF neurons over a time-first input current and return the spikes and the final membrane.

    Gradients reach ``current``, ``initial_membrane``, ``beta`` and ``threshold`` (where they require grad), with
    the surrogate derivative in place of dH/du. Everything is computed in ``current``'s dtype, so float16 and
    bfloat16 inputs integrate the membrane in half precision.

    Args:
        current: input current ``[T, ...]``, a floating tensor with time first.
        beta: membrane decay per step, a float in [0, 1] or a tensor that broadcasts to ``current.shape[1:]``
            (for example ``[features]`` for per-neuron values). Tensor values are not range-checked, because that
            would wait for the device.
        threshold: firing threshold, a float > 0 or a tensor like ``beta``.
        reset: ``"subtract"`` (subtract the threshold after a spike) or ``"zero"`` (set the membrane to 0).
        surrogate: callable mapping x = u - threshold to sigma'(x); ``None`` means
            :func:`burstcode.surrogate.fast_sigmoid` with slope 25.
        detach_reset: if True, the spike in the reset term is a constant in backward.
        initial_membrane: membrane before the first step, of shape ``current.shape[1:]``; ``None`` means zeros.
            Pass the final membrane of the previous chunk to continue a sequence.

    Returns:
        ``(spikes, final_membrane)``: spikes of ``current``'s shape with values 0 or 1, and the membrane u_{T-1}
        after the last step, of shape ``current.shape[1:]`` (before that step's reset, which the next step applies).

    Raises:
        TypeError: if ``current`` is not a floating tensor.
        ValueError: if ``current`` is 0-d, a parameter is out of range or does not broadcast, or the initial
            membrane has the wrong shape.

    Example:
        >>> current = torch.rand(100, 32, 128)  # [T, B, features]
        >>> spikes, membrane = lif(current, beta=0.9)
        >>> spikes.shape, membrane.shape
        (torch.Size([100, 32, 128]), torch.Size([32, 128]))
    """
    _check_current(current)
    _check_reset(reset)
    _check_flag("detach_reset", detach_reset)
    if surrogate is None:
        surrogate = _DEFAULT_SURROGATE
    _check_surrogate(surrogate)

    feature_shape = current.shape[1:]
    beta_tensor = _neuron_parameter("beta", beta, current, feature_shape)
    threshold_tensor = _neuron_parameter("threshold", threshold, current, feature_shape)

    if initial_membrane is None:
        initial_membrane = current.new_zeros(feature_shape)
    else:
        _check_membrane(initial_membrane, current)
        initial_membrane = initial_membrane.to(dtype=current.dtype)

    if current.shape[0] == 0:
        return current.new_zeros(current.shape), initial_membrane

    inputs = (current, initial_membrane, beta_tensor, threshold_tensor)
    if not (torch.is_grad_enabled() and any(tensor.requires_grad for tensor in inputs)):
        # Without autograd nothing is saved, so the membrane sequence is never stored.
        return _integrate(current, initial_membrane, beta_tensor, threshold_tensor, reset, keep_sequence=False)

    spikes, final_membrane, _ = _LIFFunction.apply(*inputs, reset, surrogate, detach_reset)
    return spikes, final_membrane


_DEFAULT_SURROGATE = fast_sigmoid()



class LIF(nn.Module):
    """Leaky integrate-and-fire layer over a whole time-first sequence.

    The layer keeps no state between calls: every call starts from the given membrane or from zeros, so any batch
    size works on any call. To run a long sequence in chunks (truncated backpropagation through time), pass each
    chunk's final membrane to the next call, detached if the graph should not grow across chunks::

        membrane = None
        for chunk in current.split(100):  # chunks along time
            spikes, membrane = layer(chunk, membrane, return_membrane=True)
            ...
            membrane = membrane.detach()

    ``beta`` and ``threshold`` are parameters when learned and buffers otherwise, so ``.to()``, ``.half()`` and
    ``state_dict()`` handle both. Learned values are not clamped during training. The computation runs in the input's
    dtype (see :func:`lif`).

    Args:
        beta: membrane decay per step, a float or a tensor (for example ``[features]``) with values in [0, 1].
            Default 0.9, a decay time of about 10 steps.
        threshold: firing threshold, a float or tensor with values > 0. Default 1.0.
        reset: ``"subtract"`` (default, keeps the charge above threshold) or ``"zero"``.
        surrogate: callable mapping x = u - threshold to the surrogate derivative sigma'(x), used in backward.
            Default :func:`burstcode.surrogate.fast_sigmoid` with slope 25.
        detach_reset: if True (default), the spike in the reset term is a constant in backward.
        learn_beta: make ``beta`` an :class:`torch.nn.Parameter`.
        learn_threshold: make ``threshold`` an :class:`torch.nn.Parameter`.
        batch_first: if True, take and return ``[B, T, ...]`` in place of ``[T, B, ...]``.

    Shape:
        - Input: ``[T, B, ...]``, or ``[B, T, ...]`` with ``batch_first=True``. Any ``[T, ...]`` works time-first.
        - Membrane: ``[B, ...]``, the input shape without the time axis.
        - Output: spikes of the input's shape and dtype, values 0 or 1.

    Example:
        >>> layer = LIF(beta=0.9)
        >>> spikes = layer(torch.rand(25, 8, 10))
        >>> first, membrane = layer(torch.rand(25, 8, 10), return_membrane=True)
        >>> second, membrane = layer(torch.rand(25, 8, 10), membrane.detach(), return_membrane=True)
        >>> second.shape, membrane.shape
        (torch.Size([25, 8, 10]), torch.Size([8, 10]))
    """

    def __init__(
        self,
        beta: float | torch.Tensor = 0.9,
        threshold: float | torch.Tensor = 1.0,
        reset: str = "subtract",
        surrogate: SurrogateFunction = _DEFAULT_SURROGATE,
        detach_reset: bool = True,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        batch_first: bool = False,
    ) -> None:
        super().__init__()
        _check_reset(reset)
        _check_surrogate(surrogate)
        for name, flag in [
            ("detach_reset", detach_reset),
            ("learn_beta", learn_beta),
            ("learn_threshold", learn_threshold),
            ("batch_first", batch_first),
        ]:
            _check_flag(name, flag)
        beta_tensor = _initial_parameter("beta", beta, low=0.0, high=1.0, low_inclusive=True)
        threshold_tensor = _initial_parameter("threshold", threshold, low=0.0, high=None, low_inclusive=False)

        self.beta: torch.Tensor
        self.threshold: torch.Tensor
        if learn_beta:
            self.beta = nn.Parameter(beta_tensor)
        else:
            self.register_buffer("beta", beta_tensor)
        if learn_threshold:
            self.threshold = nn.Parameter(threshold_tensor)
        else:
            self.register_buffer("threshold", threshold_tensor)

        self.reset = reset
        self.surrogate = surrogate
        self.detach_reset = detach_reset
        self.batch_first = batch_first

    def forward(
        self, current: torch.Tensor, membrane: torch.Tensor | None = None, *, return_membrane: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Integrate the input current over time and return the spikes.

        Args:
            current: input current, ``[T, B, ...]`` (or ``[B, T, ...]`` with ``batch_first=True``).
            membrane: initial membrane ``[B, ...]``; ``None`` starts from zeros.
            return_membrane: if True, return ``(spikes, final_membrane)`` in place of only the spikes.

        Returns:
            Spikes in the input's layout, and with ``return_membrane=True`` also the final membrane ``[B, ...]``.
        """
        _check_flag("return_membrane", return_membrane)
        if self.batch_first:
            _check_current(current)
            if current.dim() < 2:
                raise ValueError(
                    f"with batch_first=True, current must be at least 2-D, [B, T, ...], got shape {tuple(current.shape)}"
                )
            current = current.transpose(0, 1)

        spikes, final_membrane = lif(
            current,
            self.beta,
            self.threshold,
            reset=self.reset,
            surrogate=self.surrogate,
            detach_reset=self.detach_reset,
            initial_membrane=membrane,
        )

        if self.batch_first:
            spikes = spikes.transpose(0, 1)
        if return_membrane:
            return spikes, final_membrane
        return spikes

    def __prepare_scriptable__(self) -> nn.Module:
        raise RuntimeError(NO_TORCHSCRIPT.format(name=type(self).__name__))

    def extra_repr(self) -> str:
        return (
            f"beta={_describe(self.beta)}, threshold={_describe(self.threshold)}, reset={self.reset!r}, "
            f"surrogate={self.surrogate!r}, detach_reset={self.detach_reset}, "
            f"learn_beta={isinstance(self.beta, nn.Parameter)}, "
            f"learn_threshold={isinstance(self.threshold, nn.Parameter)}, batch_first={self.batch_first}"
        )


def _initial_parameter(
    name: str, value: float | torch.Tensor, *, low: float, high: float | None, low_inclusive: bool
) -> torch.Tensor:
    """Check a constructor value of beta or threshold and return it as a new floating tensor."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        _check_number(name, float(value), low=low, high=high, low_inclusive=low_inclusive)
        return torch.tensor(float(value))
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a float or a tensor, got {type(value).__name__}")

    tensor = value.detach().clone()
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.get_default_dtype())
    too_low = tensor < low if low_inclusive else tensor <= low
    too_high = tensor > high if high is not None else torch.zeros_like(too_low)
    invalid = too_low | too_high | ~tensor.isfinite()
    if invalid.any():
        bad_value = tensor[invalid].flatten()[0].item()
        allowed = _describe_range(low, high, low_inclusive)
        raise ValueError(f"{name} must have all values in {allowed}, got {bad_value}")
    return tensor


def _describe(value: torch.Tensor) -> str:
    if value.numel() == 1:
        return f"{value.item():g}"
    return f"tensor of shape {tuple(value.shape)}"
