"""Script pilots as processing and reports meet them: the script each call is scored with, and a pilot's calls
with their outcomes."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from feedback.pilots import ScriptChoice, with_repeats
from feedback.records import PilotCall
from storage import pilots as store
from storage.db import Database


def script_choice(db: Database) -> ScriptChoice:
    running = tuple(store.undecided_pilots(db))
    texts = {(p.script_name, p.script_version): store.script_text(db, p.script_name, p.script_version)
             for p in running}
    return ScriptChoice(store.adopted_script_text(db), running, texts)


def scripts_for_calls(db: Database, call_ids: Sequence[str]) -> dict[str, str | None]:
    """The script each stored call is scored with when no script file is named (ScriptChoice)."""
    choice = script_choice(db)
    facts = store.calls_operator_and_start(db, call_ids) if choice.running else {}
    return {call_id: choice.for_call(call_id, *facts.get(call_id, (None, None))) for call_id in call_ids}


def pilot_calls(db: Database, start: date, end: date | None) -> list[PilotCall]:
    """Scored calls that started on the days from `start` through `end` (UTC; open-ended when None)."""
    return with_repeats(store.pilot_calls(db, start, end), store.repeat_links(db))
