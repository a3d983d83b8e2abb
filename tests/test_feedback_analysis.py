"""Weekly KPIs and satisfaction drivers on a real DuckDB file filled with generated calls' ground truth and
survey answers whose ratings depend, by construction, on what the operator did."""
from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from statistics import fmean

import numpy as np
import pytest
from scipy import stats

from demo_calls.generate import write_calls
from demo_calls.surveys import RATING_EFFECTS, survey_rows
from demo_calls.truth_db import store_truth
from feedback.kpis import kpis_by_week, week_start
from feedback.records import KpiCall, RatedCall
from feedback.satisfaction import MIN_CALLS, adjusted_item_effects, compare
from pipelines.cli import main
from pipelines.survey_analysis import satisfaction_drivers, weekly_kpis
from pipelines.survey_import import import_payload
from storage.db import Database
from storage.scores import override_verdict, scored_calls

pytestmark = pytest.mark.slow  # builds a database of scored calls and survey answers

SEED = 11
CALLS = 240


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    scripts = write_calls(CALLS, SEED)
    rows = survey_rows(scripts, SEED, response_share=1.0)
    with Database(tmp_path_factory.mktemp("feedback") / "qc.duckdb") as db:
        store_truth(db, scripts)
        import_payload(db, json.dumps(rows, ensure_ascii=False).encode(), "json", "post_call", "generated")
        yield db, scripts, rows


MSK = timezone(timedelta(hours=3))


def _call(call_id, at, *, minutes=10.0, repeat_of=None, open_request=False, closed=None, rating=None,
          resolved=None, score=None, critical=None):
    return KpiCall(call_id, at, minutes * 60, repeat_of, open_request, closed, rating, resolved, score, critical)


def test_a_question_runs_from_its_first_call_to_its_resolution():
    monday = datetime(2025, 3, 3, 10, 0, tzinfo=MSK)
    calls = [
        _call("a1", monday, rating=2, resolved=False, score=50.0, critical=True),
        _call("a2", monday + timedelta(days=1), repeat_of="a1", minutes=6, rating=4, resolved=True, score=100.0,
              critical=False),
        _call("b", monday + timedelta(hours=2), open_request=True),  # still waiting for its request
        _call("c", monday + timedelta(hours=3), minutes=30, closed=monday + timedelta(days=2, hours=3)),
        _call("d", monday + timedelta(hours=4), minutes=12, rating=5, resolved=True),
        _call("e", monday + timedelta(weeks=2), minutes=3, resolved=False, rating=1),  # caller says not resolved
    ]
    first, empty, last = kpis_by_week(calls)
    assert first.week_start == monday.date() and first.calls == 5 and first.questions == 4
    assert first.resolved_questions == 3
    # a: a day and 6 minutes; c: its request closed two days after the call; d: its own 12 minutes
    assert first.avg_resolution_hours == pytest.approx(fmean([24.1, 48.0, 0.2]))
    assert first.first_call_resolution == pytest.approx(2 / 4)
    assert first.repeat_call_share == pytest.approx(1 / 5)
    assert (first.survey_responses, first.mean_rating, first.satisfied_share) == (3, pytest.approx(11 / 3),
                                                                                  pytest.approx(2 / 3))
    assert (first.scored_calls, first.mean_compliance, first.no_critical_failure_share) == (2, 75.0, 0.5)
    assert empty.calls == 0 and empty.mean_rating is None and empty.week_start == monday.date() + timedelta(7)
    assert last.questions == 1 and last.resolved_questions == 0 and last.avg_resolution_hours is None
    assert kpis_by_week(calls, weeks=1) == [last]


def test_weekly_kpis_match_the_calls_and_answers_they_count(filled):
    db, scripts, rows = filled
    kpis = weekly_kpis(db)
    weeks = [k.week_start for k in kpis]
    assert weeks == sorted(weeks) and all(w.weekday() == 0 for w in weeks)

    by_week = defaultdict(list)
    for s in scripts:
        by_week[week_start(datetime.fromisoformat(s.started_at))].append(s)
    ratings = defaultdict(list)
    started = {s.call_id: datetime.fromisoformat(s.started_at) for s in scripts}
    for r in rows:
        ratings[week_start(started[r["call_id"]])].append(r["rating"])
    scores = defaultdict(list)
    for call in scored_calls(db):
        scores[week_start(call.started_at)].append(call)
    for k in kpis:
        week = by_week[k.week_start]
        assert k.calls == len(week)
        assert k.repeat_call_share == pytest.approx(sum(s.repeat_of is not None for s in week) / len(week))
        assert k.survey_responses == len(ratings[k.week_start])
        assert k.mean_rating == pytest.approx(fmean(ratings[k.week_start]))
        assert k.satisfied_share == pytest.approx(fmean(r >= 4 for r in ratings[k.week_start]))
        # scorecards round each call's score to one decimal; the weekly mean is taken before rounding
        assert k.mean_compliance == pytest.approx(fmean(c.score for c in scores[k.week_start] if c.score is not None),
                                                  abs=0.05)
        assert k.no_critical_failure_share == pytest.approx(fmean(not c.critical_failures
                                                                  for c in scores[k.week_start]))
        assert 0 < k.first_call_resolution < 1 and k.avg_resolution_hours > 0
    assert sum(k.questions for k in kpis) == CALLS - sum(s.repeat_of is not None for s in scripts)
    assert weekly_kpis(db, weeks=2) == kpis[-2:]
    with pytest.raises(ValueError, match="at least 1"):
        weekly_kpis(db, weeks=0)


