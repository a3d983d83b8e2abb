"""A second look at who is who, by voice prints of whole turns; and a second voice on a stereo channel.

pyannote clusters 10 s chunks. Where its segmentation puts two alike voices (two women on a narrow-band line)
into one local speaker, a whole chunk's worth of speech goes to the wrong speaker, or both voices end up as
one. Here each speaker gets a voice print from the speech where they alone talk; speakers whose prints are
closer than a threshold are one voice (a call with one party: the caller hung up, a voicemail); and every turn
long enough to carry a voice goes to the speaker whose print it matches best.

On a stereo call the operator's channel carries a second voice after a transfer to a specialist. Each channel's
turns are split in two by their voices, each heard from a crop of its middle; the split stands when both halves
hold real speech and their prints are not one voice, a half heard in few turns being heard whole for that check.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import torch
from scipy.cluster.hierarchy import fcluster, linkage

from diarization.audio import floats
from diarization.campplus import SAMPLE_RATE, CAMPPlusEmbedding
from diarization.records import Diarization, SpeakerTurn
from diarization.roles import Parties, talk_to_each_other

# Enough speech for a stable voice print; more only costs time (the longest turns are used first).
_MAX_PRINT_SPEECH_S = 60.0
# Turns shorter than this keep pyannote's speaker: CAM++ needs about 0.2 s. Moving turns from 0.3 s on gives a
# lower DER on every input measured than keeping them (the sample 2.3 against 3.2 %, aepyx 6.9 against 8.0 %, the
# worst two-party call 3.8 against 10.6 %).
_MIN_TURN_TO_MOVE_S = 0.3
# CAM++ holds activations for the whole of what it is given, about 6 MB a second (a 60 s voice print took 370 MB,
# a several-minute turn would take GBs), so longer speech goes through it in windows no longer than pyannote's
# 10 s chunks, the length its clustering compares.
MAX_EMBEDDED_S = 10.0
# Turns from this long on rebuild the voice prints: a shorter one's embedding wanders too far from its voice.
MIN_TURN_TO_SETTLE_S = 1.0
MIN_TURN_TO_SEED_S = 3.0
# Rounds of rebuilding the prints; two voices settle in two to four.
_MAX_SETTLE_ROUNDS = 10


def _embed(model: CAMPPlusEmbedding, speech: np.ndarray) -> np.ndarray | None:
    """Unit-length embedding, or None for speech too short to carry a voice (about 0.2 s). Longer speech is cut
    into equal windows of at most MAX_EMBEDDED_S, and their embeddings are averaged, weighted by length."""
    windows = np.array_split(speech, max(1, math.ceil(len(speech) / (MAX_EMBEDDED_S * SAMPLE_RATE))))
    total = np.zeros(model.dimension, dtype=np.float32)
    with torch.inference_mode():
        for window in windows:
            try:
                embedding = model(torch.from_numpy(np.ascontiguousarray(window, dtype=np.float32))[None, None])[0].numpy()
            except ValueError:
                return None
            total += embedding / np.linalg.norm(embedding) * len(window)
    return total / np.linalg.norm(total)


def _audio(samples: np.ndarray, turn: SpeakerTurn) -> np.ndarray:
    return _stretch(samples, turn.start, turn.end)


def _stretch(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return floats(samples[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)])


# CAM++ embeddings of one stereo channel's stretches by their (start, end) (_stretch_embedding), None where too
# short to carry a voice
Embedded = dict[tuple[float, float], np.ndarray | None]

# A stereo channel's stretch is heard from its middle this long: a voice-activity stretch is one party's speech
# between pauses, a few seconds of it tell the voice, and CAM++'s cost is linear in what it is given. On the tune
# half's 30 stereo calls (operator channels' stretches: median 7.2 s, 90th percentile 13 s) CAM++ went from 0.0098
# to 0.0051 CPU s per audio second (0.0039 of it while the words are transcribed), with the same second voices and
# one more specialist found (d26, whose whole turns measured 0.925 against the operator's). 2 s crops cost more
# (0.0080): one voice's crops parted more often and were then heard whole (_two_voices).
STRETCH_HEARD_S = 3.0


def _stretch_embedding(model: CAMPPlusEmbedding, samples: np.ndarray, start: float, end: float) -> np.ndarray | None:
    """The embedding of the middle STRETCH_HEARD_S of a stereo channel's stretch (all of a shorter one)."""
    cut = max(0.0, (end - start - STRETCH_HEARD_S) / 2)
    return _embed(model, _stretch(samples, start + cut, end - cut))


