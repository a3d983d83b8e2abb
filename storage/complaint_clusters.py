"""Insights in the database: complaints with their embeddings, complaint clusters with stable ids, the calls'
clusters, topics and routing, repeat-call links and registered requests with deadlines.

Writes go through the `Database` writer like every other write; reads use their own cursor.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import numpy as np

from insights.records import (CallText, ClusterAssignment, ClusterLabel, Complaint, ComplaintCluster, ProblemCall,
                              RepeatLink, Request, TopicAssignment, Utterance)
from kernel.roles import channel_role
from storage.db import Database, local_datetime

_CALLS = """
SELECT c.call_id, epoch_us(c.started_at), c.utc_offset_s, c.caller_id, c.operator_id, c.ivr_branch,
       CASE WHEN c.channels = 'stereo' THEN c.operator_channel END,
       list({'start': s.start_s, 'text': s.text, 'role': s.role, 'channel': s.channel} ORDER BY s.segment_no)
FROM calls AS c JOIN segments AS s USING (call_id)
WHERE c.status = 'done' $only_new
GROUP BY ALL
ORDER BY 2, 1
"""


def calls_for_insights(db: Database, only_new: bool = True) -> list[CallText]:
    """Transcribed calls in start order; `only_new`: those whose complaint was not extracted yet. On a stereo
    recording the channel tells who spoke where no role was stored."""
    only_new_sql = "AND c.call_id NOT IN (SELECT call_id FROM complaints)" if only_new else ""
    with db.read() as cur:
        rows = cur.execute(_CALLS.replace("$only_new", only_new_sql)).fetchall()
    return [
        CallText(call_id, local_datetime(epoch_us, offset), caller_id, operator_id, branch,
                 tuple(Utterance(s["start"], s["text"], s["role"] or channel_role(s["channel"], operator_channel))
                       for s in segments))
        for call_id, epoch_us, offset, caller_id, operator_id, branch, operator_channel, segments in rows
    ]


def save_complaints(db: Database, complaints: Sequence[Complaint], vectors: np.ndarray, encoder: str) -> None:
    """The vectors go in as numpy columns that DuckDB scans directly (the local dicts below, by name): a Python
    list of 512 floats per row took about 5 minutes per 100,000 complaints on 2 cores."""
    with db.write() as cur:
        for start in range(0, len(complaints), _SAVE_BATCH):
            batch = complaints[start:start + _SAVE_BATCH]
            count, dimension = len(batch), vectors.shape[1]
            complaint_rows = {  # noqa: F841  read by the INSERT below
                "row": np.arange(count, dtype=np.int32), "call_id": np.array([c.call_id for c in batch], dtype=object),
                "text": np.array([c.text for c in batch], dtype=object),
                "earlier": np.array([c.refers_to_earlier_call for c in batch], dtype=bool)}
            vector_values = {  # noqa: F841
                "row": np.repeat(np.arange(count, dtype=np.int32), dimension),
                "pos": np.tile(np.arange(dimension, dtype=np.int32), count),
                "x": np.ascontiguousarray(vectors[start:start + count], dtype=np.float32).ravel()}
            cur.execute(
                "INSERT OR REPLACE INTO complaints (call_id, text, refers_to_earlier_call, embedding, encoder,"
                " extracted_at) SELECT r.call_id, r.text, r.earlier, v.embedding, ?, now() FROM complaint_rows AS r"
                " JOIN (SELECT row, list(x ORDER BY pos) AS embedding FROM vector_values GROUP BY row) AS v"
                " USING (row)", [encoder])


_SAVE_BATCH = 10_000  # complaints per INSERT: about 60 MB of columns at a time


def load_complaints(db: Database, call_ids: Iterable[str] | None = None) -> tuple[list[Complaint], np.ndarray]:
    """Complaints with their embeddings, in call start order (all of them, or those of `call_ids`)."""
    query = ("SELECT p.call_id, p.text, p.refers_to_earlier_call, p.embedding FROM complaints AS p"
             " JOIN calls AS c USING (call_id) {where} ORDER BY c.started_at, p.call_id")
    with db.read() as cur:
        if call_ids is None:
            columns = cur.execute(query.format(where="")).fetchnumpy()
        else:
            columns = cur.execute(query.format(where="WHERE list_contains(?, p.call_id)"),
                                  [list(call_ids)]).fetchnumpy()
    complaints = [Complaint(str(call_id), str(text), bool(earlier)) for call_id, text, earlier
                  in zip(columns["call_id"], columns["text"], columns["refers_to_earlier_call"])]
    return complaints, _matrix(columns["embedding"])


def _matrix(column: np.ndarray) -> np.ndarray:
    """Rows of a fetched FLOAT[512] column as one float32 matrix. fetchnumpy hands the arrays over as they are
    stored; fetchall would build a Python float for each of 512 numbers a row (100,000 complaints: 2 s against
    40 s)."""
    if not len(column):
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack(column).astype(np.float32, copy=False)


def unclustered_complaints(db: Database) -> tuple[list[Complaint], np.ndarray]:
    """Complaints that state a problem and have no cluster yet."""
    with db.read() as cur:
        ids = [r[0] for r in cur.execute(
            "SELECT call_id FROM complaints WHERE text <> '' AND call_id NOT IN (SELECT call_id FROM call_clusters)"
        ).fetchall()]
    return load_complaints(db, ids) if ids else ([], np.zeros((0, 0), dtype=np.float32))


def load_clusters(db: Database) -> list[ComplaintCluster]:
    """The live clusters (retired ones are kept for their ids and history only)."""
    with db.read() as cur:
        rows = cur.execute("SELECT cluster_id, vector_sum, size, topic FROM complaint_clusters WHERE NOT retired"
                           " ORDER BY cluster_id").fetchall()
    return [ComplaintCluster(cid, np.array(vector_sum, dtype=np.float64), size, topic)
            for cid, vector_sum, size, topic in rows]


def next_cluster_id(db: Database) -> int:
    """An id no cluster ever had, retired ones included."""
    with db.read() as cur:
        (highest,) = cur.execute("SELECT max(cluster_id) FROM complaint_clusters").fetchone()
    return (highest or 0) + 1


def cluster_members(db: Database, cluster_ids: Iterable[int]) -> dict[int, list[str]]:
    with db.read() as cur:
        rows = cur.execute("SELECT cluster_id, list(call_id ORDER BY call_id) FROM call_clusters"
                           " WHERE list_contains(?, cluster_id) GROUP BY cluster_id", [list(cluster_ids)]).fetchall()
    return dict(rows)


def save_clustering(db: Database, *, kind: str, clusters: Sequence[ComplaintCluster],
                    assignments: Sequence[ClusterAssignment], labels: Sequence[ClusterLabel],
                    settings: dict) -> str:
    """Store one clustering run in one transaction, with a label for every cluster it touched. A 'recluster'
    run replaces every call's cluster and retires the clusters it did not carry over; an 'assign' run adds
    calls and updates the clusters they joined or opened."""
    if kind not in ("assign", "recluster"):
        raise ValueError(f"clustering run kind must be 'assign' or 'recluster', got {kind!r}")
    run_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    by_id = {label.cluster_id: label for label in labels}
    with db.write() as cur:
        known = {r[0] for r in cur.execute("SELECT cluster_id FROM complaint_clusters").fetchall()}
        if kind == "recluster":
            cur.execute("DELETE FROM call_clusters")
            cur.execute("UPDATE complaint_clusters SET retired = true, updated_at = now()"
                        " WHERE NOT list_contains(?, cluster_id)", [[c.cluster_id for c in clusters]])
        for cluster in clusters:
            label = by_id[cluster.cluster_id]
            cur.execute(
                "INSERT INTO complaint_clusters (cluster_id, topic, vector_sum, size, keywords, quote, retired,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, false, now(), now())"
                " ON CONFLICT (cluster_id) DO UPDATE SET topic = excluded.topic, vector_sum = excluded.vector_sum,"
                " size = excluded.size, keywords = excluded.keywords, quote = excluded.quote, retired = false,"
                " updated_at = now()",
                [cluster.cluster_id, cluster.topic, cluster.vector_sum.tolist(), cluster.size, list(label.keywords),
                 label.quote],
            )
        if assignments:
            cur.executemany("INSERT OR REPLACE INTO call_clusters (call_id, cluster_id, similarity, run_id)"
                            " VALUES (?, ?, ?, ?)", [[a.call_id, a.cluster_id, a.similarity, run_id]
                                                     for a in assignments])
        opened = sum(1 for c in clusters if c.cluster_id not in known)
        cur.execute("INSERT INTO cluster_runs (run_id, kind, started_at, calls, clusters_opened, settings)"
                    " VALUES (?, ?, now(), ?, ?, ?)", [run_id, kind, len(assignments), opened,
                                                       json.dumps(settings, sort_keys=True, default=str)])
    return run_id


def set_emerging(db: Database, emerging: Iterable[int]) -> None:
    with db.write() as cur:
        cur.execute("UPDATE complaint_clusters SET emerging = list_contains(?, cluster_id)", [list(emerging)])


def clustered_calls(db: Database) -> list[tuple[int, datetime]]:
    """(cluster_id, started_at) of every clustered call: what weekly trends are counted from."""
    with db.read() as cur:
        rows = cur.execute("SELECT k.cluster_id, epoch_us(c.started_at), c.utc_offset_s FROM call_clusters AS k"
                           " JOIN calls AS c USING (call_id)").fetchall()
    return [(cid, local_datetime(us, offset)) for cid, us, offset in rows]


def save_topics(db: Database, topics: Sequence[TopicAssignment], branches: dict[str, int | None],
                misrouted: dict[str, bool | None]) -> None:
    with db.write() as cur:
        cur.executemany(
            "INSERT OR REPLACE INTO call_topics (call_id, topic, score, keywords, ivr_branch, misrouted)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [[t.call_id, t.topic, t.score, list(t.keywords), branches.get(t.call_id), misrouted.get(t.call_id)]
             for t in topics],
        )


def load_topics(db: Database) -> dict[str, str]:
    with db.read() as cur:
        return dict(cur.execute("SELECT call_id, topic FROM call_topics").fetchall())


def call_topic(db: Database, call_id: str) -> tuple[str, int | None] | None:
    """(topic, ivr_branch) of an analysed call; None before the call is analysed."""
    with db.read() as cur:
        return cur.execute("SELECT topic, ivr_branch FROM call_topics WHERE call_id = ?", [call_id]).fetchone()


def relabel_topic(db: Database, call_id: str, topic: str, *, analyst: str, misrouted: bool | None,
                  reason: str | None = None) -> None:
    """An analyst's topic for a call: kept in its history and made the call's topic, with the routing verdict
    the caller's IVR branch gets under it."""
    if not analyst or not analyst.strip():
        raise ValueError("a re-label needs the analyst's name")
    with db.write() as cur:
        row = cur.execute("SELECT topic FROM call_topics WHERE call_id = ?", [call_id]).fetchone()
        if row is None:
            raise KeyError(f"call {call_id!r} has no topic yet")
        cur.execute("INSERT INTO topic_relabels (call_id, topic, automatic_topic, analyst, reason, relabelled_at)"
                    " VALUES (?, ?, ?, ?, ?, now())", [call_id, topic, row[0], analyst.strip(), reason])
        cur.execute("UPDATE call_topics SET topic = ?, misrouted = ?, keywords = [] WHERE call_id = ?",
                    [topic, misrouted, call_id])