def test_an_analysts_override_counts_in_script_compliance(tmp_path):
    scripts = write_calls(24, SEED)
    with Database(tmp_path / "qc.duckdb") as db:
        store_truth(db, scripts)
        call = next(s for s in scripts if all(v != "failed" for v in s.checklist.values()) and s.topic)
        week = week_start(datetime.fromisoformat(call.started_at))
        before = next(k for k in weekly_kpis(db) if k.week_start == week)
        override_verdict(db, call.call_id, "no_forbidden_phrases", "failed", reason="rude to the caller",
                         analyst="qa-1")
        after = next(k for k in weekly_kpis(db) if k.week_start == week)
    assert after.no_critical_failure_share == pytest.approx(before.no_critical_failure_share - 1 / after.scored_calls)
    assert after.mean_compliance < before.mean_compliance


def test_drivers_find_the_items_that_truly_lower_ratings(filled):
    db, _, _ = filled
    drivers = satisfaction_drivers(db)
    items = [d for d in drivers if d.kind == "checklist_item" and d.enough_calls]
    true_drivers, others = items[:2], items[2:]
    assert {d.factor for d in true_drivers} == set(RATING_EFFECTS)
    for d in true_drivers:
        assert d.ci_high < 0 and d.p_value < 0.001 and d.cohens_d < -0.5 and d.cliffs_delta < -0.3
        assert d.adjusted_ci_low <= RATING_EFFECTS[d.factor] <= d.adjusted_ci_high
    # operators who skip one item skip others: harmless items look harmful until the fit holds the rest fixed
    assert fmean(abs(d.adjusted_difference) for d in others) < fmean(abs(d.difference) for d in others) / 2
    assert max(abs(d.adjusted_difference) for d in others) < min(abs(d.adjusted_difference) for d in true_drivers) / 2
    holds = next(d for d in drivers if d.factor == "hold_count")
    assert holds.kind == "metric" and holds.ci_high < 0 and holds.adjusted_difference is None  # each hold costs


def test_drivers_by_topic_and_operator_say_when_calls_are_too_few(filled):
    db, scripts, _ = filled
    by_topic = satisfaction_drivers(db, by="topic")
    assert {d.group for d in by_topic} == {s.topic for s in scripts if s.topic}
    thin = [d for d in by_topic if not d.enough_calls]
    assert thin and all(d.ci_low is None and "too few calls" in d.note for d in thin)
    assert all(min(d.n_exposed, d.n_reference) >= MIN_CALLS for d in by_topic if d.enough_calls)
    by_operator = satisfaction_drivers(db, by="operator")
    assert {d.group for d in by_operator} <= {s.operators[0].operator_id for s in scripts}
    with pytest.raises(ValueError, match="grouped by topic, operator"):
        satisfaction_drivers(db, by="weekday")


def test_the_interval_is_welchs_and_the_delta_counts_pairs():
    exposed, reference = [1, 2, 2, 3, 1, 2, 4, 2, 1, 3, 2], [4, 5, 3, 5, 4, 4, 5, 2, 5, 4, 3, 5]
    driver = compare(None, "information", "checklist_item", "failed vs passed", exposed, reference)
    welch = stats.ttest_ind(exposed, reference, equal_var=False)
    interval = welch.confidence_interval(0.95)
    assert (driver.ci_low, driver.ci_high) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert driver.p_value == pytest.approx(welch.pvalue)
    pairs = [(x > y) - (x < y) for x in exposed for y in reference]
    assert driver.cliffs_delta == pytest.approx(sum(pairs) / len(pairs))
    few = compare(None, "closing", "checklist_item", "failed vs passed", [1, 2], reference)
    assert not few.enough_calls and few.difference == pytest.approx(1.5 - fmean(reference)) and few.ci_low is None


def test_the_adjusted_fit_is_least_squares_and_skips_items_other_items_determine():
    rng = random.Random(4)
    calls = []
    for n in range(60):
        skipped = rng.random() < 0.3
        verdicts = {"information": "failed" if skipped else "passed",
                    "closing": "failed" if rng.random() < 0.4 else "passed",
                    "greeting": "passed",  # never fails: nothing to estimate
                    "survey_invite": "failed" if skipped else "passed"}  # fails exactly with information
        calls.append(RatedCall(f"c{n}", "op", "topic", rng.randint(1, 5), verdicts, {}))
    effects = adjusted_item_effects(calls, sorted(calls[0].verdicts))
    assert set(effects) == {"closing", "information"}
    design = np.column_stack([np.ones(60)] + [[c.verdicts[item] == "failed" for c in calls]
                                              for item in ("closing", "information")])
    expected, *_ = np.linalg.lstsq(design, [c.rating for c in calls], rcond=None)
    assert [effects["closing"][0], effects["information"][0]] == pytest.approx(expected[1:])
    assert all(low < estimate < high for estimate, low, high in effects.values())


def test_cli_prints_weekly_kpis_and_drivers(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # the commands' Russian, whatever the machine's
    scripts = write_calls(60, SEED)
    with Database(tmp_path / "qc.duckdb") as db:
        store_truth(db, scripts)
        import_payload(db, json.dumps(survey_rows(scripts, SEED, response_share=1.0)).encode(), "json",
                       "post_call", "generated")
        kpis = weekly_kpis(db, weeks=2)
    assert main(["kpis", "--db", str(tmp_path / "qc.duckdb"), "--weeks", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["неделя", "звонки"]
    assert [line.split()[:2] for line in lines[1:]] == [[f"{k.week_start:%Y-%m-%d}", str(k.calls)] for k in kpis]
    assert main(["drivers", "--db", str(tmp_path / "qc.duckdb"), "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "(failed vs passed): оценка -" in out and "слишком мало оценённых звонков" in out
