"""Spike encoders (Rate, Latency, Poisson-Burst, Delayed-Burst) and a vectorized LIF layer for PyTorch.

The burst encoders follow Moshruba, Poursiami and Parsa, "Izhikevich-Inspired Temporal Dynamics for Enhancing
Privacy, Efficiency, and Transferability in Spiking Neural Networks", arXiv:2505.04034 (2025).
"""

from burstcode import functional, surrogate, testing
from burstcode.encoders import DelayedBurst, LatencyEncoder, PoissonBurst, RateEncoder
from burstcode.layers import TimeDistributed
from burstcode.lif import LIF

__version__ = "0.1.0"

__all__ = [
    "DelayedBurst",
    "LIF",
    "LatencyEncoder",
    "PoissonBurst",
    "RateEncoder",
    "TimeDistributed",
    "functional",
    "surrogate",
    "testing",
]
