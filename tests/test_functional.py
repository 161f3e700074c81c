"""Exact properties of the functional encoders: shapes, values, dtypes, input checks and burst structure."""

import math

import pytest
import torch

from burstcode import functional as F

ENCODERS = {
    "rate": F.rate,
    "latency": F.latency,
    "poisson_burst": F.poisson_burst,
    "delayed_burst": F.delayed_burst,
}
PROBABILITIES = {
    "rate": F.rate_probability,
    "latency": F.latency_probability,
    "poisson_burst": F.poisson_burst_probability,
    "delayed_burst": F.delayed_burst_probability,
}
NAMES = list(ENCODERS)


def seeded(seed=0):
    return torch.Generator().manual_seed(seed)


# --- Shapes, values and dtypes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 1, 4, 4)])
def test_encoder_output_shape_is_time_first(name, shape):
    spikes = ENCODERS[name](torch.rand(shape), 12)
    assert spikes.shape == (12, *shape)


@pytest.mark.parametrize("name", NAMES)
def test_encoder_values_are_zero_or_one(name):
    spikes = ENCODERS[name](torch.rand(64, 16), 25, generator=seeded())
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_encoder_keeps_floating_input_dtype(name, dtype):
    assert ENCODERS[name](torch.rand(4).to(dtype), 6).dtype == dtype


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64, torch.bool])
def test_encoder_gives_default_dtype_for_integer_input(name, dtype):
    x = torch.tensor([0, 1, 1]).to(dtype)
    assert ENCODERS[name](x, 6).dtype == torch.get_default_dtype()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.float16, torch.float64])
def test_encoder_dtype_argument_sets_output_dtype(name, dtype):
    assert ENCODERS[name](torch.rand(4), 6, dtype=dtype).dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_encoder_bool_output_equals_float_output(name):
    x = torch.rand(8, 8)
    as_float = ENCODERS[name](x, 15, generator=seeded(3))
    as_bool = ENCODERS[name](x, 15, generator=seeded(3), dtype=torch.bool)
    assert torch.equal(as_float.bool(), as_bool)


@pytest.mark.parametrize("name", NAMES)
def test_encoder_scales_uint8_by_255(name):
    image = torch.tensor([0, 51, 128, 255], dtype=torch.uint8)
    from_uint8 = ENCODERS[name](image, 10, generator=seeded(1))
    from_float = ENCODERS[name](image.to(torch.float32) / 255, 10, generator=seeded(1))
    assert torch.equal(from_uint8, from_float)


@pytest.mark.parametrize("name", NAMES)
def test_encoder_handles_empty_input(name):
    spikes = ENCODERS[name](torch.empty(0, 3), 7)
    assert spikes.shape == (7, 0, 3)


@pytest.mark.parametrize("name", NAMES)
def test_encoder_accepts_expanded_and_noncontiguous_input(name):
    base = torch.rand(4, 6)
    views = [base.t(), base[:, ::2], base[:1].expand(5, 6)]
    for view in views:
        spikes = ENCODERS[name](view, 9, generator=seeded(2))
        expected = ENCODERS[name](view.contiguous(), 9, generator=seeded(2))
        assert torch.equal(spikes, expected)


@pytest.mark.parametrize("name", NAMES)
def test_encoder_runs_on_device(name, device):
    spikes = ENCODERS[name](torch.rand(3, 4, device=device), 8)
    assert spikes.device.type == device.type


# --- Input checks -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), -0.1, 1.5])
def test_encoder_rejects_values_outside_unit_interval(name, bad):
    x = torch.tensor([0.2, bad, 0.7])
    with pytest.raises(ValueError, match="min .* and max") as error:
        ENCODERS[name](x, 10)
    assert "ToDtype" in str(error.value)


def test_encoder_error_names_observed_range():
    with pytest.raises(ValueError, match=r"min -0\.5 and max 2\.0"):
        F.poisson_burst(torch.tensor([-0.5, 2.0]), 5)


def test_encoder_error_mentions_nan():
    with pytest.raises(ValueError, match="NaN"):
        F.delayed_burst(torch.tensor([0.5, float("nan")]), 10)


