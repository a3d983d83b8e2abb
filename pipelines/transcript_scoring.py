"""Scoring one call given as its turns (a JSON file), with the judges the flow uses, without a database.

As in the flow, the checklist judges the words as given and the evidence quotes come out redacted; the topic is
found on the redacted text, as the periodic insights run finds it on stored calls. With a database the judges also
learn from the analysts' overrides in force for the script's version, and the topics from analysts' re-labels.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from asr.records import Transcript
from insights import encoder as insights_encoder
from insights.catalogue import default_catalogue
from insights.complaints import call_context, extract_complaint
from insights.records import CallText, Utterance
from insights.topics import TopicClassifier, assign_topics
from pipelines.call_processing import call_scorer, score_then_redact
from scoring.records import CallScore, critical_failures
from scoring.scorer import shared_script
from scoring.turns import TurnsError, transcript_from_turns


def score_turns(call: dict, script_path: Path | str | None = None, db_path: Path | None = None) -> dict:
    """The call's checklist (in the export's shape), metrics, score and topic."""
    if not isinstance(call, dict) or not isinstance(call.get("turns"), list):
        raise TurnsError("the file must be a JSON object with a list of 'turns'")
    transcript = transcript_from_turns(call["turns"], call.get("language") or "ru")
    extra, classifier = (), None
    if db_path is not None:
        from pipelines.insights_steps import topic_classifier
        from pipelines.rescore import taught_examples
        from storage.db import Database

        with Database(db_path) as db:
            extra = taught_examples(db, shared_script(script_path))
            classifier = topic_classifier(db)
    redacted, _, score = score_then_redact(transcript, call_scorer(script_path, None, extra), None)
    return {"checklist": checklist_json(score), "metrics": score.metrics.to_json(), "score": score_json(score),
            "topic": topic_json(call, redacted, classifier)}


def checklist_json(score: CallScore) -> dict:
    """The export's `checklist`: no analyst has overridden a verdict of a call scored from a file."""
    return {v.item_id: {"verdict": v.verdict, "evidence": [e.to_json() for e in v.evidence], "reason": v.reason,
                        "automatic_verdict": v.verdict, "override": None, "weight": v.weight, "critical": v.critical}
            for v in score.items}


def score_json(score: CallScore) -> dict:
    return {"total": score.score, "automatic": score.score, "critical_failures": list(critical_failures(score.items)),
            "script": score.script_name, "script_version": score.script_version, "encoder": score.encoder}


def topic_json(call: dict, transcript: Transcript, classifier: TopicClassifier | None) -> dict:
    """The caller's complaint and its topic, as the periodic insights run finds them."""
    text = CallText(str(call.get("call_id") or "transcript"), datetime.now(timezone.utc), None, None,
                    call.get("ivr_branch") if isinstance(call.get("ivr_branch"), int) else None,
                    tuple(Utterance(s.start, s.text, s.role) for s in transcript.segments))
    complaint = extract_complaint(text)
    topic = assign_topics([text.call_id], [complaint.text], insights_encoder.embed([complaint.text]),
                          [call_context(text)], classifier)[0]
    return {"topic": topic.topic, "name": default_catalogue().names.get(topic.topic), "score": topic.score,
            "complaint": complaint.text}
