"""The dashboard's access rules over HTTP: sign-in, roles, teams, CSRF, session expiry, hostile input.

Requests go through the real app on a real DuckDB file filled from the demo calls (tests/dashboard_data.py).
"""
from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import dashboard_data
from dashboard_data import PASSWORDS, TEAMS
from dashboards import auth
from dashboards.app import SESSION_COOKIE, Settings, create_app
from ingest.keys import Keyring
from pipelines.survey_import import import_payload
from storage.db import Database
from storage.scores import overrides

pytestmark = pytest.mark.slow  # builds the dashboard's database of scored, clustered demo calls

HOSTILE = ["' OR '1'='1", "'); DROP TABLE calls; --", "\" OR \"\"=\"", "op-01' --", "%' OR 1=1 --",
           "\\'; SELECT * FROM users; --", "<script>alert(1)</script>", "* OR 1", "'", "NULL", "\x00"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    template = dashboard_data.template(tmp_path_factory)
    path = dashboard_data.copy_of(template, tmp_path_factory.mktemp("security"))
    with Database(path) as db:
        yield db, Keyring.from_paths([template.parent / "keys"])


@pytest.fixture(scope="module")
def app(built):
    db, keyring = built
    return create_app(db, Settings(keyring=keyring, survey_intake=import_payload))


@pytest.fixture(scope="module")
def calls_by_team(built):
    db, _ = built
    with db.read() as cur:
        rows = cur.execute("SELECT call_id, operator_id FROM calls ORDER BY call_id").fetchall()
    teams: dict[str, list[str]] = {}
    for call_id, operator_id in rows:
        teams.setdefault(TEAMS[operator_id], []).append(call_id)
    return teams


def sign_in(app, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
    response = client.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


def csrf_of(client: TestClient, page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)[1]


def test_every_route_refuses_a_request_without_a_session(app, calls_by_team):
    client = TestClient(app, follow_redirects=False)
    call_id = calls_by_team["north"][0]
    public = set()
    checked = 0
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        path = route.path.replace("{call_id}", call_id)
        for method in route.methods:
            response = client.request(method, path, data={"item_id": "greeting", "verdict": "passed", "reason": "x",
                                                          "name": "x", "role": "admin", "password": "x" * 12})
            if route.path == "/login":
                public.add((method, route.path))
                continue
            checked += 1
            if method == "GET" and not path.endswith("/audio") and not path.startswith("/api/"):
                assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
            else:
                assert response.status_code == 401, (method, path)
            assert call_id not in response.text
    # sign-in is the only public route (with the style sheet it loads, mounted as static files); the survey
    # intake answers only its clients' bearer tokens
    assert public == {("GET", "/login"), ("POST", "/login")}
    assert checked >= 10
    assert client.get("/static/dashboard.css").status_code == 200


def test_wrong_password_and_stale_sign_in_form_are_refused(app):
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client, "/login")
    wrong = client.post("/login", data={"name": "analyst", "password": "not-the-password", "csrf_token": token})
    assert wrong.status_code == 401 and SESSION_COOKIE not in wrong.cookies
    token = re.search(r'name="csrf_token" value="([^"]+)"', wrong.text)[1]  # each form gets a fresh token
    unknown = client.post("/login", data={"name": "nobody", "password": "whatever-123", "csrf_token": token})
    assert unknown.status_code == 401 and "Неверное имя или пароль" in unknown.text
    stale = TestClient(app, follow_redirects=False).post(
        "/login", data={"name": "analyst", "password": PASSWORDS["analyst"], "csrf_token": "forged"})
    assert stale.status_code == 403


def test_session_cookie_is_httponly_strict_and_only_its_hash_is_stored(app, built):
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client, "/login")
    response = client.post("/login", data={"name": "analyst", "password": PASSWORDS["analyst"], "csrf_token": token})
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    db, _ = built
    with db.read() as cur:
        stored = [r[0] for r in cur.execute("SELECT token_sha256 FROM sessions").fetchall()]
    assert value not in stored and len(stored) >= 1


