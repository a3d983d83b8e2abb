"""Complaint clusters that keep their ids: spherical k-means with the cluster count read off a cohesion target.

Chosen by benchmarks/insights.py: k-means on the encoder's unit vectors grouped the kzgov complaints best (ARI
0.67 against Ward 0.63, average link 0.48, HDBSCAN 0.03 with most complaints left as noise); Ward is slightly
ahead on banking77 (0.38 against 0.35) but works on the full distance matrix, out of reach at 100,000
complaints, where k-means takes under a minute.

How many clusters is a question of how alike a cluster's complaints must be; `cohesion` says it once (the
mean cosine of members to their centroid) and the count follows from the data, so a month with more kinds of
problems gets more clusters.

Clusters live inside topics where topics are known: each topic is clustered on its own (see `recluster`).

Ids are kept: between full re-clusters new complaints join the nearest cluster when they are close enough and
otherwise open new clusters; a full re-cluster (an explicit command) hands each new cluster the id of the old
cluster it matches best, so a problem keeps its id while its wording drifts.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans, MiniBatchKMeans

from insights.records import ClusterAssignment, ComplaintCluster


@dataclass(frozen=True)
class ClusterSettings:
    # mean member-to-centroid cosine a full re-cluster aims for; chosen on the kzgov complaints, where it gives
    # about as many clusters as categories
    cohesion: float = 0.55
    # a new complaint joins an existing cluster at or above this cosine to its centroid, and a re-clustered
    # cluster keeps an old id at or above it: paraphrases of one problem measure about 0.45-0.8, complaints
    # about different problems 0.1-0.3
    join_similarity: float = 0.4
    # the cluster count is searched on a sample this big: cohesion does not depend on how many there are
    sample_size: int = 5000
    max_clusters: int = 500
    seed: int = 0


def _kmeans(vectors: np.ndarray, k: int, seed: int, n_init: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Labels and unit centroids. Mini-batches above 20,000 complaints: the full algorithm's passes over all of
    them buy nothing measurable there (see the scale-up in benchmarks/insights.py)."""
    k = max(1, min(k, len(vectors)))
    if len(vectors) > 20_000:
        model = MiniBatchKMeans(k, random_state=seed, n_init=n_init, batch_size=4096, max_no_improvement=20)
    else:
        model = KMeans(k, random_state=seed, n_init=n_init)
    labels = model.fit_predict(vectors)
    centroids = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(centroids, labels, vectors)
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    return labels, centroids


