"""Turning audio windows into a Transcript: one pass per channel, words with times, Russian unless told otherwise."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps

from asr.records import Segment, Transcript, Word
from ingest.audio import SAMPLE_RATE, AudioWindow

DEFAULT_LANGUAGE = "ru"
SUPPORTED_LANGUAGES = ("ru", "en")
# A call in another language still opens in Russian: the operator answers before the caller asks for English.
# Decoded as English, «Добрый день, горячая линия Госуслуг, Тимур у телефона» came out «Good afternoon, dear friends
# of Lenin» and every opening duty failed. The opening is the first stretches of speech, each at least this far
# apart, up to the first Whisper does not hear as Russian, within this much of the start.
OPENING_PAUSE_MS = 500
OPENING_WITHIN_S = 20.0


@dataclass(frozen=True)
class DecodingSettings:
    beam_size: int = 5
    vad_filter: bool = True
    # Whisper's own rule (skip a segment when no-speech is likely and the text is improbable) at 0.6 let a
    # click on a silent line through as «Эхтый.»; 0.5 drops it and keeps every real sentence we measured.
    no_speech_threshold: float = 0.5
    # A segment none of whose words Whisper itself finds likely is taken as noise. On a silent line an AVX2 machine
    # wrote «Oh» at word probability 0.004; across the shared eval recordings under AVX-512, AVX2 and GENERIC the
    # least likely real Russian segment still had a word at 0.499 (`python -m benchmarks.asr_isa`).
    min_best_word_probability: float = 0.3
    # What Whisper's temperature fallback writes where it found the window probably not speech is kept only on a
    # channel whose voice activity passed it this much speech. On a line with little speech the fallback draws
    # text at random: the eval's silent clip, whose one click VAD passes as 0.9 s of speech, came out «Ахххххххх..»
    # 1 run in 30 (no-speech 0.56, log-prob -0.94, t 0.8), and forced to sample it writes «СТУК В ДВЕРЬ» or «Ах!»
    # with word probabilities as high as real speech has. Dropped everywhere, it cost an English caller's whole
    # first 74 s (independent d17, stereo: 33 s of speech, t 0.2, no-speech 0.61, words up to 0.99).
    fallback_kept_from_speech_s: float = 5.0
    # English is used without a hint only when detection is this sure; telephone Russian is often misheard.
    english_detection_min_probability: float = 0.7
    # By call language, words Whisper is told to expect (faster-whisper's `hotwords`: a prompt before every
    # 30-second window): the service's name, which base Whisper otherwise hears as words it knows («Госуд, слухи»).
    # The call script names them (pipelines read them from it); none: decoding as before.
    hotwords: dict[str, str] = field(default_factory=dict, hash=False)
    # A stereo call's channel that says them (the operator's), where known: told to expect the name, Whisper now and
    # then ends a 30-second stretch after its first sentence, and the caller's channel has only that to lose.
    hotwords_channel: int | None = None

    def likely_silence(self, temperature: float, no_speech_prob: float, speech_s: float) -> bool:
        """Whether a decoded segment is text the fallback drew on a line with little speech."""
        return (temperature > 0 and no_speech_prob > self.no_speech_threshold
                and speech_s < self.fallback_kept_from_speech_s)

    def heard(self, segment: Segment) -> bool:
        """Whether a decoded segment is speech by its words' own probabilities."""
        return not segment.words or max(w.probability for w in segment.words) >= self.min_best_word_probability

    def whisper_kwargs(self, language: str, channel: int | None = None) -> dict:
        """`channel`: a stereo call's channel being decoded; None for a mono call."""
        told = channel is None or self.hotwords_channel in (None, channel)
        return dict(
            language=language,
            beam_size=self.beam_size,
            vad_filter=self.vad_filter,
            no_speech_threshold=self.no_speech_threshold,
            word_timestamps=True,
            hotwords=self.hotwords.get(language) if told else None,
        )


