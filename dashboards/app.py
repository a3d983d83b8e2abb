"""The supervisor and analyst web app: server-rendered pages over storage/, behind sign-in and roles.

Every page needs a session. Forms that change anything carry the session's CSRF token, and the session cookie
is HttpOnly and SameSite=Strict. Recordings are decrypted into memory for the response and never written out,
and play with the spans redaction masked in the transcript muted, for every role.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.exceptions import HTTPException

from dashboards import auth
from dashboards.charts import bar_chart, trend_chart
from dashboards.evidence import evidence_line, marked_lines
from dashboards.survey_api import Intake, survey_router
from ingest.audio import AudioError
from ingest.envelope import EnvelopeError, open_decrypted
from ingest.keys import Keyring
from insights.catalogue import TopicCatalogue, default_catalogue
from language import DEFAULT, LANGUAGES, N_, Language, Refusal, language, translations
from privacy.audio import muted_wav
from scoring.records import GROUPINGS, PERIODS, VERDICTS
from scoring.scorecard import scorecard_rows
from scoring.script import Script, load_script
from storage import dashboard as pages
from storage.audit import record as record_audit
from storage.db import Database
from storage.improvement import actions, current_problems
from storage.pii import pii_spans
from storage.pilots import decisions, pilots
from storage.scores import override_verdict
from storage.search import search
from storage.users import ROLES, Session, list_users, set_language


SESSION_COOKIE = "hqc_session"
LOGIN_CSRF_COOKIE = "hqc_login_csrf"
API_PREFIX = "/api/"  # machine endpoints: errors as JSON, not pages
PAGE_SIZE = 50
# periods a scorecard page shows by default, ending with the newest call
DEFAULT_SPAN = {"day": timedelta(days=13), "week": timedelta(weeks=11), "month": timedelta(days=365)}
# a player fetches one recording by many range requests; those of one session for one call that follow each other
# within this many seconds are one playback, audited once, at its first request whatever range that asks for
PLAYBACK_GAP_S = 600
# each language named in itself, for the switch on every page
LANGUAGE_NAMES = (("ru", "Русский"), ("en", "English"))

log = logging.getLogger(__name__)


class NotSignedIn(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    session_ttl: timedelta = timedelta(hours=8)
    keyring: Keyring | None = None  # None: no recording can be played
    throttle: auth.SignInThrottle = field(default_factory=auth.SignInThrottle)
    survey_intake: Intake | None = None  # None: no survey intake endpoint


def refusal_text(exc: ValueError, lang: Language) -> str:
    """Why a form was refused, in the reader's language."""
    return exc.said_in(lang) if isinstance(exc, Refusal) else lang.gettext(str(exc))


