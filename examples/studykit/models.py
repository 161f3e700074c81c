"""Spiking networks of the study, built from burstcode's LIF layer and TimeDistributed wrapper.

Both networks take input spikes ``[T, B, ...]`` and return ``(logits, hidden_spikes)``. ``logits [B, classes]`` is the
output layer's input current averaged over time, which equals the membrane of a non-leaking, non-firing output
neuron divided by T; it is trained with cross-entropy. ``hidden_spikes [B]`` counts the spikes of all hidden LIF
neurons per sample.
"""

from __future__ import annotations

import torch
from torch import nn

import burstcode

__all__ = ["ConvolutionalSNN", "FullyConnectedSNN", "build_model"]


class FullyConnectedSNN(nn.Module):
    """Fully connected SNN: input -> Linear -> LIF -> Linear readout, for tabular and 8x8 data.

    Args:
        in_features: number of input features.
        num_classes: number of output classes.
        hidden: number of hidden LIF neurons.
        beta: membrane decay per step of the hidden neurons.
    """

    def __init__(self, in_features: int, num_classes: int, hidden: int = 128, beta: float = 0.9) -> None:
        super().__init__()
        self.hidden = burstcode.TimeDistributed(nn.Linear(in_features, hidden))
        self.lif = burstcode.LIF(beta=beta)
        self.readout = burstcode.TimeDistributed(nn.Linear(hidden, num_classes))

    def forward(self, spikes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden_spikes = self.lif(self.hidden(spikes.flatten(2)))
        logits = self.readout(hidden_spikes).mean(0)
        return logits, hidden_spikes.sum(0).flatten(1).sum(1)


class ConvolutionalSNN(nn.Module):
    """Small convolutional SNN for 28x28 and 32x32 images: two conv-LIF-pool blocks and a linear readout.

    Args:
        in_channels: image channels (1 for MNIST, 3 for CIFAR-10).
        image_size: image height and width in pixels (28 or 32); it must be divisible by 4.
        num_classes: number of output classes.
        channels: output channels of the two convolutions.
        beta: membrane decay per step of the LIF neurons.
    """

    def __init__(
        self,
        in_channels: int,
        image_size: int,
        num_classes: int,
        channels: tuple[int, int] = (8, 16),
        beta: float = 0.9,
    ) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 for two 2x2 poolings, got {image_size}")
        first, second = channels
        self.conv1 = burstcode.TimeDistributed(nn.Conv2d(in_channels, first, kernel_size=3, padding=1))
        self.lif1 = burstcode.LIF(beta=beta)
        self.pool1 = burstcode.TimeDistributed(nn.MaxPool2d(2))
        self.conv2 = burstcode.TimeDistributed(nn.Conv2d(first, second, kernel_size=3, padding=1))
        self.lif2 = burstcode.LIF(beta=beta)
        self.pool2 = burstcode.TimeDistributed(nn.MaxPool2d(2))
        self.flatten = burstcode.TimeDistributed(nn.Flatten())
        self.readout = burstcode.TimeDistributed(nn.Linear(second * (image_size // 4) ** 2, num_classes))

    def forward(self, spikes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        first_spikes = self.lif1(self.conv1(spikes))
        second_spikes = self.lif2(self.conv2(self.pool1(first_spikes)))
        logits = self.readout(self.flatten(self.pool2(second_spikes))).mean(0)
        hidden_spikes = first_spikes.sum(0).flatten(1).sum(1) + second_spikes.sum(0).flatten(1).sum(1)
        return logits, hidden_spikes


def build_model(input_shape: tuple[int, ...], num_classes: int, *, hidden: int = 128) -> nn.Module:
    """Build the fully connected SNN for flat inputs and the convolutional SNN for ``[C, H, W]`` images."""
    if len(input_shape) == 1:
        return FullyConnectedSNN(input_shape[0], num_classes, hidden=hidden)
    if len(input_shape) == 3:
        channels, height, width = input_shape
        if height != width:
            raise ValueError(f"the convolutional SNN expects square images, got {height}x{width}")
        return ConvolutionalSNN(channels, height, num_classes)
    raise ValueError(f"input shape must be [features] or [C, H, W], got {list(input_shape)}")
