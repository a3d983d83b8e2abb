"""A synthetic scale-up of a hotline's database: N scored and analysed calls over 12 weeks, written straight into
DuckDB with set-based SQL (a few seconds, not N round trips).

40 operators, 8 topics, 30 complaint clusters, 11 checklist items with verdicts, 12 % repeat calls, post-call
ratings for 30 % of calls, three corrective actions and a script pilot on half the calls of the last 4 weeks.
Planted on purpose: cluster 7 and failures of `consent` grow over the last 3 weeks, five operators skip the
survey invitation, ratings drop with cluster 7, failed consent and repeats, and pilot calls score ~4 points higher.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from demo_calls.pilot import PILOT_VERSION, pilot_script
from feedback.pilots import in_pilot
from feedback.problems import WINDOW_DAYS, rank_all
from feedback.records import UrgencyRule
from scoring.script import load_script
from storage import improvement as store
from storage import pilots as pilot_store
from storage.db import Database
from storage.scores import save_script

FIRST_DAY = datetime(2025, 1, 6, tzinfo=timezone.utc)  # a Monday
DAYS = 84
PILOT_START = (FIRST_DAY + timedelta(days=DAYS - 28)).date()
TOPICS = ("restore_access", "application_status", "passport_documents", "benefits_pensions", "contact_data_change",
          "service_centre_appointment", "taxes_fines", "electronic_signature")
CLUSTERS = 30
QUOTES = ("не могу войти в личный кабинет", "не пришло уведомление о статусе заявления", "не пересчитали пенсию",
          "не могу записаться в центр обслуживания", "штраф оплачен, но числится задолженность",
          "не работает электронная подпись", "не меняется номер телефона в профиле")

# `h(name)` is a uniform number in [0, 1) fixed by the call number and a name: deterministic "randomness"
_H = "((hash(i, '{name}') % 1000000) / 1000000.0)"


def h(name: str) -> str:
    return _H.format(name=name)


_CALLS = f"""
INSERT INTO calls (call_id, started_at, utc_offset_s, operator_id, caller_id, ivr_branch, regional_center, channels,
                   operator_channel, language_hint, language, language_probability, duration_s, status, error,
                   recording_id, run_id, updated_at)
