"""Russian words and their dictionary forms: one pymorphy3 analyser for the whole process (loading it takes about
a second and its dictionaries tens of megabytes), with each word's reading cached."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import pymorphy3

_WORD = re.compile(r"[а-яёa-z]+(?:-[а-яёa-z]+)?", re.IGNORECASE)
_PERSON = frozenset({"Name", "Surn", "Patr"})
_lock = threading.Lock()
_morph: pymorphy3.MorphAnalyzer | None = None


@dataclass(frozen=True)
class Reading:
    """The dictionary's likeliest reading of a word."""

    lemma: str  # with «ё» written «е», as speech recognition and people mostly write it
    pos: str | None
    grammemes: frozenset[str]

    @property
    def is_personal_name(self) -> bool:
        """A first name, surname or patronymic."""
        return bool(_PERSON & self.grammemes)


def morph() -> pymorphy3.MorphAnalyzer:
    global _morph
    with _lock:
        if _morph is None:
            _morph = pymorphy3.MorphAnalyzer()
        return _morph


@lru_cache(maxsize=200_000)
def reading(word: str) -> Reading:
    best = morph().parse(word)[0]
    return Reading(best.normal_form.replace("ё", "е"), best.tag.POS, frozenset(best.tag.grammemes))


def words(text: str) -> list[str]:
    """The words of a text, lower case, «ё» as «е»."""
    return [w.lower().replace("ё", "е") for w in _WORD.findall(text)]


def lemmas(text: str) -> list[str]:
    return [reading(w).lemma for w in words(text)]


@lru_cache(maxsize=200_000)
def is_dictionary_word(word: str) -> bool:
    """pymorphy3's dictionary has the word, rather than a form it guessed for what speech recognition garbled
    («фертификат», «черепить»)."""
    return morph().word_is_known(word)


def is_personal_name(word: str) -> bool:
    return reading(word).is_personal_name


def is_numeral(word: str) -> bool:
    return reading(word).pos == "NUMR"
