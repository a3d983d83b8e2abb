"""The weekly_report flow on a synthetic scale-up: 100,000 scored and analysed calls over 12 weeks.

    .venv/bin/python -m benchmarks.report [--calls 100000] [--keep DIR]

The calls are written by demo_calls.scale (set-based SQL straight into DuckDB). Only the flow is timed; the target is under 60 s on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import print_table
from demo_calls.scale import write_synthetic
from storage.db import Database

def save_pages(pdf: Path, folder: Path) -> None:
    """The PDF's pages as PNG images, as a reader sees them (the README's screenshots)."""
    import pypdfium2
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    for n, page in enumerate(document, start=1):
        page.render(scale=1.1).to_pil().convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(folder / f"report-page-{n}.png",
                                                                                optimize=True)
    document.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the database and the report here and keep them")
    parser.add_argument("--screenshots", type=Path, help="also save the PDF's pages as report-page-N.png here")
    args = parser.parse_args(argv)
    from pipelines.report_flows import weekly_report

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        db_path = folder / "scale.duckdb"
        db_path.unlink(missing_ok=True)
        started = time.perf_counter()
        with Database(db_path) as db:
            write_synthetic(db, args.calls)
        built = time.perf_counter() - started
        started = time.perf_counter()
        paths = weekly_report(db_path, folder / "report")
        flow_seconds = time.perf_counter() - started
        size_mb = db_path.stat().st_size / 1e6
        html_kb, pdf_kb = paths.html.stat().st_size / 1e3, paths.pdf.stat().st_size / 1e3
        if args.screenshots:
            save_pages(paths.pdf, args.screenshots)
    print_table(f"weekly_report on {args.calls:,} synthetic calls ({os.cpu_count()} cores, load "
                f"{os.getloadavg()[0]:.1f})",
                ["step", "seconds", "notes"],
                [["write synthetic database", built, f"{size_mb:.0f} MB DuckDB file"],
                 ["weekly_report flow", flow_seconds, f"{paths.pages} PDF pages ({pdf_kb:.0f} kB), HTML {html_kb:.0f} kB"],
                 ["target", 60.0, "flow under 60 s on 2 cores"]])
    return 0 if flow_seconds < 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
