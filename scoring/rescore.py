"""Scoring stored calls: each call right after it is transcribed, and all of them again when the script changes
(re-scoring reads the stored transcripts; nothing is transcribed again)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from scoring.encoder import SentenceEncoder, shared_encoder
from scoring.records import CallScore
from asr.records import Transcript
from scoring.scorer import CallScorer, shared_scorer
from feedback.pilots import script_text_for
from scoring.script import load_script, parse_script
from storage.db import Database
from storage.improvement import adopted_script_text
from storage.scores import automatic_verdicts, save_call_scores, stored_calls

BATCH = 200  # calls stored per transaction: progress survives an interruption, a batch is never half-stored


@dataclass(frozen=True)
class RescoreSummary:
    script_name: str
    script_version: str
    calls_scored: int
    verdicts_changed: int  # automatic verdicts that differ from those the calls had before
    seconds: float


def score_call(db: Database, call_id: str, transcript: Transcript, operator_channel: int | None,
               script_path: Path | str | None = None) -> CallScore:
    """Score one freshly stored call and store its score (the pipeline's step after transcription). Without a
    script path the call gets its pilot's script version if it falls in a running pilot, else the adopted one."""
    scorer = shared_scorer(script_path, None if script_path else script_text_for(db, call_id))
    score = scorer.score(transcript, operator_channel)
    save_call_scores(db, scorer.script, [(call_id, score)])
    return score


def rescore(db: Database, script_path: Path | str | None = None, *, encoder: SentenceEncoder | None = None,
            call_ids: list[str] | None = None) -> RescoreSummary:
    """Score every transcribed call (or `call_ids`) with the script at `script_path` (default: the version adopted
    after a pilot, else the shipped one)."""
    started = time.perf_counter()
    adopted = None if script_path else adopted_script_text(db)
    script = parse_script(adopted, source="adopted script") if adopted else load_script(script_path)
    scorer = CallScorer(script, encoder if encoder is not None else shared_encoder())
    before = automatic_verdicts(db)
    scored = changed = 0
    batch: list[tuple[str, CallScore]] = []
    for call in stored_calls(db, call_ids):
        score = scorer.score(call.transcript, call.operator_channel)
        old = before.get(call.call_id, {})
        changed += sum(1 for v in score.items if v.item_id in old and old[v.item_id] != v.verdict)
        batch.append((call.call_id, score))
        if len(batch) >= BATCH:
            scored += save_call_scores(db, script, batch)
            batch = []
    scored += save_call_scores(db, script, batch)
    return RescoreSummary(script.name, script.version, scored, changed, round(time.perf_counter() - started, 2))

