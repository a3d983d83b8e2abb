"""Handing memory a call's stage has freed back to the system before the next stage starts.

Whisper's windows, its VAD batches and pyannote's chunks free hundreds of MB in pieces glibc keeps in its heaps
for reuse, so each stage's peak stacked on the last one's leftovers: after a 5-minute call's ASR the process held
562 MB, 392 MB once trimmed. Only where the C library is glibc; elsewhere this does nothing.
"""
from __future__ import annotations

import ctypes


def return_freed_memory() -> None:
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)
