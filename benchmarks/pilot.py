"""A script pilot on generated calls where the piloted script and the pilot operators truly differ
(the scenario: demo_calls/pilot.py).

    .venv/bin/python -m benchmarks.pilot [--calls 300] [--seed 5]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import print_table
from demo_calls.pilot import run_pilot
from feedback.pilots import PilotAnalysis
from scoring.encoder import shared_encoder
from storage.db import Database


def print_analysis(analysis: PilotAnalysis) -> None:
    print_table(f"pilot {analysis.pilot_id}: {analysis.pilot_calls} pilot calls, {analysis.control_calls} control "
                f"calls, {analysis.left_out} left out",
                ["outcome", "test", "pilot", "control", "difference", "95% CI", "p", "p Holm", "needed/arm", "verdict"],
                [[c.metric, c.test, c.pilot_value, c.control_value, c.difference,
                  f"[{c.ci_low}, {c.ci_high}]" if c.ci_low is not None else "-",
                  f"{c.p_value:.2g}" if c.p_value is not None else "-",
                  f"{c.p_adjusted:.2g}" if c.p_adjusted is not None else "-", c.needed_per_arm, c.verdict]
                 for c in analysis.comparisons])
    print(f"\nrecommendation: {analysis.recommendation} ({analysis.reason})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, Database(Path(folder) / "pilot.duckdb") as db:
        analysis = run_pilot(db, args.calls, args.seed, shared_encoder())
    print_analysis(analysis)
    print(f"\n{args.calls} generated calls scored and analysed in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
