"""The weekly management report as a Prefect flow: gather from the database, draw, write HTML and PDF."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from dashboards.reports.charts import chart_pngs
from dashboards.reports.records import ReportData
from dashboards.reports.render import render_html, write_pdf
from language import DEFAULT, language
from pipelines.report_data import gather
from storage.db import Database


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    pdf: Path
    pages: int
    week_start: date


@task(name="gather-report-data", cache_policy=NONE)
def gather_task(db: Database, as_of: date | None) -> ReportData:
    return gather(db, as_of)


@task(name="write-html-report", cache_policy=NONE)
def html_task(data: ReportData, path: Path, lang: str) -> Path:
    path.write_text(render_html(data, chart_pngs(data, language(lang)), language(lang)), encoding="utf-8")
    return path


@task(name="write-pdf-report", cache_policy=NONE)
def pdf_task(data: ReportData, path: Path, lang: str) -> int:
    return write_pdf(data, path, language(lang))


@flow(name="weekly_report", log_prints=True)
def weekly_report(db_path: Path, out_dir: Path, as_of: date | None = None, lang: str = DEFAULT) -> ReportPaths:
    """Write weekly-report-<week>.html and .pdf into `out_dir` for the week ending `as_of` (default: the latest
    call's day), in the language `lang` (ru or en)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Database(db_path) as db:
        data = gather_task(db, as_of)
    stem = out_dir / f"weekly-report-{data.week_start.isoformat()}"
    html = html_task(data, stem.with_suffix(".html"), lang)
    pages = pdf_task(data, stem.with_suffix(".pdf"), lang)
    return ReportPaths(html, stem.with_suffix(".pdf"), pages, data.week_start)
