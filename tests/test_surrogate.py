"""Tests of the surrogate derivatives: formulas, finiteness at extreme inputs, validation, repr and pickling."""

from __future__ import annotations

import math
import pickle

import pytest
import torch

from burstcode import surrogate

FACTORIES = {
    "fast_sigmoid": surrogate.fast_sigmoid,
    "atan": surrogate.atan,
    "sigmoid": surrogate.sigmoid,
    "triangle": surrogate.triangle,
}
DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
POINTS = torch.tensor([-2.0, -0.3, 0.0, 0.1, 0.7, 3.0], dtype=torch.float64)


def primitive(name, x, parameter):
    """Return a function whose derivative is the surrogate, to check the formulas by autograd."""
    if name == "fast_sigmoid":
        return x / (1 + parameter * x.abs())
    if name == "atan":
        return torch.atan(math.pi / 2 * parameter * x) / math.pi
    if name == "sigmoid":
        return torch.sigmoid(parameter * x)
    # Triangle: the integral of max(0, 1 - |x| / w) / w, a clamped piecewise quadratic.
    z = (x / parameter).clamp(-1.0, 1.0)
    return z - z * z.abs() / 2


@pytest.mark.parametrize("parameter", [0.5, 2.0, 25.0])
@pytest.mark.parametrize("name", list(FACTORIES))
def test_surrogate_is_derivative_of_primitive(name, parameter):
    x = POINTS.clone().requires_grad_()
    (expected,) = torch.autograd.grad(primitive(name, x, parameter).sum(), x)

    derivative = FACTORIES[name](parameter)(POINTS)

    torch.testing.assert_close(derivative, expected, rtol=1e-12, atol=1e-12)


def test_fast_sigmoid_formula_at_points():
    derivative = surrogate.fast_sigmoid(slope=25.0)(torch.tensor([0.0, 0.04, -0.2], dtype=torch.float64))

    assert derivative.tolist() == pytest.approx([1.0, 0.25, 1.0 / 36.0])


def test_atan_formula_at_points():
    derivative = surrogate.atan(alpha=2.0)(torch.tensor([0.0, 1.0 / math.pi], dtype=torch.float64))

    assert derivative.tolist() == pytest.approx([1.0, 0.5])


def test_sigmoid_formula_at_points():
    derivative = surrogate.sigmoid(slope=5.0)(torch.tensor([0.0], dtype=torch.float64))

    assert derivative.item() == pytest.approx(1.25)


def test_triangle_formula_at_points():
    derivative = surrogate.triangle(width=0.5)(torch.tensor([0.0, 0.25, -0.5, 0.9], dtype=torch.float64))

    assert derivative.tolist() == pytest.approx([2.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(FACTORIES))
def test_surrogate_is_finite_at_extreme_inputs(name, dtype):
    largest = torch.finfo(dtype).max
    values = [-largest, -65504.0, -1e4, 0.0, 1e4, 65504.0, largest]
    if dtype != torch.float16:
        values += [-1e30, 1e30]
    x = torch.tensor(values, dtype=dtype)

    derivative = FACTORIES[name]()(x)

    assert derivative.dtype == dtype
    assert torch.isfinite(derivative).all()
    assert (derivative >= 0).all()


@pytest.mark.parametrize("name", list(FACTORIES))
def test_surrogate_keeps_input_unchanged(name):
    x = POINTS.clone()

    FACTORIES[name]()(x)

    assert torch.equal(x, POINTS)


@pytest.mark.parametrize("value", [0.0, -1.0, float("inf"), float("nan")])
@pytest.mark.parametrize("name", list(FACTORIES))
def test_surrogate_rejects_invalid_parameter(name, value):
    parameter_name = {"fast_sigmoid": "slope", "atan": "alpha", "sigmoid": "slope", "triangle": "width"}[name]

    with pytest.raises(ValueError, match=parameter_name):
        FACTORIES[name](value)


def test_surrogate_rejects_non_number():
    with pytest.raises(TypeError, match="slope"):
        surrogate.fast_sigmoid("25")


def test_surrogate_repr_shows_parameter():
    assert repr(surrogate.fast_sigmoid(10)) == "FastSigmoid(slope=10.0)"
    assert repr(surrogate.atan()) == "ATan(alpha=2.0)"


@pytest.mark.parametrize("name", list(FACTORIES))
def test_surrogate_survives_pickle(name):
    original = FACTORIES[name](3.0)

    restored = pickle.loads(pickle.dumps(original))

    assert restored == original
    assert torch.equal(restored(POINTS), original(POINTS))


def test_surrogate_is_frozen():
    sg = surrogate.sigmoid()

    with pytest.raises(AttributeError):
        sg.slope = 1.0
