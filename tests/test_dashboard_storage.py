"""The dashboard's reads and accounts on a real DuckDB file filled from the demo calls (tests/dashboard_data.py):
SQL scorecards against scoring.scorecard's, summaries that follow overrides, teams, sessions, evidence marks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import dashboard_data
from asr.records import Segment, Transcript
from dashboard_data import TEAMS
from dashboards import auth
from dashboards.evidence import marked_lines
from language import Refusal, language, use
from ingest.metadata import CallMetadata
from scoring.records import GROUPINGS, PERIODS
from scoring.scorecard import scorecard_rows, scorecards
from scoring.script import load_script
from storage import dashboard as pages
from storage.calls import save_call
from storage.db import Database, local_datetime
from storage.records import RecordingInfo
from storage.scores import override_verdict, scored_calls
from storage.search import MatchedSegment, SearchHit, ensure_index, search
from storage.summaries import refresh_summaries
from storage.users import list_users, load_session, load_user, save_session

pytestmark = pytest.mark.slow  # builds the dashboard's database of scored, clustered demo calls


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    template = dashboard_data.template(tmp_path_factory)
    with Database(dashboard_data.copy_of(template, tmp_path_factory.mktemp("storage"))) as database:
        yield database


def test_scorecards_from_summaries_match_scoring_scorecards(db):
    calls = scored_calls(db)
    assert len(calls) == 24
    for by in GROUPINGS:
        for period in PERIODS:
            assert scorecard_rows(pages.scorecard_cells(db, by, period)) == scorecards(calls, by, period)
            north = [c for c in calls if c.team == "north"]
            north_rows = scorecard_rows(pages.scorecard_cells(db, by, period, teams=["north"]))
            assert north_rows == scorecards(north, by, period)


def test_an_override_reaches_scorecards_and_the_call_page(db):
    call = max(scored_calls(db), key=lambda c: c.score)
    item = next(i for i in call.items if i.verdict == "passed" and not i.critical)
    before = pages.call_review(db, call.call_id).call.score
    override_verdict(db, call.call_id, item.item_id, "failed", reason="said to the wrong caller", analyst="analyst")
    review = pages.call_review(db, call.call_id)
    reviewed = next(i for i in review.items if i.item_id == item.item_id)
    assert (reviewed.automatic_verdict, reviewed.verdict, reviewed.override_by) == ("passed", "failed", "analyst")
    assert review.call.score < before
    assert review.call.score == next(c for c in scored_calls(db) if c.call_id == call.call_id).score
    rows = scorecard_rows(pages.scorecard_cells(db, "operator", "day"))
    assert rows == scorecards(scored_calls(db), "operator", "day")
    assert refresh_summaries(db) == []  # the page read rebuilt what the override made stale


def test_call_lists_filter_by_team_operator_and_centre(db):
    every = pages.list_calls(db, limit=500)
    assert len(every) == 24 and [c.started_at for c in every] == sorted((c.started_at for c in every), reverse=True)
    north = pages.list_calls(db, teams=["north"], limit=500)
    assert north and {TEAMS[c.operator_id] for c in north} == {"north"}
    assert pages.list_calls(db, teams=["north"], team="south") == []
    operator = every[0].operator_id
    assert {c.operator_id for c in pages.list_calls(db, operator_id=operator)} == {operator}
    centre = every[0].regional_center
    assert {c.regional_center for c in pages.list_calls(db, regional_center=centre)} == {centre}
    assert [c.call_id for c in pages.list_calls(db, limit=5, offset=5)] == [c.call_id for c in every[5:10]]
    with pytest.raises(ValueError):
        pages.list_calls(db, limit=0)


def test_call_review_carries_transcript_verdicts_and_evidence(db):
    call_id = pages.list_calls(db)[3].call_id
    review = pages.call_review(db, call_id)
    assert review.lines and [line.segment_no for line in review.lines] == list(range(len(review.lines)))
    assert len(review.items) == len(load_script().items) and review.script_version
    with_evidence = [i for i in review.items if i.evidence]
    assert with_evidence
    marked = marked_lines(review.lines, review.items)
    for item in with_evidence:
        quote = item.evidence[0]["quote"]
        pieces = [p.text for line in marked for p in line if item.item_id in p.item_ids]
        assert quote.lower() in " ".join(pieces).lower() or "".join(pieces).lower() == quote.lower()
    assert ["".join(p.text for p in line) for line in marked] == [line.text for line in review.lines]
    assert pages.call_review(db, "no-such-call") is None
    assert pages.recording_of(db, call_id).path.endswith(f"{call_id}.enc")


def test_cluster_trends_count_every_clustered_call_once(db):
    rows = pages.cluster_trends(db, weeks=52)
    with db.read() as cur:
        sizes = dict(cur.execute("SELECT cluster_id, count(*) FROM call_clusters GROUP BY 1").fetchall())
    assert {r.cluster_id: r.calls for r in rows} == sizes
    assert all(sum(n for _, n in r.weeks) == r.calls for r in rows)
    north = pages.cluster_trends(db, teams=["north"], weeks=52)
    assert 0 < sum(r.calls for r in north) < sum(sizes.values())
    assert [w for w, _ in rows[0].weeks] == sorted(w for w, _ in rows[0].weeks)


def test_users_roles_and_sessions(db):
    with pytest.raises(Refusal) as refused:
        auth.create_user(db, "lead", "long-enough-pw", "supervisor")
    assert str(refused.value) == "супервизору нужна хотя бы одна команда (--team)"  # Russian by default
    use("en")
    assert str(refused.value) == refused.value.said_in(language("en")) == \
        "a supervisor needs at least one team (--team)"
    with pytest.raises(ValueError, match="only supervisors"):
        auth.create_user(db, "lead", "long-enough-pw", "analyst", ["north"])
    with pytest.raises(ValueError, match="10 characters"):
        auth.create_user(db, "lead", "short", "analyst")
    with pytest.raises(ValueError, match="role"):
        auth.create_user(db, "lead", "long-enough-pw", "root")
    user = auth.create_user(db, "lead", "long-enough-pw", "supervisor", ["south", "north", " "])
    assert user.teams == ("north", "south") and "long-enough-pw" not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert auth.sign_in(db, "lead", "wrong-password", timedelta(hours=1)) is None
    assert auth.sign_in(db, "nobody", "long-enough-pw", timedelta(hours=1)) is None
    token, session = auth.sign_in(db, "lead", "long-enough-pw", timedelta(hours=1))
    assert auth.session_of(db, token).user == load_user(db, "lead")
    assert auth.visible_teams(session.user) == ("north", "south")
    # a changed account signs its sessions out
    auth.change_role(db, "lead", "analyst")
    assert auth.session_of(db, token) is None and auth.visible_teams(load_user(db, "lead")) is None
    token, _ = auth.sign_in(db, "lead", "long-enough-pw", timedelta(hours=1))
    auth.reset_password(db, "lead", "another-password")
    assert auth.session_of(db, token) is None
    assert auth.sign_in(db, "lead", "another-password", timedelta(hours=1)) is not None
    save_session(db, "0" * 64, "lead", "csrf", datetime.now(timezone.utc) - timedelta(seconds=1))
    assert load_session(db, "0" * 64) is None


def test_accounts_are_added_once_disabled_and_always_keep_an_admin(db):
    use("en")  # the refusals below read in English for an English user
    auth.create_user(db, "chief", "long-enough-pw", "admin")
    with pytest.raises(ValueError, match="already exists"):
        auth.create_user(db, "chief", "another-password", "analyst")
    assert load_user(db, "chief").role == "admin" and auth.sign_in(db, "chief", "long-enough-pw", timedelta(hours=1))
    for bad in ("", "   ", "evil\nname", "tab\there", "\x1b[31mred", "x" * 65):
        with pytest.raises(ValueError, match="printable"):
            auth.create_user(db, bad, "long-enough-pw", "analyst")
    admins = [u.name for u in list_users(db) if u.role == "admin" and not u.disabled]
    for other in admins:
        if other != "chief":
            auth.disable_user(db, other)
    with pytest.raises(ValueError, match="last admin"):
        auth.change_role(db, "chief", "analyst")
    with pytest.raises(ValueError, match="last admin"):
        auth.disable_user(db, "chief")
    auth.create_user(db, "deputy", "long-enough-pw", "admin")
    token, _ = auth.sign_in(db, "chief", "long-enough-pw", timedelta(hours=1))
    auth.disable_user(db, "chief")
    assert auth.session_of(db, token) is None
    assert auth.sign_in(db, "chief", "long-enough-pw", timedelta(hours=1)) is None
    auth.disable_user(db, "chief", disabled=False)
    assert auth.sign_in(db, "chief", "long-enough-pw", timedelta(hours=1)) is not None
    for other in admins:
        if other != "chief":
            auth.disable_user(db, other, disabled=False)


def ranked(hits) -> list[tuple]:
    return [(h.call_id, h.started_at, h.operator_id, round(h.score, 9), h.segments) for h in hits]


# fts's own BM25 (match_bm25 over every segment), the reference the search's postings must rank as
_MATCH_BM25 = """
WITH scored AS (
    SELECT call_id, segment_no, start_s, end_s, text, fts_main_segments.match_bm25(segment_id, $query) AS score
    FROM segments
), per_call AS (
    SELECT call_id, max(score) AS score,
           list({'start': start_s, 'end': end_s, 'text': text} ORDER BY score DESC, segment_no)[1:3] AS best
    FROM scored WHERE score IS NOT NULL GROUP BY call_id
)
SELECT p.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, p.score, p.best
FROM per_call AS p JOIN calls AS c USING (call_id)
ORDER BY p.score DESC, p.call_id
LIMIT $limit
"""


def match_bm25(db, query: str, limit: int) -> list[SearchHit]:
    ensure_index(db)
    with db.read() as cur:
        rows = cur.execute(_MATCH_BM25, {"query": query, "limit": limit}).fetchall()
    return [SearchHit(call_id, local_datetime(us, offset), operator_id, score,
                      tuple(MatchedSegment(m["start"], m["end"], m["text"]) for m in best))
            for call_id, us, offset, operator_id, score, best in rows]


@pytest.mark.parametrize("query", ["паспорт", "паспорта снилс", "личный кабинет", "госуслуги", "' OR 1=1 --", "ъъъ"])
def test_search_ranks_as_fts_match_bm25(db, query):
    expected = match_bm25(db, query, limit=5)
    assert ranked(search(db, query, limit=5)) == ranked(expected)
    north = [h for h in match_bm25(db, query, limit=50) if TEAMS[h.operator_id] == "north"]
    assert ranked(search(db, query, teams=["north"], limit=50)) == ranked(north)
    if query == "госуслуги":
        assert len(expected) == 5 and len(north) > 5  # more matches than the page size: the widening is exercised
    with pytest.raises(ValueError, match="empty"):
        search(db, "  ")


def test_search_follows_new_calls(db):
    assert search(db, "квазаров") == []
    segment = Segment(0.5, 3.0, "Здравствуйте, звоню насчёт квазара в личном кабинете.", channel=1, role="caller")
    save_call(db, "later", CallMetadata("call-quasar", datetime(2025, 3, 31, 10, tzinfo=timezone.utc), "op-01"),
              RecordingInfo("f" * 64, Path("/in/call-quasar.enc"), 1), Transcript("ru", 1.0, 3.0, (segment,)))
    (hit,) = search(db, "квазаров")
    assert hit.call_id == "call-quasar" and hit.segments[0].text == segment.text
    assert search(db, "квазаров", teams=["south"]) == []
