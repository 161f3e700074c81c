"""Property-based tests: sampled spikes agree with each encoder's exact spike probability map.

Hypothesis draws intensities and encoder parameters. Each example encodes 2000 copies with a generator seeded from
the example. It checks the per-step spike frequency, the spike count and the time-weighted spike count (mean spike
time times count) of every feature against Bernstein bounds. A correct encoder fails one example with probability at
most 1e-6, so each test, at 30 derandomized examples, fails falsely with probability at most 3e-5.
"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import burstcode
from burstcode.testing import assert_spike_statistics, encoder_configs, intensities

FALSE_FAILURE_RATE = 1e-6
ENCODERS = [burstcode.RateEncoder, burstcode.PoissonBurst, burstcode.DelayedBurst, burstcode.LatencyEncoder]


@pytest.mark.parametrize("encoder", ENCODERS, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_sampled_spikes_match_spike_probability(encoder, data):
    config = data.draw(encoder_configs(encoder, max_steps=30))
    x = data.draw(intensities(min_dims=1, max_dims=1, max_side=6))
    seed = data.draw(st.integers(0, 2**31 - 1))
    assert_spike_statistics(
        encoder(**config),
        x,
        num_samples=2000,
        false_failure_rate=FALSE_FAILURE_RATE,
        generator=torch.Generator().manual_seed(seed),
    )


@given(x=intensities(min_dims=1, max_dims=2, max_side=5, dtype=torch.uint8))
def test_poisson_burst_uint8_statistics_match(x):
    assert_spike_statistics(
        burstcode.PoissonBurst(15, interval=4),
        x,
        num_samples=2000,
        false_failure_rate=FALSE_FAILURE_RATE,
        generator=torch.Generator().manual_seed(0),
    )


def expected_min_poisson(mean, cap):
    """E[min(n, cap)] for n ~ Poisson(mean), as sum_{j < cap} P(n > j)."""
    survival, pmf, total = 1.0, math.exp(-mean), 0.0
    for j in range(cap):
        survival -= pmf
        total += survival
        pmf *= mean / (j + 1)
    return total


@given(
    x=st.floats(0.0, 1.0),
    num_steps=st.integers(1, 40),
    interval=st.integers(1, 9),
    isi=st.integers(1, 3),
    mean=st.floats(0.1, 8.0),
)
def test_poisson_burst_expected_count_matches_interval_sum(x, num_steps, interval, isi, mean):
    encoder = burstcode.PoissonBurst(num_steps, interval=interval, isi=isi, mean_burst_size=mean)
    count = encoder.spike_probability(torch.tensor(x, dtype=torch.float64)).sum().item()
    expected = 0.0
    for start in range(0, num_steps, interval):
        slots = -(-min(interval, num_steps - start) // isi)
        expected += x * expected_min_poisson(mean, slots)
    assert count == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(x=st.floats(0.0, 1.0), num_steps=st.integers(2, 40), isi=st.integers(1, 3), mean=st.floats(0.1, 8.0))
def test_delayed_burst_expected_count_matches_onset_sum(x, num_steps, isi, mean):
    margin = num_steps // 3
    encoder = burstcode.DelayedBurst(num_steps, margin=margin, isi=isi, mean_burst_size=mean)
    count = encoder.spike_probability(torch.tensor(x, dtype=torch.float64)).sum().item()
    q = 1.0 / (1.0 + (1.0 - x) * (num_steps - margin))
    expected = sum(
        q * (1.0 - q) ** onset * expected_min_poisson(mean, -(-(num_steps - onset) // isi))
        for onset in range(num_steps)
    )
    assert count == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("encoder", [burstcode.PoissonBurst, burstcode.DelayedBurst], ids=lambda cls: cls.__name__)
def test_statistics_check_detects_shifted_probability(encoder):
    x = torch.linspace(0.2, 1.0, 5)
    module = encoder(20)
    shifted = module.spike_probability(x).roll(1, dims=0)
    with pytest.raises(AssertionError, match="spike"):
        assert_spike_statistics(module, x, probability=shifted, generator=torch.Generator().manual_seed(0))


def test_statistics_check_detects_scaled_probability():
    x = torch.full((4,), 0.5)
    module = burstcode.PoissonBurst(20)
    scaled = module.spike_probability(x) * 0.8
    with pytest.raises(AssertionError, match="spike"):
        assert_spike_statistics(module, x, probability=scaled, generator=torch.Generator().manual_seed(0))