@pytest.mark.parametrize("name", NAMES)
def test_encoder_rejects_complex_input(name):
    with pytest.raises(TypeError, match="complex"):
        ENCODERS[name](torch.rand(3, dtype=torch.complex64), 10)


@pytest.mark.parametrize("name", NAMES)
def test_encoder_rejects_negative_integer_input(name):
    with pytest.raises(ValueError, match="min"):
        ENCODERS[name](torch.tensor([-3, 5], dtype=torch.int8), 10)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("num_steps", [0, -1, 2.5, True, "10"])
def test_encoder_rejects_invalid_num_steps(name, num_steps):
    with pytest.raises(ValueError, match="num_steps"):
        ENCODERS[name](torch.rand(3), num_steps)


@pytest.mark.parametrize(
    "name, kwargs, parameter",
    [
        ("rate", {"gain": -0.1}, "gain"),
        ("rate", {"gain": float("inf")}, "gain"),
        ("latency", {"threshold": 1.5}, "threshold"),
        ("poisson_burst", {"interval": 0}, "interval"),
        ("poisson_burst", {"mean_burst_size": 0.0}, "mean_burst_size"),
        ("poisson_burst", {"mean_burst_size": -2.0}, "mean_burst_size"),
        ("poisson_burst", {"isi": 0}, "isi"),
        ("poisson_burst", {"gain": -1.0}, "gain"),
        ("delayed_burst", {"margin": 10}, "margin"),
        ("delayed_burst", {"margin": -1}, "margin"),
        ("delayed_burst", {"mean_burst_size": 0.0}, "mean_burst_size"),
        ("delayed_burst", {"isi": 0}, "isi"),
    ],
)
def test_encoder_rejects_invalid_parameter(name, kwargs, parameter):
    with pytest.raises(ValueError, match=parameter):
        ENCODERS[name](torch.rand(3), 10, **kwargs)


def test_encoder_rejects_non_generator():
    with pytest.raises(TypeError, match="generator"):
        F.rate(torch.rand(3), 5, generator=42)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device for a mismatched generator")
def test_encoder_rejects_generator_on_other_device():
    with pytest.raises(ValueError, match="generator is on device"):
        F.rate(torch.rand(3, device="cuda"), 5, generator=torch.Generator())


def test_encoder_rejects_complex_output_dtype():
    with pytest.raises(TypeError, match="dtype"):
        F.rate(torch.rand(3), 5, dtype=torch.complex64)


# --- No side effects ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_encoder_leaves_input_unchanged(name):
    x = torch.rand(5, 5)
    before = x.clone()
    ENCODERS[name](x, 10)
    assert torch.equal(x, before)


@pytest.mark.parametrize("name", NAMES)
def test_encoder_builds_no_autograd_graph(name):
    x = torch.rand(5, requires_grad=True)
    spikes = ENCODERS[name](x, 10)
    assert not spikes.requires_grad
    assert spikes.grad_fn is None


# --- Randomness ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rate", "poisson_burst", "delayed_burst"])
def test_encoder_is_deterministic_under_seeded_generator(name):
    x = torch.rand(32, 8)
    first = ENCODERS[name](x, 20, generator=seeded(7))
    second = ENCODERS[name](x, 20, generator=seeded(7))
    assert torch.equal(first, second)


@pytest.mark.parametrize("name", ["rate", "poisson_burst", "delayed_burst"])
def test_encoder_differs_across_seeds(name):
    x = torch.full((32, 8), 0.5)
    assert not torch.equal(ENCODERS[name](x, 20, generator=seeded(1)), ENCODERS[name](x, 20, generator=seeded(2)))


@pytest.mark.parametrize("name", ["rate", "poisson_burst", "delayed_burst"])
def test_encoder_follows_global_seed_without_generator(name):
    x = torch.full((16,), 0.5)
    torch.manual_seed(11)
    first = ENCODERS[name](x, 20)
    torch.manual_seed(11)
    second = ENCODERS[name](x, 20)
    assert torch.equal(first, second)