def test_sign_in_goes_back_only_to_a_page_of_this_site(app):
    client = TestClient(app, follow_redirects=False)
    for target, expected in (("/calls", "/calls"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
                             ("/\\evil.example", "/")):
        token = csrf_of(client, "/login")
        response = client.post("/login", data={"name": "analyst", "password": PASSWORDS["analyst"],
                                               "csrf_token": token, "next": target})
        assert response.headers["location"] == expected


def test_session_expires(built):
    db, keyring = built
    client = sign_in(create_app(db, Settings(session_ttl=timedelta(seconds=1), keyring=keyring)), "analyst")
    assert client.get("/calls").status_code == 200
    time.sleep(1.2)
    response = client.get("/calls")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_sign_out_ends_the_session_and_needs_the_csrf_token(app):
    client = sign_in(app, "supervisor")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/calls").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_of(client, "/calls")}).status_code == 303
    assert client.get("/calls").status_code == 303


def test_override_needs_the_sessions_csrf_token(app, built, calls_by_team):
    db, _ = built
    call_id = calls_by_team["south"][0]
    client = sign_in(app, "analyst")
    form = {"item_id": "closing", "verdict": "failed", "reason": "closing phrase cut off"}
    assert client.post(f"/calls/{call_id}/overrides", data=form).status_code == 403
    assert client.post(f"/calls/{call_id}/overrides", data={**form, "csrf_token": "forged"}).status_code == 403
    other = sign_in(app, "admin")  # a token from another session is no better
    assert client.post(f"/calls/{call_id}/overrides",
                       data={**form, "csrf_token": csrf_of(other, "/calls")}).status_code == 403
    assert overrides(db, call_id) == []
    response = client.post(f"/calls/{call_id}/overrides", data={**form, "csrf_token": csrf_of(client, "/calls")})
    assert response.status_code == 303
    (stored,) = overrides(db, call_id)
    assert (stored.item_id, stored.verdict, stored.analyst) == ("closing", "failed", "analyst")


def test_supervisor_reads_only_their_teams_calls(app, calls_by_team):
    client = sign_in(app, "supervisor")
    listed = set(re.findall(r'href="/calls/([^"?/]+)"', client.get("/calls").text))
    assert listed == set(calls_by_team["north"])
    for call_id in calls_by_team["south"]:
        response = client.get(f"/calls/{call_id}")
        assert response.status_code == 404 and "Расшифровка" not in response.text
    assert client.get(f"/calls/{calls_by_team['north'][0]}").status_code == 200
    scorecards = client.get("/scorecards?by=team").text
    assert "north" in scorecards and ">south<" not in scorecards
    # a team filter naming another team shows nothing rather than that team
    assert not re.findall(r'href="/calls/([^"?/]+)"', client.get("/calls?team=south").text)
    operators = set(re.findall(r"<option>(op-\d+)</option>", client.get("/calls").text))
    assert operators == {op for op, team in TEAMS.items() if team == "north"} & operators and operators


def test_supervisor_search_finds_only_their_teams_calls(app, calls_by_team):
    supervisor, analyst = sign_in(app, "supervisor"), sign_in(app, "analyst")
    every = set(re.findall(r'href="/calls/([^"?/]+)"', analyst.get("/search", params={"q": "госуслуги"}).text))
    assert every & set(calls_by_team["south"]) and every & set(calls_by_team["north"])
    own = set(re.findall(r'href="/calls/([^"?/]+)"', supervisor.get("/search", params={"q": "госуслуги"}).text))
    assert own == every & set(calls_by_team["north"])


def test_supervisor_can_take_no_analyst_or_admin_action(app, calls_by_team):
    client = sign_in(app, "supervisor")
    call_id = calls_by_team["north"][0]
    page = client.get(f"/calls/{call_id}").text
    assert "override-form" not in page and "<audio" not in page
    token = csrf_of(client, "/calls")
    form = {"item_id": "greeting", "verdict": "passed", "reason": "x", "csrf_token": token}
    assert client.post(f"/calls/{call_id}/overrides", data=form).status_code == 403
    assert client.get(f"/calls/{call_id}/audio").status_code == 403
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data={"name": "eve", "role": "admin", "password": "x" * 12,
                                             "csrf_token": token}).status_code == 403
    # and the admin-only and analyst-only pieces stay out of their pages
    assert "/admin/users" not in client.get("/scorecards").text
    assert "Слова звонящего" not in client.get("/clusters").text


