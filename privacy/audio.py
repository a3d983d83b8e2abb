"""Muting the masked stretches of a recording for playback and export, from the intervals redaction returned."""
from __future__ import annotations

import io
import wave
from collections.abc import Iterable

import av
import numpy as np

from ingest.audio import SAMPLE_RATE, AudioError
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


def muted_wav(recording: bytes, intervals: Iterable[PiiInterval]) -> bytes:
    """A decrypted recording as 16-bit PCM WAV with the intervals muted, built in memory so that no plaintext
    audio reaches the disk."""
    samples, sample_rate = _decode_pcm16(recording)
    return _wav(mute(samples, sample_rate, intervals), sample_rate)


def _decode_pcm16(recording: bytes) -> tuple[np.ndarray, int]:
    """Samples as int16, channels x samples for stereo and flat for mono (so that every interval mutes it)."""
    try:
        with av.open(io.BytesIO(recording), mode="r") as container:
            if not container.streams.audio:
                raise AudioError("the recording has no audio stream")
            stream = container.streams.audio[0]
            # WAV is uncompressed: above the 16 kHz the ASR heard, a long call would only grow, not sound clearer
            sample_rate = min(stream.codec_context.sample_rate, SAMPLE_RATE)
            # fold channels the way ingest did, so the channel numbers of the intervals name the same channels
            layout = "stereo" if stream.codec_context.channels == 2 else "mono"
            resampler = av.AudioResampler(format="s16p", layout=layout, rate=sample_rate)
            blocks = [out.to_ndarray() for frame in container.decode(stream) for out in resampler.resample(frame)]
            blocks += [out.to_ndarray() for out in resampler.resample(None)]
    except av.error.FFmpegError as exc:
        raise AudioError(f"the recording cannot be decoded: {exc}") from None
    if not blocks:
        raise AudioError("the recording holds no audio samples")
    samples = np.concatenate(blocks, axis=1)
    return (samples[0] if samples.shape[0] == 1 else samples), sample_rate


def _wav(samples: np.ndarray, sample_rate: int) -> bytes:
    channels = np.atleast_2d(samples)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels.shape[0])
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(channels.T.astype("<i2").tobytes())  # WAV interleaves the channels' samples
    return buffer.getvalue()