_LATEST_RELABELS = "SELECT call_id, arg_max(topic, relabel_id) AS topic FROM topic_relabels GROUP BY call_id"


def relabelled_topics(db: Database) -> dict[str, str]:
    """call_id -> the topic its latest re-label gave it."""
    with db.read() as cur:
        return dict(cur.execute(_LATEST_RELABELS).fetchall())


def topic_relabels(db: Database) -> list[tuple[str, str]]:
    """(complaint text, topic) of every re-labelled call that states a problem, in call order: what analysts
    taught the topic classifier."""
    with db.read() as cur:
        return cur.execute(
            f"SELECT p.text, r.topic FROM ({_LATEST_RELABELS}) AS r JOIN complaints AS p USING (call_id)"
            " JOIN calls AS c USING (call_id) WHERE p.text <> '' ORDER BY c.started_at, r.call_id").fetchall()


def save_repeats(db: Database, links: Sequence[RepeatLink], judged: Iterable[str]) -> None:
    """Replace the repeat links of the `judged` calls (a call judged again may have lost its link)."""
    with db.write() as cur:
        cur.execute("DELETE FROM repeat_calls WHERE list_contains(?, call_id)", [list(judged)])
        if links:  # DuckDB refuses an empty executemany
            cur.executemany("INSERT OR REPLACE INTO repeat_calls (call_id, repeat_of, hours_apart) VALUES (?, ?, ?)",
                            [[link.call_id, link.repeat_of, link.hours_apart] for link in links])