def _same_signal(samples: np.ndarray) -> bool:
    """A mono call stored as two identical channels must not be transcribed twice."""
    return samples.shape[0] == 2 and np.allclose(samples[0], samples[1], atol=1e-4)


def choose_language(model: WhisperModel, samples: np.ndarray, hint: str | None, settings: DecodingSettings) -> tuple[str, float]:
    if hint:
        return hint, 1.0
    language, probability, _ = model.detect_language(samples, vad_filter=settings.vad_filter)
    if language == "en" and probability >= settings.english_detection_min_probability:
        return "en", probability
    return DEFAULT_LANGUAGE, probability if language == DEFAULT_LANGUAGE else 1.0 - probability


def russian_opening(model: WhisperModel, samples: np.ndarray) -> int:
    """How many samples at the start of a channel decoded in another language are Russian speech, with the pause
    after it; 0 where its first stretch of speech is not Russian."""
    head = samples[:int(OPENING_WITHIN_S * SAMPLE_RATE)]
    stretches = get_speech_timestamps(head, VadOptions(min_silence_duration_ms=OPENING_PAUSE_MS))
    end = 0
    for stretch, following in zip(stretches, [*stretches[1:], None]):
        language, _, _ = model.detect_language(head[stretch["start"]:stretch["end"]])
        if language != DEFAULT_LANGUAGE:
            break
        end = following["start"] if following else stretch["end"]
    return end


def _channel_segments(model, samples, channel, offset, language, settings) -> list[Segment]:
    segments, info = model.transcribe(samples, **settings.whisper_kwargs(language, channel))
    result = []
    for seg in segments:
        # Whisper's own rule keeps likely silence whose text scored well, and a fallback's random draw can score well
        if settings.likely_silence(seg.temperature, seg.no_speech_prob, info.duration_after_vad):
            continue
        words = tuple(
            Word(start=round(offset + w.start, 3), end=round(offset + w.end, 3), text=w.word.strip(),
                 probability=round(float(w.probability), 4), channel=channel)
            for w in (seg.words or ())
            if w.word.strip()
        )
        text = seg.text.strip()
        segment = Segment(start=round(offset + seg.start, 3), end=round(offset + seg.end, 3), text=text,
                          channel=channel, words=words)
        if text and settings.heard(segment):
            result.append(segment)
    return result


def transcribe_windows(
    model: WhisperModel,
    windows: Iterable[AudioWindow],
    language_hint: str | None = None,
    settings: DecodingSettings = DecodingSettings(),
) -> Transcript:
    language: str | None = None
    probability = 1.0
    segments: list[Segment] = []
    duration = 0.0
    stereo: bool | None = None
    for window in windows:
        samples = window.samples
        if stereo is None:
            stereo = samples.shape[0] == 2 and not _same_signal(samples)
        if not stereo:
            samples = samples[:1]
        if language is None:
            language, probability = choose_language(model, samples.mean(axis=0), language_hint, settings)
        for channel, channel_samples in enumerate(samples):
            channel_samples = np.ascontiguousarray(channel_samples)
            heard_as = channel if stereo else None
            opening = 0
            if window.offset_s == 0 and language != DEFAULT_LANGUAGE:
                opening = russian_opening(model, channel_samples)
            if opening:
                segments.extend(_channel_segments(model, channel_samples[:opening], heard_as, window.offset_s,
                                                  DEFAULT_LANGUAGE, settings))
            segments.extend(_channel_segments(model, channel_samples[opening:], heard_as,
                                              window.offset_s + opening / SAMPLE_RATE, language, settings))
        duration = window.offset_s + window.samples.shape[1] / SAMPLE_RATE
    segments.sort(key=lambda s: (s.start, s.channel or 0))
    return Transcript(language=language or language_hint or DEFAULT_LANGUAGE, language_probability=round(probability, 4),
                      duration_s=round(duration, 3), segments=tuple(segments))
