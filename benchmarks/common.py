"""Shared pieces of the benchmarks: where the evaluation data lives, text normalisation, child-process peaks."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("ё", "е")).split())


def run_child(args: list[str]) -> tuple[dict, float, float]:
    """Run `python -m <args>` and return its JSON line, its own peak RSS in MB (not the parent's) and the CPU
    seconds of it and every descendant it waited for."""
    proc = subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed with exit code {proc.returncode}")
    return (json.loads(out.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime)


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [header] + [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
