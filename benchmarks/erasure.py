"""Cost of the personal-data operations on a database of generated calls.

    .venv/bin/python -m benchmarks.erasure              # 1,000 calls
    .venv/bin/python -m benchmarks.erasure --calls 10000

Calls are the generator's reference text (demo_calls.generate.write_calls) with words timed evenly, stored
unredacted, so that redacting a whole stored database can be measured too. Measured: redacting every transcript
word by word, correcting one caller's id with the proof, erasing one caller with the proof (every text column
searched), rewriting the file
(storage/compact.py, which erasure and retention both need), and a retention purge of the older half.
"""
from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from asr.records import Segment, Transcript, Word
from benchmarks.common import print_table
from demo_calls.generate import write_calls
from ingest.metadata import CallMetadata
from pipelines.erasure import erase_caller_from_file
from privacy.transcript import redact_transcript
from storage.calls import save_call, start_run
from storage.correction import correct_caller_in_file
from storage.db import Database
from storage.pii import replace_call_texts
from storage.records import RecordingInfo
from storage.retention import purge_file

SEED = 23


def transcript_of(call) -> Transcript:
    segments, t = [], 0.0
    for line in call.lines:
        channel = call.operator_channel if line.role == "operator" else 1 - (call.operator_channel or 0)
        words = []
        for token in line.text.split():
            words.append(Word(t, t + 0.3, " " + token, 0.9, channel))
            t += 0.35
        segments.append(Segment(words[0].start, words[-1].end, " " + line.text, channel, tuple(words),
                                role=line.role))
        t += 0.5
    return Transcript("ru", 1.0, t, tuple(segments))


def fill(path: Path, calls) -> None:
    with Database(path) as db:
        run_id = start_run(db, "benchmark", "reference text", {})
        for call in calls:
            metadata = CallMetadata(call_id=call.call_id, started_at=datetime.fromisoformat(call.started_at),
                                    operator_id=call.operators[0].operator_id, caller_id=call.caller.caller_id,
                                    channels="stereo", operator_channel=call.operator_channel, language="ru")
            info = RecordingInfo(hashlib.sha256(call.call_id.encode()).hexdigest(), Path(f"{call.call_id}.enc"), 1)
            save_call(db, run_id, metadata, info, transcript_of(call))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    calls = write_calls(args.calls, SEED)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "qc.duckdb"
        fill(path, calls)
        size_mb = path.stat().st_size / 2**20

        started = time.perf_counter()
        with Database(path) as db:
            for call in calls:
                masked, spans = redact_transcript(transcript_of(call))
                replace_call_texts(db, call.call_id, masked, spans)
        took = time.perf_counter() - started
        rows.append(["redact every transcript and store it", took, took / len(calls) * 1000])

        by_calls = sorted({c.caller.caller_id for c in calls},
                          key=lambda cid: -sum(c.caller.caller_id == cid for c in calls))
        caller, corrected = by_calls[0], by_calls[1]
        started = time.perf_counter()
        report = correct_caller_in_file(path, corrected, [(corrected, "c-corrected0001")])
        took = time.perf_counter() - started
        rows.append([f"correct one caller's id ({len(report.calls)} calls), rewrite, prove "
                     f"({report.columns_searched} columns): {'proved' if report.proved else 'NOT proved'}",
                     took, "-"])

        started = time.perf_counter()
        report = erase_caller_from_file(path, caller)
        took = time.perf_counter() - started
        rows.append([f"erase one caller ({len(report.calls)} calls), rewrite, prove "
                     f"({report.columns_searched} columns): {'proved' if report.proved else 'NOT proved'}",
                     took, "-"])

        middle = datetime.fromisoformat(sorted(c.started_at for c in calls)[len(calls) // 2])
        days = max(1, (datetime.now(middle.tzinfo) - middle) // timedelta(days=1))
        started = time.perf_counter()
        purged = purge_file(path, days)
        took = time.perf_counter() - started
        rows.append([f"retention purge of {purged.calls} calls, rewrite", took, "-"])
    print_table(f"personal data operations on {len(calls)} generated calls ({size_mb:.0f} MB database)",
                ["operation", "seconds", "ms per call"], rows)


if __name__ == "__main__":
    main()