def test_admin_manages_users_but_does_not_override(app, calls_by_team):
    client = sign_in(app, "admin")
    token = csrf_of(client, "/admin/users")
    assert client.post("/admin/users", data={"name": "new-supervisor", "role": "supervisor", "teams": "south",
                                             "password": "a-long-password", "csrf_token": token}).status_code == 303
    assert "new-supervisor" in client.get("/admin/users").text
    refused = client.post("/admin/users", data={"name": "x", "role": "supervisor", "password": "a-long-password",
                                                "csrf_token": token})
    assert refused.status_code == 400 and "хотя бы одна команда" in refused.text  # storage's rule, in Russian
    taken = client.post("/admin/users", data={"name": "new-supervisor", "role": "admin", "password": "a-long-password",
                                              "csrf_token": token})
    assert taken.status_code == 400 and "уже существует" in taken.text
    for change in ({"change": "role", "role": "analyst"}, {"change": "reset_password", "password": "another-password"},
                   {"change": "disable"}):
        assert client.post("/admin/users/change", data={"name": "new-supervisor", "csrf_token": token,
                                                        **change}).status_code == 303
    assert "отключён" in client.get("/admin/users").text
    call_id = calls_by_team["north"][0]
    assert client.post(f"/calls/{call_id}/overrides", data={"item_id": "greeting", "verdict": "passed", "reason": "x",
                                                            "csrf_token": token}).status_code == 403


