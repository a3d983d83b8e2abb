"""Judges learnt from examples: for each checklist item (and condition) of a script, how likely a sentence does it.

A judge is a logistic regression over sentence embeddings. It learns the item's `examples` as «yes» and, as «no»,
its `near_misses`, the script's `everyday` lines and, more lightly, every other item's examples (a greeting is no
closing). A forbidden-phrase judge also asks where a line lies: one nearer in meaning to a «no» than to every
example is none, whatever the model makes of it. Analysts' overrides come in as labelled examples of the item they
corrected: the readings of their quotes the script's judge got wrong are recalled, and a sentence said alike on any
call gets the analyst's label.

Building is a pure function of (script, extra examples, encoder), so re-scoring with the same overrides gives the
same judges, and a test or benchmark can build them from any labelled examples it likes.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from scoring.conversation import CLAUSE, sentences_of
from scoring.encoder import SentenceEncoder
from scoring.records import FAILED, PASSED
from scoring.script import Phrases, Script

OTHER_ITEMS_WEIGHT = 0.5  # another item's example is a «no», but a sentence may do two duties at once
REGULARISATION = 4.0  # sklearn's C: embeddings are few and close together, the default 1.0 underfits them
# An analyst's reading is recalled for sentences at least this alike: the same line said again, another name or a
# word changed. Refitting the model on the readings instead made every corrected item worse on calls nobody
# corrected (two-fold tune half: macro 0.906 with no override, 0.846 with 100): one call's wording is too few
# examples to move a boundary learnt from the script's many.
RECALLED = 0.9
# A forbidden phrase costs the call a critical failure, and the model finds everyday lines likely enough to fail a
# call twice over («Понимаю ваше недовольство, давайте разберёмся» 0.83 against rudeness learnt from the examples):
# a line this much nearer in meaning to a text labelled «no» than to every «yes» example is no forbidden phrase
NEARER_NO = 0.2


@dataclass(frozen=True)
class LabelledExample:
    """An utterance labelled for one item or condition: `does` says whether it does the item's duty (for a
    forbidden-phrase item: whether it is a forbidden phrase), or shows the condition holds."""

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
    """The script's model, and what analysts taught it: a sentence at least `RECALLED` alike to a reading an analyst
    labelled takes that label, since operators say their lines alike call after call; the model judges the rest."""

    def __init__(self, model: LogisticRegression, positives: Sequence[str], vectors: np.ndarray, threshold: float,
                 taught: Sequence[tuple[str, int]] = (), taught_vectors: np.ndarray | None = None,
                 negatives: np.ndarray | None = None):
        self.threshold = threshold
        self._negatives = negatives  # where a «yes» must be nearer a «yes» example than to these (NEARER_NO)
        self._model = model
        self._positives = tuple(positives)
        self._vectors = vectors
        self._taught = tuple(taught)
        self._taught_vectors = taught_vectors

    @property
    def recalls(self) -> bool:
        return bool(self._taught)

    def judge(self, vectors: np.ndarray, stored: np.ndarray | None = None) -> list[Judgement]:
        """`stored`: the same sentences as they read once stored, redacted, as the analysts' quotes read: a line
        with a name in it («Спасибо, Анна, до свидания») is 0.71 alike to its quote, and the same once redacted."""
        if len(vectors) == 0:
            return []
        probabilities = self._model.predict_proba(vectors)[:, 1]
        alike = vectors @ self._vectors.T
        nearest = np.argmax(alike, axis=1)
        if self._negatives is not None:
            nearer_no = (vectors @ self._negatives.T).max(axis=1) - alike.max(axis=1) > NEARER_NO
            probabilities = np.where(nearer_no, 0.0, probabilities)
        judgements = [Judgement(float(p), self._positives[n]) for p, n in zip(probabilities, nearest)]
        if self._taught:
            alike = vectors @ self._taught_vectors.T
            if stored is not None:
                alike = np.maximum(alike, stored @ self._taught_vectors.T)
            for row, closest in enumerate(np.argmax(alike, axis=1)):
                if alike[row, closest] >= RECALLED:
                    text, label = self._taught[closest]
                    judgements[row] = Judgement(float(label), text if label else judgements[row].nearest)
        return judgements


class Judges:
    """The judges of one script, found by the phrases they judge (an item's or a condition's)."""

    def __init__(self, encoder: SentenceEncoder, judges: dict[Phrases, Judge]):
        self.encoder = encoder
        self._judges = judges

    def of(self, phrases: Phrases) -> Judge | None:
        return self._judges.get(phrases)


def build_judges(script: Script, extra: Iterable[LabelledExample], encoder: SentenceEncoder) -> Judges:
    """A judge for every item and condition of `script` that has examples; `extra` (analysts' overrides turned into
    labelled utterances) teaches the item it names. Extra examples of an item the script does not have are refused:
    they belong to another script version."""
    owners: dict[str, Phrases] = {i.item_id: i.phrases for i in script.items if i.phrases.examples}
    owners |= {c: cond.phrases for c, cond in script.conditions.items() if cond.phrases.examples}
    extra = list(extra)
    known = {i.item_id for i in script.items}
    forbidden = {i.item_id for i in script.items if i.check == "not_said"}
    unknown = sorted({e.item_id for e in extra} - known - set(script.conditions))
    if unknown:
        raise ValueError(f"labelled examples name item(s) or condition(s) {', '.join(unknown)} that script "
                         f"{script.name} {script.version} does not have")
    readings = {e.text: _readings(e.text) for e in extra}
    texts = sorted({t for p in owners.values() for t in (*p.examples, *p.near_misses)} | set(script.everyday)
                   | {t for parts in readings.values() for t in parts})
    vectors = dict(zip(texts, encoder.encode(texts)))
    judges = {}
    for owner_id, phrases in owners.items():
        rows: list[tuple[str, int, float]] = [(t, 1, 1.0) for t in phrases.examples]
        rows += [(t, 0, 1.0) for t in (*phrases.near_misses, *script.everyday) if t not in phrases.examples]
        # a condition is no item's duty, save for the items that need it (a registration shows a request was needed)
        rows += [(t, 0, OTHER_ITEMS_WEIGHT) for item in script.items
                 if item.item_id in owners and item.item_id != owner_id and owner_id not in item.when
                 for t in item.phrases.examples if t not in phrases.examples]
        if all(label for _, label, _ in rows):
            raise ValueError(f"{script.name} {script.version}: '{owner_id}' has examples but nothing to tell them "
                             "from: give it 'near_misses' or the script 'everyday' lines")
        threshold = phrases.threshold if phrases.threshold is not None else script.settings.threshold
        model = _fit(rows, vectors)
        own = [e for e in extra if e.item_id == owner_id]
        taught = list(dict.fromkeys(_taught_readings(own, readings, vectors, model, threshold))) if own else []
        yes = list(dict.fromkeys(t for t, label, _ in rows if label))
        no = list(dict.fromkeys(t for t, label, _ in rows if not label)) if owner_id in forbidden else []
        judges[phrases] = Judge(model, yes, np.stack([vectors[t] for t in yes]), threshold, taught,
                                np.stack([vectors[t] for t, _ in taught]) if taught else None,
                                np.stack([vectors[t] for t in no]) if no else None)
    return Judges(encoder, judges)


def _taught_readings(examples: list[LabelledExample], readings: dict[str, list[str]], vectors: dict[str, np.ndarray],
                     script_judge: LogisticRegression, threshold: float) -> list[tuple[str, int]]:
    """What the script's own judge got wrong in the quotes an analyst labelled. A quote is a whole turn, the judges
    read sentences, and most of a turn's sentences do other duties. A quote that does the item does it in the
    reading (a sentence or two in a row) the script's judge finds likeliest; one of its clauses stands for it only
    where the judge finds the clause likelier still («Доброе утро, Госуслуги, разговор записывается»: a name said
    in one word is no clause, and «горячая линия Госуслуг» must not become an example of the name). A quote that
    does not do the item teaches «no» where the script's judge read it as doing the item. Readings the judge
    already got right are not recalled: a sentence of a «not done» turn that was never in doubt may be one the
    script's examples rightly call «yes» (an identification asked for, then not completed), and one recalled
    «yes» would overrule the script's judge on every line said alike."""
    rows = []
    for example in examples:
        sentences = sentences_of(example.text) or [example.text.strip()]
        clauses = set(_clauses_of(sentences))
        read = [t for t in readings[example.text] if t not in clauses]
        likelihood = script_judge.predict_proba(np.stack([vectors[t] for t in read]))[:, 1]
        if not example.does:
            rows += [(t, 0) for t, p in zip(read, likelihood) if p >= threshold]
            continue
        best = int(np.argmax(likelihood))
        if likelihood[best] >= threshold:
            continue
        rows.append((read[best], 1))
        parts = [c for c in _clauses_of(sentences_of(read[best]) or [read[best]]) if c != read[best]]
        if parts:
            part_likelihood = script_judge.predict_proba(np.stack([vectors[c] for c in parts]))[:, 1]
            if part_likelihood.max() > likelihood[best]:
                rows.append((parts[int(np.argmax(part_likelihood))], 1))
    return rows


