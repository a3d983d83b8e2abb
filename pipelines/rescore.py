"""Scoring stored calls again when the script changes or analysts corrected verdicts: re-scoring reads the stored
transcripts; nothing is transcribed again.

Analysts' overrides in force on calls scored with a script version teach that version's judges: the storage reads
them here and scoring learns from them as labelled examples."""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipelines.pilots import scripts_for_calls
from scoring.encoder import SentenceEncoder, shared_encoder
from scoring.judges import Correction, LabelledExample, corrections_as_examples
from scoring.records import CallScore
from scoring.scorer import CallScorer
from scoring.script import Script, load_script, parse_script
from storage.db import Database
from storage.pilots import adopted_script_text, done_call_ids
from storage.scores import automatic_verdicts, overrides_in_force, save_call_scores, stored_calls

BATCH = 200  # calls stored per transaction: progress survives an interruption, a batch is never half-stored


@dataclass(frozen=True)
class RescoreSummary:
    script_name: str
    script_version: str
    calls_scored: int
    verdicts_changed: int  # automatic verdicts that differ from those the calls had before
    seconds: float
    piloted: int = 0  # calls scored with their running pilot's script version instead
    taught: int = 0  # labelled examples from analysts' overrides the default version's judges learnt


def taught_examples(db: Database, script: Script) -> list[LabelledExample]:
    """The analysts' overrides in force on calls scored with this script version, as examples for its judges."""
    return corrections_as_examples(script, [Correction(o.item_id, o.verdict, o.quotes)
                                            for o in overrides_in_force(db, script.version)])


def rescore(db: Database, script_path: Path | str | None = None, *, encoder: SentenceEncoder | None = None,
            call_ids: list[str] | None = None) -> RescoreSummary:
    """Score every transcribed call (or `call_ids`) with the script at `script_path`. Without one, each call gets
    the script it would get when processed: its running pilot's version, else the version adopted after a pilot,
    else the shipped script; the summary names that default, and `piloted` counts the calls scored otherwise."""
    started = time.perf_counter()
    encoder = encoder if encoder is not None else shared_encoder()
    default_text = None if script_path else adopted_script_text(db)
    script = parse_script(default_text, source="adopted script") if default_text else load_script(script_path)
    taught = taught_examples(db, script)
    default = CallScorer(script, encoder, taught)
    scorers = {default_text: default}
    before = automatic_verdicts(db)
    scored = changed = piloted = 0
    batches: dict[str | None, list[tuple[str, CallScore]]] = defaultdict(list)
    chosen = scripts_for_calls(db, call_ids if call_ids is not None else done_call_ids(db)) if script_path is None else {}
    for call in stored_calls(db, call_ids):
        text = chosen.get(call.call_id, default_text)
        if text not in scorers:
            pilot = parse_script(text, source="pilot script")
            scorers[text] = CallScorer(pilot, encoder, taught_examples(db, pilot))
        piloted += text != default_text
        score = scorers[text].score(call.transcript, call.operator_channel)
        old = before.get(call.call_id, {})
        changed += sum(1 for v in score.items if v.item_id in old and old[v.item_id] != v.verdict)
        batches[text].append((call.call_id, score))
        if len(batches[text]) >= BATCH:
            scored += save_call_scores(db, scorers[text].script, batches.pop(text))
    for text, batch in batches.items():
        scored += save_call_scores(db, scorers[text].script, batch)
    return RescoreSummary(default.script.name, default.script.version, scored, changed,
                          round(time.perf_counter() - started, 2), piloted, len(taught))
