"""The weekly report flow on a synthetic database, looked at as a reader would: the PDF rendered to images, its
text read back, its charts checked for ink; and the report commands run as a user runs them."""
from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pypdfium2
import pytest
from PIL import Image

from demo_calls.pilot import PILOT_VERSION, pilot_script
from demo_calls.scale import write_synthetic
from pipelines.report_flows import weekly_report
from scoring.script import load_script
from storage.db import Database

pytestmark = pytest.mark.slow  # builds the weekly report, its charts and PDF pages

ROOT = Path(__file__).resolve().parents[1]
CALLS = 3000


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    with Database(folder / "hotline.duckdb") as db:
        write_synthetic(db, CALLS)
    return folder, weekly_report(folder / "hotline.duckdb", folder / "out")


def text_of(page_text: str) -> str:
    """A page's text with the narrow no-break spaces of Russian numbers and dates as plain spaces."""
    return page_text.replace("\u202f", " ").replace("\xa0", " ")


def pages(pdf_path: Path) -> list[tuple[str, np.ndarray]]:
    document = pypdfium2.PdfDocument(pdf_path)
    rendered = [(page.get_textpage().get_text_range(), np.asarray(page.render(scale=1).to_pil().convert("RGB")))
                for page in document]
    document.close()
    return rendered


def ink(image: np.ndarray, colour: str, tolerance: int = 40) -> int:
    """Pixels within `tolerance` of a chart colour (#rrggbb)."""
    target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image.astype(int) - target).max(axis=2) < tolerance).sum())


def test_pdf_pages_show_kpis_problems_actions_pilot_and_coaching(report):
    _, paths = report
    assert paths.pdf.name == "weekly-report-2025-03-24.pdf" and paths.pages == 3
    (kpi_text, kpi_page), (problem_text, problem_page), (last_text, last_page) = pages(paths.pdf)
    kpi_text, problem_text, last_text = text_of(kpi_text), text_of(problem_text), text_of(last_text)
    # Russian by default, in the embedded DejaVu Sans: the headings come back as searchable Cyrillic text
    assert "Еженедельный отчёт руководству — неделя с 24 марта 2025 г." in kpi_text
    for kpi in ("Среднее время решения, ч", "Доля повторных звонков", "Решено с первого звонка",
                "Средняя оценка (1–5)", "Соблюдение скрипта (0–100)"):
        assert kpi in kpi_text
    assert re.search(r"Данные по 30 марта 2025 г\.; \d+ открыт(ая проблема|ые проблемы|ых проблем)", kpi_text)
    assert "Главные проблемы и корректирующие действия" in problem_text
    # the planted growing complaint cluster is critical, and its quote survives as searchable Cyrillic text
    assert re.search(r"критическая\s+Complaints «не могу войти в личный кабинет \(7\)»", problem_text)
    assert "Fix the login error message on the portal" in problem_text and "выполнено" in problem_text
    assert f"Пилот confirm-resolved: {PILOT_VERSION} против {load_script().version}" in last_text
    assert "Операторы, которым нужно обучение" in last_text and "survey_invite" in last_text
    # the charts are drawn: line and bar colours cover a real area of each page, not a blank frame
    assert ink(kpi_page, "#2166ac") > 1500 and ink(kpi_page, "#1b7837") > 500
    assert ink(problem_page, "#b2182b") > 3000
    assert ink(last_page, "#2166ac") > 10000


def test_html_report_inlines_every_chart(report):
    _, paths = report
    html = paths.html.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 4  # KPIs, problems, the pilot, coaching
    for encoded in images:
        picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))).convert("L"))
        assert (picture < 200).mean() > 0.01  # ink, not a white rectangle
    assert "Complaints «не могу войти в личный кабинет (7)»" in html and "<script" not in html
    assert '<html lang="ru">' in html and "<h2>Главные проблемы и корректирующие действия</h2>" in html


def test_the_report_in_english_on_request(report, tmp_path):
    folder, _ = report
    paths = weekly_report(folder / "hotline.duckdb", tmp_path, lang="en")
    (kpi_text, _), (problem_text, _), (last_text, _) = pages(paths.pdf)
    assert "Weekly management report — week of March 24, 2025" in kpi_text
    assert "Average time to resolution, h" in kpi_text and "Top problems and corrective actions" in problem_text
    assert re.search(r"critical\s+Complaints «не могу войти", problem_text)
    assert "Operators needing coaching" in last_text
    html = paths.html.read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "<h2>Script pilots</h2>" in html


def hqc(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env={**os.environ, "LANG": "ru_RU.UTF-8"})


def test_register_actions_and_pilot_commands(report):
    folder, _ = report
    db = folder / "hotline.duckdb"
    listed = hqc("problems", "--db", db, "--as-of", "2025-03-30")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"критическая\s+cluster:7 .*Complaints «не могу войти", listed.stdout)

    added = hqc("actions", "add", "--db", db, "--problem", "item:consent", "--title", "Consent reminder in the CRM",
                "--owner", "CRM team", "--due", "2025-04-30", "--started", "2025-03-01")
    assert added.returncode == 0, added.stderr
    action_id = re.search(r"№(\d+) \[запланировано\]", added.stdout)[1]
    done = hqc("actions", "update", action_id, "--db", db, "--status", "done", "--on", "2025-03-10")
    assert done.returncode == 0 and "[выполнено]" in done.stdout
    back = hqc("actions", "update", action_id, "--db", db, "--status", "planned")
    assert back.returncode == 2 and "add a new action instead of reopening it" in back.stderr
    history = hqc("actions", "list", "--db", db, "--problem", "item:consent").stdout
    assert "10 марта 2025\u202fг. выполнено (CRM team" in history and "звонка в неделю, " in history

    second = folder / "second-pilot.yaml"
    second.write_text(pilot_script().text.replace(PILOT_VERSION, "2025.04.1-pilot"), encoding="utf-8")
    started = hqc("pilots", "add", "greeting-v4", "--db", db, "--script", second, "--operators", "op-01,op-02",
                  "--start", "2025-03-20")
    assert started.returncode == 0, started.stderr
    assert (f"2025.04.1-pilot против {load_script().version} с 20 марта 2025\u202fг., операторы op-01, op-02"
            in started.stdout)
    same = hqc("pilots", "add", "again", "--db", db, "--script", ROOT / "scoring" / "scripts" / "default.yaml",
               "--share", "0.2")
    assert same.returncode == 2 and "пилоту нужна новая версия" in same.stderr

    analysed = hqc("pilots", "analyse", "confirm-resolved", "--db", db)
    assert re.search(r"compliance score .* Welch t p=\S+; в каждой группе нужно звонков: \d+ — лучше", analysed.stdout)
    decided = hqc("pilots", "decide", "confirm-resolved", "--db", db, "--decision", "adopt", "--note", "board")
    assert decided.returncode == 0 and "теперь используется для оценки по умолчанию" in decided.stdout
    with Database(db) as opened, opened.read() as cur:
        assert cur.execute("SELECT script_version FROM default_script").fetchone() == ("2025.03.2-pilot",)

    missing = hqc("weekly-report", "--db", folder / "nothing.duckdb", "--out", folder / "x")
    assert missing.returncode == 2 and "ошибка: базы данных" in missing.stderr and "nothing.duckdb нет" in missing.stderr
    assert not (folder / "nothing.duckdb").exists()
    bad_day = hqc("actions", "add", "--db", db, "--problem", "x", "--title", "t", "--owner", "o", "--due", "soon")
    assert bad_day.returncode == 2 and "не дата (ГГГГ-ММ-ДД)" in bad_day.stderr
