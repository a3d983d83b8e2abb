"""Finding a script's items in what was said: the item's judge, learnt from examples, and lemma rules with tolerance
for ASR errors as its fallback.

A lemma rule is a phrase written the way people say it («горячая линия госуслуг»); it matches any inflection
(pymorphy3 lemmas), up to two words inserted between its words («чем я могу вам помочь»), and words the ASR got
slightly wrong: a rule word of six letters or more also matches a word at least `fuzzy` alike in spelling
(Jaro-Winkler, which weighs the beginning most, where Russian keeps the stem: «госуслок» for «госуслуг» is 0.90,
«перезвоните» for «перевожу» 0.86), or one that starts with it (Whisper glues «оператор Анна» into «операторанно»);
a word no dictionary knows also matches one letter away («весяти» for «десяти»), and read together with its
neighbour as one word, since Whisper splits a word it does not know («Госуд, слухи» for «Госуслуги»). Shorter words
must match exactly, and a numeral only by a garbled word: «пять» and «десять», «девяти» and «десяти» must never be
confused. A rule word written «=назовите» matches only that form, `{name}` matches any personal first name and
`{patronymic}` any patronymic. Every phrase list of a script is matched so: `says`, `requires`, `asks`, request
types' `promises` and `cues`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from kernel.language import is_dictionary_word
from scoring.conversation import CLAUSE
from scoring.script import Phrases
from scoring.tokens import Lemmatizer, Token

if TYPE_CHECKING:
    from scoring.conversation import Sentence
    from scoring.judges import Judgement, Judges

MAX_GAP = 2  # words allowed between two words of a rule
FUZZY_MIN_LENGTH = 6
MAX_KNOWN_WORDS = 200_000
MAX_KNOWN_SENTENCES = 50_000
MIN_JUDGED_WORDS = 3  # a word or two («Да.», «Соединяю.») means nothing to a judge: rules alone decide them
TURN_GAP_SECONDS = 1.5  # the parts of a multi-part rule are said in one turn: sentences at most this far apart
_CYRILLIC = re.compile(r"[а-яё-]+")


@dataclass(frozen=True)
class Hit:
    sentence: Sentence
    method: str


NAME = Token("{name}", "{name}", True)
PATRONYMIC = Token("{patronymic}", "{patronymic}", patronymic=True)
_PLACEHOLDERS = {"{name}": NAME, "{patronymic}": PATRONYMIC}


@dataclass(frozen=True)
class _RuleWord:
    token: Token
    exact: bool  # written «=назовите»: only this very form, where the lemma would also match «назову»


@dataclass(frozen=True)
class _Rule:
    phrase: str
    ids: tuple[int, ...]  # of its words, in order


class Matcher:
    """Matches phrases against the sentences of one call at a time (`start` resets the per-call caches).

    Each distinct word is compared with the rule words once and the result kept, so a rule is tried on a sentence
    only when all its words occur there; a sentence is embedded only when some judge reads it, and once per
    distinct text.
    """

    def __init__(self, lemmatizer: Lemmatizer, judges: Judges | None, fuzzy: float, veto: float,
                 as_stored: Callable[[str], str] | None = None):
        self.lemmatizer = lemmatizer
        self.as_stored = as_stored
        self.judges = judges
        self.fuzzy = fuzzy
        self.veto = veto
        self._rules: dict[str, _Rule] = {}
        self._rule_words: dict[_RuleWord, int] = {}
        self._long_words: list[_RuleWord] | None = None  # rule words long enough to match approximately
        self._long_surfaces: list[str] = []
        self._word_matches: dict[Token, dict[int, str]] = {}  # call word -> {rule word id: note}
        self._sentence_words: dict[str, list[dict[int, str]]] = {}  # sentence text -> its words' matches
        self._vectors: dict[str, np.ndarray] = {}  # sentence text -> embedding, kept across calls
        self._stored: dict[str, str] = {}  # sentence text -> as it reads once stored, for this call

    def learn(self, phrases: Sequence[Phrases]) -> None:
        """Compile the rules of a script once, before its calls are scored."""
        for p in phrases:
            for group in p.groups:
                for phrase in group:
                    self._rule(phrase)

    def start(self) -> None:
        self._sentence_words = {}
        self._stored = {}
        if len(self._word_matches) > MAX_KNOWN_WORDS:  # ASR garbles words endlessly; keep memory bounded
            self._word_matches.clear()

    def hits(self, phrases: Phrases, sentences: Sequence[Sentence]) -> list[Hit]:
        """Sentences the judge of `phrases` finds doing it, and those its lemma rules find where the judge does not
        object (it read the sentence and found it unlikely: «я извинюсь перед …» is no «переведу»; see `_vetoed`)."""
        judged = self.judged(phrases, sentences)
        found = [(s, m) for s, m in self._all_groups(phrases.groups, sentences) if not self._vetoed(phrases, s, judged)]
        judge = self.judges.of(phrases) if self.judges is not None else None
        found += [(s, j.method) for s in sentences if (j := judged.get(s.index)) is not None
                  and j.probability >= judge.threshold]
        if phrases.threshold_twice is not None:
            likely = [(s, f"{j.method}, one of several") for s in sentences
                      if (j := judged.get(s.index)) is not None
                      and phrases.threshold_twice <= j.probability < judge.threshold]
            if len(likely) >= 2:
                found += likely
        return _by_sentence(found)

    def _vetoed(self, phrases: Phrases, sentence: Sentence, judged: dict[int, Judgement]) -> bool:
        """The judge read the sentence a rule found the duty in, and found it unlikely. A duty said in a few words
        (`clauses`) must read unlikely in the clause the rule found it in too, where that clause is long enough to
        judge at all: spliced into a whole opening, «…меня зовут Тимур, чем могу быть полезен.» reads 0.06 as an offer
        of help, its last clause 0.32."""
        judgement = judged.get(sentence.index)
        if judgement is None or judgement.probability >= self.veto:
            return False
        if not phrases.clauses:
            return True
        clauses = [replace(sentence, text=c, tokens=self.lemmatizer.tokens(c)) for c in CLAUSE.split(sentence.text) if c]
        said = [c for c in clauses if self._all_groups(phrases.groups, [c])] if len(clauses) > 1 else []
        if not said:
            return True
        if any(c.words < MIN_JUDGED_WORDS for c in said):
            return False
        judgements = self.judges.of(phrases).judge(self._embedded([c.text for c in said]))
        return all(j.probability < self.veto for j in judgements)

    def said(self, phrases: Phrases, sentences: Sequence[Sentence]) -> list[Hit]:
        """Lemma-rule hits only."""
        return _by_sentence(self._all_groups(phrases.groups, sentences))

    def judged(self, phrases: Phrases, sentences: Sequence[Sentence]) -> dict[int, Judgement]:
        """What the judge of `phrases` makes of each sentence it can read (by sentence index). A sentence is read
        alone and together with the one before it in the same turn, and the likelier reading counts: «Этим
        занимаются специалисты по налогам. Я переведу вас к ним.» explains a transfer only as a pair."""
        judge = self.judges.of(phrases) if self.judges is not None else None
        if judge is None or not sentences:
            return {}
        alone = [s for s in sentences if s.words >= MIN_JUDGED_WORDS]
        pairs = [(before, s) for before, s in zip(sentences, sentences[1:])
                 if s.words >= MIN_JUDGED_WORDS and before.speaker == s.speaker
                 and 0 <= s.start - before.end <= TURN_GAP_SECONDS]
        spans = [(s, span) for s in alone for span in clause_spans(s.text)] if phrases.clauses else []
        texts = [s.text for s in alone] + [f"{b.text} {s.text}" for b, s in pairs] + [span for _, span in spans]
        if not texts:
            return {}
        stored = None
        if judge.recalls and self.as_stored is not None:
            # analysts' quotes are stored redacted, while the words are judged as spoken
            for text in texts:
                if text not in self._stored:
                    self._stored[text] = self.as_stored(text)
            stored = self._embedded([self._stored[t] for t in texts])
        judgements = judge.judge(self._embedded(texts), stored)
        best = {s.index: j for s, j in zip(alone, judgements)}
        for (before, sentence), judgement in zip(pairs, judgements[len(alone):len(alone) + len(pairs)]):
            # a sentence that does the item alone lends nothing to the one after it
            done_before = before.index in best and best[before.index].probability >= judge.threshold
            if not done_before and judgement.probability > best[sentence.index].probability:
                best[sentence.index] = judgement
        for (sentence, _), judgement in zip(spans, judgements[len(alone) + len(pairs):]):
            if judgement.probability > best[sentence.index].probability:
                best[sentence.index] = judgement
        return best

    def _embedded(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            if len(self._vectors) > MAX_KNOWN_SENTENCES:
                self._vectors.clear()
            self._vectors.update(zip(missing, self.judges.encoder.encode(missing)))
        return np.stack([self._vectors[t] for t in texts])

    def _all_groups(self, groups: Sequence[Sequence[str]], sentences: Sequence[Sentence]) -> list[tuple[Sentence, str]]:
        """Group hits where every group is said in one sentence or its neighbours of the same speaker: «Этим
        занимаются специалисты поддержки. Я соединю вас с ними.» names the where and the transfer apart."""
        if not groups:
            return []
        per_group = [dict((s.index, (s, m)) for s, m in self._group_hits(g, sentences)) for g in groups]
        if not all(per_group):
            return []
        position = {s.index: n for n, s in enumerate(sentences)}
        result: dict[tuple[int, int], tuple[Sentence, str]] = {}
        for index in per_group[0]:
            n = position[index]
            near = [index]
            for other in (n - 1, n + 1):
                first, last = sorted((n, other))
                # a neighbour of another voice is not the same speaker going on: after «Соединяю.» the specialist
                # names their line, which explains nothing of the operator's transfer
                if 0 <= first and last < len(sentences) and sentences[other].speaker == sentences[n].speaker \
                        and sentences[last].start - sentences[first].end <= TURN_GAP_SECONDS:
                    near.append(sentences[other].index)
            chosen = []
            for hits in per_group:
                found = next((hits[i] for i in sorted(near, key=lambda i: abs(position[i] - n)) if i in hits), None)
                if found is None:
                    break
                chosen.append(found)
            else:
                for g, hit in enumerate(chosen):
                    result[(hit[0].index, g)] = hit
        return sorted(result.values(), key=lambda h: h[0].start)

    def says_any(self, phrases: Phrases, sentence: Sentence) -> str | None:
        """The method by which one sentence says `phrases`, else None."""
        hits = self.hits(phrases, [sentence])
        return hits[0].method if hits else None

    def _group_hits(self, group: Sequence[str], sentences: Sequence[Sentence]) -> list[tuple[Sentence, str]]:
        rules = [self._rule(phrase) for phrase in group]
        hits = []
        for sentence in sentences:
            positions = self._positions(sentence)
            present = set().union(*positions) if positions else set()
            for rule in rules:
                if not rule.ids or not present.issuperset(rule.ids):
                    continue
                how = self._match(rule, positions, sentence.tokens)
                if how is not None:
                    hits.append((sentence, f"lemma rule '{rule.phrase}'{how}"))
                    break
        return hits

    def _rule(self, phrase: str) -> _Rule:
        rule = self._rules.get(phrase)
        if rule is None:
            words = tuple(
                word for piece in phrase.split()
                for word in ([_RuleWord(_PLACEHOLDERS[piece], False)] if piece in _PLACEHOLDERS else
                             [_RuleWord(token, piece.startswith("=")) for token in self.lemmatizer.tokens(piece)])
            )
            for word in words:
                if word not in self._rule_words:
                    self._rule_words[word] = len(self._rule_words)
                    self._long_words = None
                    self._word_matches.clear()  # words seen so far were not compared with this one
                    self._sentence_words.clear()
            rule = self._rules[phrase] = _Rule(phrase.replace("=", ""), tuple(self._rule_words[w] for w in words))
        return rule

    def _positions(self, sentence: Sentence) -> list[dict[int, str]]:
        """For each word of the sentence, the rule words it matches and how."""
        positions = self._sentence_words.get(sentence.text)
        if positions is None:
            tokens = sentence.tokens
            positions = [self._matches_of(t) for t in tokens]
            for n, (a, b) in enumerate(zip(tokens, tokens[1:])):
                if (garbled_word(a.surface) or garbled_word(b.surface)) and not (a.number or b.number):
                    joined = a.surface + b.surface
                    split = {rule_id: f"'{a.surface} {b.surface}' read as one word" + (f", {note}" if note else "")
                             for rule_id, note in self._matches_of(Token(joined, joined)).items()
                             if rule_id not in positions[n]}
                    if split:
                        positions[n] = {**positions[n], **split}
            self._sentence_words[sentence.text] = positions
        return positions

    def _matches_of(self, token: Token) -> dict[int, str]:
        """The rule words a call word matches. Only rule words that could match are tried: those with the same
        spelling or lemma, and the long ones rapidfuzz finds alike or that the word starts with."""
        matches = self._word_matches.get(token)
        if matches is None:
            if self._long_words is None:
                self._long_words = [w for w in self._rule_words
                                    if w.token not in _PLACEHOLDERS.values() and len(w.token.surface) >= FUZZY_MIN_LENGTH]
                self._long_surfaces = [w.token.surface for w in self._long_words]
            candidates = [w for w in self._rule_words if w.token in _PLACEHOLDERS.values() or w.token.surface == token.surface
                          or w.token.lemma == token.lemma]
            if len(token.surface) >= FUZZY_MIN_LENGTH - 1:
                candidates += [self._long_words[n] for _, _, n in process.extract(
                    token.surface, self._long_surfaces, scorer=JaroWinkler.normalized_similarity,
                    score_cutoff=self.fuzzy, limit=None)]
                candidates += [w for w in self._long_words if token.surface.startswith(w.token.surface)]
                if garbled_word(token.surface):
                    candidates += [self._long_words[n] for _, _, n in process.extract(
                        token.surface, self._long_surfaces, scorer=Levenshtein.distance, score_cutoff=1, limit=None)]
            matches = {}
            for word in candidates:
                note = self._word(word, token)
                if note is not None:
                    matches[self._rule_words[word]] = note
            self._word_matches[token] = matches
        return matches

    def covered(self, phrases: Phrases, sentence: Sentence) -> int:
        """How many words of the sentence are some phrase of `phrases` (every occurrence counted)."""
        positions = self._positions(sentence)
        present = set().union(*positions) if positions else set()
        covered: set[int] = set()
        for group in phrases.groups:
            for phrase in group:
                rule = self._rule(phrase)
                if rule.ids and present.issuperset(rule.ids):
                    for span, _ in self._spans(rule, positions, sentence.tokens):
                        covered.update(span)
        return len(covered)

    def _match(self, rule: _Rule, positions: list[dict[int, str]], tokens: Sequence[Token]) -> str | None:
        """'' for an exact lemma match, ' (fuzzy: …)' when an ASR-garbled word was accepted, None for no match."""
        for _, notes in self._spans(rule, positions, tokens):
            fuzzy = [n for n in notes if n]
            return f" (fuzzy: {', '.join(fuzzy)})" if fuzzy else ""
        return None

    @staticmethod
    def _spans(rule: _Rule, positions: list[dict[int, str]], tokens: Sequence[Token]) -> Iterator[tuple[list[int], list[str]]]:
        """Every place the rule matches: the positions of its words and how each matched. The words a rule skips
        are never a number: one changes what the rule says («в течение пяти суток» is no «в течение суток»)."""
        first, rest = rule.ids[0], rule.ids[1:]
        for begin, matches in enumerate(positions):
            if first not in matches:
                continue
            span, notes, at = [begin], [matches[first]], begin
            for wanted in rest:
                found = next((j for j in range(at + 1, min(len(positions), at + 2 + MAX_GAP))
                              if wanted in positions[j] or tokens[j].number), None)
                if found is None or wanted not in positions[found]:
                    break
                span.append(found)
                notes.append(positions[found][wanted])
                at = found
            else:
                yield span, notes

    def _word(self, rule_word: _RuleWord, got: Token) -> str | None:
        wanted = rule_word.token
        if wanted is NAME:
            return "" if got.first_name else None
        if wanted is PATRONYMIC:
            return "" if got.patronymic else None
        if got.surface == wanted.surface or (not rule_word.exact and got.lemma == wanted.lemma):
            return ""
        # a redaction label («[ПАСПОРТ]») stands for data, never for the word it is spelt like
        if got.surface.startswith("[") or len(wanted.surface) < FUZZY_MIN_LENGTH or len(got.surface) < FUZZY_MIN_LENGTH - 1:
            return None
        if got.surface.startswith(wanted.surface):
            return f"'{got.surface}' starts with '{wanted.surface}'"
        if rule_word.exact:
            return None
        garbled = garbled_word(got.surface)
        if (wanted.number or got.number) and not garbled:
            # a numeral that is a word of its own is no slip: «девяти» (0.91 alike) is nine, never «десяти»
            return None
        score = JaroWinkler.normalized_similarity(got.surface, wanted.surface)
        if score >= self.fuzzy:
            return f"'{got.surface}'≈'{wanted.surface}' {score:.2f}"
        if garbled and Levenshtein.distance(got.surface, wanted.surface) == 1:
            # a slip of the first letter is one letter wrong, yet Jaro-Winkler weighs it most («весяти»: 0.89)
            return f"'{got.surface}' one letter from '{wanted.surface}'"
        return None


def garbled_word(word: str) -> bool:
    """A word in Cyrillic no dictionary knows: speech recognition got some letter of it wrong. Words in Latin
    letters are another language, not garbled."""
    return bool(_CYRILLIC.fullmatch(word)) and not is_dictionary_word(word)


def clause_spans(text: str) -> list[str]:
    """Each two clauses in a row of a sentence of three or more, and its last clause if it is a question. Whisper
    often writes a whole opening as one comma-spliced sentence («Доброе утро, госушлу, луги, оператор Дмитрий,
    звонки записываются, что вам подсказать?»), where a duty said in a few words reads unlikely: the name came to
    0.07. Duties whose sense needs the whole sentence (a deadline for a request, rudeness) were read worse in
    pieces, and so is a lone clause inside a statement («Честно говоря, не знаю, что вам посоветовать» is no offer
    of help)."""
    clauses = [c for c in CLAUSE.split(text) if c]
    if len(clauses) < 3:
        return []
    spans = [f"{a}, {b}" for a, b in zip(clauses, clauses[1:])]
    if text.rstrip().endswith("?"):
        spans.append(clauses[-1])
    return [span for span in spans if len(span.split()) >= MIN_JUDGED_WORDS]


def _by_sentence(found: list[tuple[Sentence, str]]) -> list[Hit]:
    """One hit per sentence, naming every way it matched, in the order of the call."""
    methods: dict[int, tuple[Sentence, list[str]]] = {}
    for sentence, method in found:
        methods.setdefault(sentence.index, (sentence, []))[1].append(method)
    return [Hit(s, " + ".join(m)) for s, m in sorted(methods.values(), key=lambda sm: sm[0].start)]
