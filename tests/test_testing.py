"""The helpers in burstcode.testing: strategies produce valid inputs and the assertion checks what it claims."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import burstcode
from burstcode.testing import assert_spike_statistics, encoder_configs, intensities, spike_statistics_bounds

ENCODERS = [burstcode.RateEncoder, burstcode.LatencyEncoder, burstcode.PoissonBurst, burstcode.DelayedBurst]


@given(x=intensities(min_dims=0, max_dims=3))
def test_intensities_lie_in_unit_interval(x):
    assert x.dtype == torch.float32
    if x.numel():
        assert x.min() >= 0
        assert x.max() <= 1


@given(x=intensities(dtype=torch.uint8))
def test_intensities_uint8_strategy_gives_uint8(x):
    assert x.dtype == torch.uint8


@pytest.mark.parametrize("encoder", ENCODERS, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_encoder_configs_build_valid_encoders(encoder, data):
    config = data.draw(encoder_configs(encoder))
    spikes = encoder(**config)(torch.rand(3))
    assert spikes.shape == (config["num_steps"], 3)


def test_encoder_configs_rejects_unknown_class():
    with pytest.raises(TypeError, match="no configuration strategy"):
        encoder_configs(torch.nn.Linear)


def test_bounds_shrink_with_more_samples():
    probability = torch.full((10, 3), 0.3)
    few = spike_statistics_bounds(probability, 100, 1e-6)["frequency"][1]
    many = spike_statistics_bounds(probability, 10_000, 1e-6)["frequency"][1]
    assert torch.all(many < few)


def test_bounds_expected_count_is_probability_sum():
    probability = torch.rand(10, 3, dtype=torch.float64)
    expected, _ = spike_statistics_bounds(probability, 100, 1e-6)["count"]
    assert torch.allclose(expected, probability.sum(0))


def test_assertion_passes_for_correct_map():
    assert_spike_statistics(
        burstcode.DelayedBurst(16), torch.linspace(0, 1, 6), generator=torch.Generator().manual_seed(1)
    )


def test_assertion_accepts_plain_callable_with_map():
    x = torch.full((3,), 0.25)

    def encode(batch, generator=None):
        return burstcode.functional.rate(batch, 8, generator=generator)

    assert_spike_statistics(
        encode, x, probability=burstcode.functional.rate_probability(x, 8), generator=torch.Generator().manual_seed(0)
    )


def test_assertion_fails_for_wrong_map():
    x = torch.full((3,), 0.25)
    wrong = burstcode.functional.rate_probability(torch.full((3,), 0.35), 8)
    with pytest.raises(AssertionError, match="frequency"):
        assert_spike_statistics(
            burstcode.RateEncoder(8), x, probability=wrong, generator=torch.Generator().manual_seed(0)
        )


@pytest.mark.parametrize("rate", [0.0, 1.0, -0.5])
def test_assertion_rejects_invalid_false_failure_rate(rate):
    with pytest.raises(ValueError, match="false_failure_rate"):
        assert_spike_statistics(burstcode.RateEncoder(4), torch.rand(2), false_failure_rate=rate)