# --- Latency ------------------------------------------------------------------------------------------------------


def test_latency_fires_once_at_rounded_time():
    x = torch.tensor([1.0, 0.75, 0.5, 0.25, 0.01])
    spikes = F.latency(x, 5)
    assert torch.equal(spikes.sum(0), torch.ones(5))
    assert spikes.argmax(0).tolist() == [0, 1, 2, 3, 4]


def test_latency_silences_inputs_at_or_below_threshold():
    spikes = F.latency(torch.tensor([0.0, 0.2, 0.3]), 5, threshold=0.2)
    assert spikes.sum(0).tolist() == [0.0, 0.0, 1.0]


# --- Poisson-Burst structure --------------------------------------------------------------------------------------


@pytest.mark.parametrize("num_steps, interval, isi", [(20, 5, 1), (23, 5, 1), (30, 7, 2), (12, 4, 3), (9, 1, 1)])
def test_poisson_burst_never_spills_across_intervals(num_steps, interval, isi):
    spikes = F.poisson_burst(torch.rand(400), num_steps, interval=interval, isi=isi, generator=seeded(5))
    for start in range(0, num_steps, interval):
        window = spikes[start : start + interval]
        offsets = torch.arange(window.shape[0]).view(-1, 1)
        # Inside one interval a burst is a prefix of the isi-spaced slots: slot j fires only if slot j - 1 fired.
        assert not window[offsets.flatten() % isi != 0].any()
        slots = window[::isi]
        assert torch.all(slots[1:] <= slots[:-1])


def test_poisson_burst_fills_every_interval_for_huge_bursts():
    spikes = F.poisson_burst(torch.ones(3), 12, interval=5, mean_burst_size=500.0)
    assert torch.equal(spikes, torch.ones(12, 3))


def test_poisson_burst_silent_for_zero_intensity():
    assert F.poisson_burst(torch.zeros(50), 30).sum() == 0


def test_poisson_burst_zero_gain_is_silent():
    assert F.poisson_burst(torch.ones(50), 30, gain=0.0).sum() == 0


# --- Delayed-Burst structure --------------------------------------------------------------------------------------


@pytest.mark.parametrize("isi", [1, 2, 3])
def test_delayed_burst_emits_one_isi_spaced_burst(isi):
    spikes = F.delayed_burst(torch.rand(500), 30, isi=isi, generator=seeded(4))
    for train in spikes.T:
        times = train.nonzero().flatten()
        if times.numel() > 1:
            assert torch.all(times.diff() == isi)


def test_delayed_burst_full_intensity_bursts_at_step_zero():
    spikes = F.delayed_burst(torch.ones(200), 20, mean_burst_size=50.0)
    assert torch.all(spikes[0] == 1)


def test_delayed_burst_lookup_and_scatter_paths_agree():
    from burstcode.functional import _write_bursts_by_lookup, _write_bursts_by_scatter

    generator = seeded(8)
    onset = torch.randint(0, 41, (300,), generator=generator)
    size = torch.randint(0, 9, (300,), generator=generator)
    for isi in (1, 2, 5):
        by_lookup = torch.empty(40, 300)
        by_scatter = torch.empty(40, 300)
        _write_bursts_by_lookup(by_lookup, onset, size, isi)
        _write_bursts_by_scatter(by_scatter, onset, size, isi)
        assert torch.equal(by_lookup, by_scatter)


def test_delayed_burst_long_encoding_uses_scatter_path():
    # 3 features over 200 steps make the lookup table larger than the output, so the scatter path runs.
    spikes = F.delayed_burst(torch.tensor([1.0, 0.5, 0.0]), 200, margin=0, mean_burst_size=40.0, generator=seeded())
    assert spikes[0, 0] == 1
    assert spikes.sum() > 0


# --- Spike probability maps against independent computations -----------------------------------------------------


def poisson_survival(mean, j):
    """P(n > j) for n ~ Poisson(mean), summed term by term."""
    return 1.0 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(j + 1))


