"""Encoder modules: parameter checks, agreement with the kernels, repr, pickling and generator handling."""

import copy
import pickle

import pytest
import torch

import burstcode
from burstcode import functional as F

CASES = [
    (burstcode.RateEncoder, F.rate, F.rate_probability, {"gain": 0.7}),
    (burstcode.LatencyEncoder, F.latency, F.latency_probability, {"threshold": 0.1}),
    (burstcode.PoissonBurst, F.poisson_burst, F.poisson_burst_probability, {"interval": 4, "mean_burst_size": 2.0}),
    (burstcode.DelayedBurst, F.delayed_burst, F.delayed_burst_probability, {"margin": 3, "isi": 2}),
]
IDS = [case[0].__name__ for case in CASES]


@pytest.mark.parametrize("encoder, kernel, probability, kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_module_matches_functional_form(encoder, kernel, probability, kwargs, dtype, device):
    x = torch.randint(0, 256, (6, 5)) if dtype == torch.uint8 else torch.rand(6, 5)
    x = x.to(device=device, dtype=dtype)
    module = encoder(16, **kwargs)
    torch.manual_seed(3)
    from_module = module(x)
    torch.manual_seed(3)
    from_kernel = kernel(x, 16, **kwargs)
    assert torch.equal(from_module, from_kernel)
    assert from_module.dtype == from_kernel.dtype


@pytest.mark.parametrize("encoder, kernel, probability, kwargs", CASES, ids=IDS)
def test_module_spike_probability_matches_functional_form(encoder, kernel, probability, kwargs):
    x = torch.rand(4, 3)
    assert torch.equal(encoder(16, **kwargs).spike_probability(x), probability(x, 16, **kwargs))


@pytest.mark.parametrize("encoder", [case[0] for case in CASES], ids=IDS)
def test_module_encodes_batch_as_layer(encoder):
    batch = torch.rand(8, 1, 28, 28)
    assert encoder(10)(batch).shape == (10, 8, 1, 28, 28)


@pytest.mark.parametrize(
    "encoder, kwargs, parameter",
    [
        (burstcode.RateEncoder, {"num_steps": 0}, "num_steps"),
        (burstcode.RateEncoder, {"num_steps": 5, "gain": -1.0}, "gain"),
        (burstcode.LatencyEncoder, {"num_steps": 5, "threshold": -0.1}, "threshold"),
        (burstcode.PoissonBurst, {"num_steps": 5, "interval": 0}, "interval"),
        (burstcode.PoissonBurst, {"num_steps": 5, "mean_burst_size": 0.0}, "mean_burst_size"),
        (burstcode.PoissonBurst, {"num_steps": 5, "isi": 0}, "isi"),
        (burstcode.PoissonBurst, {"num_steps": 5, "gain": -0.5}, "gain"),
        (burstcode.DelayedBurst, {"num_steps": 10, "margin": 10}, "margin"),
        (burstcode.DelayedBurst, {"num_steps": 4}, "margin"),
        (burstcode.DelayedBurst, {"num_steps": 10, "mean_burst_size": -1.0}, "mean_burst_size"),
    ],
)
def test_module_rejects_invalid_parameter_at_construction(encoder, kwargs, parameter):
    with pytest.raises(ValueError, match=parameter):
        encoder(**kwargs)


def test_module_rejects_non_generator():
    with pytest.raises(TypeError, match="generator"):
        burstcode.PoissonBurst(10, generator=1234)


def test_module_repr_lists_parameters():
    text = repr(burstcode.PoissonBurst(20, mean_burst_size=2.5, generator=torch.Generator().manual_seed(4)))
    assert text == "PoissonBurst(num_steps=20, interval=5, mean_burst_size=2.5, isi=1, gain=1.0, generator=<seed 4>)"


def test_module_repr_shows_dtype():
    assert "dtype=torch.bool" in repr(burstcode.DelayedBurst(20, dtype=torch.bool))


def test_module_generator_makes_calls_reproducible():
    first = burstcode.DelayedBurst(20, generator=torch.Generator().manual_seed(5))
    second = burstcode.DelayedBurst(20, generator=torch.Generator().manual_seed(5))
    x = torch.rand(50)
    assert torch.equal(first(x), second(x))


def test_module_generator_advances_between_calls():
    encoder = burstcode.PoissonBurst(20, generator=torch.Generator().manual_seed(5))
    x = torch.full((50,), 0.5)
    assert not torch.equal(encoder(x), encoder(x))


@pytest.mark.parametrize("encoder", [case[0] for case in CASES], ids=IDS)
def test_module_survives_pickle_and_deepcopy(encoder):
    kwargs = {} if encoder is burstcode.LatencyEncoder else {"generator": torch.Generator().manual_seed(2)}
    original = encoder(12, **kwargs)
    x = torch.rand(10)
    for clone in (pickle.loads(pickle.dumps(original)), copy.deepcopy(original)):
        assert repr(clone) == repr(original)
        assert torch.equal(clone(x), copy.deepcopy(original)(x))


@pytest.mark.parametrize("encoder", [case[0] for case in CASES], ids=IDS)
def test_module_has_empty_state_dict(encoder):
    assert encoder(12).state_dict() == {}


def test_module_encodes_without_gradients_inside_model():
    model = torch.nn.Sequential(burstcode.RateEncoder(5), torch.nn.Flatten(0, 1), torch.nn.Linear(3, 2))
    x = torch.rand(4, 3, requires_grad=True)
    model(x).sum().backward()
    assert x.grad is None
    assert model[2].weight.grad is not None


@pytest.mark.parametrize("encoder, kernel, probability, kwargs", CASES, ids=IDS)
def test_module_defaults_match_functional_defaults(encoder, kernel, probability, kwargs):
    import inspect

    module_defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(encoder).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    for function in (kernel, probability):
        for name, parameter in inspect.signature(function).parameters.items():
            if name in module_defaults:
                assert parameter.default == module_defaults[name], f"{function.__name__}({name}=...)"


@pytest.mark.parametrize("encoder", [case[0] for case in CASES], ids=IDS)
def test_module_accepts_generator_argument(encoder):
    module = encoder(12, generator=torch.Generator().manual_seed(1))
    assert module(torch.rand(4)).shape == (12, 4)
