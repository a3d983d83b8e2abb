"""Handing memory a call's stage has freed back to the system before the next stage starts.

Whisper's windows, its VAD batches and pyannote's chunks free hundreds of MB in pieces glibc keeps in its heaps
for reuse, so each stage's peak stacked on the last one's leftovers: after a 5-minute call's ASR the process held
562 MB, 392 MB once trimmed. Only where the C library is glibc; elsewhere this does nothing.
"""
from __future__ import annotations

import ctypes

from kernel.heap import M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, set_malloc_option


def return_freed_memory() -> None:
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


# where glibc's own sliding threshold stops (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit), trimming at twice that as it does
_SLIDING_THRESHOLD_CEILING = 32 << 20


def keep_buffers_on_the_heap() -> None:
    """Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536 (distributed.nanny.pre-spawn-environ), which
    also pins glibc's mmap threshold at 128 kB: every buffer of Whisper's beam search above it is mapped, faulted in
    and unmapped anew. ASR in a worker took 1.67x the CPU of the same calls with that setting dropped (36.8 s against
    22.1 s on 4 demo calls). These are the values glibc settles at by itself; the freed memory still goes back to
    the system between stages (return_freed_memory). A worker of a cluster started elsewhere gets the same."""
    set_malloc_option(M_MMAP_THRESHOLD, _SLIDING_THRESHOLD_CEILING)
    set_malloc_option(M_TRIM_THRESHOLD, 2 * _SLIDING_THRESHOLD_CEILING)
