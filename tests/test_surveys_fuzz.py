"""Malformed survey rows mixed with valid ones, drawn by hypothesis and imported into a real DuckDB file: nothing
valid is lost, nothing invalid is stored, and sending the same body again stores nothing new."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.surveys import MAX_COMMENT_CHARS
from pipelines.survey_import import import_payload
from storage.db import Database

pytestmark = pytest.mark.slow  # fuzzes survey ingestion with many generated batches

# short comments keep PII masking (tens of milliseconds a comment) from dominating the run
COMMENT = st.text(alphabet="абвгдежзий клмно.,!?-xyz", max_size=30)
TIMES = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31),
                     timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=3)),
                                                timezone(timedelta(hours=10))]))
_ids = count()


@st.composite
def valid_rows(draw):
    # ids unique across examples: every example imports into the same database
    return {"call_id": f"call-{next(_ids)}", "rating": draw(st.integers(1, 5)),
            "resolved": draw(st.sampled_from([True, False, "yes", "no", "да", "нет"])),
            "comment": draw(COMMENT), "answered_at": draw(TIMES).isoformat()}


# each breaks one rule; the row around it is valid
BREAKAGES = st.one_of(
    st.builds(lambda k: {k: "x"}, st.text(alphabet="abcdefghij_", min_size=1, max_size=8).filter(
        lambda k: k not in ("call_id", "caller_id", "rating", "resolved", "comment", "answered_at"))),
    st.builds(lambda r: {"rating": r}, st.integers().filter(lambda r: not 1 <= r <= 5)),
    st.builds(lambda r: {"rating": r}, st.one_of(st.floats(allow_nan=False), st.booleans(), st.just("пять"),
                                                 st.none())),
    st.builds(lambda t: {"answered_at": t}, st.one_of(
        st.text(max_size=12).filter(lambda t: not t.strip()[:1].isdigit()), st.integers(), st.none(),
        st.builds(lambda d: d.isoformat(), st.datetimes(min_value=datetime(2020, 1, 1))))),  # no UTC offset
    st.builds(lambda n: {"comment": "о" * n}, st.integers(MAX_COMMENT_CHARS + 1, MAX_COMMENT_CHARS + 50)),
    st.builds(lambda c: {"comment": f"текст{c}"}, st.sampled_from(["\x00", "\x07", "\ud800"])),
    st.just({"call_id": None}),
    st.just({"call_id": ""}),
    st.builds(lambda v: {"resolved": v}, st.sampled_from(["maybe", 2, "", None])),
)


@st.composite
def invalid_rows(draw):
    row = {**draw(valid_rows()), **draw(BREAKAGES)}
    return draw(st.one_of(st.just(row), st.sampled_from([[1, 2], "строка", 42, None])))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    with Database(tmp_path_factory.mktemp("fuzz") / "qc.duckdb") as database:
        yield database


def _stored(db):
    with db.read() as cur:
        return set(cur.execute("SELECT call_id, rating, resolved, answered_at FROM survey_results").fetchall())


def _reject_ids(db):
    with db.read() as cur:
        return {row[0] for row in cur.execute("SELECT reject_id FROM survey_rejects").fetchall()}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(rows=st.lists(st.one_of(valid_rows().map(lambda r: (r, True)), invalid_rows().map(lambda r: (r, False))),
                     max_size=8),
       as_csv=st.booleans())
def test_nothing_valid_lost_nothing_invalid_stored_and_resending_changes_nothing(db, rows, as_csv):
    if as_csv:  # CSV carries only flat object rows, and UTF-8 has no lone surrogates
        rows = [(r, v) for r, v in rows if isinstance(r, dict) and "\ud800" not in str(r.get("comment"))]
        body = _csv(r for r, _ in rows)
    else:
        body = json.dumps([r for r, _ in rows]).encode()
    valid = [r for r, v in rows if v]
    before = _stored(db)

    stored = import_payload(db, body, "csv" if as_csv else "json", "post_call", "fuzz")

    expected = {(r["call_id"], r["rating"], r["resolved"] in (True, "yes", "да"),
                 datetime.fromisoformat(r["answered_at"])) for r in valid}
    after = _stored(db)
    assert after - before == expected  # every valid row stored, nothing else
    assert (stored.accepted, stored.duplicates, stored.rejected) == (len(valid), 0, len(rows) - len(valid))
    rejects = _reject_ids(db)
    assert {r.reject_id for r in stored.rejects} <= rejects  # every refused row kept with its reason

    again = import_payload(db, body, "csv" if as_csv else "json", "post_call", "fuzz again")
    assert (again.accepted, again.duplicates, again.rejected) == (0, len(valid), len(rows) - len(valid))
    assert _stored(db) == after and _reject_ids(db) == rejects


def _csv(rows) -> bytes:
    rows = list(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=sorted({k for r in rows for k in r}) or ["call_id"])
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return out.getvalue().encode()