def _embedding(model: CAMPPlusEmbedding, samples: np.ndarray, turn: SpeakerTurn, known: Embedded | None
               ) -> np.ndarray | None:
    """`turn`'s embedding: all of its audio where `known` is None (a mono call's turn), else a stereo channel's
    (_stretch_embedding), taken from `known` where it is there; what is embedded here is added to `known`."""
    if known is None:
        return _embed(model, _audio(samples, turn))
    if (turn.start, turn.end) not in known:
        known[turn.start, turn.end] = _stretch_embedding(model, samples, turn.start, turn.end)
    return known[turn.start, turn.end]


def embed_stretches(samples: np.ndarray, stretches: list[tuple[float, float]], model: CAMPPlusEmbedding) -> Embedded:
    """The embedding of every stretch of one channel long enough for `separate_channel_voices` to look at, before
    it is known which of them hold words (stretches, edges as the turns carry them: diarization.stereo)."""
    return {(a, b): _stretch_embedding(model, samples, a, b) for a, b in stretches if b - a >= _MIN_TURN_TO_MOVE_S}


def _longest(turns: list[SpeakerTurn]) -> list[SpeakerTurn]:
    """A speaker's longest turns, up to _MAX_PRINT_SPEECH_S of speech."""
    chosen, used = [], 0.0
    for turn in sorted(turns, key=lambda t: t.duration, reverse=True):
        if used >= _MAX_PRINT_SPEECH_S:
            break
        chosen.append(turn)
        used += turn.duration
    return chosen


def _print(samples: np.ndarray, turns: list[SpeakerTurn], model: CAMPPlusEmbedding,
           embeddings: dict[SpeakerTurn, np.ndarray]) -> np.ndarray | None:
    """A speaker's voice print from their longest turns: their embeddings averaged by length (the same as embedding
    the turns' audio together in windows, which _embed averages alike, without running CAM++ over it a second time),
    or, for a speaker heard only in turns too short to embed one by one, the embedding of all of them together."""
    longest = _longest(turns)
    embedded = [t for t in longest if t in embeddings]
    if not embedded:
        return _embed(model, np.concatenate([_audio(samples, t) for t in longest])) if longest else None
    total = sum(embeddings[t] * t.duration for t in embedded)
    return total / np.linalg.norm(total)


def _nearest(prints: dict[str, np.ndarray], embedding: np.ndarray) -> str:
    return max(prints, key=lambda s: float(embedding @ prints[s]))


def _long_turn_voices(embeddings: dict[SpeakerTurn, np.ndarray], count: int,
                      shortest_s: float = MIN_TURN_TO_SEED_S) -> dict[str, np.ndarray] | None:
    """Up to `count` voices, found by clustering the turns of at least `shortest_s` by their own voice prints; None
    when there are not more such turns than voices. pyannote's clusters are built from 10 s chunks, and where its
    segmentation takes two alike voices in one chunk for one speaker, a whole stretch of one party's speech joins
    the other's cluster (a caller's turns inside the operator, a specialist inside the caller), so that the
    clusters' prints are mixtures that the best-match moves cannot undo. A long turn is one voice, and its
    print is steady enough to cluster on (turns of 1 s are not: their outliers became clusters of their own)."""
    long = [t for t in embeddings if t.duration >= shortest_s]
    if len(long) <= count:
        return None
    groups = fcluster(linkage(np.array([embeddings[t] for t in long]), method="average", metric="cosine"), count,
                      criterion="maxclust")
    voices = {}
    for group in sorted(set(groups)):
        total = sum(embeddings[t] * t.duration for t, g in zip(long, groups) if g == group)
        voices[f"voice {group}"] = total / np.linalg.norm(total)
    return voices


def _settle(prints: dict[str, np.ndarray], embedded: list[tuple[SpeakerTurn, np.ndarray]]) -> dict[str, np.ndarray]:
    """Voice prints rebuilt from the turns that match them best, until no turn changes voice (k-means from the
    first prints). A cluster that took in a stretch of the other party's speech has a print between the
    two voices; its own turns then mostly still match it while the stranger's match the other print better, and
    each round leaves the prints purer. A print no turn matches any longer is dropped."""
    chosen: list[str] | None = None
    for _ in range(_MAX_SETTLE_ROUNDS if embedded else 0):
        now = [_nearest(prints, e) for _, e in embedded]
        if now == chosen:
            break
        chosen = now
        totals: dict[str, np.ndarray] = {}
        for (turn, e), speaker in zip(embedded, chosen):
            totals[speaker] = totals.get(speaker, 0.0) + e * turn.duration
        prints = {s: total / np.linalg.norm(total) for s, total in totals.items()}
    return prints


