"""A sentence as the words a script rule is matched against: each word's surface, its lemma, whether it is a
personal first name or a patronymic and whether it is a number."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kernel.language import is_dictionary_word, reading
from kernel.pii import LABELS

# A redaction label («[ФИО]», «[СНИЛС]») is one token that matches no word: «[ФИО]» must not count as the operator
# asking for the caller's «ФИО». The name label does stand for a name, so {name} takes it.
_WORD = re.compile(r"\[[^\W\d_]+(?:-[^\W\d_]+)*\]|\d+|[^\W\d_]+(?:-[^\W\d_]+)*")
NAME_LABEL = LABELS["name"].lower()


@dataclass(frozen=True)
class Token:
    surface: str
    lemma: str
    first_name: bool = False  # a personal first name («Анна», «Михаил»): what the rule word {name} matches
    number: bool = False  # digits or a numeral: a rule's words may not skip one («в течение пяти суток»)
    # a patronymic («Петровна»): what {patronymic} matches. A first name and a patronymic in a row are a person's
    # full name even where the surname is one no dictionary tags («Котов» reads as the plural of «кот»)
    patronymic: bool = False


class Lemmatizer:
    def __init__(self) -> None:
        self._token = lru_cache(maxsize=50_000)(self._token_uncached)

    def _token_uncached(self, word: str) -> Token:
        if word.isdigit():
            return Token(word, word, number=True)
        if word.startswith("["):
            return Token(word, word, word == NAME_LABEL)
        best = reading(word)
        # a guessed parse of an unknown (often ASR-garbled) word says Name too easily
        known = is_dictionary_word(word)
        return Token(word, best.lemma, "Name" in best.grammemes and known, best.pos == "NUMR",
                     "Patr" in best.grammemes and known)

    def tokens(self, text: str) -> tuple[Token, ...]:
        return tuple(self._token(w) for w in _WORD.findall(text.lower().replace("ё", "е")))