def test_recording_is_decrypted_for_roles_that_may_listen(app, built, calls_by_team):
    call_id = calls_by_team["north"][0]
    # played as WAV decoded from the recording (muting is tested in tests/test_dashboard_playback.py)
    for name in ("analyst", "admin"):
        response = sign_in(app, name).get(f"/calls/{call_id}/audio")
        assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
        assert response.content.startswith(b"RIFF") and response.headers["cache-control"] == "no-store"
    played = response.content
    # players fetch by ranges (Chromium learns the duration by them)
    client = sign_in(app, "analyst")
    head = client.get(f"/calls/{call_id}/audio", headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.content == played[:100]
    assert head.headers["content-range"] == f"bytes 0-99/{len(played)}"
    tail = client.get(f"/calls/{call_id}/audio", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == played[-10:]
    assert client.get(f"/calls/{call_id}/audio", headers={"Range": f"bytes={len(played)}-"}).status_code == 416


def test_tampered_recording_is_not_played(app, built, calls_by_team, tmp_path):
    db, keyring = built
    call_id = calls_by_team["south"][1]
    with db.read() as cur:
        (path,) = cur.execute("SELECT r.path FROM calls AS c JOIN recordings AS r USING (recording_id)"
                              " WHERE c.call_id = ?", [call_id]).fetchone()
    data = bytearray(open(path, "rb").read())
    data[-40] ^= 1
    tampered = tmp_path / "tampered.enc"
    tampered.write_bytes(data)
    with db.write() as cur:
        cur.execute("UPDATE recordings SET path = ? WHERE path = ?", [str(tampered), path])
    try:
        response = sign_in(app, "analyst").get(f"/calls/{call_id}/audio")
        assert response.status_code == 409 and b"OggS" not in response.content and b"RIFF" not in response.content
    finally:
        with db.write() as cur:
            cur.execute("UPDATE recordings SET path = ? WHERE path = ?", [path, str(tampered)])


@pytest.mark.parametrize("hostile", HOSTILE)
def test_search_and_filters_resist_injection(app, built, hostile):
    db, _ = built
    with db.read() as cur:
        before = cur.execute("SELECT count(*) FROM calls").fetchone()[0]
    analyst, supervisor = sign_in(app, "analyst"), sign_in(app, "supervisor")
    for client in (analyst, supervisor):
        for url, params in (("/search", {"q": hostile}), ("/calls", {"operator": hostile}),
                            ("/calls", {"team": hostile}), ("/calls", {"centre": hostile}),
                            ("/scorecards", {"by": hostile}), ("/scorecards", {"period": hostile}),
                            ("/scorecards", {"since": hostile}), ("/clusters", {"weeks": hostile})):
            response = client.get(url, params=params)
            assert response.status_code in (200, 400), (url, params)
            assert not re.findall(r'href="/calls/call-', response.text) or url == "/search", (url, params)
            assert "<script>alert" not in response.text
        assert client.get("/calls/" + quote(hostile, safe="")).status_code == 404
    with db.read() as cur:
        assert cur.execute("SELECT count(*) FROM calls").fetchone()[0] == before
        assert cur.execute("SELECT count(*) FROM users").fetchone()[0] >= 4


def test_override_reason_is_shown_escaped(app, calls_by_team):
    client = sign_in(app, "analyst")
    call_id = calls_by_team["north"][1]
    client.post(f"/calls/{call_id}/overrides", data={"item_id": "greeting", "verdict": "failed",
                                                     "reason": "<script>alert(1)</script>",
                                                     "csrf_token": csrf_of(client, "/calls")})
    page = client.get(f"/calls/{call_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_pages_forbid_scripts_from_elsewhere_and_framing(app):
    response = sign_in(app, "analyst").get("/scorecards")
    # the call page's player script is a file of the dashboard's own; nothing inline, nothing from elsewhere
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_sign_in_views_playback_and_overrides_are_audited(app, built, calls_by_team):
    db, _ = built
    call_id = calls_by_team["north"][2]
    client = sign_in(app, "analyst")
    client.get(f"/calls/{call_id}")
    client.get(f"/calls/{call_id}/audio")
    client.post(f"/calls/{call_id}/overrides", data={"item_id": "closing", "verdict": "passed", "reason": "heard it",
                                                     "csrf_token": csrf_of(client, "/calls")})
    with db.read() as cur:
        logged = cur.execute("SELECT action, target FROM audit_log WHERE actor = 'analyst'").fetchall()
    for entry in [("sign_in", "dashboard"), ("call_view", call_id), ("audio_playback", call_id), ("override", call_id)]:
        assert entry in logged
    assert any(action == "decryption" for action, _ in logged)


def test_survey_intake_is_mounted_and_answers_only_its_clients_tokens(app, built, calls_by_team):
    from dashboards.survey_api import issue_token

    db, _ = built
    body = json.dumps([{"call_id": calls_by_team["north"][0], "rating": 4, "resolved": True, "comment": "Спасибо",
                        "answered_at": "2025-03-30T10:00:00+03:00"}]).encode()
    # an analyst's session is no survey client
    refused = sign_in(app, "analyst").post("/api/surveys", content=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 401 and refused.json()["detail"]
    accepted = TestClient(app).post("/api/surveys", content=body, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {issue_token(db, 'ivr')}"})
    assert accepted.status_code == 200 and accepted.json()["accepted"] == 1, accepted.json()


def test_problems_actions_and_pilots_page_for_analysts_only(app, built):
    from dataclasses import replace
    from datetime import date

    from feedback.records import Pilot
    from pipelines.problem_register import add_action, rebuild_problems
    from scoring.script import load_script
    from storage.pilots import save_pilot
    from storage.scores import save_script

    db, _ = built
    problems = rebuild_problems(db)
    assert problems
    add_action(db, problems[0].problem_id, "Brief the night shift on the new form", "o.smirnova", date(2025, 4, 15),
               started_on=date(2025, 3, 31))
    shipped = load_script()
    save_script(db, replace(shipped, version=shipped.version + "-pilot"))
    save_pilot(db, Pilot("warm-closing", shipped.name, shipped.version + "-pilot", shipped.version, ("op-01",), 0.0,
                         date(2025, 4, 1)))
    page = sign_in(app, "analyst").get("/improvement")
    assert page.status_code == 200
    assert problems[0].title in page.text or problems[0].title.replace("'", "&#39;") in page.text
    assert "Brief the night shift on the new form" in page.text and "просрочено" in page.text
    assert "warm-closing" in page.text and "ожидается" in page.text
    assert sign_in(app, "supervisor").get("/improvement").status_code == 403
    assert "/improvement" not in sign_in(app, "supervisor").get("/calls").text


def test_every_playback_is_audited_whatever_range_it_starts_with(app, built, calls_by_team):
    db, _ = built
    call_id = calls_by_team["north"][3]

    def logged() -> int:
        with db.read() as cur:
            return cur.execute("SELECT count(*) FROM audit_log WHERE action IN ('audio_playback', 'decryption')"
                               " AND (target = ? OR detail LIKE ?)", [call_id, f'%{call_id}%']).fetchone()[0]

    before = logged()
    first = sign_in(app, "analyst")
    # a player (or anyone) may open with a range that does not start at 0: that too is decrypted audio served
    assert first.get(f"/calls/{call_id}/audio", headers={"Range": "bytes=1-"}).status_code == 206
    assert logged() == before + 2  # one audio_playback and one decryption entry
    # the same session's further ranges are the same playback
    first.get(f"/calls/{call_id}/audio", headers={"Range": "bytes=0-99"})
    first.get(f"/calls/{call_id}/audio", headers={"Range": "bytes=-10"})
    assert logged() == before + 2
    # another session is another playback
    assert sign_in(app, "admin").get(f"/calls/{call_id}/audio", headers={"Range": "bytes=-10"}).status_code == 206
    assert logged() == before + 4


def test_failed_sign_ins_are_audited_and_throttled_per_account_and_address(built):
    db, keyring = built
    now = [1000.0]
    throttle = auth.SignInThrottle(clock=lambda: now[0])
    guarded = create_app(db, Settings(keyring=keyring, throttle=throttle))
    client = TestClient(guarded, follow_redirects=False)

    def attempt(name: str, password: str):
        return client.post("/login", data={"name": name, "password": password,
                                           "csrf_token": csrf_of(client, "/login")})

    with db.read() as cur:
        (before,) = cur.execute("SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed'"
                                " AND actor = 'analyst'").fetchone()
    for n in range(60):
        assert attempt("analyst", f"guess-number-{n}").status_code in (401, 429)
    refused = attempt("analyst", PASSWORDS["analyst"])
    assert refused.status_code == 429 and SESSION_COOKIE not in refused.cookies
    with db.read() as cur:
        (after,) = cur.execute("SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed'"
                               " AND actor = 'analyst'").fetchone()
    assert after - before == 61
    # 5 failures lock for 30 s (attempts while locked do not count); each failure after the lock doubles it
    now[0] += 31
    assert attempt("analyst", "one-more-guess").status_code == 401
    now[0] += 59
    assert attempt("analyst", PASSWORDS["analyst"]).status_code == 429
    now[0] += 2
    assert attempt("analyst", PASSWORDS["analyst"]).status_code == 303
    # one address trying many accounts is locked too, even for an account it has not tried yet
    for n in range(20):
        attempt(f"someone-{n}", "wrong-password-1")
    assert attempt("admin", PASSWORDS["admin"]).status_code == 429
