"""Tests of the LIF layer against a step-by-step autograd reference written from the model equations."""

from __future__ import annotations

import pickle

import pytest
import torch

from burstcode import surrogate
from burstcode.lif import LIF, lif

SURROGATES = {
    "fast_sigmoid": surrogate.fast_sigmoid(),
    "atan": surrogate.atan(),
    "sigmoid": surrogate.sigmoid(),
    "triangle": surrogate.triangle(),
}
DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA"))]


class _Spike(torch.autograd.Function):
    """Heaviside step H(x) with H(0) = 0 in forward and the surrogate derivative in backward."""

    @staticmethod
    def forward(ctx, x, surrogate_function):
        ctx.save_for_backward(x)
        ctx.surrogate_function = surrogate_function
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ctx.surrogate_function(x), None


def reference_lif(current, beta, threshold, reset, surrogate_function, detach_reset, initial_membrane):
    """Run the LIF equations one step at a time with plain autograd operations."""
    membrane = initial_membrane
    spike = _Spike.apply(membrane - threshold, surrogate_function)
    spikes = []
    for t in range(current.shape[0]):
        reset_spike = spike.detach() if detach_reset else spike
        if reset == "subtract":
            membrane = beta * membrane + current[t] - threshold * reset_spike
        else:
            membrane = beta * membrane * (1 - reset_spike) + current[t]
        spike = _Spike.apply(membrane - threshold, surrogate_function)
        spikes.append(spike)
    return torch.stack(spikes), membrane


def make_inputs(parameter_shape, seed=0, steps=12, batch=3, features=5):
    """Build float64 leaf tensors whose membranes cross the threshold often but never tie with it."""
    generator = torch.Generator().manual_seed(seed)
    current = torch.rand(steps, batch, features, generator=generator, dtype=torch.float64) * 0.9
    # Some initial membranes lie above threshold, so that s_{-1} = 1 is exercised.
    initial = torch.rand(batch, features, generator=generator, dtype=torch.float64) * 1.4
    if parameter_shape == "scalar":
        beta = torch.tensor(0.85, dtype=torch.float64)
        threshold = torch.tensor(1.0, dtype=torch.float64)
    else:
        beta = 0.6 + 0.35 * torch.rand(features, generator=generator, dtype=torch.float64)
        threshold = 0.7 + 0.6 * torch.rand(features, generator=generator, dtype=torch.float64)
    grad_spikes = torch.randn(steps, batch, features, generator=generator, dtype=torch.float64)
    grad_final = torch.randn(batch, features, generator=generator, dtype=torch.float64)
    leaves = [tensor.requires_grad_() for tensor in (current, initial, beta, threshold)]
    return leaves, grad_spikes, grad_final


def run_and_differentiate(function, leaves, grad_spikes, grad_final):
    spikes, final = function(*leaves)
    loss = (spikes * grad_spikes).sum() + (final * grad_final).sum()
    grads = torch.autograd.grad(loss, leaves)
    return spikes.detach(), final.detach(), grads