SELECT printf('call-%07d', i), $first + to_microseconds((i * $span_us / $n)::BIGINT), 10800,
       printf('op-%02d', (hash(i, 'op') % 40)::INTEGER), printf('caller-%06d', (hash(i, 'caller') % ($n * 7 // 10))::INTEGER),
       1 + (hash(i, 'branch') % 4)::INTEGER, 'Казань', 'stereo', 0, 'ru', 'ru', 1.0, 120 + 480 * {h('dur')}, 'done',
       NULL, printf('rec-%07d', i), 'synthetic', now()
FROM range($n) AS t(i)
"""

_VERDICTS = f"""
INSERT INTO checklist_verdicts (call_id, item_id, item_no, verdict, weight, critical, reason, evidence)
SELECT printf('call-%07d', i), s.item_id, s.item_no,
       CASE WHEN s.item_id = 'transfer_explained' AND {h('transfer')} > 0.2 THEN 'not_applicable'
            WHEN ((hash(i, s.item_id) % 1000000) / 1000000.0) < 0.06
                 + CASE WHEN s.item_id = 'survey_invite' AND (hash(i, 'op') % 40) < 5 THEN 0.55 ELSE 0 END
                 + CASE WHEN s.item_id = 'consent' AND i >= $n * 0.75 THEN 0.25 ELSE 0 END
            THEN 'failed' ELSE 'passed' END,
       s.weight, s.critical, 'synthetic', '[]'
FROM range($n) AS t(i) CROSS JOIN (SELECT unnest($items, recursive := true)) AS s
"""

_SCORES = """
INSERT INTO call_scores (call_id, script_name, script_version, encoder, score, critical_failures, metrics, scored_at)
SELECT call_id, $name, $version, 'none',
       round(100.0 * sum(weight) FILTER (WHERE verdict = 'passed') / sum(weight) FILTER (WHERE verdict <> 'not_applicable'), 1),
       coalesce(list(item_id) FILTER (WHERE critical AND verdict = 'failed'), []), '{}', now()
FROM checklist_verdicts GROUP BY call_id
"""

_INSIGHTS = f"""
INSERT INTO complaint_clusters (cluster_id, topic, vector_sum, size, keywords, quote, emerging, retired, created_at,
                                updated_at)
SELECT c, $topics[1 + c % 8], list_transform(range(512), x -> 0.0)::DOUBLE[512], 0, ['кабинет'],
       $quotes[1 + c % {len(QUOTES)}] || ' (' || c || ')', false, false, now(), now()
FROM range(1, {CLUSTERS + 1}) AS t(c);

INSERT INTO call_clusters (call_id, cluster_id, similarity, run_id)
SELECT printf('call-%07d', i),
       CASE WHEN i >= $n * 0.75 AND {h('growth')} < 0.15 THEN 7 ELSE 1 + (hash(i, 'cluster') % {CLUSTERS})::INTEGER END,
       0.8, 'synthetic'
FROM range($n) AS t(i) WHERE {h('clustered')} < 0.8;

UPDATE complaint_clusters AS k SET size = s.n
FROM (SELECT cluster_id, count(*) AS n FROM call_clusters GROUP BY ALL) AS s WHERE s.cluster_id = k.cluster_id;

INSERT INTO call_topics (call_id, topic, score, keywords, ivr_branch, misrouted)
SELECT printf('call-%07d', i), $topics[1 + (hash(i, 'topic') % 8)::INTEGER], 0.9, [], NULL, NULL FROM range($n) AS t(i);

INSERT INTO repeat_calls (call_id, repeat_of, hours_apart)
SELECT printf('call-%07d', i), printf('call-%07d', i - k), k * $span_us / $n / 3600e6
FROM (SELECT i, 1 + (hash(i, 'gap') % 300)::INTEGER AS k FROM range($n) AS t(i) WHERE {h('repeat')} < 0.12)
WHERE i - k >= 0;
"""

_SURVEYS = f"""
INSERT INTO survey_results (result_id, source, call_id, caller_id, rating, resolved, comment, answered_at, batch_id)
SELECT md5(call_id), 'post_call', call_id, NULL, rating, rating >= 4, NULL, started_at + INTERVAL 1 HOUR, 'synthetic'
FROM (
    SELECT c.call_id, c.started_at,
           greatest(1, least(5, round(4.6 - 2.0 * {h('rating')}
               - CASE WHEN k.cluster_id = 7 THEN 1.2 ELSE 0 END
               - CASE WHEN v.verdict = 'failed' THEN 0.8 ELSE 0 END
               - CASE WHEN r.call_id IS NOT NULL THEN 0.6 ELSE 0 END + 0.5)))::INTEGER AS rating
    FROM (SELECT i, printf('call-%07d', i) AS call_id FROM range($n) AS t(i) WHERE {h('rated')} < 0.3) AS t
    JOIN calls AS c USING (call_id)
    LEFT JOIN call_clusters AS k USING (call_id)
    LEFT JOIN checklist_verdicts AS v ON v.call_id = c.call_id AND v.item_id = 'consent'
    LEFT JOIN repeat_calls AS r ON r.call_id = c.call_id
)
"""


def write_synthetic(db: Database, calls: int) -> None:
    """Fill an empty database with `calls` synthetic calls, their scores, insights, surveys, actions and a pilot."""
    script, piloted = load_script(), pilot_script()
    save_script(db, script)
    save_script(db, piloted)
    params = {"n": calls, "first": FIRST_DAY, "span_us": DAYS * 86400 * 10**6}
    items = [{"item_id": i.item_id, "item_no": n, "weight": i.weight, "critical": i.critical}
             for n, i in enumerate(script.items)]
    with db.write() as cur:
        cur.execute(_CALLS, params)
        cur.execute(_VERDICTS, {"n": calls, "items": items})
        cur.execute(_SCORES, {"name": script.name, "version": script.version})
        for statement in filter(str.strip, _INSIGHTS.split(";")):
            used = {k: v for k, v in {**params, "topics": list(TOPICS), "quotes": list(QUOTES)}.items()
                    if f"${k}" in statement}
            cur.execute(statement, used)
        cur.execute(_SURVEYS, {"n": calls})
    pilot_store.save_pilot(db, pilot_store.Pilot("confirm-resolved", script.name, PILOT_VERSION, script.version, (), 0.5,
                                     PILOT_START))
    pilot = pilot_store.pilot(db, "confirm-resolved")
    with db.read() as cur:
        recent = cur.execute("SELECT call_id, operator_id FROM calls WHERE started_at >= ?",
                             [datetime.combine(PILOT_START, datetime.min.time(), tzinfo=timezone.utc)]).fetchall()
    piloted_ids = [call_id for call_id, operator_id in recent if in_pilot(pilot, call_id, operator_id)]
    with db.write() as cur:
        cur.execute("UPDATE call_scores SET script_version = $version, score = least(100, score + 4)"
                    " WHERE list_contains($ids, call_id)", {"version": PILOT_VERSION, "ids": piloted_ids})
    as_of = (FIRST_DAY + timedelta(days=DAYS - 1)).date()
    candidates, totals = store.problem_candidates(db, as_of, WINDOW_DAYS)
    ranked = rank_all(candidates, totals, as_of, WINDOW_DAYS, UrgencyRule())
    store.save_rankings(db, ranked, as_of, UrgencyRule())
    planned = {"cluster:7": ("Fix the login error message on the portal", "Portal team"),
               "item:consent": ("Retrain operators on the consent wording", "Training team")}
    targets = [p for p in ranked if p.problem_id in planned] + [p for p in ranked if p.problem_id not in planned][:1]
    for n, problem in enumerate(targets):
        title, owner = planned.get(problem.problem_id, ("Update the knowledge base article", "Knowledge base editors"))
        due = as_of + timedelta(days=7 * (n + 1))
        action = store.add_action(db, problem.problem_id, title, owner, due, as_of - timedelta(days=42))
        if n < 2:
            store.save_action_change(db, action.action_id, "planned", "in_progress", owner, due, None,
                                     as_of - timedelta(days=35))
        if n == 0:
            store.save_action_change(db, action.action_id, "in_progress", "done", owner, due, "new message deployed",
                                     as_of - timedelta(days=21))
