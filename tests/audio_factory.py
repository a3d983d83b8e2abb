"""Real audio files in the formats recording systems send, made with PyAV from real recordings."""
from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FORMATS = {  # name: (container, codec, sample format)
    "wav": ("wav", "pcm_s16le", "s16"),
    "wav-ulaw": ("wav", "pcm_mulaw", "s16"),
    "flac": ("flac", "flac", "s16"),
    "mp3": ("mp3", "libmp3lame", "fltp"),
    "ogg-opus": ("ogg", "libopus", "flt"),
    "m4a-aac": ("ipod", "aac", "fltp"),
}


def read_audio(path: Path, rate: int, layout: str = "mono") -> np.ndarray:
    """(channels, n) float32 samples at `rate`."""
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        blocks = [out.to_ndarray() for frame in container.decode(audio=0) for out in resampler.resample(frame)]
        blocks += [out.to_ndarray() for out in resampler.resample(None)]
    return np.concatenate(blocks, axis=1)


def encode(samples: np.ndarray, rate: int, fmt: str) -> bytes:
    """Encode (channels, n) float32 samples in [-1, 1]."""
    container_name, codec, sample_format = FORMATS[fmt]
    if codec == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
        raise ValueError("opus needs one of its native rates")
    channels = samples.shape[0]
    layout = "stereo" if channels == 2 else "mono"
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_name) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        resampler = av.AudioResampler(format=sample_format, layout=layout, rate=rate)
        pcm = np.clip(samples, -1, 1).astype(np.float32)
        frame_size = 960 if codec == "libopus" else 1024
        for start in range(0, pcm.shape[1], frame_size):
            chunk = np.ascontiguousarray(pcm[:, start:start + frame_size])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    out.mux(packet)
        for converted in resampler.resample(None):
            for packet in stream.encode(converted):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()
