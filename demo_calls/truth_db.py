"""A database filled with text-level calls' ground truth, as if every stage had been perfect: the transcript is
the lines as written, the checklist verdicts and topics are the true ones, repeat calls are linked to the calls
they repeat, and registered requests are stored, each closed halfway to its deadline. Analyses that start after
scoring and insights (KPIs, satisfaction drivers, reports) can then be checked against what is known to be
true, without audio.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from asr.records import Segment, Transcript
from demo_calls.records import CallScript
from ingest.metadata import CallMetadata
from insights.records import RepeatLink, Request, TopicAssignment
from kernel.roles import OPERATOR
from language import N_
from scoring.records import (CallScore, ConversationMetrics, Evidence, ItemVerdict, Reason, critical_failures,
                             weighted_score)
from scoring.script import Script, load_script
from storage.calls import save_call, start_run
from storage.complaint_clusters import save_repeats, save_requests, save_topics, update_request
from storage.db import Database
from storage.records import RecordingInfo
from storage.scores import save_call_scores

SECONDS_PER_WORD = 0.4
GAP_S = 0.5
REQUEST_DAYS = {"simple": 1, "documents": 5, "complex": 10}


def store_truth(db: Database, scripts: Sequence[CallScript], script: Script | None = None) -> None:
    """Store the calls, their true verdicts weighted as `script` (default: the shipped script) weighs them,
    their topics, repeat links and requests."""
    script = script or load_script()
    items = {item.item_id: item for item in script.items}
    run_id = start_run(db, "truth", "ground truth", {"calls": len(scripts)})
    scores = []
    for call in scripts:
        transcript, metrics = written_transcript(call)
        save_call(db, run_id, _metadata(call), _recording(call), transcript)
        verdicts = tuple(
            ItemVerdict(item_id, verdict, (Reason.of(N_("ground truth")),),
                        (Evidence(0.0, 0.0, OPERATOR, "", "ground truth"),), items[item_id].weight,
                        items[item_id].critical)
            for item_id, verdict in call.checklist.items() if item_id in items
        )
        scores.append((call.call_id, CallScore(script.name, script.version, "ground truth", verdicts, metrics,
                                               weighted_score(verdicts), critical_failures(verdicts))))
    save_call_scores(db, script, scores)
    started = {c.call_id: datetime.fromisoformat(c.started_at) for c in scripts}
    links = [RepeatLink(c.call_id, c.repeat_of, (started[c.call_id] - started[c.repeat_of]).total_seconds() / 3600)
             for c in scripts if c.repeat_of in started]
    save_repeats(db, links, [c.call_id for c in scripts])
    save_topics(db, [TopicAssignment(c.call_id, c.topic, 1.0, ()) for c in scripts if c.topic],
                {c.call_id: c.ivr_branch for c in scripts}, {c.call_id: c.misrouted for c in scripts if c.topic})
    requests = [Request(c.call_id, c.request.number, c.request.type, started[c.call_id],
                        started[c.call_id] + timedelta(days=REQUEST_DAYS[c.request.type]))
                for c in scripts if c.request.registered and c.request.type]
    save_requests(db, requests)
    for request in requests:
        closed_at = request.registered_at + (request.due_at - request.registered_at) / 2
        update_request(db, replace(request, closed_at=closed_at))


def written_transcript(call: CallScript) -> tuple[Transcript, ConversationMetrics]:
    """The call as written, each line timed by its words, with the metrics that timing gives."""
    segments, at, holds = [], GAP_S, []
    for line in call.lines:
        length = SECONDS_PER_WORD * len(line.text.split())
        segments.append(Segment(at, at + length, line.text, speaker=line.speaker_id, role=line.role))
        at += length + GAP_S
        at += line.pause_after
        if line.is_hold:
            holds.append(line.pause_after)
    operator_s = sum(s.end - s.start for s in segments if s.role == OPERATOR)
    caller_s = sum(s.end - s.start for s in segments if s.role != OPERATOR)
    operator_words = sum(len(s.text.split()) for s in segments if s.role == OPERATOR)
    silence = at - operator_s - caller_s
    metrics = ConversationMetrics(
        duration_s=at, operator_talk_s=operator_s, caller_talk_s=caller_s,
        talk_ratio=operator_s / caller_s if caller_s else None, silence_share=silence / at,
        longest_silence_s=max([GAP_S, *holds]), hold_count=len(holds), hold_total_s=sum(holds), overtalk_s=0.0,
        interruptions=sum(line.overlap == "interrupt" for line in call.lines),
        operator_words_per_minute=60 * operator_words / operator_s if operator_s else None,
        time_to_operator_s=GAP_S, transfers=int(call.transfer),
    )
    return Transcript("ru", 1.0, at, tuple(segments)), metrics


def _metadata(call: CallScript) -> CallMetadata:
    return CallMetadata(call_id=call.call_id, started_at=datetime.fromisoformat(call.started_at),
                        operator_id=call.operators[0].operator_id, caller_id=call.caller.caller_id,
                        ivr_branch=call.ivr_branch, regional_center=call.operators[0].regional_center,
                        channels=call.channels, operator_channel=call.operator_channel, language="ru")


def _recording(call: CallScript) -> RecordingInfo:
    return RecordingInfo(hashlib.sha256(call.call_id.encode()).hexdigest(), Path(f"{call.call_id}.enc"), 0)
