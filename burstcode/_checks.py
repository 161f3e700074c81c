"""Checks shared by the functional kernels and the encoder modules.

Parameter checks raise ``ValueError`` naming the parameter, its value and the allowed range. Input checks convert an
image-like input to a floating tensor of intensities in [0, 1] without changing the caller's tensor.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
import torch

_SCALE_HINT = (
    "Scale the input to [0, 1] first, for example with "
    "torchvision.transforms.v2.ToDtype(torch.float32, scale=True) before any Normalize, "
    "or pass the uint8 image itself (it is divided by 255)."
)


# torch.jit.script calls a module's __prepare_scriptable__ before compiling it (torchvision's v2 transforms raise from
# there too), so burstcode's modules raise this message instead of a TorchScript parse error deep in their code.
NO_TORCHSCRIPT = (
    "{name} does not support TorchScript (torch.jit.script), which PyTorch has deprecated. "
    "Use torch.compile(model) or run the model eagerly."
)


def check_num_steps(num_steps: Any) -> int:
    """Return ``num_steps`` as an int after checking it is an integer >= 1."""
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) or num_steps < 1:
        raise ValueError(f"num_steps must be an integer >= 1, got {num_steps!r}.")
    return int(num_steps)


def check_int(name: str, value: Any, minimum: int) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_real(name: str, value: Any, *, minimum: float, strict: bool = False, maximum: float = math.inf) -> float:
    """Return ``value`` as a float after checking it is finite and in range.

    Args:
        name: Parameter name used in the error message.
        value: The value to check.
        minimum: Lower bound.
        strict: If True, the lower bound itself is rejected (``value > minimum``).
        maximum: Upper bound, inclusive.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}.")
    too_low = value <= minimum if strict else value < minimum
    if too_low or value > maximum:
        low = "(" if strict else "["
        high = "inf)" if maximum == math.inf else f"{maximum}]"
        raise ValueError(f"{name} must lie in {low}{minimum}, {high}, got {value!r}.")
    return float(value)


def check_margin(margin: Any, num_steps: int) -> int:
    """Return the Delayed-Burst ``margin`` after checking 0 <= margin < num_steps."""
    margin = check_int("margin", margin, 0)
    if margin >= num_steps:
        raise ValueError(
            f"margin must be smaller than num_steps ({num_steps}), got {margin}, because the onset delay has mean "
            f"(1 - x) * (num_steps - margin) steps. Pass a margin from 0 to {num_steps - 1} (0 uses the whole "
            f"window); the default margin of 5 needs num_steps >= 6."
        )
    return margin


def check_output_dtype(dtype: torch.dtype | None) -> torch.dtype | None:
    """Return ``dtype`` after checking spikes can be stored in it (floating, integer or bool)."""
    if dtype is None:
        return None
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float32 or torch.bool, got {dtype!r}.")
    if dtype.is_complex:
        raise TypeError(f"dtype must be a real dtype (floating, integer or bool), got {dtype}.")
    return dtype


def check_generator(generator: torch.Generator | None, device: torch.device) -> None:
    """Raise if ``generator`` cannot draw random numbers on ``device``."""
    if generator is None:
        return
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}.")
    if generator.device.type != device.type:
        raise ValueError(
            f"generator is on device {generator.device} but the input is on {device}; "
            f"create it with torch.Generator(device={str(device)!r})."
        )


def to_tensor(x: Any) -> torch.Tensor:
    """Convert a tensor, a PIL image or a NumPy array to a plain ``torch.Tensor`` without copying a tensor.

    A PIL image becomes ``[C, H, W]`` (channels first, as torchvision's ``PILToTensor`` gives). A tensor subclass
    such as ``torchvision.tv_tensors.Image`` is unwrapped to a plain tensor. Other inputs pass through
    ``torch.as_tensor`` unchanged in layout.
    """
    if isinstance(x, torch.Tensor):
        return x.as_subclass(torch.Tensor) if type(x) is not torch.Tensor else x
    if hasattr(x, "getbands") and hasattr(x, "size"):  # a PIL image, recognised without importing PIL
        array = np.array(x, copy=True)
        tensor = torch.from_numpy(array)
        if tensor.ndim == 2:
            return tensor.unsqueeze(0)
        return tensor.permute(2, 0, 1)
    if isinstance(x, (np.ndarray, numbers.Number, list, tuple)):
        return torch.as_tensor(x)
    raise TypeError(f"expected a torch.Tensor, a PIL image or a NumPy array, got {type(x).__name__}.")


def output_dtype(x: torch.Tensor, dtype: torch.dtype | None) -> torch.dtype:
    """Return the spike dtype: ``dtype`` if given, else x's floating dtype, else the default dtype."""
    if dtype is not None:
        return dtype
    if x.dtype.is_floating_point:
        return x.dtype
    return torch.get_default_dtype()


def _check_integer_intensity(x: torch.Tensor) -> None:
    """Reject negative integers and warn when small integers in a wide dtype will be scaled to almost 0."""
    if x.numel() == 0 or x.device.type == "meta":
        return
    low, high = (value.item() for value in torch.aminmax(x))
    maximum = torch.iinfo(x.dtype).max
    if low < 0:
        raise ValueError(
            f"integer intensities are divided by their dtype's maximum ({maximum} for {x.dtype}), so they must be "
            f">= 0, but the input has min {low} and max {high}. {_SCALE_HINT}"
        )
    if x.dtype.itemsize > 1 and 1 < high <= 255:
        warnings.warn(
            f"the {x.dtype} input has max {high}, and integer intensities are divided by the dtype's maximum "
            f"({maximum}), so every feature gets an intensity below {255 / maximum:.1e} and almost no spikes. "
            f"If these are 8-bit pixel values, convert them with x.to(torch.uint8) (divided by 255) or pass "
            f"x / 255.",
            stacklevel=6,  # the caller of a functional kernel, past its no_grad wrapper
        )


def as_intensity(x: torch.Tensor) -> torch.Tensor:
    """Return ``x`` as a floating tensor of intensities in [0, 1], raising on values that are not.

    Integer inputs are divided by their dtype's maximum (uint8: 255) and bool counts as 0/1. Floating inputs must
    already lie in [0, 1]. The caller's tensor is never modified. Tensors on the meta device carry no values and are
    not range-checked.
    """
    if x.dtype.is_complex:
        raise TypeError(f"spike encoders take real intensities in [0, 1], got a complex tensor ({x.dtype}).")
    if x.dtype == torch.bool:
        x = x.to(torch.get_default_dtype())
    elif not x.dtype.is_floating_point:
        _check_integer_intensity(x)
        x = x.to(torch.get_default_dtype()) / torch.iinfo(x.dtype).max

    if x.numel() == 0 or x.device.type == "meta":
        return x
    low, high = torch.aminmax(x.detach())
    low, high = low.item(), high.item()
    # NaN makes both comparisons false, so it is rejected here as well.
    if not (low >= 0.0 and high <= 1.0):
        raise ValueError(
            f"spike encoders take intensities in [0, 1], but the input has min {low} and max {high}"
            f"{' (it contains NaN)' if math.isnan(low) or math.isnan(high) else ''}. {_SCALE_HINT}"
        )
    return x
