"""Making clean TTS sound like a call recording: one party per channel or a mono mix, telephone band, line noise,
levels that differ between parties and drift from line to line."""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RATE = 8000
BAND_HZ = (300.0, 3400.0)
_EDGE_HZ = 80.0  # width of the band's soft edges
RHVOICE_PEAK = 0.5  # RHVoice speaks at about -6 dBFS; levels below are relative to full scale
OPERATOR_PEAK_DB = (-8.0, -3.0)  # a headset close to the mouth
CALLER_PEAK_DB = (-15.0, -5.0)  # mobiles and landlines, near and far
LINE_JITTER_DB = 1.5
OPERATOR_NOISE_DB = (-66.0, -58.0)  # RMS of the line noise
CALLER_NOISE_DB = (-58.0, -50.0)


@dataclass(frozen=True)
class Placed:
    samples: np.ndarray
    start: float
    channel: int  # 0 for a mono mix
    is_operator: bool


def record(parts: Sequence[Placed], duration: float, channels: int, rng: random.Random,
           operator_channel: int | None) -> np.ndarray:
    """(channels, n) float32 in [-1, 1]."""
    n = int(round(duration * RATE))
    seed = np.random.default_rng(rng.getrandbits(64))
    out = np.zeros((channels, n), dtype=np.float64)
    operator_db, caller_db = rng.uniform(*OPERATOR_PEAK_DB), rng.uniform(*CALLER_PEAK_DB)
    for part in parts:
        level = (operator_db if part.is_operator else caller_db) + rng.uniform(-LINE_JITTER_DB, LINE_JITTER_DB)
        first = int(round(part.start * RATE))
        out[part.channel, first:first + len(part.samples)] += part.samples * (10 ** (level / 20) / RHVOICE_PEAK)
    for ch in range(channels):
        # a mono mix carries the caller's line noise
        noise_db = rng.uniform(*(OPERATOR_NOISE_DB if channels == 2 and ch == operator_channel else CALLER_NOISE_DB))
        noise = telephone_band(seed.standard_normal(n))
        noise *= 10 ** (noise_db / 20) / max(float(np.sqrt(np.mean(noise ** 2))), 1e-12)
        out[ch] = telephone_band(out[ch]) + noise
    peak = float(np.abs(out).max(initial=0.0))
    if peak > 0.98:  # a mono mix of overlapping loud speech: turn it down rather than clip
        out *= 0.98 / peak
    return out.astype(np.float32)


def telephone_band(x: np.ndarray) -> np.ndarray:
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    low, high = BAND_HZ
    rise = np.clip((freqs - (low - _EDGE_HZ)) / (2 * _EDGE_HZ), 0, 1)
    fall = np.clip(((high + _EDGE_HZ) - freqs) / (2 * _EDGE_HZ), 0, 1)
    gain = np.sin(rise * np.pi / 2) ** 2 * np.sin(fall * np.pi / 2) ** 2
    return np.fft.irfft(spectrum * gain, n=len(x))
