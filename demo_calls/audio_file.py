"""Writing a recording with PyAV: compact Opus-in-Ogg for the committed set, WAV or FLAC for benchmarks.

Stereo Opus is written as two independent mono streams (channel mapping family 255). libopus codes a coupled
stereo pair below about 24 kbit/s as one mid channel, which would put the operator on the caller's channel; two
mono streams keep the channels apart at 8 kbit/s each.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

AUDIO_FORMATS = ("ogg", "wav", "flac")
OPUS_BITRATE_PER_CHANNEL = 10000
_CODECS = {  # format: (container, codec, sample format)
    "ogg": ("ogg", "libopus", "flt"),
    "wav": ("wav", "pcm_s16le", "s16"),
    "flac": ("flac", "flac", "s16"),
}
_BLOCK = 1600


def write_audio(path: Path, samples: np.ndarray, rate: int, audio_format: str) -> None:
    """`samples` is (channels, n) float32 in [-1, 1]."""
    if audio_format not in _CODECS:
        raise ValueError(f"audio format must be one of {', '.join(AUDIO_FORMATS)}, got {audio_format!r}")
    container_name, codec, sample_format = _CODECS[audio_format]
    channels = samples.shape[0]
    layout = "stereo" if channels == 2 else "mono"
    pcm = np.clip(samples, -1.0, 1.0)
    if sample_format == "s16":
        pcm = np.round(pcm * 32767).astype(np.int16)
    else:
        pcm = pcm.astype(np.float32)
    # bitexact: no random Ogg serial number or encoder tag, so a seed gives byte-identical files
    with av.open(str(path), mode="w", format=container_name, options={"fflags": "bitexact"}) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        if codec == "libopus":
            stream.bit_rate = OPUS_BITRATE_PER_CHANNEL * channels
            stream.codec_context.options = {"application": "voip", "mapping_family": "255" if channels == 2 else "0"}
        for first in range(0, pcm.shape[1], _BLOCK):
            block = np.ascontiguousarray(pcm[:, first:first + _BLOCK].T).reshape(1, -1)  # interleaved
            frame = av.AudioFrame.from_ndarray(block, format=sample_format, layout=layout)
            frame.sample_rate = rate
            frame.pts = first
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
