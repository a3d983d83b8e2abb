"""Dashboard page response times with a million calls in the database (target: under 300 ms a page).

    .venv/bin/python -m benchmarks.dashboard               # 1,000,000 calls
    .venv/bin/python -m benchmarks.dashboard --calls 100000

The database is a synthetic scale-up made by bulk SQL inserts: calls spread over a year, 400 operators in 20
teams, each operator in one of eight regional centres, every call scored on the 11 checklist items with evidence, a few thousand
analysts' overrides, transcripts of four segments built from the demo calls' lines, and complaint clusters. It is
built once into benchmarks/out/dashboard/ and reused. Pages are requested through the real app (routing,
session check, SQL, template) in-process, as an analyst (every team) and as a supervisor (one team).
"""
from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from benchmarks.common import ROOT, print_table
from storage.search import rebuild_index

OUT = ROOT / "benchmarks" / "out" / "dashboard"
TARGET_MS = 300
CENTRES = ["Москва", "Казань", "Новосибирск", "Екатеринбург", "Самара", "Хабаровск", "Ростов-на-Дону", "Пермь"]
ITEMS = ["greeting", "operator_name", "offer_help", "identification", "consent", "information", "transfer_explained",
         "request_registered", "closing", "survey_invite", "no_forbidden_phrases"]
PASSWORD = "bench-password-1"


def build(path: Path, calls: int) -> None:
    from demo_calls.dataset import committed_set, iter_calls
    from storage.db import Database

    lines = sorted({turn["text"] for call in iter_calls(committed_set()) for turn in call.truth()["turns"]})
    started = time.perf_counter()
    with Database(path) as db, db.write() as cur:
        cur.execute("""
            INSERT INTO calls (call_id, started_at, utc_offset_s, operator_id, caller_id, ivr_branch, regional_center,
                               channels, operator_channel, language, duration_s, status, recording_id, run_id, updated_at)
            SELECT printf('bench-%08d', i), TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(i * (31536000 // $n)),
                   10800, printf('op-%03d', i % 400), printf('c-%07d', (i * 7919) % ($n // 3)), 1 + i % 4,
                   $centres[1 + (i % 400) % 8], 'stereo', 0, 'ru', 60 + i % 240, 'done', printf('rec-%08d', i),
                   'bench', now()
            FROM range($n) AS t(i)
        """, {"n": calls, "centres": CENTRES})
        cur.execute("INSERT INTO operator_teams SELECT printf('op-%03d', o), printf('team-%02d', o % 20), now()"
                    " FROM range(400) AS t(o)")
        cur.execute("""
            INSERT INTO checklist_verdicts (call_id, item_id, item_no, verdict, weight, critical, reason, evidence)
            SELECT printf('bench-%08d', i), $items[1 + k], k,
                   CASE WHEN hash(i, k) % 10 < 7 THEN 'passed' WHEN hash(i, k) % 10 < 9 THEN 'failed'
                        ELSE 'not_applicable' END,
                   10.0, k IN (3, 4), 'synthetic',
                   '[{"start": 1.0, "end": 3.0, "speaker": "op", "quote": "Здравствуйте", "method": "bench"}]'
            FROM range($n) AS t(i), range(11) AS u(k)
        """, {"n": calls, "items": ITEMS})
        cur.execute("""
            INSERT INTO call_scores (call_id, script_name, script_version, encoder, score, critical_failures, metrics,
                                     scored_at)
            SELECT call_id, 'hotline', 'bench', 'bench',
                   round(100.0 * sum(weight) FILTER (WHERE verdict = 'passed')
                         / nullif(sum(weight) FILTER (WHERE verdict <> 'not_applicable'), 0), 1),
                   coalesce(list(item_id) FILTER (WHERE critical AND verdict = 'failed'), []), '{}', now()
            FROM checklist_verdicts GROUP BY call_id
        """)
        cur.execute("""
            INSERT INTO verdict_overrides (call_id, item_id, verdict, reason, analyst, overridden_at, automatic_verdict,
                                           script_version)
            SELECT printf('bench-%08d', (i * 104729) % $n), $items[1 + i % 11], 'passed', 'bench', 'analyst', now(),
                   'failed', 'bench'
            FROM range(5000) AS t(i)
        """, {"n": calls, "items": ITEMS})
        cur.execute("""
            INSERT INTO segments (call_id, segment_no, start_s, end_s, channel, speaker, role, text)
            SELECT printf('bench-%08d', i), s, s * 10.0, s * 10.0 + 8, s % 2, NULL,
                   CASE WHEN s % 2 = 0 THEN 'operator' ELSE 'caller' END, $lines[1 + (hash(i, s) % len($lines))::BIGINT]
            FROM range($n) AS t(i), range(4) AS u(s)
        """, {"n": calls, "lines": lines})
        cur.execute("UPDATE search_index_state SET segments_version = segments_version + 1")
        cur.execute("""
            INSERT INTO complaint_clusters (cluster_id, topic, vector_sum, size, keywords, quote, emerging, retired,
                                            created_at, updated_at)
            SELECT c, 'topic_' || c, list_transform(range(512), x -> 0.0), 0, ['bench', 'cluster ' || c],
                   'a caller''s complaint', c < 3, false, now(), now()
            FROM range(1, 41) AS t(c)
        """)
        cur.execute("INSERT INTO call_clusters SELECT printf('bench-%08d', i), (1 + hash(i) % 40)::INTEGER, 0.8, 'bench'"
                    " FROM range($n) AS t(i) WHERE i % 3 = 0", {"n": calls})
        cur.execute("UPDATE complaint_clusters SET size = (SELECT count(*) FROM call_clusters AS k"
                    " WHERE k.cluster_id = complaint_clusters.cluster_id)")
    print(f"  rows inserted in {time.perf_counter() - started:.0f} s", flush=True)
    with Database(path) as db:
        started = time.perf_counter()
        rebuild_index(db)
        print(f"  search index built in {time.perf_counter() - started:.0f} s", flush=True)
        from dashboards.auth import create_user

        create_user(db, "analyst", PASSWORD, "analyst")
        create_user(db, "supervisor", PASSWORD, "supervisor", ["team-07"])