@pytest.mark.parametrize("num_steps, interval, mean, isi, gain", [(13, 5, 3.0, 1, 1.0), (17, 6, 1.5, 2, 0.8)])
def test_poisson_burst_probability_matches_direct_formula(num_steps, interval, mean, isi, gain):
    x = torch.tensor([0.0, 0.3, 0.9, 1.0], dtype=torch.float64)
    probability = F.poisson_burst_probability(x, num_steps, interval=interval, mean_burst_size=mean, isi=isi, gain=gain)
    for t in range(num_steps):
        offset = t % interval
        for i, value in enumerate(x.tolist()):
            p = min(gain * value, 1.0)
            expected = p * poisson_survival(mean, offset // isi) if offset % isi == 0 else 0.0
            assert probability[t, i].item() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("num_steps, margin, mean, isi", [(15, 5, 3.0, 1), (12, 0, 2.0, 3), (8, 7, 0.5, 2)])
def test_delayed_burst_probability_matches_direct_sum(num_steps, margin, mean, isi):
    x = torch.tensor([0.0, 0.4, 1.0], dtype=torch.float64)
    probability = F.delayed_burst_probability(x, num_steps, margin=margin, mean_burst_size=mean, isi=isi)
    for i, value in enumerate(x.tolist()):
        q = 1.0 / (1.0 + (1.0 - value) * (num_steps - margin))
        for t in range(num_steps):
            expected = sum(
                q * (1.0 - q) ** (t - j * isi) * poisson_survival(mean, j) for j in range(t // isi + 1)
            )
            assert probability[t, i].item() == pytest.approx(expected, abs=1e-12)


def test_rate_probability_clamps_gain():
    probability = F.rate_probability(torch.tensor([0.2, 0.8]), 3, gain=2.0)
    assert probability[:, 0].tolist() == pytest.approx([0.4] * 3)
    assert probability[:, 1].tolist() == [1.0] * 3


@pytest.mark.parametrize("name", NAMES)
def test_probability_map_shape_and_range(name):
    probability = PROBABILITIES[name](torch.rand(3, 4), 11)
    assert probability.shape == (11, 3, 4)
    assert probability.min() >= 0
    assert probability.max() <= 1


# --- Monotonicity -------------------------------------------------------------------------------------------------


def test_poisson_burst_expected_count_increases_with_intensity():
    x = torch.linspace(0, 1, 21, dtype=torch.float64)
    count = F.poisson_burst_probability(x, 30).sum(0)
    assert torch.all(count.diff() > 0)


def test_delayed_burst_expected_onset_decreases_with_intensity():
    x = torch.linspace(0, 1, 21, dtype=torch.float64)
    probability = F.delayed_burst_probability(x, 30)
    steps = torch.arange(30, dtype=torch.float64).view(-1, 1)
    mean_spike_time = (steps * probability).sum(0) / probability.sum(0)
    assert torch.all(mean_spike_time.diff() < 0)


def test_delayed_burst_sampled_onset_decreases_with_intensity():
    x = torch.tensor([0.1, 0.5, 0.9]).repeat(4000, 1)
    spikes = F.delayed_burst(x, 40, mean_burst_size=100.0, generator=seeded(9))
    onset = spikes.argmax(0).double()  # 100 spikes on average, so the burst is almost never empty
    mean_onset = onset.mean(0)
    # Means (1 - x) * 35 are 31.5, 17.5 and 3.5 steps before clipping; 4000 samples separate them by far.
    assert mean_onset[0] > mean_onset[1]
    assert mean_onset[1] > mean_onset[2]


@pytest.mark.parametrize("name", NAMES)
def test_encoder_on_meta_device_gives_shape_only(name):
    spikes = ENCODERS[name](torch.rand(3, 4, device="meta"), 10)
    assert spikes.device.type == "meta"
    assert spikes.shape == (10, 3, 4)


@pytest.mark.parametrize("name", NAMES)
def test_probability_on_meta_device_gives_shape_only(name):
    probability = PROBABILITIES[name](torch.rand(3, device="meta"), 10)
    assert probability.device.type == "meta"
    assert probability.shape == (10, 3)
