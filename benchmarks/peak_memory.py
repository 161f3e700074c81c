"""Read and reset a Linux process's resident memory, for the benchmarks' peak-memory figures.

``ru_maxrss`` cannot serve: a child process starts with its parent's peak, so a measuring process spawned by a parent
that keeps large tensors alive would show no growth. The peak (VmHWM) is instead reset through ``/proc/self/clear_refs``
just before the measured work.
"""

from __future__ import annotations


def resident_bytes(field: str) -> int:
    """Return a figure of this process from /proc/self/status in bytes: ``VmRSS`` (now) or ``VmHWM`` (peak)."""
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
    return kib * 1024


def reset_peak() -> None:
    """Reset this process's peak resident set size (VmHWM) to its current size."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
