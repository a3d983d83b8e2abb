"""Scoring stored calls again when the script changes or analysts corrected verdicts: re-scoring reads the stored
transcripts; nothing is transcribed again.

Analysts' overrides in force on calls scored with a script version teach that version's judges: the storage reads
them here and scoring learns from them as labelled examples."""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
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
from storage.scores import (OverrideQuotes, automatic_verdicts, overrides_in_force, save_call_scores,
                            stored_calls)

BATCH = 200  # calls stored per transaction: progress survives an interruption, a batch is never half-stored


@dataclass(frozen=True)
class Agreement:
    """One checklist item's automatic verdicts against the analysts' overrides of it, on the calls they corrected:
    how many agreed with the analyst before re-scoring and after, once the judges learnt from the overrides."""

    item_id: str
    title: dict[str, str]  # the item's title by language, as the script gives it
    overrides: int
    before: int
    after: int


@dataclass(frozen=True)
class RescoreSummary:
    script_name: str
    script_version: str
    calls_scored: int
    verdicts_changed: int  # automatic verdicts that differ from those the calls had before
    seconds: float
    piloted: int = 0  # calls scored with their running pilot's script version instead
    taught: int = 0  # labelled examples from analysts' overrides the default version's judges learnt
    agreement: tuple[Agreement, ...] = ()  # by item, for the default version's overrides


def taught_examples(db: Database, script: Script) -> list[LabelledExample]:
    """The analysts' overrides in force on calls scored with this script version, as examples for its judges."""
    return _as_examples(script, overrides_in_force(db, script.version))


def _as_examples(script: Script, overrides: list[OverrideQuotes]) -> list[LabelledExample]:
    return corrections_as_examples(script, [Correction(o.item_id, o.verdict, o.quotes) for o in overrides])


def _agreement(script: Script, overrides: list[OverrideQuotes], before: dict[str, dict[str, str]],
               after: dict[str, dict[str, str]]) -> tuple[Agreement, ...]:
    by_item = defaultdict(list)
    for override in overrides:
        by_item[override.item_id].append(override)
    return tuple(
        Agreement(item.item_id, item.title, len(by_item[item.item_id]),
                  sum(before.get(o.call_id, {}).get(o.item_id) == o.verdict for o in by_item[item.item_id]),
                  sum(after.get(o.call_id, {}).get(o.item_id) == o.verdict for o in by_item[item.item_id]))
        for item in script.items if item.item_id in by_item)


def rescore(db: Database, script_path: Path | str | None = None, *, encoder: SentenceEncoder | None = None,
            call_ids: list[str] | None = None, progress: Callable[[int, int], None] | None = None) -> RescoreSummary:
    """Score every transcribed call (or `call_ids`) with the script at `script_path`. Without one, each call gets
    the script it would get when processed: its running pilot's version, else the version adopted after a pilot,
    else the shipped script; the summary names that default, and `piloted` counts the calls scored otherwise.
    `progress(done, total)` is told after each call."""
    started = time.perf_counter()
    encoder = encoder if encoder is not None else shared_encoder()
    default_text = None if script_path else adopted_script_text(db)
    script = parse_script(default_text, source="adopted script") if default_text else load_script(script_path)
    overrides = overrides_in_force(db, script.version)
    taught = _as_examples(script, overrides)
    default = CallScorer(script, encoder, taught)
    scorers = {default_text: default}
    before = automatic_verdicts(db)
    after: dict[str, dict[str, str]] = {}
    corrected = {o.call_id for o in overrides}
    scored = changed = piloted = 0
    batches: dict[str | None, list[tuple[str, CallScore]]] = defaultdict(list)
    ids = call_ids if call_ids is not None else done_call_ids(db)
    chosen = scripts_for_calls(db, ids) if script_path is None else {}
    for done, call in enumerate(stored_calls(db, call_ids), start=1):
        text = chosen.get(call.call_id, default_text)
        if text not in scorers:
            pilot = parse_script(text, source="pilot script")
            scorers[text] = CallScorer(pilot, encoder, taught_examples(db, pilot))
        piloted += text != default_text
        score = scorers[text].score(call.transcript, call.operator_channel)
        old = before.get(call.call_id, {})
        changed += sum(1 for v in score.items if v.item_id in old and old[v.item_id] != v.verdict)
        if call.call_id in corrected:
            after[call.call_id] = {v.item_id: v.verdict for v in score.items}
        batches[text].append((call.call_id, score))
        if len(batches[text]) >= BATCH:
            scored += save_call_scores(db, scorers[text].script, batches.pop(text))
        if progress is not None:
            progress(done, len(ids))
    for text, batch in batches.items():
        scored += save_call_scores(db, scorers[text].script, batch)
    return RescoreSummary(default.script.name, default.script.version, scored, changed,
                          round(time.perf_counter() - started, 2), piloted, len(taught),
                          _agreement(script, overrides, before, after))