def _clauses_of(sentences: list[str]) -> list[str]:
    return [c for s in sentences for c in CLAUSE.split(s) if len(c.split()) >= 2 and c != s]


def _readings(text: str) -> list[str]:
    """Every reading of a quote a judge may learn: its sentences, each two in a row (as the checklist reads a
    call) and the clauses of each sentence."""
    sentences = sentences_of(text) or [text.strip()]
    pairs = [f"{a} {b}" for a, b in zip(sentences, sentences[1:])]
    return list(dict.fromkeys(sentences + pairs + _clauses_of(sentences)))


def _fit(rows: list[tuple[str, int, float]], vectors: dict[str, np.ndarray]) -> LogisticRegression:
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000)
    model.fit(np.stack([vectors[t] for t, _, _ in rows]), np.array([label for _, label, _ in rows]),
              sample_weight=np.array([w for _, _, w in rows]))
    return model


@dataclass(frozen=True)
class Correction:
    """An analyst's verdict on one item of one call, with the quotes it is about."""

    item_id: str
    verdict: str
    quotes: tuple[str, ...]


def corrections_as_examples(script: Script, corrections: Iterable[Correction]) -> list[LabelledExample]:
    """What analysts' verdicts teach the judges about the quotes they are about. A passed item says its quotes do
    the duty and a failed one that they do not; for a forbidden-phrase item (`not_said`) it is the other way round:
    a failed verdict says the quotes are forbidden phrases. A verdict also says whether the item applied: passed or
    failed, its conditions held where the quotes are (the request was needed where it was registered, or where it
    should have been); not applicable, they did not hold in what the quotes say."""
    examples = []
    for correction in corrections:
        item = script.item(correction.item_id)
        quotes = [q for q in correction.quotes if q.strip()]
        applied = correction.verdict in (PASSED, FAILED)
        examples += [LabelledExample(condition, quote, applied) for condition in item.when
                     if script.conditions[condition].phrases.examples for quote in quotes]
        if applied and item.phrases.examples:
            does = (correction.verdict == PASSED) != (item.check == "not_said")
            examples += [LabelledExample(item.item_id, quote, does) for quote in quotes]
    return examples
