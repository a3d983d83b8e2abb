"""The two JSON files beside a recording: the sidecar the recording system would send, and the ground truth."""
from __future__ import annotations

from demo_calls.records import CallScript, PlacedTurn

GENERATOR_VERSION = "1.0"


def sidecar(script: CallScript) -> dict:
    """Only the fields a recording system knows; `ingest.metadata.parse_sidecar` reads it."""
    data = {
        "call_id": script.call_id,
        "started_at": script.started_at,
        "operator_id": script.operators[0].operator_id,
        "caller_id": script.caller.caller_id,
        "ivr_branch": script.ivr_branch,
        "regional_center": script.operators[0].regional_center,
        "channels": script.channels,
        "language": script.language,
    }
    if script.channels == "stereo":
        data["operator_channel"] = script.operator_channel
    return data


def ground_truth(script: CallScript, turns: list[PlacedTurn], pii: list[tuple[str, str, int]],
                 holds: list[tuple[float, float]], duration_s: float) -> dict:
    return {
        "call_id": script.call_id,
        "topic": script.topic,
        "ivr_branch": script.ivr_branch,
        "misrouted": script.misrouted,
        "caller_id": script.caller.caller_id,
        "operator_ids": [op.operator_id for op in script.operators],
        "channels": script.channels,
        "operator_channel": script.operator_channel,
        "duration_s": duration_s,
        "problem_id": script.problem_id,
        "complaint": script.complaint,
        "repeat_of": script.repeat_of,
        "transfer": script.transfer,
        "hold_count": len(holds),
        "holds": [{"start": start, "end": end} for start, end in holds],
        "request": {"registered": script.request.registered, "type": script.request.type,
                    "number": script.request.number},
        "checklist": dict(script.checklist),
        "turns": [
            {"index": t.index, "role": t.role, "speaker": t.speaker, "voice": t.voice, "channel": t.channel,
             "start": t.start, "end": t.end, "text": t.text}
            for t in turns
        ],
        "pii": [{"type": kind, "text": text, "turn": turn} for kind, text, turn in pii],
    }
