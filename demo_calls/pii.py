"""Personal data a caller states: document numbers with valid check digits, and phone numbers as people say them.

Validators live here too, so the generator and the tests agree on what "valid" means.
"""
from __future__ import annotations

import random
import re

_UNITS = ("ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_TEENS = ("десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
          "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать")
_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят",
         "девяносто")
_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот",
             "девятьсот")


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def number_words(n: int) -> str:
    """0-999 in Russian words, the way a group of a phone number is read out."""
    if not 0 <= n <= 999:
        raise ValueError(f"{n} is outside 0-999")
    if n == 0:
        return _UNITS[0]
    words = [_HUNDREDS[n // 100]] if n >= 100 else []
    rest = n % 100
    if 10 <= rest <= 19:
        words.append(_TEENS[rest - 10])
    else:
        if rest >= 20:
            words.append(_TENS[rest // 10])
        if rest % 10:
            words.append(_UNITS[rest % 10])
    return " ".join(w for w in words if w)


# --- SNILS -------------------------------------------------------------------------------------------

def snils_check(first9: str) -> str:
    total = sum(int(d) * w for d, w in zip(first9, range(9, 0, -1)))
    if total > 101:
        total %= 101
    return "00" if total in (100, 101) else f"{total:02d}"


def make_snils(rng: random.Random) -> str:
    # numbers up to 001-001-998 carry no check digits; stay well above them
    first9 = f"{rng.randint(2_000_000, 999_999_999):09d}"
    return f"{first9[:3]}-{first9[3:6]}-{first9[6:]} {snils_check(first9)}"


def snils_valid(text: str) -> bool:
    d = digits_of(text)
    return len(d) == 11 and snils_check(d[:9]) == d[9:]


# --- INN of a person (12 digits) ---------------------------------------------------------------------

_INN_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10)


def make_inn(rng: random.Random, region: int) -> str:
    first10 = f"{region:02d}{rng.randint(0, 99_999_999):08d}"
    first11 = first10 + _inn_digit(first10, _INN_W11)
    inn = first11 + _inn_digit(first11, _INN_W12)
    return f"{inn[:4]} {inn[4:8]} {inn[8:]}"


def inn_valid(text: str) -> bool:
    d = digits_of(text)
    return (len(d) == 12 and _inn_digit(d[:10], _INN_W11) == d[10]
            and _inn_digit(d[:11], _INN_W12) == d[11])


# --- bank card (Luhn) ---------------------------------------------------------------------------------

_CARD_PREFIXES = ("2200", "2202", "2204", "4276", "4279", "5469", "5336")


def _luhn_sum(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


def make_card(rng: random.Random) -> str:
    body = rng.choice(_CARD_PREFIXES) + "".join(str(rng.randint(0, 9)) for _ in range(11))
    check = (10 - _luhn_sum(body + "0") % 10) % 10
    card = body + str(check)
    return " ".join(card[i:i + 4] for i in range(0, 16, 4))


def card_valid(text: str) -> bool:
    d = digits_of(text)
    return len(d) == 16 and _luhn_sum(d) % 10 == 0


# --- passport, phone ------------------------------------------------------------------------------------

def make_passport(rng: random.Random, region: int) -> str:
    return f"{region:02d} {rng.randint(1, 24):02d} {rng.randint(100_000, 999_999)}"


def make_mobile(rng: random.Random) -> str:
    """A Russian mobile number in the digits form, e.g. +7 916 123-45-67."""
    code = rng.choice((901, 903, 905, 906, 909, 910, 915, 916, 917, 920, 925, 926, 950, 960, 977, 985, 999))
    n = rng.randint(1_000_000, 9_999_999)
    s = str(n)
    return f"+7 {code} {s[:3]}-{s[3:5]}-{s[5:]}"


def phone_spoken(phone: str, style: str) -> str:
    """How a caller says a number: "digits" as written, "by_digit" one word per digit, "groups" word groups."""
    d = digits_of(phone)
    national = "8" + d[1:]  # people say the trunk prefix 8 rather than +7
    if style == "digits":
        return phone
    if style == "by_digit":
        return " ".join(_UNITS[int(c)] for c in national)
    if style == "groups":
        groups = (national[0], national[1:4], national[4:7], national[7:9], national[9:11])
        return " ".join(number_words(int(g)) if not g.startswith("0") or g == "0"
                        else " ".join(_UNITS[int(c)] for c in g) for g in groups)
    raise ValueError(f"unknown phone style {style!r}")
