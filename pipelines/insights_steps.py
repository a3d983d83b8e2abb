"""The steps the periodic insights flow runs, each a plain function from the database to the database.

They live in pipelines/ because they read and write DuckDB; what they do to the calls is insights' pure
functions. pipelines/insights_flows.py wires them into the `cluster_complaints` flow; the CLI calls the reports.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime

import numpy as np

from insights import encoder
from insights.catalogue import default_catalogue
from insights.clustering import ClusterSettings, assign_new, recluster
from insights.complaints import call_context, extract_complaint
from insights.deadlines import DeadlinePolicy, find_request, requests_needing_attention
from insights.labels import document_frequency, label_cluster
from insights.numbers import with_numbers_said
from insights.records import ClusterLabel, ComplaintCluster, ProblemCall, Request
from insights.repeats import RepeatSettings, ResolutionRate, find_repeats, resolution_rates
from insights.topics import (BranchRouting, TopicClassifier, assign_topics, build_classifier, default_classifier,
                             is_misrouted, misrouting_by_branch)
from insights.trends import ClusterTrend, TrendSettings, cluster_trends
from storage import complaint_clusters as store
from storage.db import Database


def topic_classifier(db: Database) -> TopicClassifier:
    """The catalogue's classifier, taught every re-label analysts stored, as overrides teach the checklist."""
    relabels = store.topic_relabels(db)
    return build_classifier(relabels=relabels) if relabels else default_classifier()


def analyse_new_calls(db: Database, only_new: bool = True, classifier: TopicClassifier | None = None,
                      policy: DeadlinePolicy = DeadlinePolicy()) -> int:
    """Complaint, topic, routing and registered request of each transcribed call not analysed yet. A call an
    analyst re-labelled keeps the analyst's topic when it is analysed again."""
    calls = store.calls_for_insights(db, only_new=only_new)
    if not calls:
        return 0
    complaints = [extract_complaint(call) for call in calls]
    vectors = encoder.embed([c.text for c in complaints])
    topics = assign_topics([c.call_id for c in calls], [c.text for c in complaints], vectors,
                           [call_context(call) for call in calls], classifier or topic_classifier(db))
    relabelled = store.relabelled_topics(db)
    topics = [replace(t, topic=relabelled[t.call_id], keywords=()) if t.call_id in relabelled else t for t in topics]
    requests = [r for call, complaint, topic in zip(calls, complaints, topics)
                if (r := find_request(call.call_id, call.utterances, call.started_at, topic.topic, complaint.text,
                                      policy)) is not None]
    store.save_complaints(db, complaints, vectors, encoder.NAME)
    store.save_topics(db, topics, {c.call_id: c.ivr_branch for c in calls},
                      {c.call_id: is_misrouted(t.topic, c.ivr_branch) for c, t in zip(calls, topics)})
    store.save_requests(db, requests)
    return len(calls)


def relabel_call_topic(db: Database, call_id: str, topic: str, analyst: str, reason: str | None = None) -> None:
    """An analyst's topic for an analysed call: the call's topic from now on, its routing judged again, and an
    example the classifier learns from on the next run."""
    catalogue = default_catalogue()
    if topic not in catalogue.topics:
        raise ValueError(f"no topic {topic!r} in the catalogue; known: {', '.join(catalogue.topics)}")
    _, branch = store.call_topic(db, call_id) or (None, None)
    store.relabel_topic(db, call_id, topic, analyst=analyst, reason=reason,
                        misrouted=is_misrouted(topic, branch, catalogue))


@dataclass(frozen=True)
class ClusteringSummary:
    run_id: str | None
    kind: str
    calls: int
    clusters: int  # live clusters after the run
    emerging: tuple[int, ...]


def cluster_new_complaints(db: Database, settings: ClusterSettings = ClusterSettings(),
                           trend_settings: TrendSettings = TrendSettings(), now: datetime | None = None,
                           ) -> ClusteringSummary:
    """Assign complaints not clustered yet to the existing clusters (ids kept), opening clusters for new problems."""
    complaints, vectors = store.unclustered_complaints(db)
    if not complaints:
        return _summary(db, None, "assign", 0, trend_settings, now)
    topic_of = store.load_topics(db)
    clusters, assignments = assign_new([c.call_id for c in complaints], vectors, store.load_clusters(db), settings,
                                       first_new_id=store.next_cluster_id(db),
                                       topics=[topic_of[c.call_id] for c in complaints])
    run_id = store.save_clustering(db, kind="assign", clusters=clusters, assignments=assignments,
                                   labels=_labels(db, clusters, True), settings=asdict(settings))
    return _summary(db, run_id, "assign", len(assignments), trend_settings, now)


