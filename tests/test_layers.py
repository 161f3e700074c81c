"""Tests of TimeDistributed against a loop over time steps."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from burstcode.layers import TimeDistributed


def loop_over_steps(module, x):
    return torch.stack([module(x[t]) for t in range(x.shape[0])])


def test_time_distributed_linear_matches_loop():
    linear = nn.Linear(6, 4)
    x = torch.rand(5, 3, 6)

    torch.testing.assert_close(TimeDistributed(linear)(x), loop_over_steps(linear, x))


def test_time_distributed_conv2d_matches_loop():
    conv = nn.Conv2d(2, 3, kernel_size=3, padding=1)
    x = torch.rand(4, 2, 2, 8, 8)

    output = TimeDistributed(conv)(x)

    assert output.shape == (4, 2, 3, 8, 8)
    torch.testing.assert_close(output, loop_over_steps(conv, x))


def test_time_distributed_pooling_and_flatten_match_loop():
    model = nn.Sequential(nn.MaxPool2d(2), nn.Flatten())
    x = torch.rand(3, 2, 4, 6, 6)

    output = TimeDistributed(model)(x)

    assert output.shape == (3, 2, 4 * 3 * 3)
    assert torch.equal(output, loop_over_steps(model, x))


def test_time_distributed_batch_first_matches_time_first():
    linear = nn.Linear(6, 4)
    x = torch.rand(3, 5, 6)  # [B, T, N]

    output = TimeDistributed(linear, batch_first=True)(x)

    torch.testing.assert_close(output, TimeDistributed(linear)(x.transpose(0, 1)).transpose(0, 1))


def test_time_distributed_batch_norm_uses_all_steps():
    norm = nn.BatchNorm1d(4)
    x = torch.rand(5, 3, 4) * 10

    output = TimeDistributed(norm)(x)

    torch.testing.assert_close(output.mean(dim=(0, 1)), torch.zeros(4), atol=1e-5, rtol=0)


def test_time_distributed_passes_gradient():
    linear = nn.Linear(6, 4)
    x = torch.rand(5, 3, 6, requires_grad=True)

    TimeDistributed(linear)(x).sum().backward()

    assert x.grad.shape == x.shape
    assert linear.weight.grad is not None


def test_time_distributed_rejects_one_dim_input():
    with pytest.raises(ValueError, match="at least 2-D"):
        TimeDistributed(nn.Identity())(torch.rand(5))


def test_time_distributed_rejects_module_that_changes_batch_axis():
    with pytest.raises(ValueError, match="first axis"):
        TimeDistributed(nn.Flatten(0))(torch.rand(2, 3, 4))


def test_time_distributed_rejects_non_module():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        TimeDistributed(torch.relu)
