"""Check digits of Russian document numbers and bank cards: a digit run is only called a SNILS, an INN or a
card when its check digits agree, which keeps ordinary numbers (request numbers, sums) out of redaction."""
from __future__ import annotations

_INN_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def snils_valid(digits: str) -> bool:
    if len(digits) != 11 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(9, 0, -1)))
    if total > 101:
        total %= 101
    return digits[9:] == ("00" if total in (100, 101) else f"{total:02d}")


def _inn_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10)


def inn_valid(digits: str) -> bool:
    """A person's INN (12 digits, two check digits) or an organisation's (10 digits, one)."""
    if not digits.isdigit():
        return False
    if len(digits) == 12:
        return _inn_digit(digits[:10], _INN_W11) == digits[10] and _inn_digit(digits[:11], _INN_W12) == digits[11]
    if len(digits) == 10:
        return _inn_digit(digits[:9], _INN_W10) == digits[9]
    return False


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
