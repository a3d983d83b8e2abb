"""A script pilot on generated calls where the piloted script and the pilot operators truly differ.

The pilot script adds a checklist item: before closing, the operator asks whether the question was resolved and
invites the caller to the survey. Half the calls, drawn by call id hash, are handled by operators trained on it,
who say it on every such call; the other half work to the shipped script. (Piloting on chosen operators instead
would confound the script with the operators: in the generated set op-01 and op-02 score 11 points below the rest
under the same script.) Calls come from `demo_calls.generate.write_calls` as text (no audio): each arm is scored by
the real scorer with its own script version, stored with the generator's repeat calls and post-call ratings
(`demo_calls.surveys`, which do not depend on the script), and compared by `feedback.pilots.analyse`.
"""
from __future__ import annotations

import random
from datetime import datetime, timezone

from asr.records import Segment, Transcript
from demo_calls.generate import write_calls
from demo_calls.records import CallScript
from demo_calls.surveys import survey_rows
from demo_calls.timeline import place
from feedback.pilots import PilotAnalysis, analyse, in_pilot, with_repeats
from ingest.metadata import CallMetadata
from ingest.surveys import POST_CALL, parse_rows
from insights.records import RepeatLink
from kernel.roles import OPERATOR
from scoring.encoder import SentenceEncoder
from scoring.scorer import CallScorer
from scoring.script import Script, default_script_path, load_script, parse_script
from storage import complaint_clusters
from storage import pilots as pilot_store
from storage.calls import save_call
from storage.db import Database
from storage.records import RecordingInfo
from storage.scores import save_call_scores, save_script
from storage.surveys import save_batch

PILOT_VERSION = "2025.03.2-pilot"
PILOT_SHARE = 0.5
CONFIRM_LINE = "Скажите, я ответил на ваш вопрос? Если да, после разговора оцените, пожалуйста, консультацию в опросе."
CONFIRM_ITEM = """
  - id: confirm_resolved
    description: asks whether the question was resolved before closing
    speaker: operator
    position: closing
    weight: 10
    critical: false
    when: [caller_spoke]
    says: [ответил на ваш вопрос, решили ваш вопрос, остались ли у вас вопросы]
    examples:
      - Скажите, я ответил на ваш вопрос?
"""
SECONDS_PER_CHAR = 0.065  # RHVoice's pace on the demo calls


def pilot_script() -> Script:
    """The shipped script with the pilot's new item before the survey invitation, under the pilot's version."""
    text = default_script_path().read_text(encoding="utf-8")
    shipped = load_script()
    text = text.replace(f'version: "{shipped.version}"', f'version: "{PILOT_VERSION}"', 1)
    text = text.replace("\n  - id: survey_invite", CONFIRM_ITEM + "\n  - id: survey_invite", 1)
    return parse_script(text, source="pilot script")


def transcript(call: CallScript, trained: bool) -> Transcript:
    """The call's lines placed in time; a trained operator asks the pilot's question before the last line."""
    lines = list(call.lines)
    if trained:
        last = max(n for n, line in enumerate(lines) if line.role == OPERATOR)
        operator = lines[last]
        lines.insert(last, type(operator)(role=OPERATOR, speaker_id=operator.speaker_id, voice=operator.voice,
                                          text=CONFIRM_LINE))
    lengths = [max(0.6, len(line.text) * SECONDS_PER_CHAR) for line in lines]
    timing = place(lines, lengths, random.Random(call.call_id))
    segments = tuple(Segment(start, start + length, line.text, channel=0 if line.role == OPERATOR else 1,
                             speaker=line.speaker_id, role=line.role)
                     for line, start, length in zip(lines, timing.starts, lengths))
    return Transcript("ru", 1.0, timing.duration, tuple(sorted(segments, key=lambda s: s.start)))


def run_pilot(db: Database, count: int, seed: int, encoder: SentenceEncoder | None) -> PilotAnalysis:
    """Generate, score and store `count` calls under a pilot started on the first call's day; analyse it."""
    calls = write_calls(count, seed)
    control_script, piloted_script = load_script(), pilot_script()
    scorers = {False: CallScorer(control_script, encoder), True: CallScorer(piloted_script, encoder)}
    save_script(db, control_script)
    save_script(db, piloted_script)
    pilot_store.save_pilot(db, pilot_store.Pilot("confirm-resolved", control_script.name, PILOT_VERSION, control_script.version,
                                     (), PILOT_SHARE,
                                     datetime.fromisoformat(calls[0].started_at).astimezone(timezone.utc).date()))
    pilot = pilot_store.pilot(db, "confirm-resolved")
    scores = {False: [], True: []}
    for call in calls:
        operator = call.operators[0].operator_id
        started = datetime.fromisoformat(call.started_at)
        save_call(db, "pilot", CallMetadata(call.call_id, started, operator, call.caller.caller_id, call.ivr_branch,
                                           call.operators[0].regional_center, "stereo", 0, "ru"),
                  RecordingInfo(f"rec-{call.call_id}", f"/generated/{call.call_id}", 0), Transcript("ru", 1.0, 0.0, ()))
        trained = in_pilot(pilot, call.call_id, operator)
        scores[trained].append((call.call_id, scorers[trained].score(transcript(call, trained), 0)))
    save_call_scores(db, control_script, scores[False])
    save_call_scores(db, piloted_script, scores[True])
    by_id = {c.call_id: datetime.fromisoformat(c.started_at) for c in calls}
    links = [RepeatLink(c.call_id, c.repeat_of, round((by_id[c.call_id] - by_id[c.repeat_of]).total_seconds() / 3600, 2))
             for c in calls if c.repeat_of in by_id]
    complaint_clusters.save_repeats(db, links, [link.call_id for link in links])
    # the callers' ratings follow what the operator did, not the script version (demo_calls.surveys); comments
    # are dropped, as they may carry the caller's personal data
    rows = [{**row, "comment": ""} for row in survey_rows(calls, seed)]
    save_batch(db, parse_rows(rows, POST_CALL), "generated surveys")
    calls = pilot_store.pilot_calls(db, pilot.started_on, None)
    return analyse(pilot, with_repeats(calls, pilot_store.repeat_links(db)))
