"""Small scored and analysed calls written through the storage APIs, for the feedback-loop tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from asr.records import Segment, Transcript
from ingest.metadata import CallMetadata
from ingest.surveys import POST_CALL, parse_rows
from insights.records import ClusterAssignment, ClusterLabel, ComplaintCluster, RepeatLink, TopicAssignment
from scoring.records import CallScore, ConversationMetrics, ItemVerdict, Reason
from scoring.script import load_script
from storage import complaint_clusters
from storage.calls import save_call
from storage.db import Database
from storage.records import RecordingInfo
from storage.scores import save_call_scores
from storage.surveys import save_batch

START = datetime(2025, 1, 6, 9, tzinfo=timezone.utc)  # a Monday
SCRIPT = load_script()
METRICS = ConversationMetrics(60.0, 30.0, 25.0, 1.2, 0.1, 2.0, 0, 0.0, 0.0, 0, 120.0, 3.0, 0)


def store_call(db: Database, call_id: str, day: float, operator: str = "op-1", *, failed: tuple[str, ...] = (),
               topic: str | None = None, script=SCRIPT) -> None:
    """A stored, scored call: every item of the script passed except `failed`."""
    save_call(db, "run", CallMetadata(call_id, START + timedelta(days=day), operator, f"caller-{call_id}", 1, "Казань",
                                     "stereo", 0, "ru"),
              RecordingInfo(f"rec-{call_id}", f"/in/{call_id}.enc", 1),
              Transcript("ru", 1.0, 60.0, (Segment(0.0, 3.0, "Здравствуйте", channel=0, role="operator"),)))
    items = tuple(ItemVerdict(i.item_id, "failed" if i.item_id in failed else "passed", (Reason.of("test"),), (),
                              i.weight, i.critical) for i in script.items)
    passed = sum(v.weight for v in items if v.verdict == "passed")
    score = CallScore(script.name, script.version, "none", items, METRICS,
                      round(100 * passed / sum(v.weight for v in items), 1),
                      tuple(v.item_id for v in items if v.critical and v.verdict == "failed"))
    save_call_scores(db, script, [(call_id, score)])
    if topic is not None:
        complaint_clusters.save_topics(db, [TopicAssignment(call_id, topic, 1.0, ())], {}, {})


def store_cluster(db: Database, cluster_id: int, call_ids: list[str], quote: str) -> None:
    vector = np.zeros(512)
    vector[cluster_id] = len(call_ids)
    complaint_clusters.save_clustering(
        db, kind="assign", clusters=[ComplaintCluster(cluster_id, vector, len(call_ids))],
        assignments=[ClusterAssignment(c, cluster_id, 0.9) for c in call_ids],
        labels=[ClusterLabel(cluster_id, ("кабинет",), quote)], settings={})


def store_repeat(db: Database, call_id: str, repeat_of: str, hours: float) -> None:
    complaint_clusters.save_repeats(db, [RepeatLink(call_id, repeat_of, hours)], [call_id])


def store_ratings(db: Database, ratings: dict[str, int]) -> None:
    """Post-call survey answers as the survey system sends them, through survey ingestion."""
    rows = [{"call_id": call_id, "rating": rating, "resolved": "yes" if rating > 3 else "no",
             "answered_at": "2025-01-06T12:00:00+00:00"} for call_id, rating in ratings.items()]
    save_batch(db, parse_rows(rows, POST_CALL), "test")
