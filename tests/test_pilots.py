"""Script pilots: arm assignment, the statistics, a pilot on generated calls, and adopting its version."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from demo_calls.pilot import PILOT_VERSION, pilot_script, run_pilot
from feedback.pilots import analyse, compare_means, compare_rates, holm, in_pilot, recommend
from pipelines.pilots import script_choice, scripts_for_calls
from pipelines.rescore import rescore
from storage import pilots as pilot_store
from storage.db import Database
from feedback_data import SCRIPT, START, store_call, store_repeat
from pipelines.pilots import pilot_calls


def test_assignment_is_deterministic_and_takes_the_share():
    pilot = pilot_store.Pilot("p", "s", "2", "1", ("op-7",), 0.3, START.date())
    assigned = [in_pilot(pilot, f"call-{n}", "op-1") for n in range(5000)]
    assert assigned == [in_pilot(pilot, f"call-{n}", "op-1") for n in range(5000)]
    assert 0.28 < sum(assigned) / 5000 < 0.32
    assert all(in_pilot(pilot, f"call-{n}", "op-7") for n in range(100))


def test_means_and_rates_give_intervals_that_cover_the_truth():
    rng = np.random.default_rng(1)
    covered = 0
    for _ in range(200):
        c = compare_means("score", list(rng.normal(75, 10, 80)), list(rng.normal(70, 15, 120)), target=3.0)
        covered += c.ci_low <= 5.0 <= c.ci_high
    assert 180 <= covered <= 198  # 95 % intervals
    a, b = list(rng.normal(75, 10, 30)), list(rng.normal(70, 15, 50))
    assert compare_means("score", a, b, 3.0).p_value == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    clear = compare_means("score", list(rng.normal(80, 10, 400)), list(rng.normal(70, 10, 400)), target=3.0)
    assert clear.verdict == "better" and clear.enough and clear.needed_per_arm < 400
    # 2*(1.96+0.84)^2 * 100 / 9 = 174 calls per arm to see 3 points at sd 10
    assert 150 < clear.needed_per_arm < 200

    rare = compare_rates("repeats", 1, 20, 6, 20, target=0.05)
    assert rare.test == "Fisher exact"
    assert rare.p_value == pytest.approx(stats.fisher_exact([[1, 19], [6, 14]]).pvalue)
    assert not rare.enough and rare.verdict == "too few calls"
    worse = compare_rates("repeats", 300, 1000, 200, 1000, target=0.05)
    assert worse.test == "two-proportion z" and worse.verdict == "worse" and worse.ci_low > 0
    assert recommend((clear, worse)) == ("reject", "significantly worse repeats")
    # Holm: the smallest of three p-values times 3, the next times 2 (never below the one before), the last as is
    borderline = compare_rates("repeats", 125, 1000, 95, 1000, target=0.05)
    adjusted = holm([borderline, worse, rare])
    ps = sorted([(borderline.p_value, 0), (worse.p_value, 1), (rare.p_value, 2)])
    assert adjusted[ps[0][1]].p_adjusted == pytest.approx(3 * ps[0][0])
    assert adjusted[ps[1][1]].p_adjusted == pytest.approx(max(3 * ps[0][0], 2 * ps[1][0]))
    assert borderline.significant and not adjusted[0].significant and adjusted[1].significant
    assert recommend((clear,))[0] == "adopt"
    assert recommend((rare,))[0] == "extend"


def simulated_pilots(runs: int, per_arm: int, score_gain: float = 0.0, repeat_rise: float = 0.0) -> list:
    """Pilots whose truth is known: both arms drawn from one population, the pilot's scores `score_gain` points
    higher and its calls' chance of a repeat `repeat_rise` higher."""
    rng = np.random.default_rng(11)
    pilot = pilot_store.Pilot("p", "s", "2", "1", (), 0.5, START.date())
    arms = [in_pilot(pilot, f"call-{n}", "op-1") for n in range(4 * per_arm)]
    ids = [n for n, piloted in enumerate(arms) if piloted][:per_arm] + [n for n, p in enumerate(arms) if not p][:per_arm]
    analyses = []
    for _ in range(runs):
        calls = []
        for n in ids:
            piloted = arms[n]
            repeated = bool(rng.random() < 0.15 + (repeat_rise if piloted else 0.0))
            calls.append(pilot_store.PilotCall(
                f"call-{n}", "op-1", START, "2" if piloted else "1",
                float(rng.normal(75 + (score_gain if piloted else 0.0), 10)), float(rng.integers(1, 6)),
                repeated, float(rng.exponential(20)) if repeated else 0.0))
        analyses.append(analyse(pilot, calls))
    return analyses


def test_a_pilot_without_effect_is_not_reported_better():
    analyses = simulated_pilots(200, 200)
    better = sum(a.comparison("compliance score").verdict == "better" for a in analyses) / len(analyses)
    assert better <= 0.06  # a two-sided 5 % test calls a chance difference better 2.5 % of the time
    assert sum(a.recommendation == "adopt" for a in analyses) / len(analyses) <= 0.06
    # four outcomes, yet Holm keeps a chance «worse» on the secondary ones near 5 % in all
    harmed = sum(any(c.verdict == "worse" for c in a.comparisons[1:]) for a in analyses) / len(analyses)
    assert harmed <= 0.08


