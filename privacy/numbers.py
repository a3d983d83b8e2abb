"""Numbers as a transcript holds them: digit groups, Russian number words, or a mix of both.

Whisper writes a dictated number in whichever form it heard: «8 916 123-45-67», «восемь девятьсот шестнадцать
сто двадцать три сорок пять шестьдесят семь», or «8 девятьсот шестнадцать 123 45 67». A run of such tokens
becomes digit groups with their character offsets, so document numbers can be checked on the digits alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"ноль": 0, "нуль": 0, "один": 1, "одна": 1, "одну": 1, "два": 2, "две": 2, "три": 3, "четыре": 4,
          "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9}
_TEENS = {"десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
          "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19}
_TENS = {"двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70,
         "восемьдесят": 80, "девяносто": 90}
_HUNDREDS = {"сто": 100, "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
             "семьсот": 700, "восемьсот": 800, "девятьсот": 900}
NUMBER_WORDS = {**_UNITS, **_TEENS, **_TENS, **_HUNDREDS}

_WORD_ALT = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_NUMBER_WORD = re.compile(_WORD_ALT)
# Whisper runs number words together now and then, a stray letter between: «пятьсчетыреста»
_TOKEN = rf"(?:\d+|(?:{_WORD_ALT})(?:[а-яё]?(?:{_WORD_ALT}))*(?![а-яё]))"
# a plus only opens a run («+7», «плюс семь»); dashes, brackets, commas and spaces join the groups of one number,
# and so does a dot between digits («222.0.0.365.593», as Whisper heard a SNILS)
# «номер» may sit between a passport's series and its number
NUMBER_RUN = re.compile(
    rf"(?:(?:\+|плюс\s+)?{_TOKEN})(?:(?:[\s\-–—(),]|(?<=\d)\.(?=\d))*(?:номер\s+)?{_TOKEN})*",
    re.IGNORECASE,
)
_PIECE = re.compile(r"\d+|[а-яё]+", re.IGNORECASE)


@dataclass(frozen=True)
class DigitGroup:
    digits: str
    start: int
    end: int
    # «сто семьдесят девять» is 179 or 100 and 79: a hundred followed by more words can also be two groups
    hundreds_end: int | None = None

    def split(self) -> tuple[DigitGroup, DigitGroup] | None:
        if self.hundreds_end is None:
            return None
        rest = self.digits[1:].lstrip("0") or "0"
        return (DigitGroup(self.digits[0] + "00", self.start, self.hundreds_end),
                DigitGroup(rest, self.hundreds_end, self.end))


def digit_groups(run: str, offset: int = 0) -> list[DigitGroup]:
    """The groups of one number run, composing words the way a number is read out in groups:
    «девятьсот семнадцать» is one group 917, «ноль ноль» two groups 0 and 0, «сорок три двадцать» 43 and 20."""
    groups: list[DigitGroup] = []
    value: int | None = None  # the group being composed from words
    start = end = 0
    rank = 0  # 3 after hundreds, 2 after tens, 1 after a unit or teen: a word may only follow a higher rank
    hundreds_end: int | None = None

    def close() -> None:
        nonlocal value, hundreds_end
        if value is not None:
            split_at = offset + hundreds_end if hundreds_end is not None and value % 100 else None
            groups.append(DigitGroup(str(value), offset + start, offset + end, split_at))
            value = hundreds_end = None

    for token, piece_start, piece_end in _tokens(run):
        if token.isdigit():
            close()
            groups.append(DigitGroup(token, offset + piece_start, offset + piece_end))
            continue
        number = NUMBER_WORDS[token]
        word_rank = 3 if token in _HUNDREDS else 2 if token in _TENS else 1
        if number == 0:
            close()
            groups.append(DigitGroup("0", offset + piece_start, offset + piece_end))
            continue
        can_join = value is not None and word_rank < rank and not (token in _TEENS and rank == 2)
        if can_join:
            value += number
            end = piece_end
        else:
            close()
            value, start, end = number, piece_start, piece_end
            if token in _HUNDREDS:
                hundreds_end = piece_end
        rank = 1 if token in _TEENS else word_rank
    close()
    return groups


def _tokens(run: str):
    """Digits and number words with their offsets in the run; words run together come apart, and «плюс» and
    «номер» hold none."""
    for piece in _PIECE.finditer(run):
        token = piece.group().lower()
        if token.isdigit() or token in NUMBER_WORDS:
            yield token, piece.start(), piece.end()
            continue
        for word in _NUMBER_WORD.finditer(token):
            yield word.group(), piece.start() + word.start(), piece.start() + word.end()


def readings(groups: list[DigitGroup], most: int = 16) -> list[list[DigitGroup]]:
    """The ways a run can be grouped, the plain reading first, then with hundreds split off (at most `most`)."""
    variants = [groups]
    for i, group in enumerate(groups):
        parts = group.split()
        if parts is None:
            continue
        variants += [v[:i + len(v) - len(groups)] + list(parts) + v[i + len(v) - len(groups) + 1:]
                     for v in variants[:max(0, most - len(variants))]]
    return variants
