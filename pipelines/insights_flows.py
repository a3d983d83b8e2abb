"""The periodic insights flow: wiring only; the steps live in pipelines.insights_steps."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from pipelines.insights_steps import (ClusteringSummary, analyse_new_calls, cluster_new_complaints,
                                      link_repeat_calls, recluster_all_complaints)
from storage.db import Database


@task(name="analyse-new-calls", cache_policy=NONE)
def analyse_task(db: Database) -> int:
    return analyse_new_calls(db)


@task(name="cluster-complaints", cache_policy=NONE)
def cluster_task(db: Database, full_recluster: bool) -> ClusteringSummary:
    return recluster_all_complaints(db) if full_recluster else cluster_new_complaints(db)


@task(name="link-repeat-calls", cache_policy=NONE)
def repeats_task(db: Database) -> int:
    return link_repeat_calls(db)


@dataclass(frozen=True)
class InsightsSummary:
    analysed: int  # calls analysed for the first time in this run
    clustering: ClusteringSummary
    repeat_calls: int  # every repeat link now known, not only this run's


@flow(name="cluster_complaints", log_prints=True)
def cluster_complaints(db_path: Path, full_recluster: bool = False) -> InsightsSummary:
    """Run on a schedule: new calls join the clusters they resemble (ids kept); `full_recluster` is the
    analyst's explicit request to group every complaint afresh."""
    with Database(db_path) as db:
        analysed = analyse_task(db)
        clustering = cluster_task(db, full_recluster)
        repeats = repeats_task(db)
    return InsightsSummary(analysed, clustering, repeats)
