"""Tests of inputs a new user is likely to get wrong, and of the error or result each one must give.

Each test covers one kind of failure found by trying every public function with unusual arguments: wrong types,
dtypes and devices, extreme parameters, misuse of the testing helpers, TorchScript, and peak memory.
"""

from __future__ import annotations

import copy
import functools
import io
import subprocess
import sys
import warnings

import pytest
import torch
from torch import nn

import burstcode
from burstcode import functional, surrogate, testing
from burstcode.lif import lif

ENCODERS = [burstcode.RateEncoder, burstcode.LatencyEncoder, burstcode.PoissonBurst, burstcode.DelayedBurst]
FLOATING = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
SURROGATE_FACTORIES = [surrogate.fast_sigmoid, surrogate.atan, surrogate.sigmoid, surrogate.triangle]
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA")


# --- Encoders: integer inputs and messages ------------------------------------------------------------------------


def test_encoder_rejects_negative_int8_naming_raw_values():
    with pytest.raises(ValueError, match=r"min -3 and max 5") as error:
        functional.rate(torch.tensor([-3, 5], dtype=torch.int8), 4)

    assert "127" in str(error.value)


def test_encoder_warns_on_8_bit_values_in_int64():
    with pytest.warns(UserWarning, match=r"max 255.*torch.uint8"):
        functional.poisson_burst(torch.tensor([0, 128, 255]), 10)


def test_encoder_int64_warning_points_at_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        functional.rate(torch.tensor([0, 255]), 3)

    assert caught[0].filename == __file__


def test_encoder_full_range_int64_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        functional.rate(torch.tensor([0, 2**62]), 3)


def test_delayed_burst_default_margin_message_gives_fix():
    with pytest.raises(ValueError, match=r"from 0 to 2.*default margin of 5 needs num_steps >= 6"):
        burstcode.DelayedBurst(3)


# --- Encoders: memory-saving paths give the same spikes -----------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        functional.rate,
        functional.poisson_burst,
        functional.latency,
        functools.partial(functional.delayed_burst, margin=0),
    ],
    ids=["rate", "poisson_burst", "latency", "delayed_burst"],
)
@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("num_steps", [1, 7, 33])
@pytest.mark.parametrize("shape", [(3, 5), (64, 64)], ids=["small", "large"])
def test_encoder_output_dtype_keeps_spikes(encode, dtype, num_steps, shape):
    # Each dtype takes its own memory-saving path (in place, chunked, int16 bit view, lookup or scatter), and every
    # path must write the spikes the float32 path writes from the same generator state.
    x = torch.rand(shape)

    reference = encode(x, num_steps, generator=torch.Generator().manual_seed(1))
    spikes = encode(x, num_steps, generator=torch.Generator().manual_seed(1), dtype=dtype)

    assert spikes.dtype == dtype
    assert torch.equal(spikes.to(torch.float32), reference)


@pytest.mark.parametrize("isi", [2, 3])
def test_poisson_burst_chunked_isi_matches_float32(isi):
    x = torch.rand(4, 6)

    reference = functional.poisson_burst(x, 23, isi=isi, generator=torch.Generator().manual_seed(2))
    spikes = functional.poisson_burst(x, 23, isi=isi, generator=torch.Generator().manual_seed(2), dtype=torch.half)

    assert torch.equal(spikes.float(), reference)


# Each case runs in a child forked from one process that has imported torch, so no earlier allocation can hide a
# peak and torch is imported once. The peak (VmHWM) is reset through /proc/self/clear_refs just before the call.
_PEAK_MEMORY = """
import os, sys, torch, burstcode.functional as F
torch.set_num_threads(1)

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(field))

def measure(name, dtype, half):
    x = torch.rand(16, 1, 28, 28)
    x = x.half() if half else x
    encode = lambda v: getattr(F, name)(v, 400, dtype=dtype)
    encode(x[:1])
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    out = encode(x)
    return (status("VmHWM") - before) / (out.numel() * out.element_size())

for name in ("rate", "poisson_burst", "delayed_burst", "latency"):
    for dtype, half in ((None, False), (torch.bool, False), (None, True)):
        read, write = os.pipe()
        if os.fork() == 0:
            os.write(write, repr(measure(name, dtype, half)).encode())
            os._exit(0)
        os.close(write)
        os.wait()
        print(name, dtype, "float16 input" if half else "float32 input", float(os.read(read, 100)))
"""


