"""Russian words to their dictionary forms (pymorphy3), the vocabulary every keyword rule and label uses."""
from __future__ import annotations

import re
import threading
from functools import lru_cache

import pymorphy3

_WORD = re.compile(r"[а-яёa-z]+(?:-[а-яёa-z]+)?", re.IGNORECASE)
_lock = threading.Lock()
_morph: pymorphy3.MorphAnalyzer | None = None

# parts of speech that carry what a complaint is about; pronouns, particles, conjunctions do not
CONTENT_POS = frozenset({"NOUN", "ADJF", "ADJS", "VERB", "INFN", "PRTF", "PRTS", "COMP", "NUMR", None})

# frequent in every complaint, so they say nothing about which one it is
STOP_LEMMAS = frozenset("""
быть мочь хотеть сказать подсказать пожалуйста уже ещё еще вот так такой этот тот весь всё свой мой ваш наш
который сейчас тогда здравствуйте день добрый алло да нет ну вообще просто очень можно нужно надо сделать
говорить писать пишет делать знать понять ничего никто что как где когда почему сколько какой кто
""".split())


def _analyzer() -> pymorphy3.MorphAnalyzer:
    global _morph
    with _lock:
        if _morph is None:
            _morph = pymorphy3.MorphAnalyzer()
        return _morph


@lru_cache(maxsize=200_000)
def _parse(word: str) -> tuple[str, str | None, bool]:
    best = _analyzer().parse(word)[0]
    is_name = bool({"Name", "Surn", "Patr"} & best.tag.grammemes)
    return best.normal_form.replace("ё", "е"), best.tag.POS, is_name


def words(text: str) -> list[str]:
    return [w.lower().replace("ё", "е") for w in _WORD.findall(text)]


def lemmas(text: str) -> list[str]:
    return [_parse(w)[0] for w in words(text)]


def content_lemmas(text: str) -> list[str]:
    """Lemmas of the words that say what the text is about, in order, repeats kept."""
    out = []
    for word in words(text):
        lemma, pos, _ = _parse(word)
        if pos in CONTENT_POS and len(lemma) > 2 and lemma not in STOP_LEMMAS:
            out.append(lemma)
    return out


def is_personal_name(word: str) -> bool:
    """A first name, surname or patronymic by the dictionary's reading of the word."""
    return _parse(word)[2]


@lru_cache(maxsize=200_000)
def is_dictionary_word(lemma: str) -> bool:
    """pymorphy3's dictionary has the word, rather than a form it guessed for what speech recognition garbled
    («фертификат», «черепить»)."""
    return _analyzer().word_is_known(lemma)


def is_numeral(word: str) -> bool:
    return _parse(word)[1] == "NUMR"
