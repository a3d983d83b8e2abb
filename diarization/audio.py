"""A call's audio as diarization reads it: float32 in [-1, 1], or the 16-bit PCM the pipeline keeps a call in
(half the memory: an hour of mono audio at 16 kHz is 115 MB instead of 230). Either way it is read a stretch at a
time, so that nothing the size of the whole call is made from it."""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

SAMPLE_RATE = 16000
# The longest stretch handed to pyannote or the voice-activity detector at once. Their working memory grows with
# the audio they are given (pyannote's peaked 230 MB above the models on a 10-minute call, 300 MB on a 30-minute
# one), and every call of the generated sets is shorter, so their results do not depend on it.
PIECE_S = 600.0


def floats(samples: np.ndarray) -> np.ndarray:
    """`samples` as float32 in [-1, 1]: 16-bit PCM scaled as ingest.audio.KeptAudio stored it."""
    if samples.dtype == np.int16:
        return np.multiply(samples, 1 / 32767, dtype=np.float32)
    return np.ascontiguousarray(samples, dtype=np.float32)


def pieces(samples: np.ndarray, piece_s: float = PIECE_S) -> Iterator[tuple[float, np.ndarray]]:
    """(start in seconds, float32 samples) of equal pieces of at most `piece_s` of one channel's `samples`."""
    count = max(1, math.ceil(len(samples) / (piece_s * SAMPLE_RATE)))
    bounds = np.linspace(0, len(samples), count + 1).astype(int)
    for start, end in zip(bounds, bounds[1:]):
        yield start / SAMPLE_RATE, floats(samples[start:end])