@pytest.mark.slow
def test_a_real_effect_is_found_as_often_as_the_sample_size_promises():
    # 3 points at sd 10 needs 175 calls per arm for 80 % power: with that many, about four pilots in five see it
    analyses = simulated_pilots(200, 175, score_gain=3.0)
    assert analyses[0].comparison("compliance score").needed_per_arm in range(160, 190)
    found = sum(a.comparison("compliance score").verdict == "better" for a in analyses) / len(analyses)
    assert 0.7 <= found <= 0.9
    # adopting takes enough calls for every outcome too (the repeat share's 5 points need the most, about 700)
    clear = simulated_pilots(30, 1000, score_gain=3.0)
    assert sum(a.recommendation == "adopt" for a in clear) / len(clear) >= 0.9
    # a script that raises the score but sends callers back is rejected
    harmful = simulated_pilots(50, 200, score_gain=6.0, repeat_rise=0.15)
    assert sum(a.recommendation == "reject" for a in harmful) / len(harmful) >= 0.8


@pytest.mark.slow
def test_pilot_on_generated_calls_is_analysed_end_to_end(tmp_path):
    # the pilot's operators are trained on its new item by construction: this checks that generated calls are
    # scored per arm, stored and analysed, while the statistics are tested above on pilots whose truth is known

    with Database(tmp_path / "pilot.duckdb") as db:
        analysis = run_pilot(db, 160, seed=5, encoder=None)
    assert analysis.left_out == 0 and analysis.pilot_calls + analysis.control_calls == 160
    compliance = analysis.comparison("compliance score")
    assert compliance.verdict == "better" and compliance.ci_low > 0
    rating = analysis.comparison("satisfaction rating")  # generated ratings do not depend on the script
    assert rating.test == "Mann-Whitney U" and rating.pilot_n > 30 and not rating.significant
    assert analysis.comparison("repeat-call share").pilot_n == analysis.pilot_calls


@pytest.mark.slow
def test_running_pilot_and_adopted_version_choose_the_script(tmp_path):
    piloted = pilot_script()
    with Database(tmp_path / "hotline.duckdb") as db:
        from storage.scores import save_script

        save_script(db, SCRIPT)
        save_script(db, piloted)
        store_call(db, "c-pilot", 1, "op-7")
        store_call(db, "c-other", 1, "op-1")
        store_call(db, "c-later", 2, "op-1")
        store_repeat(db, "c-later", "c-other", 24.0)
        for bad, message in (({"share": 1.5}, "between 0 and 1"), ({"operators": ()}, "operators or a share"),
                             ({"ended_on": START.date().replace(year=2024)}, "ends"),
                             ({"script_version": SCRIPT.version}, "both use version")):
            fields = {"pilot_id": "p", "script_name": SCRIPT.name, "script_version": PILOT_VERSION,
                      "control_version": SCRIPT.version, "operators": ("op-7",), "share": 0.0,
                      "started_on": START.date(), **bad}
            with pytest.raises(ValueError, match=message):
                pilot_store.save_pilot(db, pilot_store.Pilot(**fields))
        with pytest.raises(KeyError, match="not stored"):
            pilot_store.save_pilot(db, pilot_store.Pilot("p", SCRIPT.name, "9.9", SCRIPT.version, ("op-7",), 0.0, START.date()))
        pilot_store.save_pilot(db, pilot_store.Pilot("p", SCRIPT.name, PILOT_VERSION, SCRIPT.version, ("op-7",), 0.0, START.date()))
        assert scripts_for_calls(db, ["c-pilot", "c-other"]) == {"c-pilot": piloted.text,
                                                                 "c-other": None}  # None: the shipped script
        # a call not stored yet is decided from its sidecar's operator and start, as processing does
        running = script_choice(db)
        assert (running.for_call("c-new", "op-7", START), running.for_call("c-new", "op-1", START)) == (piloted.text, None)
        summary = rescore(db)  # re-scoring keeps each pilot call on its pilot's version
        assert (summary.script_version, summary.calls_scored, summary.piloted) == (SCRIPT.version, 3, 1)
        with db.read() as cur:
            assert dict(cur.execute("SELECT call_id, script_version FROM call_scores").fetchall()) == {
                "c-pilot": PILOT_VERSION, "c-other": SCRIPT.version, "c-later": SCRIPT.version}
        calls = {c.call_id: c for c in pilot_calls(db, START.date(), None)}
        assert (calls["c-other"].repeated, calls["c-other"].resolution_hours) == (True, 24.0)
        assert (calls["c-later"].repeated, calls["c-later"].resolution_hours) == (False, 0.0)

        analysis = analyse(pilot_store.pilot(db, "p"), list(calls.values()))
        assert (analysis.left_out, analysis.pilot_calls, analysis.control_calls) == (0, 1, 2)
        pilot_store.record_decision(db, "p", "adopt", {"recommendation": analysis.recommendation}, note="board approved")
        assert pilot_store.undecided_pilots(db) == []
        assert scripts_for_calls(db, ["c-other"]) == {"c-other": piloted.text}
        assert script_choice(db).for_call("c-new", "op-1", START) == piloted.text
        assert [d.decision for d in pilot_store.decisions(db, "p")] == ["adopt"]
        with pytest.raises(ValueError, match="adopt, extend or reject"):
            pilot_store.record_decision(db, "p", "maybe", {})
