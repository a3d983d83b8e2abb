"""A call's topic, learned from the catalogue's example requests and analysts' re-labels, and whether the IVR
branch the caller chose fits it.

The topic is decided by meaning, not by words: a logistic regression over the packaged encoder's embeddings
of the examples in insights/topics.yaml, plus each call an analyst re-labelled. Words alone misled: «адрес»,
«сертификат», «решение», «очередь» are as common in complaints about a block of flats or a vaccination as in
the hotline's own topics. The catalogue has `out_of_scope` examples for what is not the portal's business, and
a complaint no topic is likely enough for is `other`: "don't know" is a calibrated answer.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.linear_model import LogisticRegression

from insights import encoder
from insights.catalogue import OTHER, OUT_OF_SCOPE, TopicCatalogue, default_catalogue
from insights.lemmas import content_lemmas
from insights.records import TopicAssignment

__all__ = ["OTHER", "OUT_OF_SCOPE", "BranchRouting", "TopicClassifier", "assign_topics", "build_classifier",
           "is_misrouted", "misrouting_by_branch", "topic_of"]

# the examples that show an analyst why a topic was given: the complaint's words shared with these
EVIDENCE_EXAMPLES = 3


@dataclass(frozen=True)
class TopicClassifier:
    catalogue: TopicCatalogue
    model: LogisticRegression
    examples: tuple[str, ...]
    example_topics: tuple[str, ...]
    example_vectors: np.ndarray

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self.model.classes_)

    def probabilities(self, vectors: np.ndarray, context_vectors: np.ndarray | None = None) -> np.ndarray:
        """(n, topics): the complaint's topic probabilities, blended with the call context's where given."""
        found = self.model.predict_proba(vectors)
        if context_vectors is None:
            return found
        weight = self.catalogue.classifier.context_weight
        has_context = context_vectors.any(axis=1, keepdims=True)
        return np.where(has_context, (1 - weight) * found + weight * self.model.predict_proba(context_vectors), found)

    def decide(self, vectors: np.ndarray, context_vectors: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(topic, the regression's probability of it) per complaint; `other` when no topic is likely enough or
        no example is near."""
        if not len(vectors):
            return []
        found = self.probabilities(vectors, context_vectors)
        nearest = (vectors @ self.example_vectors.T).max(axis=1)
        if context_vectors is not None:
            nearest = np.maximum(nearest, (context_vectors @ self.example_vectors.T).max(axis=1))
        settings = self.catalogue.classifier
        out = []
        for p, near in zip(found, nearest):
            best = int(p.argmax())
            known = p[best] >= settings.threshold and near >= settings.min_similarity
            topic = str(self.topics[best]) if known else OTHER
            out.append((topic, round(float(p[self.topics.index(topic)]), 4)))
        return out

    def evidence(self, text: str, vector: np.ndarray, topic: str) -> tuple[str, ...]:
        """The complaint's lemmas that its topic's closest examples use too: what an analyst can check."""
        rows = [i for i, t in enumerate(self.example_topics) if t == topic]
        closest = sorted(rows, key=lambda i: -float(self.example_vectors[i] @ vector))[:EVIDENCE_EXAMPLES]
        shared = {lemma for i in closest for lemma in content_lemmas(self.examples[i])}
        return tuple(dict.fromkeys(lemma for lemma in content_lemmas(text) if lemma in shared))


@lru_cache(maxsize=8)
def _embedded(texts: tuple[str, ...]) -> np.ndarray:
    return encoder.embed(list(texts))


def build_classifier(catalogue: TopicCatalogue | None = None,
                     relabels: Sequence[tuple[str, str]] = ()) -> TopicClassifier:
    """The classifier from the catalogue's examples and analysts' re-labels, (complaint text, topic) pairs,
    each counting as `relabel_weight` examples."""
    catalogue = catalogue or default_catalogue()
    unknown = sorted({topic for _, topic in relabels} - set(catalogue.topics))
    if unknown:
        raise ValueError(f"re-labelled to topic(s) not in the catalogue: {', '.join(unknown)}")
    relabels = [(text, topic) for text, topic in relabels if text.strip()]
    written = [(e, t.topic_id) for t in catalogue.topics.values() for e in t.examples]
    examples = tuple(text for text, _ in written + relabels)
    topics = tuple(topic for _, topic in written + relabels)
    vectors = np.concatenate([_embedded(tuple(text for text, _ in written)),
                              encoder.embed([text for text, _ in relabels])])
    weights = np.array([1.0] * len(written) + [catalogue.classifier.relabel_weight] * len(relabels))
    model = LogisticRegression(C=catalogue.classifier.regularisation, max_iter=3000)
    model.fit(vectors, np.array(topics), sample_weight=weights)
    return TopicClassifier(catalogue, model, examples, topics, vectors)


@lru_cache(maxsize=1)
def default_classifier() -> TopicClassifier:
    return build_classifier()


def topic_of(text: str, classifier: TopicClassifier | None = None) -> tuple[str, float]:
    """The topic of one complaint in the caller's words, and its probability (`other` below the threshold)."""
    if not text.strip():
        return OTHER, 0.0
    return (classifier or default_classifier()).decide(encoder.embed([text]))[0]


def assign_topics(call_ids: Sequence[str], complaints: Sequence[str], vectors: np.ndarray,
                  call_texts: Sequence[str] | None = None,
                  classifier: TopicClassifier | None = None) -> list[TopicAssignment]:
    """`vectors` are the complaints' embeddings (encoder.embed), computed once for clustering and topics;
    `call_texts` the calls' words about the matter (complaints.call_context), where they are at hand."""
    classifier = classifier or default_classifier()
    context = encoder.embed(list(call_texts)) if call_texts is not None else None
    decided = classifier.decide(vectors, context)
    out = []
    for call_id, text, vector, (topic, probability) in zip(call_ids, complaints, vectors, decided):
        if not text.strip():
            out.append(TopicAssignment(call_id, OTHER, 0.0, ()))
            continue
        out.append(TopicAssignment(call_id, topic, probability, classifier.evidence(text, vector, topic)))
    return out


@dataclass(frozen=True)
class BranchRouting:
    ivr_branch: int
    calls: int
    misrouted: int

    @property
    def misrouting_rate(self) -> float:
        return self.misrouted / self.calls if self.calls else 0.0


def is_misrouted(topic: str, ivr_branch: int | None, catalogue: TopicCatalogue | None = None) -> bool | None:
    """None where it cannot be told: no branch recorded, a topic no branch is meant for (`other`), or one the
    catalogue no longer has."""
    known = (catalogue or default_catalogue()).topics.get(topic)
    if ivr_branch is None or known is None or not known.branches:
        return None
    return ivr_branch not in known.branches


def misrouting_by_branch(routed: Iterable[tuple[str, int | None]],
                         catalogue: TopicCatalogue | None = None) -> list[BranchRouting]:
    """(topic, ivr_branch) per call -> per branch: calls whose topic could be judged, and how many were misrouted."""
    calls: Counter[int] = Counter()
    wrong: defaultdict[int, int] = defaultdict(int)
    for topic, branch in routed:
        verdict = is_misrouted(topic, branch, catalogue)
        if verdict is None:
            continue
        calls[branch] += 1
        wrong[branch] += verdict
    return [BranchRouting(b, calls[b], wrong[b]) for b in sorted(calls)]