def cohesion(vectors: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> float:
    return float(np.einsum("ij,ij->i", vectors, centroids[labels]).mean())


def choose_cluster_count(vectors: np.ndarray, settings: ClusterSettings = ClusterSettings()) -> int:
    """The fewest clusters whose members are on average `settings.cohesion` similar to their centroid."""
    n = len(vectors)
    if n <= 1:
        return n
    rng = np.random.default_rng(settings.seed)
    sample = vectors[rng.choice(n, settings.sample_size, replace=False)] if n > settings.sample_size else vectors
    # never more clusters than one per two sampled complaints: a cluster of one is not a repeated problem
    high = max(1, min(settings.max_clusters, len(sample) // 2))

    def cohesive(k: int) -> bool:
        return cohesion(sample, *_kmeans(sample, k, settings.seed, n_init=1)) >= settings.cohesion

    # cohesion grows with the count: double it until the target is met (cheap, the answer is usually small),
    # then halve the last step
    low, k = 0, 1
    while not cohesive(k):
        if k >= high:
            return high
        low, k = k, min(2 * k, high)
    while k - low > 1:
        mid = (low + k) // 2
        if cohesive(mid):
            k = mid
        else:
            low = mid
    return k


def recluster(call_ids: Sequence[str], vectors: np.ndarray, previous: Sequence[ComplaintCluster] = (),
              settings: ClusterSettings = ClusterSettings(), count: int | None = None,
              first_new_id: int | None = None, topics: Sequence[str] | None = None,
              ) -> tuple[list[ComplaintCluster], list[ClusterAssignment]]:
    """Cluster every complaint afresh. A new cluster takes the id of the old cluster it matches best (one to
    one, at least `join_similarity` alike); the others get ids from `first_new_id` on (default: after the
    highest old id). `count` overrides the cohesion target (a benchmark against labels gives the label count).

    With `topics` (one per complaint) each topic is clustered on its own: a cluster then never mixes topics,
    which keeps garbled transcripts of one topic from landing among another's when their words are mangled
    beyond what the encoder recognises, and an old cluster passes its id only to one of its own topic."""
    next_id = first_new_id or max((c.cluster_id for c in previous), default=0) + 1
    groups = [None] if topics is None else sorted(set(topics))
    clusters: list[ComplaintCluster] = []
    assignments: dict[str, ClusterAssignment] = {}
    for topic in groups:
        rows = np.arange(len(call_ids)) if topic is None else np.flatnonzero(np.asarray(topics) == topic)
        if len(rows) == 0:
            continue
        own_previous = [c for c in previous if topic is None or c.topic == topic]
        found, found_assignments, next_id = _recluster_group(
            [call_ids[i] for i in rows], vectors[rows], own_previous, settings, count if topic is None else None,
            next_id, topic)
        clusters.extend(found)
        assignments.update((a.call_id, a) for a in found_assignments)
    return clusters, [assignments[call_id] for call_id in call_ids]


def _recluster_group(call_ids: list[str], vectors: np.ndarray, previous: Sequence[ComplaintCluster],
                     settings: ClusterSettings, count: int | None, next_id: int, topic: str | None,
                     ) -> tuple[list[ComplaintCluster], list[ClusterAssignment], int]:
    k = count or choose_cluster_count(vectors, settings)
    labels, centroids = _kmeans(vectors, k, settings.seed)
    used = np.unique(labels)  # k-means may leave a centroid without members
    centroids = centroids[used]
    labels = np.searchsorted(used, labels)
    ids, next_id = _inherit_ids(centroids, previous, settings.join_similarity, next_id)
    clusters = [ComplaintCluster(ids[c], vectors[labels == c].sum(axis=0), int((labels == c).sum()), topic,
                                 [call_ids[i] for i in np.flatnonzero(labels == c)])
                for c in range(len(centroids))]
    sims = np.einsum("ij,ij->i", vectors, centroids[labels])
    assignments = [ClusterAssignment(call_id, ids[label], round(float(s), 4))
                   for call_id, label, s in zip(call_ids, labels, sims)]
    return clusters, assignments, next_id


def _inherit_ids(centroids: np.ndarray, previous: Sequence[ComplaintCluster], min_similarity: float,
                 next_id: int) -> tuple[list[int], int]:
    ids: list[int | None] = [None] * len(centroids)
    if previous:
        sim = centroids @ np.stack([c.centroid for c in previous]).T
        for r, c in zip(*linear_sum_assignment(-sim)):
            if sim[r, c] >= min_similarity:
                ids[r] = previous[c].cluster_id
    out = []
    for i in ids:
        if i is None:
            i, next_id = next_id, next_id + 1
        out.append(i)
    return out, next_id


def assign_new(call_ids: Sequence[str], vectors: np.ndarray, clusters: Sequence[ComplaintCluster],
               settings: ClusterSettings = ClusterSettings(), first_new_id: int | None = None,
               topics: Sequence[str] | None = None) -> tuple[list[ComplaintCluster], list[ClusterAssignment]]:
    """Put new complaints into the existing clusters, or into new ones when no cluster is close enough.

    Returns every cluster that changed or was opened (with its updated sum and size) and one assignment per
    complaint, in order. Existing clusters keep their ids. A complaint that fits none opens a cluster that
    the complaints after it may join: a problem that is new this week gathers its calls in one place. With
    `topics`, a complaint joins only a cluster of its own topic."""
    clusters = [ComplaintCluster(c.cluster_id, c.vector_sum.copy(), c.size, c.topic) for c in clusters]
    next_id = first_new_id or max((c.cluster_id for c in clusters), default=0) + 1
    topic_of = list(topics) if topics is not None else [None] * len(call_ids)
    assignments: list[ClusterAssignment | None] = [None] * len(call_ids)
    changed: dict[int, ComplaintCluster] = {}

    def join(i: int, cluster: ComplaintCluster, similarity: float) -> None:
        cluster.vector_sum = cluster.vector_sum + vectors[i]
        cluster.size += 1
        cluster.members.append(call_ids[i])
        changed[cluster.cluster_id] = cluster
        assignments[i] = ClusterAssignment(call_ids[i], cluster.cluster_id, round(similarity, 4))

    leftover = list(range(len(call_ids)))
    if clusters and len(call_ids):
        # the bulk of a periodic run joins known clusters: one matrix product instead of a loop
        sims = vectors @ np.stack([c.centroid for c in clusters]).T
        if topics is not None:
            cluster_topics = np.array([c.topic for c in clusters], dtype=object)
            sims[np.asarray(topic_of, dtype=object)[:, None] != cluster_topics[None, :]] = -np.inf
        nearest = sims.argmax(axis=1)
        leftover = []
        for i, c in enumerate(nearest):
            if sims[i, c] >= settings.join_similarity:
                join(i, clusters[c], float(sims[i, c]))
            else:
                leftover.append(i)
    opened: list[ComplaintCluster] = []
    for i in leftover:
        sims = [float(vectors[i] @ c.centroid) if c.topic == topic_of[i] else -np.inf for c in opened]
        best = int(np.argmax(sims)) if sims else -1
        if best >= 0 and sims[best] >= settings.join_similarity:
            join(i, opened[best], sims[best])
        else:
            opened.append(ComplaintCluster(next_id, np.zeros_like(vectors[i]), 0, topic_of[i]))
            next_id += 1
            join(i, opened[-1], 1.0)
    return list(changed.values()), assignments


def near_duplicates(vectors: np.ndarray, threshold: float, block: int = 4096) -> np.ndarray:
    """For each complaint, whether another one says nearly the same (cosine at least `threshold`)."""
    found = np.zeros(len(vectors), dtype=bool)
    for start in range(0, len(vectors), block):
        sims = vectors[start:start + block] @ vectors.T
        sims[np.arange(sims.shape[0]), np.arange(start, start + sims.shape[0])] = -1.0
        found[start:start + block] = (sims >= threshold).any(axis=1)
    return found