def create_app(db: Database, settings: Settings = Settings()) -> FastAPI:
    app = FastAPI(title="hotline-qc", docs_url=None, redoc_url=None, openapi_url=None)
    script, catalogue = load_script(), default_catalogue()
    templates = {code: _templates(language(code), script, catalogue) for code in LANGUAGES}
    # the one public route besides sign-in: the style sheet, which the sign-in page needs
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")

    def audit(actor: str, action: str, target: str, detail: dict | None = None) -> None:
        record_audit(db, actor, action, target, json.dumps(detail, ensure_ascii=False) if detail else None)

    playbacks = _Playbacks(PLAYBACK_GAP_S)

    def current(request: Request) -> Session:
        session = auth.session_of(db, request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise NotSignedIn
        return session

    def require(session: Session, right: str) -> None:
        if not auth.may(session.user, right):
            raise HTTPException(403, N_("your role may not do this"))

    def check_csrf(session: Session, token: str | None) -> None:
        if not auth.same_token(session.csrf_token, token):
            raise HTTPException(403, N_("the form is stale or was not sent from this dashboard; reload and try again"))

    def visible_call(session: Session, call_id: str) -> None:
        exists, team = pages.call_team(db, call_id)
        teams = auth.visible_teams(session.user)
        # another team's call answers like a missing one: a supervisor learns nothing of it
        if not exists or (teams is not None and team not in teams):
            raise HTTPException(404, N_("no such call"))

    def reader_language(session: Session | None) -> Language:
        return language(session.user.language if session and session.user.language in LANGUAGES else DEFAULT)

    def render(request: Request, session: Session | None, name: str, status: int = 200, **context) -> HTMLResponse:
        lang = reader_language(session)
        return templates[lang.code].TemplateResponse(
            request, name, {"session": session, "user": session.user if session else None, **context},
            status_code=status)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
        return response

    @app.exception_handler(NotSignedIn)
    async def to_sign_in(request: Request, exc: NotSignedIn):
        if request.method == "GET" and not request.url.path.endswith("/audio"):
            return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
        return Response(language(DEFAULT).gettext("sign in first"), status_code=401, media_type="text/plain")

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, exc: HTTPException):
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        session = auth.session_of(db, request.cookies.get(SESSION_COOKIE))
        # details are catalogue messages, written in the reader's language here
        return render(request, session, "error.html", status=exc.status_code,
                      message=reader_language(session).gettext(str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # names the fields only: echoing the input back would reflect whatever an attacker put in a link
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse({"detail": f"invalid {', '.join(fields) or 'request'}"}, status_code=400)
        session = auth.session_of(db, request.cookies.get(SESSION_COOKIE))
        message = reader_language(session).gettext("invalid %(fields)s") % {"fields": ", ".join(fields) or "request"}
        return render(request, session, "error.html", status=400, message=message)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/"):
        token = auth.new_token()
        response = render(request, None, "login.html", csrf_token=token, next=_local_path(next), error=None)
        _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response

    @app.post("/login")
    def login(request: Request, name: str = Form(...), password: str = Form(...), csrf_token: str = Form(""),
              next: str = Form("/")):
        if not auth.same_token(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token) or not csrf_token:
            raise HTTPException(403, N_("the sign-in form is stale; reload it and try again"))
        address = request.client.host if request.client else "unknown"
        locked = settings.throttle.locked(name, address)
        signed = None if locked else auth.sign_in(db, name, password, settings.session_ttl)
        if signed is None:
            if not locked:
                settings.throttle.failed(name, address)
            # the name as typed, shortened: it may be anything, a password typed in the wrong box included
            audit(name.strip()[:64] or "(blank)", "sign_in_failed", "dashboard", {"address": address, "locked": locked})
            token = auth.new_token()
            response = render(request, None, "login.html", status=429 if locked else 401, csrf_token=token,
                              next=_local_path(next), error=language(DEFAULT).gettext(
                                  N_("Too many failed sign-ins: try again later.") if locked
                                  else N_("Wrong name or password.")))
            _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
            return response
        settings.throttle.succeeded(name)
        token, session = signed
        audit(session.user.name, "sign_in", "dashboard")
        response = RedirectResponse(_local_path(next), status_code=303)
        _set_cookie(request, response, SESSION_COOKIE, token, max_age=int(settings.session_ttl.total_seconds()))
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @app.post("/logout")
    def logout(request: Request, session: Session = Depends(current), csrf_token: str = Form("")):
        check_csrf(session, csrf_token)
        auth.sign_out(db, request.cookies[SESSION_COOKIE])
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.post("/profile/language")
    def choose_language(request: Request, session: Session = Depends(current), language: str = Form(...),
                        csrf_token: str = Form(""), next: str = Form("/")):
        """The language switch on every page: saved to the user's profile, then back to the page it was on."""
        check_csrf(session, csrf_token)
        if language not in LANGUAGES:
            raise HTTPException(400, N_("choose Russian or English"))
        set_language(db, session.user.name, language)
        return RedirectResponse(_local_path(next), status_code=303)

    @app.get("/")
    def home(request: Request, session: Session = Depends(current)):
        return RedirectResponse("/scorecards", status_code=303)

    @app.get("/scorecards", response_class=HTMLResponse)
    def scorecards(request: Request, session: Session = Depends(current), by: str = "operator",
                   period: str = "week", since: date | None = None, until: date | None = None):
        if by not in GROUPINGS or period not in PERIODS:
            raise HTTPException(400, N_("group by operator, team or regional centre, and a period of a day, week "
                                        "or month"))
        until = until or pages.latest_call_start(db)
        if since is None and until is not None:
            since = until - DEFAULT_SPAN[period]
        rows = scorecard_rows(pages.scorecard_cells(db, by, period, teams=auth.visible_teams(session.user), since=since,
                                                    until=until))
        groups: dict[str, list] = {}
        for row in rows:
            groups.setdefault(row.group, []).append(row)
        # one time axis for every group, so the charts line up and a period without calls shows as a gap
        span = sorted({row.period_start for row in rows})
        points = {group: [(str(p), by_period.get(p)) for p in span]
                  for group, members in groups.items()
                  for by_period in [{r.period_start: r.mean_score for r in members}]}
        return render(request, session, "scorecards.html", groups=groups, points=points, by=by, period=period,
                      since=since, until=until, groupings=GROUPINGS, periods=PERIODS)

    @app.get("/calls", response_class=HTMLResponse)
    def calls(request: Request, session: Session = Depends(current), operator: str = "", team: str = "",
              centre: str = "", page: int = Query(1, ge=1, le=100000)):
        teams = auth.visible_teams(session.user)
        rows = pages.list_calls(db, teams=teams, operator_id=operator or None, team=team or None,
                                regional_center=centre or None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        return render(request, session, "calls.html", calls=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page=page,
                      options=pages.filter_options(db, teams), operator=operator, team=team, centre=centre)

    @app.get("/calls/{call_id}", response_class=HTMLResponse)
    def call(request: Request, call_id: str, session: Session = Depends(current)):
        visible_call(session, call_id)
        review = pages.call_review(db, call_id)
        if review is None:
            raise HTTPException(404, N_("no such call"))
        audit(session.user.name, "call_view", call_id)
        return render(request, session, "call.html", review=review, lines=marked_lines(review.lines, review.items),
                      verdicts=VERDICTS, line_of=lambda evidence: evidence_line(review.lines, evidence),
                      can_listen=auth.may(session.user, "listen") and settings.keyring is not None
                      and review.recording_id is not None)

    @app.get("/calls/{call_id}/audio")
    def audio(request: Request, call_id: str, session: Session = Depends(current)):
        require(session, "listen")
        visible_call(session, call_id)
        recording = pages.recording_of(db, call_id)
        if recording is None or settings.keyring is None:
            raise HTTPException(404, N_("no recording of this call can be played here"))
        try:
            with open(recording.path, "rb") as src, open_decrypted(src, settings.keyring) as plain:
                # read to the end: only a stream that reached its final chunk is proven complete
                recorded = plain.read()
        except FileNotFoundError:
            raise HTTPException(404, N_("the recording is no longer stored")) from None
        except EnvelopeError as exc:
            log.warning("recording of %s cannot be decrypted: %s", call_id, exc)
            raise HTTPException(409, N_("the recording cannot be decrypted")) from None
        try:
            # the transcript shows «[ФИО]» where a name was said; the audio must not say it either
            audio_bytes = muted_wav(recorded, pii_spans(db, call_id))
        except AudioError as exc:
            log.warning("recording of %s cannot be decoded: %s", call_id, exc)
            raise HTTPException(409, N_("the recording cannot be decoded")) from None
        span = _byte_range(request.headers.get("range"), len(audio_bytes))
        # audited before any byte leaves: a request that starts mid-file is a playback too
        if playbacks.starts(auth.session_key(request.cookies[SESSION_COOKIE]), call_id):
            audit(session.user.name, "audio_playback", call_id, {"recording_id": recording.recording_id})
            audit(session.user.name, "decryption", recording.recording_id, {"call_id": call_id})
        if span is None:
            return Response(audio_bytes, media_type="audio/wav", headers={"Accept-Ranges": "bytes"})
        # a player learns the length and seeks by ranges (Chromium will not show a duration without them)
        start, end = span
        return Response(audio_bytes[start:end + 1], status_code=206, media_type="audio/wav",
                        headers={"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{len(audio_bytes)}"})

    @app.post("/calls/{call_id}/overrides")
    def override(request: Request, call_id: str, session: Session = Depends(current), item_id: str = Form(...),
                 verdict: str = Form(...), reason: str = Form(""), csrf_token: str = Form("")):
        check_csrf(session, csrf_token)
        require(session, "override")
        visible_call(session, call_id)
        try:
            stored = override_verdict(db, call_id, item_id, verdict, reason=reason, analyst=session.user.name)
        except (ValueError, KeyError) as exc:
            raise HTTPException(400, str(exc).strip("'\"")) from None
        audit(session.user.name, "override", call_id, {"item_id": item_id, "verdict": verdict,
                                                        "automatic_verdict": stored.automatic_verdict})
        return RedirectResponse(f"/calls/{quote(call_id)}#item-{quote(item_id)}", status_code=303)

    @app.get("/clusters", response_class=HTMLResponse)
    def clusters(request: Request, session: Session = Depends(current), weeks: int = Query(8, ge=1, le=104)):
        rows = pages.cluster_trends(db, teams=auth.visible_teams(session.user), weeks=weeks)
        return render(request, session, "clusters.html", clusters=rows, weeks=weeks)

    @app.get("/improvement", response_class=HTMLResponse)
    def improvement(request: Request, session: Session = Depends(current)):
        require(session, "read_improvement")
        latest = {d.pilot_id: d for d in decisions(db)}  # oldest first: the last one per pilot stands
        return render(request, session, "improvement.html", problems=current_problems(db), actions=actions(db),
                      pilots=pilots(db), decisions=latest, today=date.today())

    @app.get("/search", response_class=HTMLResponse)
    def transcript_search(request: Request, session: Session = Depends(current), q: str = Query("", max_length=200)):
        hits = []
        if q.strip():
            hits = search(db, q, teams=auth.visible_teams(session.user), limit=PAGE_SIZE)
        return render(request, session, "search.html", q=q, hits=hits)

    @app.get("/admin/users", response_class=HTMLResponse)
    def users(request: Request, session: Session = Depends(current)):
        require(session, "manage_users")
        return render(request, session, "users.html", users=list_users(db), roles=ROLES, error=None,
                      key_ids=settings.keyring.key_ids() if settings.keyring else [])

    @app.post("/admin/users", response_class=HTMLResponse)
    def add_user(request: Request, session: Session = Depends(current), name: str = Form(...),
                 role: str = Form(...), password: str = Form(...), teams: str = Form(""), csrf_token: str = Form("")):
        check_csrf(session, csrf_token)
        require(session, "manage_users")
        try:
            user = auth.create_user(db, name, password, role, teams.split(","))
        except ValueError as exc:
            return render(request, session, "users.html", status=400, users=list_users(db), roles=ROLES,
                          error=refusal_text(exc, reader_language(session)),
                          key_ids=settings.keyring.key_ids() if settings.keyring else [])
        audit(session.user.name, "user_change", user.name,
              {"change": "add", "role": user.role, "teams": list(user.teams)})
        return RedirectResponse("/admin/users", status_code=303)

    @app.post("/admin/users/change", response_class=HTMLResponse)
    def change_user(request: Request, session: Session = Depends(current), name: str = Form(...),
                    change: str = Form(...), role: str = Form(""), teams: str = Form(""), password: str = Form(""),
                    csrf_token: str = Form("")):
        check_csrf(session, csrf_token)
        require(session, "manage_users")
        try:
            if change == "role":
                user = auth.change_role(db, name, role, teams.split(","))
                detail = {"change": change, "role": user.role, "teams": list(user.teams)}
            elif change in ("disable", "enable"):
                auth.disable_user(db, name, change == "disable")
                detail = {"change": change}
            elif change == "reset_password":
                auth.reset_password(db, name, password)
                detail = {"change": change}
            else:
                raise ValueError(N_("choose role, disable, enable or reset_password"))
        except ValueError as exc:
            return render(request, session, "users.html", status=400, users=list_users(db), roles=ROLES,
                          error=refusal_text(exc, reader_language(session)),
                          key_ids=settings.keyring.key_ids() if settings.keyring else [])
        audit(session.user.name, "user_change", name.strip(), detail)
        return RedirectResponse("/admin/users", status_code=303)

    # the post-call survey system's intake: machine clients with their own bearer tokens, no session
    if settings.survey_intake is not None:
        app.include_router(survey_router(db, settings.survey_intake))
    return app


def _templates(lang: Language, script: Script, catalogue: TopicCatalogue) -> Jinja2Templates:
    """The pages in one language: its catalogue for the messages, its formats for dates, numbers and durations,
    the checklist items' titles from the script and the topics' names from the topic catalogue."""
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang.code), newstyle=True)
    items = {item.item_id: item for item in script.items}

    def titles(item_ids) -> str:
        return ", ".join(items[i].title.get(lang.code) if i in items and items[i].title else i.replace("_", " ")
                         for i in item_ids)

    def topic_name(topic_id: str | None) -> str:
        topic = catalogue.topics.get(topic_id) if topic_id else None
        if topic is None:
            return (topic_id or "–").replace("_", " ")
        return topic.name if lang.code == "ru" else topic.name_en

    def reason_of(item) -> str:
        """A verdict's reason in this language; as stored in English where it was stored without its messages."""
        if item.why is None:
            return item.reason
        return "; ".join(lang.message(r.msgid, dict(r.values), r.plural) for r in item.why)

    def week_points(weeks):
        return [(lang.gettext("week of %(date)s") % {"date": lang.date(w, "d MMM")}, n) for w, n in weeks]

    env.globals.update(may=auth.may, trend_chart=trend_chart, bar_chart=bar_chart, week_points=week_points,
                       lang=lang, languages=LANGUAGE_NAMES, titles=titles, script_items=items, clock=_clock,
                       topic_name=topic_name, reason_of=reason_of)
    env.filters.update(date=lang.date, datetime=lang.datetime, number=lang.number, percent=lang.percent,
                       signed=lang.signed, duration=lang.duration)
    return Jinja2Templates(env=env)


def _clock(seconds: float) -> str:
    """A time into the call as minutes and seconds: 2:15."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


class _Playbacks:
    """When each session last fetched each call's audio: a fetch after a longer gap starts a new playback."""

    def __init__(self, gap_s: float):
        self._gap_s = gap_s
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def starts(self, session_key: str, call_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            self._last = {k: t for k, t in self._last.items() if now - t <= self._gap_s}
            new = (session_key, call_id) not in self._last
            self._last[(session_key, call_id)] = now
        return new


def _local_path(path: str) -> str:
    """Only a path on this site may follow sign-in: `next` must not send anyone elsewhere."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first range of a `Range: bytes=` header as inclusive offsets; None: the whole body."""
    if not header or not header.startswith("bytes=") or size == 0:
        return None
    first = header[len("bytes="):].split(",")[0].strip()
    start_text, _, end_text = first.partition("-")
    try:
        if start_text:
            start, end = int(start_text), int(end_text) if end_text else size - 1
        else:
            start, end = max(size - int(end_text), 0), size - 1
    except ValueError:
        return None
    if start > end or start >= size:
        raise HTTPException(416, N_("requested range is outside the recording"))
    return start, min(end, size - 1)


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