def recluster_all_complaints(db: Database, settings: ClusterSettings = ClusterSettings(),
                             trend_settings: TrendSettings = TrendSettings(), now: datetime | None = None,
                             ) -> ClusteringSummary:
    """The explicit full re-cluster: every complaint afresh; clusters that match old ones keep their ids."""
    complaints, vectors = store.load_complaints(db)
    stated = [i for i, c in enumerate(complaints) if c.text]
    topic_of = store.load_topics(db)
    clusters, assignments = recluster([complaints[i].call_id for i in stated], vectors[stated],
                                      previous=store.load_clusters(db), settings=settings,
                                      first_new_id=store.next_cluster_id(db),
                                      topics=[topic_of[complaints[i].call_id] for i in stated])
    run_id = store.save_clustering(db, kind="recluster", clusters=clusters, assignments=assignments,
                                   labels=_labels(db, clusters, False), settings=asdict(settings))
    return _summary(db, run_id, "recluster", len(assignments), trend_settings, now)


def _labels(db: Database, clusters: Sequence[ComplaintCluster], with_stored_members: bool) -> list[ClusterLabel]:
    """Labels of the clusters a run touched, from all their members: this run's, and for an assign run also
    those stored before (a full re-cluster lists every member itself)."""
    stored = store.cluster_members(db, [c.cluster_id for c in clusters]) if with_stored_members else {}
    complaints, vectors = store.load_complaints(db)
    row = {c.call_id: i for i, c in enumerate(complaints)}
    frequency = document_frequency([c.text for c in complaints if c.text])
    labels = []
    for cluster in clusters:
        rows = [row[m] for m in sorted(set(stored.get(cluster.cluster_id, [])) | set(cluster.members)) if m in row]
        labels.append(label_cluster(cluster.cluster_id, [complaints[i].text for i in rows], vectors[rows],
                                    cluster.centroid.astype(np.float32), frequency))
    return labels


def _summary(db: Database, run_id: str | None, kind: str, calls: int, trend_settings: TrendSettings,
             now: datetime | None) -> ClusteringSummary:
    trends = cluster_trends(store.clustered_calls(db), now or datetime.now().astimezone(), trend_settings)
    emerging = tuple(t.cluster_id for t in trends if t.emerging)
    store.set_emerging(db, emerging)
    return ClusteringSummary(run_id, kind, calls, len(store.load_clusters(db)), emerging)


def problem_calls(db: Database) -> list[ProblemCall]:
    """Every call with an extracted complaint as repeat detection sees it, with the numbers said in it."""
    return with_numbers_said(store.load_problem_calls(db), store.texts_with_digits(db))


def link_repeat_calls(db: Database, settings: RepeatSettings = RepeatSettings()) -> int:
    """Judge every analysed call again: a window reaches back, so a new call can only link to stored ones."""
    calls = problem_calls(db)
    links = find_repeats(calls, settings)
    store.save_repeats(db, links, [c.call_id for c in calls])
    return len(links)


# --- reports ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClusterReport:
    label: ClusterLabel
    size: int
    trend: ClusterTrend | None


def cluster_report(db: Database, now: datetime | None = None,
                   trend_settings: TrendSettings = TrendSettings()) -> list[ClusterReport]:
    """Live clusters, largest first, with their weekly sizes and emerging flag."""
    trends = {t.cluster_id: t for t in cluster_trends(store.clustered_calls(db), now or datetime.now().astimezone(),
                                                      trend_settings)}
    return [ClusterReport(label, size, trends.get(cid))
            for cid, (label, size, _) in store.load_cluster_labels(db).items()]


def repeat_report(db: Database, by: str, as_of: datetime | None = None,
                  settings: RepeatSettings = RepeatSettings()) -> list[ResolutionRate]:
    calls = problem_calls(db)
    links = find_repeats(calls, settings)
    return resolution_rates(calls, links, by, as_of or datetime.now().astimezone(), settings)


def routing_report(db: Database) -> list[BranchRouting]:
    return misrouting_by_branch(store.load_routing(db))


def deadline_report(db: Database, now: datetime | None = None,
                    policy: DeadlinePolicy = DeadlinePolicy()) -> tuple[list[Request], list[Request]]:
    """(due soon, overdue)."""
    return requests_needing_attention(store.load_requests(db), now or datetime.now().astimezone(), policy)
