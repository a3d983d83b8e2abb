"""Where personal data sits in a piece of text: character spans with their kind, in the text's own offsets.

Document numbers, phones and cards are found on the digits of number runs (digits or words, see numbers.py)
and accepted only when their check digits or their shape and the words before them say what they are.
Names come from natasha's NER, addresses from natasha's address grammar plus house and flat numbers read out
in words, dates from natasha's date grammar plus dates read out in words, e-mails written or dictated.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache

from privacy.checksums import inn_valid, luhn_valid, snils_valid
from privacy.numbers import NUMBER_RUN, NUMBER_WORDS, DigitGroup, digit_groups, readings

KINDS = ("name", "address", "date", "passport", "snils", "inn", "phone", "card", "email")


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    kind: str


# --- numbers -------------------------------------------------------------------------------------------

_CONTEXT_CHARS = 60
_CONTEXT = {
    "snils": re.compile(r"снилс|страхов\w* номер", re.I),
    "inn": re.compile(r"\bинн\b|налогоплательщик", re.I),
    "passport": re.compile(r"паспорт|\bсери[яюи]\b", re.I),
    "card": re.compile(r"\bкарт", re.I),
    "phone": re.compile(r"телефон|мобильн|\bномер\b|позвон|перезвон|\bсотов", re.I),
}


def _context_kinds(before: str) -> list[str]:
    """The kinds the words just before a number name, nearest first."""
    hits = [(m.end(), kind) for kind, rx in _CONTEXT.items() for m in rx.finditer(before)]
    return [kind for _, kind in sorted(hits, reverse=True)]


def _number_kind(groups: list[DigitGroup], plus: bool, named: list[str]) -> str | None:
    digits = "".join(g.digits for g in groups)
    sizes = tuple(len(g.digits) for g in groups)
    n = len(digits)
    candidates = []
    if 16 <= n <= 19 and luhn_valid(digits):
        candidates.append("card")
    if n == 12 and inn_valid(digits):
        candidates.append("inn")
    if n == 11 and snils_valid(digits):
        candidates.append("snils")
    if (n == 11 and digits[0] in "78") or (n == 10 and (plus or digits[0] == "9")):
        candidates.append("phone")
    if n == 10 and (sizes in ((2, 2, 6), (4, 6)) or "passport" in named):
        candidates.append("passport")
    if n == 10 and inn_valid(digits) and "inn" in named:
        candidates.append("inn")
    if plus and "phone" in candidates:
        return "phone"
    for kind in named:
        if kind in candidates:
            return kind
    return candidates[0] if candidates else None


def _classify(groups: list[DigitGroup], run_start: int, plus: bool, named: list[str]) -> list[Found]:
    """Longest windows of groups, left to right, that make a document number, a card or a phone."""
    found = []
    i = 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            window = groups[i:j]
            if sum(len(g.digits) for g in window) > 19:
                continue
            kind = _number_kind(window, plus and i == 0, named)
            if kind:
                found.append(Found(run_start if i == 0 else window[0].start, window[-1].end, kind))
                i = j
                break
        else:
            i += 1
    return found


def _numbers(text: str) -> list[Found]:
    found = []
    for run in NUMBER_RUN.finditer(text):
        groups = digit_groups(run.group(), run.start())
        plus = run.group().startswith("+") or run.group()[:5].lower() == "плюс "
        named = _context_kinds(text[max(0, run.start() - _CONTEXT_CHARS):run.start()])
        best = max((_classify(reading, run.start(), plus, named) for reading in readings(groups)),
                   key=lambda fs: sum(f.end - f.start for f in fs))
        found += best
    return found


# --- e-mail --------------------------------------------------------------------------------------------

_EMAIL_WRITTEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_AT = re.compile(r"(?<![\w@])(?:собака|собачка|@)(?!\w)", re.I)
_DOMAIN = re.compile(r"\s*[\w-]+(?:\s*(?:\bточка\b|\.)\s*[\w-]+)+", re.I)
_MAILBOX_TOKEN = re.compile(r"([\w.\-]+)\s*$")
# words that lead up to a dictated address and are not part of the mailbox
_NOT_MAILBOX = {
    "почту", "почта", "почты", "почтой", "почте", "на", "мой", "моя", "мою", "адрес", "электронная", "электронную",
    "электронной", "пишите", "запишите", "записывайте", "это", "email", "e-mail", "имейл", "емейл", "мейл",
    "ящик", "новую", "новая", "новый", "вот", "да", "нет", "и", "а", "указать", "так", "ну", "в", "по",
}


def _emails(text: str) -> list[Found]:
    found = [Found(m.start(), m.end(), "email") for m in _EMAIL_WRITTEN.finditer(text)]
    for at in _AT.finditer(text):
        if at.group() == "@" and any(f.start <= at.start() < f.end for f in found):
            continue
        domain = _DOMAIN.match(text, at.end())
        if not domain:
            continue
        start, taken = at.start(), 0
        while taken < 6:
            token = _MAILBOX_TOKEN.search(text, 0, start)
            if not token or token.group(1).lower() in _NOT_MAILBOX:
                break
            start, taken = token.start(1), taken + 1
        if taken:
            found.append(Found(start, domain.end(), "email"))
    return found


# --- dates ---------------------------------------------------------------------------------------------

_MONTH = r"(?:январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)[яеа]"
_ORDINAL = (r"(?:(?:двадцать|тридцать)\s+)?(?:перв|втор|трет|четвёрт|четверт|пят|шест|седьм|восьм|девят|десят"
            r"|одиннадцат|двенадцат|тринадцат|четырнадцат|пятнадцат|шестнадцат|семнадцат|восемнадцат"
            r"|девятнадцат|двадцат|тридцат)(?:ого|ое|ье|ьего|ьи|ий|ой|ая|ье)")
_YEAR_WORDS = r"(?:тысяча|две\s+тысячи)(?:\s+[а-яё]+){1,3}?\s+год[ау]?"
_DATE_SPOKEN = re.compile(
    rf"(?<![\w])(?:\d{{1,2}}|{_ORDINAL})\s+{_MONTH}(?:\s+(?:\d{{4}}(?:\s*(?:года|году|год|г\.))?|{_YEAR_WORDS}))?(?!\w)",
    re.I,
)
_DATE_NUMERIC = re.compile(r"(?<![\d.])(?:\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})(?![\d.])")


def _dates(text: str) -> list[Found]:
    found = [Found(m.start(), m.end(), "date") for m in _DATE_SPOKEN.finditer(text)]
    found += [Found(m.start(), m.end(), "date") for m in _DATE_NUMERIC.finditer(text)]
    found += [Found(m.start, m.stop, "date") for m in _natasha().dates(text)]
    return found


# --- addresses -----------------------------------------------------------------------------------------

_SETTLEMENT_ONLY = {"страна", "регион", "область", "край", "республика", "район", "город", "деревня", "село",
                    "посёлок", "поселок", "автономный округ"}
_WORD_NUMBER = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_HOUSE_PART = re.compile(
    rf"(?<!\w)(?:дом|д\.|корпус|корп\.|строение|стр\.|квартира|кв\.)\s*"
    rf"(?:\d+\s*[а-я]?(?!\w)|(?:(?:{_WORD_NUMBER})(?!\w)\s*)+)",
    re.I,
)
_PART_GAP = re.compile(r"[\s,]*")


def _addresses(text: str) -> list[Found]:
    parts = [(m.start, m.stop, m.fact.type or "") for m in _natasha().addresses(text)]
    parts += [(m.start(), m.end(), "дом") for m in _HOUSE_PART.finditer(text)]
    parts.sort()
    found = []
    chain: list[tuple[int, int, str]] = []

    def close() -> None:
        # a town alone is not an address; a street with a house, or a house and a flat, is
        if len(chain) >= 2 and any(kind not in _SETTLEMENT_ONLY for _, _, kind in chain):
            found.append(Found(chain[0][0], max(end for _, end, _ in chain), "address"))

    for part in parts:
        if chain and part[0] < max(end for _, end, _ in chain):
            chain.append(part)
            continue
        if chain and _PART_GAP.fullmatch(text, max(end for _, end, _ in chain), part[0]):
            chain.append(part)
            continue
        close()
        chain = [part]
    close()
    return found


# --- names ---------------------------------------------------------------------------------------------

def _names(text: str) -> list[Found]:
    return [Found(start, stop, "name") for start, stop in _natasha().people(text)]


class _Natasha:
    """natasha's models, loaded once (about a second) and shared; its taggers are not safe across threads."""

    def __init__(self) -> None:
        from natasha import AddrExtractor, DatesExtractor, Doc, MorphVocab, NewsEmbedding, NewsNERTagger, Segmenter

        self._doc = Doc
        self._segmenter = Segmenter()
        self._ner = NewsNERTagger(NewsEmbedding())
        vocab = MorphVocab()
        self._addr = AddrExtractor(vocab)
        self._dates = DatesExtractor(vocab)
        self._lock = threading.Lock()

    def people(self, text: str) -> list[tuple[int, int]]:
        with self._lock:
            doc = self._doc(text)
            doc.segment(self._segmenter)
            doc.tag_ner(self._ner)
        return [(span.start, span.stop) for span in doc.spans if span.type == "PER"]

    def addresses(self, text: str) -> list:
        with self._lock:
            return list(self._addr(text))

    def dates(self, text: str) -> list:
        with self._lock:
            return [m for m in self._dates(text) if m.fact.day is not None and m.fact.month is not None]


@cache
def _natasha() -> _Natasha:
    return _Natasha()


# --- all together --------------------------------------------------------------------------------------

_PRIORITY = {kind: n for n, kind in enumerate(("card", "inn", "snils", "passport", "phone", "email",
                                                 "address", "date", "name"))}


def find_pii(text: str) -> list[Found]:
    """Non-overlapping spans in text order; where two findings overlap they become one span of the kind
    that is more specific (a checked number over a name, an address over a date inside it)."""
    if not text.strip():
        return []
    found = _numbers(text) + _emails(text) + _addresses(text) + _dates(text) + _names(text)
    found.sort(key=lambda f: (f.start, -f.end))
    merged: list[Found] = []
    for f in found:
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            kind = min((last.kind, f.kind), key=_PRIORITY.__getitem__)
            merged[-1] = Found(last.start, max(last.end, f.end), kind)
        else:
            merged.append(f)
    return merged
