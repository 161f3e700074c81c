"""Wrappers that run stateless layers on every time step of a spike sequence at once."""

from __future__ import annotations

import torch
from torch import nn

from burstcode._checks import NO_TORCHSCRIPT

__all__ = ["TimeDistributed"]


class TimeDistributed(nn.Module):
    """Apply a stateless module to every time step by merging the time and batch axes.

    The input ``[T, B, ...]`` is reshaped to ``[T * B, ...]``, the wrapped module runs once, and its output is split
    back into ``[T, B, ...]``. One call over all steps is much faster than a Python loop over time and gives the same
    result for layers without state across samples, such as ``Linear``, ``Conv2d``, pooling, ``Flatten`` and
    ``Dropout``.

    ``BatchNorm`` then normalises over time and batch together, so its statistics mix all steps of a sequence,
    unlike a per-step loop in training mode.

    Args:
        module: the module to wrap. It must take a batch as its first axis and keep that axis in its output.
        batch_first: if True, take and return ``[B, T, ...]`` in place of ``[T, B, ...]``.

    Shape:
        - Input: ``[T, B, *in_shape]`` (or ``[B, T, *in_shape]`` with ``batch_first=True``).
        - Output: ``[T, B, *out_shape]`` (or ``[B, T, *out_shape]``), where ``module`` maps ``[N, *in_shape]`` to
          ``[N, *out_shape]``.

    Example:
        >>> layer = TimeDistributed(nn.Conv2d(1, 8, 3, padding=1))
        >>> layer(torch.rand(25, 4, 1, 28, 28)).shape
        torch.Size([25, 4, 8, 28, 28])
    """

    def __init__(self, module: nn.Module, batch_first: bool = False) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first must be True or False, got {batch_first!r}")
        self.module = module
        self.batch_first = batch_first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the wrapped module on all time steps in one call."""
        if x.dim() < 2:
            layout = "[B, T, ...]" if self.batch_first else "[T, B, ...]"
            raise ValueError(f"input must be at least 2-D, {layout}, got shape {tuple(x.shape)}")

        leading = x.shape[:2]
        merged = self.module(x.flatten(0, 1))
        if not isinstance(merged, torch.Tensor):
            raise TypeError(
                f"the wrapped module returned {type(merged).__name__}, but TimeDistributed needs one tensor; "
                f"wrap a module that returns a tensor, or select the output inside an nn.Module of your own"
            )
        if merged.dim() < 1 or merged.shape[0] != leading[0] * leading[1]:
            raise ValueError(
                f"the wrapped module changed the merged batch axis from {leading[0] * leading[1]} to "
                f"{tuple(merged.shape)[:1]}; TimeDistributed needs a module that keeps the first axis"
            )
        return merged.unflatten(0, leading)

    def __prepare_scriptable__(self) -> nn.Module:
        raise RuntimeError(NO_TORCHSCRIPT.format(name=type(self).__name__))

    def extra_repr(self) -> str:
        return f"batch_first={self.batch_first}"