def timed(client, url: str, repeats: int) -> tuple[float, float, int]:
    client.get(url)  # the first request pays for DuckDB's caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return statistics.median(times), max(times), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from dashboards.app import create_app
    from storage.db import Database

    path = OUT / f"calls-{args.calls}.duckdb"
    if not path.exists():
        print(f"building {args.calls:,} synthetic calls into {path} (once) ...", flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        try:
            build(path, args.calls)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    with Database(path) as db:
        from storage.dashboard import PAGE_SUMMARIES, refresh_summaries

        started = time.perf_counter()
        rebuilt = refresh_summaries(db, [*PAGE_SUMMARIES, "search_postings"])
        if rebuilt:  # what the first page read after a scoring run, a re-cluster or new calls pays once
            print(f"  summaries {', '.join(rebuilt)} rebuilt in {time.perf_counter() - started:.1f} s", flush=True)
        app = create_app(db)
        # a call in the middle of the year, of an operator in team-07 (op-007), with a complaint cluster
        sample = "bench-%08d" % next(i for i in range(args.calls // 2, args.calls) if i % 400 == 7 and i % 3 == 0)
        pages = ["/scorecards?by=operator&period=week", "/scorecards?by=team&period=week",
                 "/scorecards?by=regional_center&period=month", "/calls", "/calls?operator=op-007&page=3",
                 "/calls?centre=Казань", f"/calls/{sample}", "/clusters", "/search?q=паспорт",
                 "/search?q=госуслуги"]  # a word in nearly half of all calls
        rows = []
        for name in ("analyst", "supervisor"):
            client = TestClient(app, follow_redirects=False)
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
            client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
            for url in pages:
                median, worst, size = timed(client, url, args.repeats)
                rows.append([name, url, median, worst, f"{size / 1024:.0f} KB",
                             "ok" if median < TARGET_MS else f"over {TARGET_MS} ms"])
    print_table(f"dashboard pages, {args.calls:,} calls (ms; median and worst of {args.repeats})",
                ["role", "page", "median_ms", "worst_ms", "size", "target"], rows)


if __name__ == "__main__":
    main()