def _merge_same_voices(prints: dict[str, np.ndarray], speech: dict[str, float], threshold: float,
                       min_speakers: int) -> dict[str, str]:
    """Which speaker each speaker becomes when the closest pair is merged while their prints' cosine
    similarity is at least `threshold` and more than `min_speakers` are left."""
    prints, speech = dict(prints), dict(speech)
    owner = {s: s for s in speech}
    while len(prints) > max(min_speakers, 1):
        similarity, a, b = max((float(prints[a] @ prints[b]), a, b) for a in prints for b in prints if a < b)
        if similarity < threshold:
            break
        keep, gone = (a, b) if speech[a] >= speech[b] else (b, a)
        joined = prints[keep] * speech[keep] + prints.pop(gone) * speech[gone]
        prints[keep] = joined / np.linalg.norm(joined)
        speech[keep] += speech.pop(gone)
        owner = {s: keep if o == gone else o for s, o in owner.items()}
    return owner


def _join(turns: list[SpeakerTurn], max_pause_s: float) -> tuple[SpeakerTurn, ...]:
    """A speaker's turns that overlap or touch become one, and so do turns apart by a pause shorter than
    `max_pause_s` in which nobody else speaks (a backchannel in the pause keeps it a pause, not overtalk)."""
    joined: list[SpeakerTurn] = []
    last: dict[str, int] = {}
    latest_end: dict[str, float] = {}
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        i = last.get(turn.speaker)
        if i is not None and (
            turn.start <= joined[i].end
            or (turn.start - joined[i].end < max_pause_s
                and all(end <= joined[i].end for s, end in latest_end.items() if s != turn.speaker))
        ):
            joined[i] = SpeakerTurn(joined[i].start, max(joined[i].end, turn.end), turn.speaker)
        else:
            last[turn.speaker] = len(joined)
            joined.append(turn)
        latest_end[turn.speaker] = max(latest_end.get(turn.speaker, 0.0), turn.end)
    return tuple(joined)


def _named(turns: list[SpeakerTurn], exclusive: list[SpeakerTurn], max_pause_s: float) -> Diarization:
    """Speakers named SPEAKER_00, SPEAKER_01… in the order they first speak, each one's turns joined."""
    names: dict[str, str] = {}
    for turn in sorted(turns, key=lambda t: t.start):
        names.setdefault(turn.speaker, f"SPEAKER_{len(names):02d}")

    def renamed(spans: list[SpeakerTurn]) -> list[SpeakerTurn]:
        return [SpeakerTurn(t.start, t.end, names[t.speaker]) for t in spans]

    joined = _join(renamed(turns), max_pause_s)
    return Diarization(turns=joined, speakers=tuple(sorted({t.speaker for t in joined})),
                       exclusive_turns=_join(renamed(exclusive), max_pause_s))


@dataclass(frozen=True)
class Heard:
    """What CAM++ hears in a diarization's speech: each speaker's voice print, from the speech where they alone
    talk, and the embedding of each exclusive turn of at least 0.3 s that carries a voice. The voice check
    (`refine`) can be run on it more than once, with other bounds, without embedding anything again."""

    prints: dict[str, np.ndarray]
    embeddings: dict[SpeakerTurn, np.ndarray]


def hear(diarization: Diarization, samples_16k: np.ndarray, model: CAMPPlusEmbedding, known: Embedded | None = None
         ) -> Heard:
    """`known`: embeddings of turns' audio already made (_embedding)."""
    own = defaultdict(list)
    for turn in diarization.exclusive_turns:
        own[turn.speaker].append(turn)
    embeddings = {t: e for t in diarization.exclusive_turns if t.duration >= _MIN_TURN_TO_MOVE_S
                  and (e := _embedding(model, samples_16k, t, known)) is not None}
    return Heard(prints={s: p for s in own if (p := _print(samples_16k, own[s], model, embeddings)) is not None},
                 embeddings=embeddings)


