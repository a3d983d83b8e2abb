"""Scoring one call: its transcript in, its checklist verdicts, conversation metrics and score out."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from asr.records import Transcript
from scoring.checklist import Checklist
from scoring.conversation import conversation
from scoring.encoder import SentenceEncoder, shared_encoder
from scoring.judges import LabelledExample, build_judges
from scoring.matching import Matcher
from scoring.metrics import conversation_metrics
from scoring.records import CallScore, critical_failures, weighted_score
from scoring.script import Phrases, Script, load_script, parse_script
from scoring.tokens import Lemmatizer


class CallScorer:
    """A script with its judges and matcher, ready to score calls one after another (not from several threads).
    `extra` are labelled examples beyond the script's own (analysts' overrides): they teach the judges too.
    `as_stored` says how a sentence reads once stored (redacted), where the words are judged as spoken: that is how
    the analysts' quotes read."""

    def __init__(self, script: Script, encoder: SentenceEncoder | None, extra: Iterable[LabelledExample] = (),
                 as_stored: Callable[[str], str] | None = None):
        self.script = script
        self.encoder = encoder
        judges = build_judges(script, extra, encoder) if encoder is not None else None
        self.matcher = Matcher(Lemmatizer(), judges, script.settings.fuzzy, script.settings.veto, as_stored)
        self.matcher.learn(script_phrases(script))

    def score(self, transcript: Transcript, operator_channel: int | None = None) -> CallScore:
        call = conversation(transcript, self.matcher.lemmatizer, operator_channel)
        self.matcher.start()
        checklist = Checklist(self.script, self.matcher, call)
        items = checklist.verdicts()
        metrics = conversation_metrics(transcript, operator_channel, hold_seconds=self.script.settings.hold_seconds,
                                       transfers=checklist.transfers())
        return CallScore(
            script_name=self.script.name, script_version=self.script.version,
            encoder=self.encoder.name if self.encoder is not None else "none", items=items, metrics=metrics,
            score=weighted_score(items), critical_failures=critical_failures(items),
        )


def script_phrases(script: Script) -> list[Phrases]:
    """Every phrase list of a script, to compile and embed once."""
    owners = (*script.items, *script.conditions.values())
    return ([o.phrases for o in owners] + [p for i in script.items for p in (i.evasive, i.routine, i.objections, i.asks, i.requires)]
            + [p for t in script.request_types for p in (t.promises, t.cues)])


_local = threading.local()


def shared_script(script_path: Path | str | None = None, script_text: str | None = None) -> Script:
    """The script at `script_path`, else the stored `script_text` (a pilot's or the adopted version), else the
    shipped one; read once per thread."""
    key = str(script_path) if script_path else f"text:{script_text}" if script_text else ""
    scripts = getattr(_local, "scripts", None)
    if scripts is None:
        scripts = _local.scripts = {}
    if key not in scripts:
        scripts[key] = (load_script(script_path) if script_path or script_text is None
                        else parse_script(script_text, source="script stored in the database"))
    return scripts[key]


def shared_scorer(script_path: Path | str | None = None, script_text: str | None = None,
                  extra: Iterable[LabelledExample] = (), as_stored: Callable[[str], str] | None = None) -> CallScorer:
    """A scorer per thread (a matcher keeps per-call state) sharing one loaded encoder per process, for the script
    `shared_script` reads; `extra` are the labelled examples its judges learn besides the script's (analysts'
    overrides), so new overrides make a new scorer; `as_stored` as for CallScorer."""
    extra = tuple(extra)
    key = (str(script_path) if script_path else f"text:{script_text}" if script_text else "", extra, as_stored)
    scorers = getattr(_local, "scorers", None)
    if scorers is None:
        scorers = _local.scorers = {}
    if key not in scorers:
        scorers[key] = CallScorer(shared_script(script_path, script_text), shared_encoder(), extra, as_stored)
    return scorers[key]
