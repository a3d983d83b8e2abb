"""Decoding recordings with PyAV into 16 kHz float windows, streamed so memory does not grow with length."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np

SAMPLE_RATE = 16000
# What the hotline's recording systems produce: WAV (PCM, G.711), FLAC, MP3, Opus and Vorbis in OGG.
SUPPORTED_CODECS = frozenset({"flac", "mp3", "mp3float", "opus", "libopus", "vorbis", "libvorbis", "pcm_alaw", "pcm_mulaw"})


class AudioError(ValueError):
    """The recording cannot be turned into audio."""


class NotAudio(AudioError):
    pass


class UnsupportedCodec(AudioError):
    pass


class EmptyRecording(AudioError):
    pass


@dataclass(frozen=True)
class AudioInfo:
    container: str
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class AudioWindow:
    """A stretch of the recording: `samples` is (channels, n) float32 at 16 kHz starting at `offset_s`."""

    offset_s: float
    samples: np.ndarray

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / SAMPLE_RATE


def _supported(codec: str) -> bool:
    return codec in SUPPORTED_CODECS or codec.startswith("pcm_")


class AudioReader:
    """Opens a (decrypted) stream and yields windows of at most `window_s`, cut at the quietest moment near
    the end of each window so that no word is split between two windows."""

    def __init__(self, stream: BinaryIO, window_s: float = 300.0, cut_search_s: float = 20.0):
        try:
            self._container = av.open(stream, mode="r")
        except av.error.InvalidDataError:
            raise NotAudio("not an audio file: no known container format recognised") from None
        except av.error.FFmpegError as exc:
            raise NotAudio(f"not an audio file: {exc}") from None
        audio_streams = self._container.streams.audio
        if not audio_streams:
            self._container.close()
            raise NotAudio("the file has no audio stream")
        self._stream = audio_streams[0]
        codec = self._stream.codec_context.name
        if not _supported(codec):
            self._container.close()
            raise UnsupportedCodec(f"unsupported audio codec {codec!r}; expected WAV/PCM, G.711, FLAC, MP3, Opus or Vorbis")
        channels = self._stream.codec_context.channels or 1
        self.info = AudioInfo(
            container=self._container.format.name,
            codec=codec,
            sample_rate=self._stream.codec_context.sample_rate,
            channels=min(channels, 2),
        )
        self._window = int(window_s * SAMPLE_RATE)
        self._cut_search = int(cut_search_s * SAMPLE_RATE)
        # More than two channels is no telephone layout we know: fold it to mono rather than guess roles.
        layout = "stereo" if channels == 2 else "mono"
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> "AudioReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _blocks(self) -> Iterator[np.ndarray]:
        try:
            for frame in self._container.decode(self._stream):
                for out in self._resampler.resample(frame):
                    yield out.to_ndarray()
            for out in self._resampler.resample(None):
                yield out.to_ndarray()
        except av.error.FFmpegError as exc:
            raise AudioError(f"audio stream is corrupt: {exc}") from None

    def windows(self) -> Iterator[AudioWindow]:
        pending: list[np.ndarray] = []
        pending_len = 0
        offset = 0
        produced = False
        for block in self._blocks():
            pending.append(block)
            pending_len += block.shape[1]
            while pending_len >= self._window + self._cut_search:
                buffer = np.concatenate(pending, axis=1)
                cut = self._quiet_cut(buffer)
                yield AudioWindow(offset / SAMPLE_RATE, buffer[:, :cut])
                produced = True
                offset += cut
                pending = [buffer[:, cut:]]
                pending_len = pending[0].shape[1]
        if pending_len:
            yield AudioWindow(offset / SAMPLE_RATE, np.concatenate(pending, axis=1))
            produced = True
        if not produced:
            raise EmptyRecording("the recording holds no audio samples")

    def _quiet_cut(self, buffer: np.ndarray) -> int:
        """The quietest 100 ms (all channels together) within the last `cut_search` samples of the window."""
        start = self._window - self._cut_search
        region = buffer[:, start:self._window + self._cut_search // 2]
        hop = SAMPLE_RATE // 10
        frames = region[:, : region.shape[1] // hop * hop].reshape(region.shape[0], -1, hop)
        energy = (frames**2).sum(axis=(0, 2))
        return start + int(np.argmin(energy)) * hop + hop // 2


class KeptAudio:
    """The whole call's audio, decoded before any stage starts, so that diarization can listen to it while the ASR
    transcribes it window by window. Held as 16-bit samples: a quarter of what the float windows would take in
    stereo."""

    def __init__(self, windows: Iterator[AudioWindow]) -> None:
        self._blocks = [(w.offset_s, np.round(np.clip(w.samples, -1.0, 1.0) * 32767).astype(np.int16))
                        for w in windows]

    def windows(self) -> Iterator[AudioWindow]:
        """The windows as they were decoded, as floats again; each is released once the next is asked for."""
        while self._blocks:
            offset_s, block = self._blocks.pop(0)
            yield AudioWindow(offset_s, np.multiply(block, 1 / 32767, dtype=np.float32))

    def joined(self) -> np.ndarray:
        """(channels, n) 16-bit PCM of the whole call (diarization reads it a stretch at a time as floats:
        diarization.audio)."""
        if not self._blocks:
            return np.zeros((1, 0), dtype=np.int16)
        return np.concatenate([block for _, block in self._blocks], axis=1)