def save_requests(db: Database, requests: Sequence[Request]) -> None:
    """Store newly found requests; one already stored keeps its extension and closing."""
    with db.write() as cur:
        for r in requests:
            offset = r.registered_at.utcoffset()
            cur.execute(
                "INSERT INTO requests (call_id, number, request_type, registered_at, utc_offset_s, due_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING",
                [r.call_id, r.number, r.request_type, r.registered_at,
                 int(offset.total_seconds()) if offset is not None else None, r.due_at],
            )


def update_request(db: Database, request: Request) -> None:
    """Record an extension or a closing."""
    with db.write() as cur:
        updated = cur.execute("UPDATE requests SET due_at = ?, extended = ?, closed_at = ? WHERE call_id = ?"
                              " RETURNING call_id",
                              [request.due_at, request.extended, request.closed_at, request.call_id]).fetchall()
        if not updated:
            raise KeyError(f"no request registered on call {request.call_id!r}")


def load_requests(db: Database) -> list[Request]:
    with db.read() as cur:
        rows = cur.execute(
            "SELECT call_id, number, request_type, epoch_us(registered_at), utc_offset_s, epoch_us(due_at), extended,"
            " epoch_us(closed_at) FROM requests ORDER BY due_at").fetchall()
    return [Request(call_id, number, kind, local_datetime(reg, offset), local_datetime(due, offset), extended,
                    local_datetime(closed, offset))
            for call_id, number, kind, reg, offset, due, extended, closed in rows]


