"""The pipeline's entry point: who spoke each word of a call, and who is the operator."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from asr.records import Transcript
from diarization.audio import SAMPLE_RATE, floats
from diarization.records import AttributedTranscript, Diarization
from diarization.roles import (apply_roles, operator_and_caller_in_one_voice, parties, roles_from_channel,
                               roles_from_channel_content, roles_from_content)
from diarization.settings import DiarizationSettings
from diarization.stereo import channel_stretches, stereo_turns, turn_edges
from diarization.turns import as_turns
from diarization.words import assign_speakers

if TYPE_CHECKING:
    from diarization.mono import Listened
    from diarization.voices import Embedded


class MissingAudio(ValueError):
    """A mono call's speakers can only be told apart from its audio."""


def is_mono(samples_16k: np.ndarray, stretch_s: float = 60.0) -> bool:
    """Whether a call's (channels, n) audio is one signal: mono, or a mono call stored as two equal channels
    (compared a stretch at a time, so that no float copy of the whole call is made)."""
    if samples_16k.shape[0] == 1:
        return True
    step = int(stretch_s * SAMPLE_RATE)
    return all(np.allclose(floats(samples_16k[0, at:at + step]), floats(samples_16k[1, at:at + step]), atol=1e-4)
               for at in range(0, samples_16k.shape[1], step))


def listen_to_call(samples_16k: np.ndarray, settings: DiarizationSettings | None = None, device: str = "cpu",
                   between_pieces: Callable[[], None] | None = None) -> Listened:
    """A mono call's speakers as its audio alone tells them (diarization.mono.listen); `samples_16k` as in
    `attribute_speakers`; `between_pieces` as in diarization.mono.listen."""
    from diarization.mono import listen

    settings = settings or DiarizationSettings.from_env()
    # a mono call's channels are one signal (is_mono): the first is read where it is, as the 16-bit PCM it was handed
    # in; a float mix of the channels made two float copies of the whole call (460 MB for an hour)
    samples = samples_16k if samples_16k.ndim == 1 else samples_16k[0]
    return listen(samples, min_speakers=settings.min_speakers, max_speakers=settings.max_speakers,
                  folder=settings.pipeline, threads=settings.threads, device=device, between_pieces=between_pieces)


@dataclass(frozen=True)
class ListenedStereo:
    """What a stereo call's audio alone says, before its words are known: where each channel's voice-activity
    detector hears speech (diarization.stereo.channel_stretches), and the CAM++ embeddings of those stretches (of a
    crop of each) on the channels looked at for a second voice (diarization.voices.embed_stretches). Once the words
    are known, the choice of the stretches that hold words and the voice decision are left, and where a channel
    seems to hold a second voice in few turns, the embeddings of those turns whole."""

    stretches: dict[int, list[tuple[float, float]]]
    embedded: dict[int, Embedded]


def _operator_channel(operator_channel: int | None, settings: DiarizationSettings) -> tuple[int | None, str]:
    """The operator's channel of a stereo call and where it came from: the call's metadata, else the site's
    default."""
    if operator_channel is not None:
        return operator_channel, "metadata"
    return settings.operator_channel, "configured"


def listen_to_stereo(samples_16k: np.ndarray, operator_channel: int | None = None,
                     settings: DiarizationSettings | None = None) -> ListenedStereo:
    """A stereo call's (2, n) audio, heard as far as it can be without its words (ListenedStereo), so that this
    runs while they are transcribed; `operator_channel` as in `attribute_speakers`."""
    from diarization.campplus import torch_threads
    from diarization.mono import campplus
    from diarization.voices import embed_stretches, may_hold_two_voices

    settings = settings or DiarizationSettings.from_env()
    channel, _ = _operator_channel(operator_channel, settings)
    stretches = {c: channel_stretches(samples_16k[c]) for c in range(samples_16k.shape[0])}
    with torch_threads(settings.threads):
        embedded = {c: embed_stretches(samples_16k[c], [turn_edges(a, b) for a, b in found], campplus())
                    for c, found in stretches.items() if may_hold_two_voices(c, channel)}
    return ListenedStereo(stretches, embedded)


