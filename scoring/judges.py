"""Judges learnt from examples: for each checklist item (and condition) of a script, how likely a sentence does it.

A judge is a logistic regression over sentence embeddings. It learns the item's `examples` as «yes» and, as «no»,
its `near_misses`, the script's `everyday` lines and, more lightly, every other item's examples (a greeting is no
closing). Analysts' overrides come in as labelled examples of the item they corrected and weigh more than the
script's own: they are this hotline's real calls, where the script's wording fell short.

Building is a pure function of (script, extra examples, encoder), so re-scoring with the same overrides gives the
same judges, and a test or benchmark can build them from any labelled examples it likes.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from scoring.encoder import SentenceEncoder
from scoring.records import FAILED, PASSED
from scoring.script import Phrases, Script

OTHER_ITEMS_WEIGHT = 0.5  # another item's example is a «no», but a sentence may do two duties at once
EXTRA_WEIGHT = 3.0  # an analyst's correction outweighs a line of the script
REGULARISATION = 4.0  # sklearn's C: embeddings are few and close together, the default 1.0 underfits them


@dataclass(frozen=True)
class LabelledExample:
    """An utterance labelled for one item: `does` says whether it does the item's duty (for a forbidden-phrase item:
    whether it is a forbidden phrase)."""

    item_id: str
    text: str
    does: bool


@dataclass(frozen=True)
class Judgement:
    probability: float
    nearest: str  # the «yes» example closest in meaning, for the verdict's evidence

    @property
    def method(self) -> str:
        return f"judge {self.probability:.2f}, like '{self.nearest}'"


class Judge:
    def __init__(self, owner_id: str, model: LogisticRegression, positives: Sequence[str], vectors: np.ndarray,
                 threshold: float, learnt_from: int):
        self.owner_id = owner_id
        self.threshold = threshold
        self.learnt_from = learnt_from  # how many labelled utterances, the analysts' included
        self._model = model
        self._positives = tuple(positives)
        self._vectors = vectors

    def judge(self, vectors: np.ndarray) -> list[Judgement]:
        if len(vectors) == 0:
            return []
        probabilities = self._model.predict_proba(vectors)[:, 1]
        nearest = np.argmax(vectors @ self._vectors.T, axis=1)
        return [Judgement(float(p), self._positives[n]) for p, n in zip(probabilities, nearest)]


class Judges:
    """The judges of one script, found by the phrases they judge (an item's or a condition's)."""

    def __init__(self, encoder: SentenceEncoder, judges: dict[Phrases, Judge]):
        self.encoder = encoder
        self._judges = judges

    def of(self, phrases: Phrases) -> Judge | None:
        return self._judges.get(phrases)

    def __iter__(self):
        return iter(self._judges.values())


def build_judges(script: Script, extra: Iterable[LabelledExample], encoder: SentenceEncoder) -> Judges:
    """A judge for every item and condition of `script` that has examples; `extra` (analysts' overrides turned into
    labelled utterances) teaches the item it names. Extra examples of an item the script does not have are refused:
    they belong to another script version."""
    owners: dict[str, Phrases] = {i.item_id: i.phrases for i in script.items if i.phrases.examples}
    owners |= {c: cond.phrases for c, cond in script.conditions.items() if cond.phrases.examples}
    extra = list(extra)
    known = {i.item_id for i in script.items}
    unknown = sorted({e.item_id for e in extra} - known)
    if unknown:
        raise ValueError(f"labelled examples name item(s) {', '.join(unknown)} that script {script.name} "
                         f"{script.version} does not have")
    texts = sorted({t for p in owners.values() for t in (*p.examples, *p.near_misses)} | set(script.everyday)
                   | {e.text for e in extra})
    vectors = dict(zip(texts, encoder.encode(texts)))
    item_ids = {i.item_id for i in script.items}
    judges = {}
    for owner_id, phrases in owners.items():
        own = [(e.text, e.does) for e in extra if e.item_id == owner_id]
        yes = list(dict.fromkeys([*phrases.examples, *(t for t, does in own if does)]))
        rows: list[tuple[str, int, float]] = [(t, 1, 1.0) for t in phrases.examples]
        rows += [(t, 1 if does else 0, EXTRA_WEIGHT) for t, does in own]
        rows += [(t, 0, 1.0) for t in (*phrases.near_misses, *script.everyday) if t not in yes]
        rows += [(t, 0, OTHER_ITEMS_WEIGHT) for other, p in owners.items()
                 if other != owner_id and other in item_ids and owner_id in item_ids
                 for t in p.examples if t not in yes]
        if all(label for _, label, _ in rows):
            raise ValueError(f"{script.name} {script.version}: '{owner_id}' has examples but nothing to tell them "
                             "from: give it 'near_misses' or the script 'everyday' lines")
        x = np.stack([vectors[t] for t, _, _ in rows])
        y = np.array([label for _, label, _ in rows])
        weights = np.array([w for _, _, w in rows])
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000)
        model.fit(x, y, sample_weight=weights)
        threshold = phrases.threshold if phrases.threshold is not None else script.settings.threshold
        judges[phrases] = Judge(owner_id, model, yes, np.stack([vectors[t] for t in yes]), threshold, len(rows))
    return Judges(encoder, judges)


@dataclass(frozen=True)
class Correction:
    """An analyst's verdict on one item of one call, with the quotes it is about."""

    item_id: str
    verdict: str
    quotes: tuple[str, ...]


def corrections_as_examples(script: Script, corrections: Iterable[Correction]) -> list[LabelledExample]:
    """What analysts' verdicts teach the judges about the quotes they are about. A passed item says its quotes do
    the duty and a failed one that they do not; for a forbidden-phrase item (`not_said`) it is the other way round:
    a failed verdict says the quotes are forbidden phrases. «Not applicable» teaches nothing: whether an item applies
    is its conditions' to say."""
    examples = []
    for correction in corrections:
        item = script.item(correction.item_id)
        if correction.verdict not in (PASSED, FAILED) or not item.phrases.examples:
            continue
        does = (correction.verdict == PASSED) != (item.check == "not_said")
        examples += [LabelledExample(item.item_id, quote, does) for quote in correction.quotes if quote.strip()]
    return examples
