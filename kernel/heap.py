"""Setting glibc's malloc thresholds for this process, where the C library is glibc; elsewhere nothing is done."""
from __future__ import annotations

import ctypes

M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers in glibc's malloc.h
M_MMAP_THRESHOLD = -3


def set_malloc_option(option: int, value: int) -> None:
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(option, value)