def joined_voices(apart: Diarization, merged: Diarization) -> list[tuple[str, ...]]:
    """The speakers of `apart` that `merged` made one, speaker by speaker of `merged`: each of `apart`'s speakers
    goes where most of their speech went."""
    went: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    ours, theirs = (sorted(d.exclusive_turns, key=lambda t: t.start) for d in (apart, merged))
    i = j = 0
    while i < len(ours) and j < len(theirs):  # both in time order, neither overlapping itself
        overlap = min(ours[i].end, theirs[j].end) - max(ours[i].start, theirs[j].start)
        if overlap > 0:
            went[ours[i].speaker][theirs[j].speaker] += overlap
        if ours[i].end < theirs[j].end:
            i += 1
        else:
            j += 1
    groups: dict[str, list[str]] = defaultdict(list)
    for speaker, into in went.items():
        groups[max(into, key=into.get)].append(speaker)
    return [tuple(sorted(group)) for group in groups.values() if len(group) > 1]


def words_checks(transcript: Transcript) -> dict[str, Callable]:
    """What `diarization.mono.diarize` asks of a mono call's words: whether voices it would merge are two
    parties, and who the operators and callers are."""

    def two_parties(apart: Diarization, merged: Diarization) -> bool:
        groups = joined_voices(apart, merged)
        return bool(groups) and operator_and_caller_in_one_voice(assign_speakers(transcript, apart), apart.speakers,
                                                                 groups)

    return {"two_parties": two_parties, "parties": lambda d: parties(assign_speakers(transcript, d), d.speakers)}


def attribute_speakers(
    transcript: Transcript,
    samples_16k: np.ndarray | None = None,
    operator_channel: int | None = None,
    settings: DiarizationSettings | None = None,
    listened: Listened | ListenedStereo | None = None,
) -> AttributedTranscript:
    """`transcript` as the ASR made it; `samples_16k` the call's audio at 16 kHz, (channels, n) or (n,), float32
    or 16-bit PCM (diarization.audio). `listened` is what `listen_to_call` already heard in a mono call's audio, or
    `listen_to_stereo` in a stereo call's (with the same `operator_channel` and settings).

    A stereo call (its segments carry their channel) works without audio: turns then follow the words' times.
    With its (2, n) audio, turn edges follow each channel's voice activity and a second voice on a channel (a
    specialist after a transfer) becomes a speaker of its own; that costs torch and CAM++ for a few seconds.
    A mono call needs its audio. `operator_channel` comes from the call's metadata; when it is None the
    settings' default applies, and failing that the words decide. The transcript comes back cut into turns
    (diarization.turns)."""
    settings = settings or DiarizationSettings.from_env()
    if any(s.channel is not None for s in transcript.segments):
        stereo_audio = samples_16k if samples_16k is not None and samples_16k.ndim == 2 else None
        heard = listened if isinstance(listened, ListenedStereo) and stereo_audio is not None else None
        diarization = stereo_turns(transcript, stereo_audio, stretches=heard.stretches if heard else None)
        channel, source = _operator_channel(operator_channel, settings)
        if diarization.turns and stereo_audio is not None:
            # torch and CAM++: only stereo calls handed their audio pay for them
            from diarization.campplus import torch_threads
            from diarization.mono import SAME_VOICE_SIMILARITY, campplus
            from diarization.voices import separate_channel_voices

            with torch_threads(settings.threads):
                diarization = separate_channel_voices(diarization, stereo_audio, campplus(), SAME_VOICE_SIMILARITY,
                                                      channel, heard.embedded if heard else None)
        attributed = assign_speakers(transcript, diarization)
        roles = (roles_from_channel(diarization, channel, source) if channel is not None
                 else roles_from_channel_content(attributed, diarization))
    elif samples_16k is None and listened is None:
        if transcript.segments:
            raise MissingAudio("a mono call needs its audio to tell the speakers apart")
        return AttributedTranscript(as_turns(transcript), Diarization(turns=(), speakers=()), roles=())
    else:
        from diarization.mono import settle  # loads torch and pyannote: only calls that need them pay for it

        diarization = settle(listened or listen_to_call(samples_16k, settings), min_speakers=settings.min_speakers,
                             max_speakers=settings.max_speakers, threads=settings.threads, **words_checks(transcript))
        attributed = assign_speakers(transcript, diarization)
        roles = roles_from_content(attributed, diarization.speakers)
    return AttributedTranscript(as_turns(apply_roles(attributed, roles)), diarization, roles)
