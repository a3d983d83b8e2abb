"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright against the real server, in
Russian by default and in English on request, with axe-core's accessibility rules run on every page.

CI needs the Debian package `chromium` (playwright's own browser download needs the network). Set
HOTLINE_QC_SCREENSHOTS=docs/img to refresh the README's screenshots.
"""
from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

import dashboard_data
from dashboard_data import PASSWORDS, TEAMS
from dashboards.app import Settings, create_app
from ingest.keys import Keyring
from storage.db import Database

CHROMIUM = Path("/usr/bin/chromium")
# dates as Babel writes them in Russian: «29 мар. 2025, 20:48», «11 января 2025 г.»
MONTH = r"(янв|февр|мар|апр|ма|июн|июл|авг|сент|окт|нояб|дек)[а-я]*\.?"
RUSSIAN_DATETIME = re.compile(rf"\b\d{{1,2}} {MONTH} \d{{4}}, \d\d:\d\d\b")
RUSSIAN_DATE = re.compile(rf"\b\d{{1,2}} {MONTH} \d{{4}}\b")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    template = dashboard_data.template(tmp_path_factory)
    path = dashboard_data.copy_of(template, tmp_path_factory.mktemp("browser"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Database(path) as db:
        app = create_app(db, Settings(keyring=Keyring.from_paths([template.parent / "keys"])))
        uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not uv.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the dashboard server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", db
        uv.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        yield browser
        browser.close()


@pytest.fixture()
def shots(tmp_path):
    folder = Path(os.environ.get("HOTLINE_QC_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def signed_in(browser, base: str, name: str, start: str = "/scorecards"):
    """A page signed in as `name` on `start`. Clicks that load a page wait for it (expect_navigation), so no
    assertion reads the page it is leaving."""
    page = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ru-RU").new_page()
    page.goto(base + start)
    assert "/login" in page.url  # every page asks for sign-in first
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(base + start)
    return page


def test_analyst_reads_scorecards_and_clusters(server, browser, shots):
    base, _ = server
    page = signed_in(browser, base, "analyst")
    page.select_option("select[name=by]", "team")
    with page.expect_navigation():
        page.click("form.filters button")
    rows = page.locator("table.scorecards tbody tr")
    assert rows.count() == 2 and page.locator("table.scorecards svg.chart").count() == 2
    page.select_option("select[name=by]", "operator")
    with page.expect_navigation():
        page.click("form.filters button")
    rows = page.locator("table.scorecards tbody tr")
    assert rows.count() > 2  # one row per operator, more than the two teams
    assert rows.count() == len({op for op in TEAMS if op in page.content()})
    page.screenshot(path=str(shots / "dashboard-scorecards.png"))
    with page.expect_navigation():
        page.click("text=Кластеры жалоб")
    assert page.locator("table.clusters tbody tr").count() >= 3
    assert page.locator("table.clusters svg.bars rect").count() >= 3 * 8
    page.screenshot(path=str(shots / "dashboard-clusters.png"))


def test_analyst_reviews_a_call_listens_and_overrides_a_verdict(server, browser, shots):
    base, db = server
    page = signed_in(browser, base, "analyst", "/calls")
    with page.expect_navigation():
        page.click("table.calls tbody tr:first-child a")
    page.wait_for_selector("ol.lines")
    call_id = page.url.rsplit("/", 1)[1]
    with db.read() as cur:
        segments = cur.execute("SELECT count(*) FROM segments WHERE call_id = ?", [call_id]).fetchone()[0]
    assert page.locator("ol.lines li").count() == segments
    # evidence of passed items is highlighted in the transcript
    assert page.locator("ol.lines mark").count() >= 1
    assert page.locator("ol.lines mark[data-items~=greeting]").count() + page.locator(
        "#item-greeting .verdict.failed").count() >= 1
    # the recording decrypts on the fly and the browser can decode it
    duration = page.evaluate("""() => new Promise((resolve, reject) => {
        const audio = document.querySelector('audio');
        audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
        audio.addEventListener('error', () => reject(new Error('audio error ' + audio.error.code)));
        audio.load();
    })""")
    with db.read() as cur:
        truth = cur.execute("SELECT duration_s FROM calls WHERE call_id = ?", [call_id]).fetchone()[0]
    assert abs(duration - truth) < 1.5
    page.screenshot(path=str(shots / "dashboard-call.png"), full_page=False)
    item = page.locator("#item-closing")
    before = item.locator(".verdict").get_attribute("class").split()[-1]
    new = "failed" if before == "passed" else "passed"
    item.locator("select[name=verdict]").select_option(new)
    item.locator("input[name=reason]").fill("checked against the recording")
    with page.expect_navigation():
        item.locator("button").click()
    page.wait_for_selector("#item-closing .override")
    assert page.locator("#item-closing .verdict").get_attribute("class").split()[-1] == new
    assert page.locator("#item-closing .verdict").inner_text() == {"passed": "выполнен", "failed": "нарушен"}[new]
    assert "checked against the recording" in page.locator("#item-closing .override").inner_text()


def test_search_finds_calls_by_word_forms(server, browser, shots):
    base, _ = server
    page = signed_in(browser, base, "analyst", "/search")
    page.fill("input[name=q]", "паспорт")
    with page.expect_navigation():
        page.click("form.filters button")
    hits = page.locator("ol.hits > li")
    assert hits.count() >= 1
    assert "паспорт" in hits.first.inner_text().lower()
    page.screenshot(path=str(shots / "dashboard-search.png"))


def test_supervisor_sees_their_team_only_without_audio_or_override(server, browser):
    base, db = server
    page = signed_in(browser, base, "supervisor", "/calls")
    operators = page.locator("table.calls tbody td:nth-child(3)").all_inner_texts()
    assert operators and {TEAMS[op] for op in operators} == {"north"}
    with page.expect_navigation():
        page.click("table.calls tbody tr:first-child a")
    page.wait_for_selector("ol.lines")
    assert page.locator("audio").count() == 0 and page.locator("form.override-form").count() == 0
    with db.read() as cur:
        south_call = cur.execute("SELECT call_id FROM calls WHERE list_contains(?, operator_id) LIMIT 1",
                                 [[op for op, team in TEAMS.items() if team == "south"]]).fetchone()[0]
    assert page.goto(base + f"/calls/{south_call}").status == 404
    assert page.goto(base + "/admin/users").status == 403


def test_sign_out_returns_to_sign_in(server, browser):
    base, _ = server
    page = signed_in(browser, base, "admin", "/admin/users")
    assert page.locator("table.users tbody tr").count() >= 4
    page.click("form.signout button")
    page.wait_for_url(base + "/login")
    page.goto(base + "/calls")
    assert "/login" in page.url


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as shown (its script comes inside the wheel)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}x)" for v in found if v["impact"] in ("serious", "critical")]


def visit(page, url: str) -> None:
    assert page.goto(url).status == 200, url


def test_every_page_is_russian_by_default_and_passes_axe(server, browser):
    base, db = server
    login = browser.new_context().new_page()
    login.goto(base + "/login")
    assert login.locator("html").get_attribute("lang") == "ru" and login.locator("h1").inner_text() == "Вход"
    assert serious_violations(login) == []
    supervisor = signed_in(browser, base, "supervisor")
    headings = {"/scorecards": "Оценки", "/calls": "Звонки", "/clusters": "Кластеры жалоб",
                "/search?q=паспорт": "Поиск по расшифровкам"}
    for url, heading in headings.items():
        visit(supervisor, base + url)
        assert supervisor.locator("html").get_attribute("lang") == "ru"
        assert supervisor.locator("h1").inner_text() == heading, url
        assert serious_violations(supervisor) == [], url
    visit(supervisor, base + "/scorecards")
    assert RUSSIAN_DATE.search(supervisor.locator("table.scorecards").inner_text())
    assert RUSSIAN_DATE.search(supervisor.locator("p.span").inner_text())
    visit(supervisor, base + "/calls")
    assert RUSSIAN_DATETIME.search(supervisor.locator("table.calls tbody tr").first.inner_text())
    assert re.search(r"\d+ мин \d+ с|\d+ с", supervisor.locator("table.calls tbody tr").first.inner_text())
    with supervisor.expect_navigation():
        supervisor.click("table.calls tbody tr:first-child a")
    assert supervisor.locator("h1").inner_text().startswith("Звонок ")
    assert RUSSIAN_DATETIME.search(supervisor.locator("dl.call-facts").inner_text())
    # checklist items by their Russian titles from the script, verdicts in Russian
    assert supervisor.locator("#item-greeting h3").inner_text().startswith("Приветствие")
    assert serious_violations(supervisor) == []
    assert supervisor.goto(base + "/calls/no-such-call").status == 404
    assert supervisor.locator("h1").inner_text() == "Невозможно" and "такого звонка нет" in supervisor.content()
    assert serious_violations(supervisor) == []

    analyst = signed_in(browser, base, "analyst", "/improvement")
    assert analyst.locator("h1").inner_text() == "Реестр проблем" and serious_violations(analyst) == []
    visit(analyst, base + "/calls")
    with analyst.expect_navigation():
        analyst.click("table.calls tbody tr:first-child a")
    assert analyst.locator("audio").count() == 1 and serious_violations(analyst) == []  # player and override forms
    admin = signed_in(browser, base, "admin", "/admin/users")
    assert admin.locator("h1").inner_text() == "Пользователи" and serious_violations(admin) == []


def test_a_user_switches_to_english_and_the_profile_keeps_it(server, browser):
    base, db = server
    from storage.users import load_user

    page = signed_in(browser, base, "south-supervisor", "/calls")
    page.select_option("form.language select", "en")
    with page.expect_navigation():
        page.click("form.language button")
    assert page.url == base + "/calls" and page.locator("h1").inner_text() == "Calls"
    assert load_user(db, "south-supervisor").language == "en"
    english = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d\d:\d\d\b")
    again = signed_in(browser, base, "south-supervisor")  # a new sign-in reads the profile
    headings = {"/scorecards": "Scorecards", "/calls": "Calls", "/clusters": "Complaint clusters",
                "/search?q=паспорт": "Transcript search"}
    for url, heading in headings.items():
        visit(again, base + url)
        assert again.locator("html").get_attribute("lang") == "en"
        assert again.locator("h1").inner_text() == heading, url
        assert serious_violations(again) == [], url
    visit(again, base + "/calls")
    assert english.search(again.locator("table.calls tbody tr").first.inner_text())
    with again.expect_navigation():
        again.click("table.calls tbody tr:first-child a")
    assert again.locator("#item-greeting h3").inner_text().startswith("Greeting")
    again.select_option("form.language select", "ru")
    with again.expect_navigation():
        again.click("form.language button")
    assert again.locator("h1").inner_text().startswith("Звонок ")


def test_the_call_page_works_from_the_keyboard(server, browser):
    base, _ = server
    page = signed_in(browser, base, "analyst", "/calls")
    with page.expect_navigation():
        page.click("table.calls tbody tr:first-child a")
    page.wait_for_selector("ol.lines button.time")
    # a turn's time is a button: reached with Tab, Enter plays the recording from that turn
    times = page.locator("ol.lines button.time")
    turn = times.nth(min(3, times.count() - 1))
    start = float(turn.get_attribute("data-start"))
    turn.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("start => { const a = document.querySelector('audio');"
                           " return !a.paused && a.currentTime >= start - 0.2; }", arg=start)
    # the space bar pauses and plays again when no control has the focus
    page.locator("h1").click()
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('audio').paused")
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.querySelector('audio').paused")
    # Tab order reaches the evidence of a verdict; following it lands on the transcript line it quotes
    link = page.locator("blockquote.evidence a").first
    target = link.get_attribute("href")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    assert page.evaluate("() => document.querySelector(':target').id") == target[1:]
