"""The problem register and corrective actions on a real DuckDB file."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.problems import KINDS, URGENCIES, rank, urgency
from feedback.records import ProblemStats, UrgencyRule, WindowTotals
from pipelines.problem_register import action_outcome, add_action, rebuild_problems, update_action
from storage import improvement as store
from storage.db import Database
from feedback_data import START, store_call, store_cluster, store_ratings

pytestmark = pytest.mark.slow  # builds the problem register from scored, clustered calls

AS_OF = (START + timedelta(days=55)).date()  # window: days 28-55; the window before: days 0-27


def build_calls(db: Database) -> None:
    """40 calls a window. Cluster 1 grows from 2 to 10 calls; consent fails on a third of the recent calls."""
    for n in range(40):
        store_call(db, f"old-{n:02}", n * 0.7, topic="taxes_fines")
        store_call(db, f"new-{n:02}", 28 + n * 0.7, failed=("consent",) if n % 3 == 0 else (),
                   topic="restore_access")
    store_cluster(db, 1, ["old-00", "old-01", *(f"new-{n:02}" for n in range(10))], "не могу войти в личный кабинет")
    store_cluster(db, 2, ["old-05", "new-20"], "пенсию не пересчитали")


def test_register_ranks_growing_cluster_and_failing_item_with_stable_ids(tmp_path):
    with Database(tmp_path / "hotline.duckdb") as db:
        build_calls(db)
        ranked = {p.problem_id: p for p in rebuild_problems(db, AS_OF)}
        # cluster 2 has one call in the window; topics need survey ratings to be a problem
        assert set(ranked) == {"cluster:1", "item:consent"}
        cluster = ranked["cluster:1"]
        assert (cluster.calls, cluster.previous_calls, cluster.share, cluster.growth) == (10, 2, 0.25, 5.0)
        assert (cluster.volume_points, cluster.effect_points, cluster.growth_points, cluster.urgency) == (2, 0, 2, "high")
        assert cluster.title == "Complaints «не могу войти в личный кабинет»"
        consent = ranked["item:consent"]
        assert (consent.calls, consent.previous_calls, consent.growth, consent.growth_points) == (14, 0, None, 2)
        assert consent.urgency == "high"

        # a rebuild finds the same problems under the same ids; one that fades stays in the register, inactive
        assert [p.problem_id for p in rebuild_problems(db, AS_OF)] == [p.problem_id for p in store.current_problems(db)]
        later = AS_OF + timedelta(days=60)
        assert rebuild_problems(db, later) == []
        assert store.current_problems(db) == []
        with db.read() as cur:
            assert cur.execute("SELECT problem_id, active FROM problems ORDER BY 1").fetchall() == [
                ("cluster:1", False), ("item:consent", False)]
            assert cur.execute("SELECT count(*) FROM problem_rankings").fetchone() == (2,)
            (rule,) = cur.execute("SELECT DISTINCT rule->>'share_high' FROM problem_rankings").fetchone()
            assert float(rule) == UrgencyRule().share_high


def test_low_rated_topic_and_failed_item_effects_come_from_surveys(tmp_path):
    with Database(tmp_path / "hotline.duckdb") as db:
        build_calls(db)
        for n in range(40, 60):  # 20 more recent calls on another topic, rated poorly
            store_call(db, f"new-{n:02}", 28 + (n - 40) * 1.3, topic="taxes_fines")
        # restore_access calls: 5 stars, except 4 stars where consent failed; taxes_fines calls: 2 stars
        store_ratings(db, {f"new-{n:02}": (2 if n >= 40 else 4 if n % 3 == 0 else 5) for n in range(60)})
        ranked = {p.problem_id: p for p in rebuild_problems(db, AS_OF)}
        taxes = ranked["topic:taxes_fines"]
        assert (taxes.calls, taxes.rated_calls, taxes.rating_effect) == (20, 20, -2.65)  # 2 against (14 * 4 + 26 * 5) / 40
        assert (taxes.volume_points, taxes.effect_points, taxes.growth_points, taxes.urgency) == (2, 2, 0, "high")
        assert "topic:restore_access" not in ranked  # rated above the rest
        consent = ranked["item:consent"]
        # its 14 calls: 4 stars; the 46 other rated calls: (26*5 + 20*2) / 46
        assert consent.rating_effect == round(4 - 170 / 46, 3) and consent.effect_points == 0


def test_urgency_rule_counts_effect_on_satisfaction():
    totals = WindowTotals(calls=200, rated_calls=100, rating_sum=400.0)
    stats = ProblemStats("topic:taxes_fines", "topic", "taxes_fines", "t", calls=30, previous_calls=10,
                         applicable_calls=None, rated_calls=20, rating_sum=50.0)
    problem = rank(stats, totals, date(2025, 3, 1), 28)
    # its calls: 2.5 stars; the other 80 rated calls: 350 / 80 = 4.375
    assert problem.rating_effect == -1.875 and problem.effect_points == 2
    assert (problem.volume_points, problem.growth_points, problem.urgency) == (2, 2, "critical")
    mild = ProblemStats("topic:x", "topic", "x", "t", 30, 30, None, 20, 80.0)  # 4.0 against 4.0: no problem
    assert rank(mild, totals, date(2025, 3, 1), 28) is None
    with pytest.raises(ValueError, match="problem kind"):
        rank(ProblemStats("x", "other", "x", "t", 30, 0, None, 0, 0.0), totals, date(2025, 3, 1), 28)
    assert rank(stats, totals, date(2025, 3, 1), 28, UrgencyRule(min_rated_calls=50)) is None


def test_actions_keep_history_and_measure_outcome(tmp_path):
    with Database(tmp_path / "hotline.duckdb") as db:
        build_calls(db)
        # after the fix, cluster 1 comes up twice in the four weeks from day 56
        for n in range(8):
            store_call(db, f"after-{n}", 56 + n * 3.5)
        store_cluster(db, 1, ["after-0", "after-5"], "не могу войти в личный кабинет")
        rebuild_problems(db, AS_OF)
        started = (START + timedelta(days=28)).date()
        action = add_action(db, "cluster:1", "Fix the login page error text", "Portal team",
                            date(2025, 3, 10), started_on=started, note="from the weekly review")
        assert (action.action_id, action.status, len(action.history)) == (1, "planned", 1)
        with pytest.raises(KeyError, match="no problem"):
            add_action(db, "cluster:99", "x", "y", date(2025, 3, 10))
        with pytest.raises(ValueError, match="needs an owner"):
            add_action(db, "cluster:1", "x", "  ", date(2025, 3, 10))

        update_action(db, 1, status="in_progress", owner="Portal team lead", on=started)
        with pytest.raises(ValueError, match="cannot go back"):
            update_action(db, 1, status="planned")
        done = update_action(db, 1, status="done", note="new text deployed", on=AS_OF + timedelta(days=1))
        with pytest.raises(ValueError, match="add a new action"):
            update_action(db, 1, status="in_progress")
        assert [(e.status, e.owner) for e in done.history] == [
            ("planned", "Portal team"), ("in_progress", "Portal team lead"), ("done", "Portal team lead")]
        assert done.done_on == AS_OF + timedelta(days=1)
        assert not done.overdue(date(2030, 1, 1))

        outcome = action_outcome(db, done, until=AS_OF + timedelta(days=29))
        # before: days 0-27 held cluster 1's two old calls; after: 4 weeks with 2 calls
        assert (outcome.calls_before, outcome.weeks_before, outcome.calls_after, outcome.weeks_after) == (2, 4.0, 2, 4.0)
        assert outcome.change == 0.0
        assert store.actions(db, problem_id="cluster:1") == [done]


@settings(max_examples=300, deadline=None)
@given(calls=st.integers(0, 500), extra=st.integers(0, 500), previous=st.integers(0, 500),
       rated=st.integers(0, 100), mean=st.floats(1, 5), kind=st.sampled_from(KINDS))
def test_urgency_never_falls_when_a_problem_gets_more_calls(calls, extra, previous, rated, mean, kind):
    totals = WindowTotals(calls=2000, rated_calls=400, rating_sum=1600.0)

    def ranked(n: int):
        stats = ProblemStats("p", kind, "k", "t", n, previous, 1000 if kind == "checklist_item" else None,
                             min(rated, n), mean * min(rated, n))
        return rank(stats, totals, date(2025, 3, 1), 28)

    fewer, more = ranked(calls), ranked(calls + extra)
    if fewer is not None:
        assert more is not None
        assert more.volume_points >= fewer.volume_points and more.points >= fewer.points
        assert URGENCIES.index(more.urgency) <= URGENCIES.index(fewer.urgency)
    for problem in (fewer, more):
        if problem is not None:
            assert problem.urgency == urgency(problem.points) and 0 <= problem.points <= 6
