"""Muting the masked stretches of a recording for playback and export, from the intervals redaction returned."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from privacy.records import PiiInterval

# word timestamps are approximate by a few tens of milliseconds; a margin keeps the edges of a name inaudible
MARGIN_S = 0.15


def mute(audio: np.ndarray, sample_rate: int, intervals: Iterable[PiiInterval],
         margin_s: float = MARGIN_S) -> np.ndarray:
    """A copy of `audio` (samples, or channels x samples) with each interval silenced on its channel, or on
    every channel when the interval names none or the audio is mono."""
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    if audio.ndim not in (1, 2):
        raise ValueError(f"audio must be samples or channels x samples, got shape {audio.shape}")
    out = audio.copy()
    frames = out.shape[-1]
    for interval in intervals:
        start = max(0, int((interval.start_s - margin_s) * sample_rate))
        end = min(frames, int(np.ceil((interval.end_s + margin_s) * sample_rate)))
        if start >= end:
            continue
        if out.ndim == 1 or interval.channel is None:
            out[..., start:end] = 0
        elif 0 <= interval.channel < out.shape[0]:
            out[interval.channel, start:end] = 0
        else:
            raise ValueError(f"interval on channel {interval.channel}, but the audio has {out.shape[0]} channels")
    return out
