"""Shared pytest configuration.

Hypothesis runs derandomized, so every run draws the same examples: a statistical test then either always passes or
always fails for the same code, and its stated false-failure rate applies once per example, not once per run.
"""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "burstcode",
    derandomize=True,
    deadline=None,
    max_examples=int(os.environ.get("BURSTCODE_MAX_EXAMPLES", "30")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("burstcode")



@pytest.fixture(
    params=["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA"))]
)
def device(request) -> torch.device:
    """Each device the test should run on: the CPU always, CUDA where a GPU exists."""
    return torch.device(request.param)