def refine(diarization: Diarization, heard: Heard, same_voice_similarity: float, min_speakers: int,
           max_pause_s: float, voices_at_most: int | None = None, seed_turns_from_s: float = MIN_TURN_TO_SEED_S
           ) -> Diarization:
    """Finds the voices anew from the turns of at least `seed_turns_from_s` when `voices_at_most` is given (else
    starts from pyannote's speakers), settles them, merges the same voices, moves each exclusive turn of at least 0.3 s
    to the speaker whose voice it matches best, joins a speaker's turns apart by less than `max_pause_s`, and names speakers
    SPEAKER_00, SPEAKER_01… in the order they first speak. `heard`: hear(diarization, …)."""
    prints, embeddings = heard.prints, heard.embeddings
    seeds = (_long_turn_voices(embeddings, voices_at_most, seed_turns_from_s) if voices_at_most else None) or prints
    settling = [(t, e) for t, e in embeddings.items() if t.duration >= MIN_TURN_TO_SETTLE_S]
    found = _settle(seeds, settling) if len(seeds) > 1 and settling else seeds
    # seconds each voice holds among the turns it was settled on (a second at least: a weight, never zero)
    speech = {v: max(1.0, sum(t.duration for t, e in settling if _nearest(found, e) == v)) for v in found}
    merged = _merge_same_voices(found, speech, same_voice_similarity, min_speakers)
    voices = {}
    for voice in set(merged.values()):
        total = sum(found[v] * speech[v] for v in merged if merged[v] == voice)
        voices[voice] = total / np.linalg.norm(total)
    # a turn too short to carry a voice stays with the voice that pyannote's speaker of it sounds most like
    owner = {s: merged[_nearest(found, prints[s])] for s in prints}
    if not voices:  # no speech long enough to carry a voice: pyannote's answer stands
        owner = {s: s for s in diarization.speakers}

    def voice_of(turn: SpeakerTurn) -> str:
        embedding = embeddings.get(turn)
        if embedding is None or len(voices) < 2:
            return owner[turn.speaker]
        return max(voices, key=lambda s: float(embedding @ voices[s]))

    # A speaker never heard alone (under 0.2 s without someone else talking) has no voice to check: such a
    # speaker comes from pyannote counting two voices in the other party's speech, and is left out.
    heard = [t for t in diarization.exclusive_turns if t.speaker in owner]
    exclusive = [SpeakerTurn(t.start, t.end, voice_of(t)) for t in heard]
    # A turn with overlap goes where its own exclusive stretches went.
    turns = []
    for turn in diarization.turns:
        if turn.speaker not in owner:
            continue
        held: dict[str, float] = defaultdict(float)
        for before, after in zip(heard, exclusive):
            if before.speaker == turn.speaker and before.end > turn.start and before.start < turn.end:
                held[after.speaker] += min(before.end, turn.end) - max(before.start, turn.start)
        turns.append(SpeakerTurn(turn.start, turn.end, max(held, key=held.get) if held else owner[turn.speaker]))
    return _named(turns, exclusive, max_pause_s)


def _interleaved(turns: tuple[SpeakerTurn, ...], a: str, b: str) -> bool:
    """One speaks both before and after the other: not one operator handing the call over to the next."""
    spans = {s: [t for t in turns if t.speaker == s] for s in (a, b)}

    def around(x: str, y: str) -> bool:
        first, last = min(t.start for t in spans[y]), max(t.end for t in spans[y])
        return any(t.end <= first for t in spans[x]) and any(t.start >= last for t in spans[x])

    return around(a, b) or around(b, a)


def join_split_people(diarization: Diarization, parties: Parties, max_pause_s: float) -> Diarization:
    """A call has one caller: speakers whose words make them callers are one person in two voices, unless they
    talk to each other (in `parties.order`, where a sentence split between two voices is no answer). Two operators
    are one too when one speaks both before and after the other and they do not talk to each other; one that only
    follows the other is a specialist the call was transferred to. The first speaker of each group keeps the
    turns, and the speakers are named again in the order they first speak."""
    operators, callers, order = parties.operators, parties.callers, parties.order
    one = {}
    for group, must_interleave in ((callers, False), (operators, True)):
        for other in group[1:]:
            if not talk_to_each_other(order, group[0], other) and (
                    not must_interleave or _interleaved(diarization.turns, group[0], other)):
                one[other] = group[0]
    if not one:
        return diarization
    turns = [SpeakerTurn(t.start, t.end, one.get(t.speaker, t.speaker)) for t in diarization.turns]
    exclusive = [SpeakerTurn(t.start, t.end, one.get(t.speaker, t.speaker)) for t in diarization.exclusive_turns]
    return _named(turns, exclusive, max_pause_s)