@pytest.fixture(scope="module")
def peak_memory_ratios() -> list[str]:
    result = subprocess.run([sys.executable, "-c", _PEAK_MEMORY], capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and forks")
def test_encoder_peak_memory_within_2_5x_output(peak_memory_ratios):
    # The outputs are 20 MB in float32 (5 MB as bool), large enough that page rounding stays below 1%.
    too_large = [line for line in peak_memory_ratios if float(line.split()[-1]) >= 2.5]

    assert len(peak_memory_ratios) == 12
    assert too_large == []


# --- Modules: TorchScript -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [*(cls(10) for cls in ENCODERS), burstcode.LIF(), burstcode.TimeDistributed(nn.Linear(3, 4))],
    ids=lambda module: type(module).__name__,
)
def test_module_jit_script_raises_clear_error(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.script's own deprecation warning
        with pytest.raises(RuntimeError, match=r"does not support TorchScript.*torch\.compile"):
            torch.jit.script(module)


# --- LIF: arguments ---------------------------------------------------------------------------------------------


def test_lif_rejects_infinite_threshold():
    with pytest.raises(ValueError, match=r"threshold must lie in \(0\.0, inf\), got inf"):
        burstcode.LIF(threshold=float("inf"))


def test_lif_function_rejects_infinite_threshold():
    with pytest.raises(ValueError, match=r"threshold must lie in \(0\.0, inf\), got inf"):
        lif(torch.rand(3, 2), threshold=float("inf"))


def test_lif_rejects_infinite_threshold_tensor():
    with pytest.raises(ValueError, match=r"got inf"):
        burstcode.LIF(threshold=torch.tensor([1.0, float("inf")]))


@pytest.mark.parametrize("option", ["detach_reset", "learn_beta", "learn_threshold", "batch_first"])
def test_lif_rejects_non_bool_option(option):
    with pytest.raises(TypeError, match=rf"{option} must be True or False, got 'no'"):
        burstcode.LIF(**{option: "no"})


def test_lif_rejects_non_bool_return_membrane():
    with pytest.raises(TypeError, match=r"return_membrane must be True or False"):
        burstcode.LIF()(torch.rand(3, 2), return_membrane="no")


def test_lif_function_rejects_non_bool_detach_reset():
    with pytest.raises(TypeError, match=r"detach_reset must be True or False"):
        lif(torch.rand(3, 2), detach_reset=0)


def test_time_distributed_rejects_non_bool_batch_first():
    with pytest.raises(TypeError, match=r"batch_first must be True or False"):
        burstcode.TimeDistributed(nn.Linear(2, 2), batch_first="yes")


def test_lif_rejects_membrane_on_other_device():
    with pytest.raises(ValueError, match=r"initial membrane is on device meta but current is on cpu"):
        burstcode.LIF()(torch.rand(5, 2, 3), torch.zeros(2, 3, device="meta"))


def test_lif_rejects_non_tensor_membrane():
    with pytest.raises(TypeError, match=r"initial membrane must be a torch.Tensor or None, got list"):
        lif(torch.rand(5, 2), initial_membrane=[0.0, 0.0])


def test_lif_rejects_meta_beta_with_cpu_current():
    with pytest.raises(ValueError, match=r"beta is on the meta device"):
        lif(torch.rand(3, 2), beta=torch.full((2,), 0.5, device="meta"))


@CUDA
def test_lif_rejects_membrane_on_cpu_with_cuda_current():
    with pytest.raises(ValueError, match=r"initial membrane is on device cpu but current is on cuda"):
        lif(torch.rand(5, 2, device="cuda"), initial_membrane=torch.zeros(2))


def test_lif_rejects_surrogate_returning_float():
    current = torch.rand(4, 3, requires_grad=True)
    spikes, _ = lif(current * 3, surrogate=lambda x: 1.0)

    with pytest.raises(TypeError, match=r"returned float, but it must return a tensor"):
        spikes.sum().backward()


def test_lif_rejects_surrogate_returning_wrong_shape():
    current = torch.rand(4, 3, requires_grad=True)
    spikes, _ = lif(current * 3, surrogate=lambda x: torch.ones(5))

    with pytest.raises(ValueError, match=r"returned shape \(5,\) for an input of shape"):
        spikes.sum().backward()


def test_lif_rejects_surrogate_returning_scalar():
    current = torch.rand(4, 3, requires_grad=True)
    spikes, _ = lif(current * 3, surrogate=lambda x: torch.ones(()))

    with pytest.raises(ValueError, match=r"returned shape \(\) for an input of shape"):
        spikes.sum().backward()


# --- LIF: state round trips -----------------------------------------------------------------------------------------


def test_lif_learned_state_dict_loads_into_fresh_module():
    trained = burstcode.LIF(beta=torch.tensor([0.3, 0.6, 0.8]), threshold=2.0, learn_beta=True, learn_threshold=True)
    buffer = io.BytesIO()
    torch.save(trained.state_dict(), buffer)
    buffer.seek(0)
    fresh = burstcode.LIF(beta=torch.full((3,), 0.9), learn_beta=True, learn_threshold=True)

    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    current = torch.rand(6, 2, 3) * 3

    assert torch.equal(fresh(current), trained(current))


def test_lif_deepcopy_keeps_learned_parameters_separate():
    layer = burstcode.LIF(learn_beta=True)
    clone = copy.deepcopy(layer)

    with torch.no_grad():
        clone.beta.fill_(0.1)

    assert layer.beta.item() == pytest.approx(0.9)


# --- TimeDistributed ----------------------------------------------------------------------------------------------


def test_time_distributed_rejects_module_returning_tuple():
    layer = burstcode.TimeDistributed(nn.LSTM(3, 4))

    with pytest.raises(TypeError, match=r"returned tuple, but TimeDistributed needs one tensor"):
        layer(torch.rand(2, 5, 3))


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize(
    "make_layer",
    [lambda: nn.BatchNorm2d(2), lambda: nn.Conv2d(2, 4, 3), lambda: nn.Flatten(), lambda: nn.Dropout(0.5)],
    ids=["batchnorm", "conv2d", "flatten", "dropout"],
)
def test_time_distributed_matches_merged_call(make_layer, train):
    torch.manual_seed(0)
    layer = make_layer().train(train)
    x = torch.rand(4, 3, 2, 8, 8)

    torch.manual_seed(1)
    output = burstcode.TimeDistributed(layer)(x)
    torch.manual_seed(1)
    merged = layer(x.flatten(0, 1)).unflatten(0, (4, 3))

    assert torch.equal(output, merged)


# --- Surrogates ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("factory", SURROGATE_FACTORIES)
@pytest.mark.parametrize("parameter", [1e-6, 1.0, 1e6])
@pytest.mark.parametrize("dtype", FLOATING)
def test_surrogate_finite_at_parameter_limits(factory, parameter, dtype):
    largest = torch.finfo(dtype).max
    x = torch.tensor([0.0, 6e-8, 1e-6, 0.5, -1.0, 1e4, largest, -largest], dtype=torch.float64).to(dtype)

    derivative = factory(parameter)(x)

    assert torch.isfinite(derivative).all()
    assert (derivative >= 0).all()


@pytest.mark.parametrize("factory", SURROGATE_FACTORIES)
@pytest.mark.parametrize("parameter", [1e-7, 1e7, 1e30])
def test_surrogate_rejects_parameter_outside_range(factory, parameter):
    with pytest.raises(ValueError, match=r"must be a finite number in \[1e-06, 1e\+06\]"):
        factory(parameter)


@pytest.mark.parametrize("factory", SURROGATE_FACTORIES)
@pytest.mark.parametrize("value", [torch.tensor([0, 1]), torch.tensor([True]), 0.5], ids=["int64", "bool", "float"])
def test_surrogate_rejects_non_floating_input(factory, value):
    with pytest.raises(TypeError, match=r"surrogates take a floating tensor"):
        factory()(value)


def test_triangle_narrow_width_peak_in_float64():
    derivative = surrogate.triangle(width=1e-6)(torch.tensor([0.0, 5e-7], dtype=torch.float64))

    assert derivative.tolist() == pytest.approx([1e6, 5e5])


# --- Testing helpers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), 1.7, -0.5])
def test_assert_spike_statistics_rejects_invalid_probability(value):
    probability = torch.full((10, 3), value)

    with pytest.raises(ValueError, match=r"probability must lie in \[0, 1\]"):
        testing.assert_spike_statistics(burstcode.RateEncoder(10), torch.rand(3), probability=probability)


@pytest.mark.parametrize("num_samples", [0, -5, 2.0])
def test_assert_spike_statistics_rejects_bad_num_samples(num_samples):
    with pytest.raises(ValueError, match=r"num_samples must be an integer >= 1"):
        testing.assert_spike_statistics(burstcode.RateEncoder(10), torch.rand(3), num_samples=num_samples)


def test_assert_spike_statistics_rejects_mismatched_probability_shape():
    with pytest.raises(ValueError, match=r"spikes of shape \(10, 50, 3, 4\).*probability of shape \(10, 4\)"):
        testing.assert_spike_statistics(
            burstcode.RateEncoder(10), torch.rand(3, 4), num_samples=50, probability=torch.full((10, 4), 0.5)
        )


def test_assert_spike_statistics_needs_probability_for_function():
    def encode(x, generator=None):
        return functional.rate(x, 10, generator=generator)

    with pytest.raises(TypeError, match=r"has no spike_probability method; pass probability="):
        testing.assert_spike_statistics(encode, torch.rand(3), num_samples=10)


def test_spike_statistics_bounds_rejects_0d_probability():
    with pytest.raises(ValueError, match=r"time axis first"):
        testing.spike_statistics_bounds(torch.tensor(0.5), 10, 1e-6)


def test_spike_statistics_bounds_rejects_integer_probability():
    with pytest.raises(TypeError, match=r"floating tensor"):
        testing.spike_statistics_bounds(torch.ones(3, 2, dtype=torch.long), 10, 1e-6)


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.complex64])
def test_intensities_rejects_unsupported_dtype(dtype):
    with pytest.raises(ValueError, match=r"dtype must be a floating dtype or torch.uint8"):
        testing.intensities(dtype=dtype)


def test_encoder_configs_rejects_zero_max_steps():
    with pytest.raises(ValueError, match=r"max_steps must be an integer >= 1, got 0"):
        testing.encoder_configs(burstcode.RateEncoder, max_steps=0)
