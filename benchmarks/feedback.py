"""Survey ingestion and the feedback analyses: how fast results are validated, masked and stored, and how long
weekly KPIs and satisfaction drivers take on a database of generated calls and on a 100,000-call scale-up.

    python -m benchmarks.feedback [--calls 600] [--survey-rows 5000] [--scale 100000]
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from benchmarks.common import print_table
from demo_calls.generate import write_calls
from demo_calls.surveys import survey_rows
from demo_calls.truth_db import store_truth
from feedback.kpis import kpis_by_week
from feedback.satisfaction import drivers_of
from ingest.surveys import parse_payload
from pipelines.survey_analysis import satisfaction_drivers, weekly_kpis
from pipelines.survey_import import import_payload, mask_pii
from storage.call_outcomes import kpi_calls, rated_calls
from storage.db import Database
from storage.surveys import save_batch

BAD_SHARE = 0.05
SEED = 3


def survey_body(scripts, count: int, seed: int) -> tuple[bytes, int]:
    """`count` rows answered for `scripts` (cycled with fresh call ids past the first pass), a BAD_SHARE of
    them broken; returns the JSON body and the number of bad rows."""
    rng = random.Random(seed)
    base = survey_rows(scripts, seed, response_share=1.0)
    rows, bad = [], 0
    for n in range(count):
        row = dict(base[n % len(base)])
        if n >= len(base):  # past the first pass: answers for calls not stored (yet)
            row["call_id"] += f"-{n // len(base)}"
        if rng.random() < BAD_SHARE:
            row[rng.choice(["rating", "answered_at", "unexpected"])] = "??"
            bad += 1
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False).encode(), bad


def ingestion_rows(db: Database, body: bytes, bad: int) -> list[list]:
    started = time.perf_counter()
    batch = parse_payload(body, "json", "post_call")
    parsed = time.perf_counter() - started
    assert len(batch.rejects) == bad, "every broken row must be refused"
    comments = sum(1 for r in batch.results if r.comment) + len(batch.rejects)
    started = time.perf_counter()
    masked = mask_pii(batch)
    masking = time.perf_counter() - started
    started = time.perf_counter()
    stored = save_batch(db, masked, "benchmark")
    storing = time.perf_counter() - started
    started = time.perf_counter()
    again = import_payload(db, body, "json", "post_call", "benchmark again")
    resend = time.perf_counter() - started
    assert again.accepted == 0 and again.duplicates == stored.accepted
    n = len(batch.results) + len(batch.rejects)
    return [
        ["validate", f"{n:,} rows", f"{parsed:.2f} s", f"{n / parsed:,.0f} rows/s"],
        ["mask PII (privacy.redact)", f"{comments:,} comments and refused rows", f"{masking:.1f} s",
         f"{masking / max(1, comments) * 1000:.0f} ms each"],
        ["store", f"{stored.accepted:,} results, {stored.rejected} rejects", f"{storing:.2f} s",
         f"{stored.accepted / storing:,.0f} rows/s"],
        ["re-send the same body", f"{again.duplicates:,} duplicates, 0 stored", f"{resend:.1f} s", ""],
    ]


def analysis_rows(db: Database, scale: int) -> list[list]:
    rows = []
    for name, run in (("weekly KPIs", lambda: weekly_kpis(db)), ("drivers, all calls", lambda: satisfaction_drivers(db)),
                      ("drivers by topic", lambda: satisfaction_drivers(db, "topic")),
                      ("drivers by operator", lambda: satisfaction_drivers(db, "operator"))):
        started = time.perf_counter()
        result = run()
        rows.append([name, "database", f"{time.perf_counter() - started:.2f} s", f"{len(result)} rows"])
    # the scale-up copies the stored calls forward in time under new ids: the analyses' own cost at 100,000 calls
    calls, rated = kpi_calls(db), rated_calls(db)
    copies = -(-scale // len(calls))
    span = max(c.started_at for c in calls) - min(c.started_at for c in calls) + timedelta(days=1)
    many_calls = [replace(c, call_id=f"{c.call_id}-{k}", started_at=c.started_at + k * span,
                          repeat_of=c.repeat_of and f"{c.repeat_of}-{k}") for k in range(copies) for c in calls][:scale]
    many_rated = [replace(r, call_id=f"{r.call_id}-{k}") for k in range(-(-scale // len(rated))) for r in rated]
    many_rated = many_rated[:round(scale * len(rated) / len(calls))]
    started = time.perf_counter()
    weeks = kpis_by_week(many_calls)
    rows.append(["weekly KPIs", f"{len(many_calls):,} calls in memory", f"{time.perf_counter() - started:.2f} s",
                 f"{len(weeks)} weeks"])
    for by in (None, "topic", "operator"):
        started = time.perf_counter()
        drivers = drivers_of(many_rated, by)
        rows.append([f"drivers{' by ' + by if by else ''}", f"{len(many_rated):,} rated calls in memory",
                     f"{time.perf_counter() - started:.2f} s", f"{len(drivers)} rows"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600, help="generated calls stored in the database")
    parser.add_argument("--survey-rows", type=int, default=5000)
    parser.add_argument("--scale", type=int, default=100_000, help="calls in the in-memory scale-up")
    args = parser.parse_args(argv)
    scripts = write_calls(args.calls, SEED)
    with tempfile.TemporaryDirectory() as folder, Database(Path(folder) / "qc.duckdb") as db:
        started = time.perf_counter()
        store_truth(db, scripts)
        stored_s = time.perf_counter() - started
        body, bad = survey_body(scripts, args.survey_rows, SEED)
        print_table(f"survey ingestion: {args.survey_rows:,} rows, {bad} broken",
                    ["step", "work", "time", "rate"], ingestion_rows(db, body, bad))
        print_table(f"feedback analyses ({args.calls} generated calls stored in {stored_s:.0f} s)",
                    ["analysis", "data", "time", "result"], analysis_rows(db, args.scale))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