def load_problem_calls(db: Database) -> list[ProblemCall]:
    """Every call with an extracted complaint, as repeat detection needs it, in start order, with the number of
    the request registered on it; the numbers said in it come from `texts_with_digits`."""
    query = ("FROM complaints AS p JOIN calls AS c USING (call_id) LEFT JOIN call_topics AS t USING (call_id)"
             " LEFT JOIN requests AS r USING (call_id) ORDER BY c.started_at, c.call_id")
    with db.read() as cur:
        rows = cur.execute(
            "SELECT c.call_id, c.caller_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id,"
            " coalesce(t.topic, 'other'), p.refers_to_earlier_call, r.number " + query).fetchall()
        vectors = _matrix(cur.execute("SELECT p.embedding " + query).fetchnumpy()["embedding"])
    return [ProblemCall(call_id, caller_id, local_datetime(us, offset), operator_id, topic, vector, earlier, number)
            for (call_id, caller_id, us, offset, operator_id, topic, earlier, number), vector in zip(rows, vectors)]


def texts_with_digits(db: Database) -> dict[str, list[str]]:
    """The stored (redacted) segment texts with a digit of every call with an extracted complaint, in order."""
    with db.read() as cur:
        return dict(cur.execute(
            "SELECT s.call_id, list(s.text ORDER BY s.segment_no) FROM segments AS s JOIN complaints USING (call_id)"
            " WHERE regexp_matches(s.text, '[0-9]') GROUP BY s.call_id").fetchall())


def load_routing(db: Database) -> list[tuple[str, int | None]]:
    """(topic, ivr_branch) of every call with a topic."""
    with db.read() as cur:
        return cur.execute("SELECT topic, ivr_branch FROM call_topics").fetchall()


def load_cluster_labels(db: Database) -> dict[int, tuple[ClusterLabel, int, bool]]:
    """Live clusters: label, size, emerging."""
    with db.read() as cur:
        rows = cur.execute("SELECT cluster_id, keywords, quote, size, emerging FROM complaint_clusters"
                           " WHERE NOT retired ORDER BY size DESC, cluster_id").fetchall()
    return {cid: (ClusterLabel(cid, tuple(keywords), quote), size, emerging)
            for cid, keywords, quote, size, emerging in rows}


def export_fields(db: Database, call_ids: Iterable[str]) -> dict[str, dict]:
    """The export's insights fields of each analysed call among `call_ids`: the complaint, its cluster with the
    cluster's label, the topic and whether the IVR misrouted the call, the call it repeats, and the request
    registered on it with its deadline."""
    ids = list(call_ids)
    if not ids:
        return {}
    with db.read() as cur:
        rows = cur.execute(
            "SELECT p.call_id, p.text, t.topic, t.misrouted, k.cluster_id, g.keywords, g.quote, r.repeat_of,"
            " q.number, q.request_type, epoch_us(q.registered_at), q.utc_offset_s, epoch_us(q.due_at), q.extended,"
            " epoch_us(q.closed_at)"
            " FROM complaints AS p LEFT JOIN call_topics AS t USING (call_id)"
            " LEFT JOIN call_clusters AS k USING (call_id) LEFT JOIN complaint_clusters AS g USING (cluster_id)"
            " LEFT JOIN repeat_calls AS r USING (call_id) LEFT JOIN requests AS q USING (call_id)"
            " WHERE list_contains($ids, p.call_id)", {"ids": ids}).fetchall()
    fields = {}
    for (call_id, text, topic, misrouted, cluster_id, keywords, quote, repeat_of, number, request_type, registered,
         offset, due, extended, closed) in rows:
        cluster = None if cluster_id is None else {"id": cluster_id, "keywords": keywords, "quote": quote}
        request = None if request_type is None else {
            "number": number, "type": request_type,
            "registered_at": local_datetime(registered, offset).isoformat(),
            "due_at": local_datetime(due, offset).isoformat(), "extended": extended,
            "closed_at": None if closed is None else local_datetime(closed, offset).isoformat()}
        fields[call_id] = {"complaint": text or None, "complaint_cluster": cluster, "topic": topic,
                           "misrouted": misrouted, "repeat_of": repeat_of, "request": request}
    return fields