@pytest.mark.parametrize("parameter_shape", ["scalar", "per_neuron"])
@pytest.mark.parametrize("detach_reset", [True, False])
@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("surrogate_name", list(SURROGATES))
def test_lif_matches_reference(surrogate_name, reset, detach_reset, parameter_shape):
    surrogate_function = SURROGATES[surrogate_name]
    leaves, grad_spikes, grad_final = make_inputs(parameter_shape)

    def ours(current, initial, beta, threshold):
        return lif(
            current, beta, threshold, reset=reset, surrogate=surrogate_function,
            detach_reset=detach_reset, initial_membrane=initial,
        )

    def reference(current, initial, beta, threshold):
        return reference_lif(current, beta, threshold, reset, surrogate_function, detach_reset, initial)

    spikes, final, grads = run_and_differentiate(ours, leaves, grad_spikes, grad_final)
    expected_spikes, expected_final, expected_grads = run_and_differentiate(reference, leaves, grad_spikes, grad_final)
    grad_current, grad_initial, grad_beta, grad_threshold = grads
    expected_current, expected_initial, expected_beta, expected_threshold = expected_grads

    assert 0 < spikes.mean() < 1
    assert torch.equal(spikes, expected_spikes)
    torch.testing.assert_close(final, expected_final, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(grad_current, expected_current, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(grad_initial, expected_initial, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(grad_beta, expected_beta, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(grad_threshold, expected_threshold, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_lif_channel_parameters_match_reference(reset):
    # beta and threshold of shape [C, 1, 1] on a [T, B, C, H, W] input, with gradients reduced over B, H and W.
    generator = torch.Generator().manual_seed(3)
    current = (torch.rand(8, 2, 3, 4, 4, generator=generator, dtype=torch.float64) * 0.9).requires_grad_()
    beta = (0.6 + 0.3 * torch.rand(3, 1, 1, generator=generator, dtype=torch.float64)).requires_grad_()
    threshold = (0.8 + 0.4 * torch.rand(3, 1, 1, generator=generator, dtype=torch.float64)).requires_grad_()
    grad_spikes = torch.randn(8, 2, 3, 4, 4, generator=generator, dtype=torch.float64)
    initial = torch.zeros(2, 3, 4, 4, dtype=torch.float64)
    sg = surrogate.atan()

    spikes, _ = lif(current, beta, threshold, reset=reset, surrogate=sg, detach_reset=False)
    grads = torch.autograd.grad((spikes * grad_spikes).sum(), (current, beta, threshold))
    expected_spikes, _ = reference_lif(current, beta, threshold, reset, sg, False, initial)
    expected_grads = torch.autograd.grad((expected_spikes * grad_spikes).sum(), (current, beta, threshold))

    assert torch.equal(spikes, expected_spikes)
    assert grads[1].shape == (3, 1, 1)
    torch.testing.assert_close(grads[0], expected_grads[0], rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(grads[1], expected_grads[1], rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(grads[2], expected_grads[2], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_lif_final_membrane_passes_gradcheck(reset):
    # With detach_reset=True the final membrane is a smooth function of every input between spike-pattern changes,
    # so its surrogate gradient equals the true derivative. This checks the leak and reset paths and the
    # gradients of the initial membrane, beta and threshold (the spike output itself is not differentiable).
    leaves, _, _ = make_inputs("per_neuron", seed=1, steps=6)

    def final_membrane(current, initial, beta, threshold):
        return lif(current, beta, threshold, reset=reset, initial_membrane=initial)[1]

    current, initial, beta, threshold = leaves
    spikes, _ = lif(current, beta, threshold, reset=reset, initial_membrane=initial)
    assert spikes.sum() > 0
    assert torch.autograd.gradcheck(final_membrane, tuple(leaves), eps=1e-7, atol=1e-6)


def test_lif_subtract_matches_hand_computation():
    current = torch.tensor([0.6, 0.6, 0.6, 0.6])

    spikes, final = lif(current, beta=0.5, threshold=1.0, reset="subtract")

    # u = 0.6, 0.9, 1.05 (spike), 0.525 + 0.6 - 1 = 0.125
    assert spikes.tolist() == [0.0, 0.0, 1.0, 0.0]
    assert final.item() == pytest.approx(0.125)


def test_lif_zero_reset_matches_hand_computation():
    current = torch.tensor([0.6, 0.6, 0.6, 0.6])

    spikes, final = lif(current, beta=0.5, threshold=1.0, reset="zero")

    # u = 0.6, 0.9, 1.05 (spike), 0 + 0.6
    assert spikes.tolist() == [0.0, 0.0, 1.0, 0.0]
    assert final.item() == pytest.approx(0.6)


def test_lif_membrane_at_threshold_does_not_spike():
    spikes, _ = lif(torch.tensor([1.0, 1.0 + 1e-6]), beta=0.0, threshold=1.0)

    assert spikes[0].item() == 0.0
    assert spikes[1].item() == 1.0


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_lif_initial_spike_resets_first_step(reset):
    spikes, final = lif(torch.tensor([0.0]), beta=1.0, threshold=1.0, reset=reset,
                        initial_membrane=torch.tensor(1.5))

    expected = 0.5 if reset == "subtract" else 0.0
    assert spikes.item() == 0.0
    assert final.item() == pytest.approx(expected)


@pytest.mark.parametrize("detach_reset", [True, False])
@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_lif_chunked_run_equals_full_run(reset, detach_reset):
    leaves, grad_spikes, grad_final = make_inputs("per_neuron", seed=2, steps=20)
    current, initial, beta, threshold = leaves

    spikes, final = lif(current, beta, threshold, reset=reset, detach_reset=detach_reset, initial_membrane=initial)
    full_grads = torch.autograd.grad((spikes * grad_spikes).sum() + (final * grad_final).sum(), leaves)

    membrane = initial
    chunks = []
    for chunk in current.split([7, 1, 12]):
        chunk_spikes, membrane = lif(
            chunk, beta, threshold, reset=reset, detach_reset=detach_reset, initial_membrane=membrane
        )
        chunks.append(chunk_spikes)
    chunked_spikes = torch.cat(chunks)
    chunked_grads = torch.autograd.grad(
        (chunked_spikes * grad_spikes).sum() + (membrane * grad_final).sum(), leaves
    )

    assert torch.equal(chunked_spikes, spikes)
    assert torch.equal(membrane, final)
    for chunked_grad, full_grad in zip(chunked_grads, full_grads):
        torch.testing.assert_close(chunked_grad, full_grad, rtol=1e-10, atol=1e-10)


def test_lif_module_detached_chunks_equal_full_run():
    layer = LIF(beta=0.8)
    current = torch.rand(30, 4, 6) * 0.7

    full = layer(current)
    membrane = None
    chunks = []
    for chunk in current.split(10):
        chunk_spikes, membrane = layer(chunk, membrane, return_membrane=True)
        chunks.append(chunk_spikes)
        membrane = membrane.detach()

    assert torch.equal(torch.cat(chunks), full)


def test_lif_module_keeps_no_state_between_calls():
    layer = LIF()
    current = torch.rand(15, 4, 6)

    first = layer(current)
    layer(torch.rand(15, 4, 6) * 3)
    second = layer(current)

    assert torch.equal(first, second)


def test_lif_module_accepts_new_batch_size():
    layer = LIF()

    first = layer(torch.rand(5, 4, 6))
    second = layer(torch.rand(5, 9, 6))

    assert first.shape == (5, 4, 6)
    assert second.shape == (5, 9, 6)


def test_lif_module_batch_first_round_trip():
    current = torch.rand(3, 11, 6)  # [B, T, N]
    time_first = LIF(beta=0.7)
    batch_first = LIF(beta=0.7, batch_first=True)

    spikes, membrane = batch_first(current, return_membrane=True)
    expected_spikes, expected_membrane = time_first(current.transpose(0, 1), return_membrane=True)

    assert spikes.shape == current.shape
    assert torch.equal(spikes, expected_spikes.transpose(0, 1))
    assert torch.equal(membrane, expected_membrane)


def test_lif_batch_first_gradient_layout():
    current = torch.rand(3, 11, 6, requires_grad=True)

    LIF(batch_first=True)(current).sum().backward()

    assert current.grad.shape == current.shape


def test_lif_module_matches_functional():
    beta = torch.linspace(0.5, 0.9, 6)
    layer = LIF(beta=beta, threshold=0.8, reset="zero", surrogate=surrogate.triangle(), detach_reset=False)
    current = torch.rand(10, 4, 6)

    expected, _ = lif(current, beta, 0.8, reset="zero", surrogate=surrogate.triangle(), detach_reset=False)

    assert torch.equal(layer(current), expected)


def test_lif_module_learns_beta_and_threshold():
    layer = LIF(beta=torch.full((6,), 0.8), learn_beta=True, learn_threshold=True)
    current = torch.rand(10, 4, 6)

    layer(current).sum().backward()

    assert {name for name, _ in layer.named_parameters()} == {"beta", "threshold"}
    assert layer.beta.grad.shape == (6,)
    assert layer.threshold.grad.shape == ()


def test_lif_module_stores_fixed_parameters_as_buffers():
    layer = LIF(beta=0.8, threshold=0.5)

    assert list(layer.parameters()) == []
    assert set(layer.state_dict()) == {"beta", "threshold"}
    assert layer.to(torch.float64).beta.dtype == torch.float64


def test_lif_module_is_picklable():
    layer = LIF(beta=0.8, surrogate=surrogate.sigmoid(slope=4.0))
    current = torch.rand(6, 2, 3)

    restored = pickle.loads(pickle.dumps(layer))

    assert torch.equal(restored(current), layer(current))


def test_lif_module_repr_names_settings():
    text = repr(LIF(beta=0.8, reset="zero", surrogate=surrogate.atan(alpha=3.0)))

    assert "beta=0.8" in text
    assert "reset='zero'" in text
    assert "ATan(alpha=3.0)" in text


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_lif_runs_forward_and_backward_in_dtype(dtype, device):
    layer = LIF(beta=torch.full((8,), 0.9), learn_beta=True).to(device)
    current = (torch.rand(12, 4, 8, device=device) * 0.6).to(dtype).requires_grad_()
    membrane = torch.zeros(4, 8, dtype=dtype, device=device, requires_grad=True)

    spikes, final = layer(current, membrane, return_membrane=True)
    (spikes.sum() + final.sum()).backward()

    assert spikes.dtype == dtype
    assert final.dtype == dtype
    assert spikes.sum() > 0
    assert current.grad.dtype == dtype
    assert torch.isfinite(current.grad).all()
    assert torch.isfinite(membrane.grad).all()
    assert layer.beta.grad.dtype == torch.float32


# bfloat16 keeps 8 significant bits, so about one train in six already differs after 20 steps.
@pytest.mark.parametrize(("dtype", "min_same_fraction"), [(torch.float16, 0.9), (torch.bfloat16, 0.6)])
def test_lif_half_precision_is_close_to_float32(dtype, min_same_fraction):
    current = (torch.rand(20, 8, 16, generator=torch.Generator().manual_seed(0)) * 0.3).to(dtype)
    spikes_32, final_32 = lif(current.float())
    spikes_half, final_half = lif(current)

    # Rounding can move a membrane across the threshold, which changes that neuron's later membrane by about one
    # threshold, so membranes are compared only where the whole spike train agrees.
    same_train = (spikes_half.float() == spikes_32).all(dim=0)
    assert same_train.float().mean() > min_same_fraction
    torch.testing.assert_close(final_half.float()[same_train], final_32[same_train], rtol=0.05, atol=0.05)


def test_lif_zero_steps_returns_initial_membrane():
    initial = torch.rand(2, 3)

    spikes, final = lif(torch.empty(0, 2, 3), initial_membrane=initial)

    assert spikes.shape == (0, 2, 3)
    assert torch.equal(final, initial)


def test_lif_empty_batch_runs():
    spikes = LIF()(torch.empty(5, 0, 3))

    assert spikes.shape == (5, 0, 3)


def test_lif_rejects_integer_current():
    with pytest.raises(TypeError, match="floating dtype"):
        lif(torch.ones(3, 2, dtype=torch.int64))


def test_lif_rejects_zero_dim_current():
    with pytest.raises(ValueError, match="at least 1-D"):
        lif(torch.tensor(1.0))


def test_lif_module_batch_first_rejects_one_dim_current():
    with pytest.raises(ValueError, match="at least 2-D"):
        LIF(batch_first=True)(torch.ones(5))


def test_lif_rejects_wrong_membrane_shape():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2, 4\)"):
        lif(torch.ones(5, 2, 4), initial_membrane=torch.zeros(3, 4))


def test_lif_rejects_non_broadcasting_beta():
    with pytest.raises(ValueError, match="beta of shape"):
        lif(torch.ones(5, 2, 4), beta=torch.full((3,), 0.9))


@pytest.mark.parametrize("beta", [-0.1, 1.5, float("nan")])
def test_lif_module_rejects_beta_out_of_range(beta):
    with pytest.raises(ValueError, match="beta"):
        LIF(beta=beta)


def test_lif_module_rejects_beta_tensor_out_of_range():
    with pytest.raises(ValueError, match="beta"):
        LIF(beta=torch.tensor([0.5, 1.2]))


@pytest.mark.parametrize("threshold", [0.0, -1.0])
def test_lif_module_rejects_non_positive_threshold(threshold):
    with pytest.raises(ValueError, match="threshold"):
        LIF(threshold=threshold)


def test_lif_module_rejects_unknown_reset():
    with pytest.raises(ValueError, match="reset"):
        LIF(reset="none")


def test_lif_module_rejects_non_callable_surrogate():
    with pytest.raises(ValueError, match="surrogate"):
        LIF(surrogate=25.0)


def test_lif_accepts_user_surrogate_function():
    current = torch.rand(6, 2, 3, requires_grad=True)

    def boxcar(x):
        return (x.abs() < 0.5).to(x.dtype)

    lif(current, surrogate=boxcar)[0].sum().backward()

    assert torch.isfinite(current.grad).all()
    assert current.grad.abs().sum() > 0


def test_lif_backward_saves_one_sequence_tensor():
    current = torch.rand(7, 2, 3, requires_grad=True)
    saved_shapes = []

    def pack(tensor):
        saved_shapes.append(tuple(tensor.shape))
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        lif(current, beta=0.9, threshold=1.0)

    assert saved_shapes.count((7, 2, 3)) == 1


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_lif_without_grad_matches_grad_mode(reset):
    current = torch.rand(12, 3, 5, requires_grad=True)
    initial = torch.rand(3, 5) * 1.5

    spikes, final = lif(current, reset=reset, initial_membrane=initial)
    with torch.no_grad():
        spikes_no_grad, final_no_grad = lif(current, reset=reset, initial_membrane=initial)

    assert spikes.requires_grad
    assert not spikes_no_grad.requires_grad
    assert torch.equal(spikes_no_grad, spikes)
    assert torch.equal(final_no_grad, final)
