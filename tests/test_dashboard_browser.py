"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright against the real server.

CI needs the Debian package `chromium` (playwright's own browser download needs the network). Set
HOTLINE_QC_SCREENSHOTS=docs/img to refresh the README's screenshots.
"""
from __future__ import annotations

import os
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
    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
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
        page.click("text=Complaint clusters")
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
    before = item.locator(".verdict").inner_text()
    new = "failed" if before == "passed" else "passed"
    item.locator("select[name=verdict]").select_option(new)
    item.locator("input[name=reason]").fill("checked against the recording")
    with page.expect_navigation():
        item.locator("button").click()
    page.wait_for_selector("#item-closing .override")
    assert page.locator("#item-closing .verdict").inner_text() == new.replace("_", " ")
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