# A second voice on a channel must hold this much speech: a specialist taking over a call says more than that,
# while clustering one voice in two leaves a second group of a second or three (a cough, a word under the
# other party's speech).
_MIN_SECOND_VOICE_S = 5.0
_MIN_TURN_TO_CLUSTER_S = 1.0
# A voice whose print stands on less than this much cropped speech (four crops) is heard whole for the voice check:
# crops part one voice into groups whose prints measured 0.84-0.86 on three tune-half calls, each group one or two
# turns, under SAME_VOICE_SIMILARITY; heard whole, those turns measured 0.89-0.91 against the rest.
_CROPS_FOR_A_PRINT_S = 12.0


def _two_voices(turns: list[SpeakerTurn], samples: np.ndarray, model: CAMPPlusEmbedding, known: Embedded,
                same_voice_similarity: float) -> list[SpeakerTurn] | None:
    """The channel's turns labelled "first" and "second" by voice, or None when there is no second voice."""
    long = [t for t in turns if t.duration >= _MIN_TURN_TO_CLUSTER_S]
    if len(long) < 2:
        return None
    embeddings = np.array([_embedding(model, samples, t, known) for t in long])
    groups = fcluster(linkage(embeddings, method="average", metric="cosine"), 2, criterion="maxclust")
    held = {group: sum(t.duration for t, g in zip(long, groups) if g == group) for group in (1, 2)}
    if min(held.values()) < _MIN_SECOND_VOICE_S:
        return None
    prints = [sum(e * t.duration for t, e, g in zip(long, embeddings, groups) if g == group) for group in (1, 2)]
    if float(prints[0] @ prints[1]) / np.linalg.norm(prints[0]) / np.linalg.norm(prints[1]) >= same_voice_similarity:
        # crops hear one voice as less alike than whole turns do, so whole turns would not part these either
        return None
    # A voice heard in few turns is heard whole for the voice check: one or two crops (_stretch_embedding) wander off
    # their voice, while a print that averages many does not.
    heard = {group: sum(min(t.duration, STRETCH_HEARD_S) for t, g in zip(long, groups) if g == group)
             for group in (1, 2)}
    for turn, group in zip(long, groups):
        if heard[group] < _CROPS_FOR_A_PRINT_S:
            known[turn.start, turn.end] = _embed(model, _audio(samples, turn))
    label = {t: ("first" if g == groups[0] else "second") for t, g in zip(long, groups)}
    # A short turn goes with the nearest long one; the voice check then moves it if its own voice says otherwise.
    nearest = {t: min(long, key=lambda u: abs(u.start - t.start)) for t in turns if t not in label}
    return [SpeakerTurn(t.start, t.end, label[nearest.get(t, t)], t.channel) for t in turns]


def may_hold_two_voices(channel: int, operator_channel: int | None) -> bool:
    """Where `operator_channel` is known only it is looked at for a second voice: a transfer brings a second
    operator, while a call has one caller, whose voice changes enough over a call (a generated caller's later turns
    measured under the threshold) to be split in two."""
    return operator_channel in (None, channel)


def separate_channel_voices(diarization: Diarization, samples_16k: np.ndarray, model: CAMPPlusEmbedding,
                            same_voice_similarity: float, operator_channel: int | None = None,
                            embedded: dict[int, Embedded] | None = None) -> Diarization:
    """`samples_16k`: the call's (2, n) audio. A channel's second voice is named after the channels' own
    speakers: SPEAKER_02, SPEAKER_03. The channels looked at are those that `may_hold_two_voices`; `embedded`:
    embed_stretches of them, where it was run already."""
    turns: list[SpeakerTurn] = []
    extra = 2
    for channel in sorted({t.channel for t in diarization.turns}):
        own = [t for t in diarization.turns if t.channel == channel]
        # a turn's embedding for the split serves its check too (but where _two_voices hears a few turns whole)
        known = dict((embedded or {}).get(channel, {}))
        labelled = (_two_voices(own, samples_16k[channel], model, known, same_voice_similarity)
                    if may_hold_two_voices(channel, operator_channel) else None)
        if labelled is None:
            turns.extend(own)
            continue
        split = Diarization(turns=tuple(labelled), speakers=("first", "second"), exclusive_turns=tuple(labelled))
        checked = refine(split, hear(split, samples_16k[channel], model, known), same_voice_similarity,
                         min_speakers=1, max_pause_s=0.0)
        names = {"SPEAKER_00": own[0].speaker}
        for speaker in checked.speakers[1:]:
            names[speaker] = f"SPEAKER_{extra:02d}"
            extra += 1
        turns.extend(SpeakerTurn(t.start, t.end, names[t.speaker], channel) for t in checked.turns)
    turns.sort(key=lambda t: (t.start, t.channel))
    return Diarization(turns=tuple(turns), speakers=tuple(sorted({t.speaker for t in turns})))
