"""The interface's languages: Russian by default, English on request.

Messages are written in English in the code and templates and translated from gettext catalogues
(language/locale/<code>/LC_MESSAGES/messages.po, compiled in memory when first used, so the .po stays the one
source); dates, numbers, percentages and durations are written by Babel with the language's conventions.
"""
from __future__ import annotations

import contextvars
import gettext as _gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("ru", "en")
DEFAULT = "ru"
DOMAIN = "messages"
# Russian typography groups thousands with a narrow no-break space; CLDR gives a wide one
_GROUP_SPACES = {"ru": ("\u00a0", "\u202f")}


def catalogue_path(code: str):
    return resources.files("language") / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(code: str) -> _gettext.NullTranslations:
    """The language's catalogue; English is the language the messages are written in."""
    path = catalogue_path(code)
    if not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def from_environment(value: str | None) -> str:
    """The language a LANG-style value asks for (ru_RU.UTF-8, en_GB, en); anything else is the default."""
    code = (value or "").split(".")[0].split("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT


@dataclass(frozen=True)
class Language:
    """One language's messages and formats."""

    code: str

    def gettext(self, message: str) -> str:
        return translations(self.code).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(self.code).ngettext(singular, plural, n)

    def label(self, value: str | None) -> str:
        """A stored value (verdict, role, urgency...) in this language; an unknown one as stored."""
        from language.labels import LABELS

        if value is None:
            return "–"
        return self.gettext(LABELS[value]) if value in LABELS else value.replace("_", " ")

    def date(self, value: date | None, style: str = "long") -> str:
        """24 марта 2025 г. / March 24, 2025; style is a Babel format (short, medium, long) or pattern."""
        return "–" if value is None else format_date(value, style, locale=self.code)

    def datetime(self, value: datetime | None) -> str:
        return "–" if value is None else format_datetime(value, "d MMM y, HH:mm", locale=self.code)

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return self._spaced(format_decimal(value, pattern, locale=self.code))

    def signed(self, value: float | None, digits: int = 2) -> str:
        if value is None:
            return "–"
        return ("+" if value > 0 else "−" if value < 0 else "±") + self.number(abs(value), digits)

    def percent(self, value: float | None, digits: int = 1) -> str:
        """A share (0.123) as the language writes a percentage: 12,3 % / 12.3%."""
        if value is None:
            return "–"
        pattern = Locale.parse(self.code).percent_formats[None].pattern
        pattern = pattern.replace("#,##0", "#,##0" + ("." + "0" * digits if digits else ""), 1)
        return self._spaced(format_decimal(value, pattern, locale=self.code))

    def duration(self, seconds: float | None) -> str:
        """2 мин 15 с / 2 min 15 s; under a minute just seconds."""
        if seconds is None:
            return "–"
        minutes, rest = divmod(round(seconds), 60)
        if not minutes:
            return self.gettext("%(s)d s") % {"s": rest}
        return self.gettext("%(m)d min %(s)d s") % {"m": minutes, "s": rest}

    def message(self, msgid: str, values: dict, plural: str | None = None) -> str:
        """A message stored with its values (a verdict's reason) in this language, its numbers written the
        language's way; a counted message takes its form from the value `n`."""
        text = self.gettext(msgid) if plural is None else self.ngettext(msgid, plural, int(values["n"]))
        return text % {k: self.number(v) if isinstance(v, float) else v for k, v in values.items()}

    def _spaced(self, text: str) -> str:
        wide, narrow = _GROUP_SPACES.get(self.code, ("", ""))
        return text.replace(wide, narrow) if wide else text


@cache
def language(code: str) -> Language:
    if code not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {code!r}")
    return Language(code)


_current: contextvars.ContextVar[Language] = contextvars.ContextVar("language", default=Language(DEFAULT))


def use(code: str) -> None:
    """The language of this command's messages (the CLI chooses it once, from --lang or LANG)."""
    _current.set(language(code))


def current() -> Language:
    return _current.get()


def gettext(message: str) -> str:
    return _current.get().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is translated later, in the reader's language."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a counted message (its singular and plural) for the catalogue, translated later with its count."""
    return singular, plural


class Refusal(ValueError):
    """A request refused for a reason its user must read: the message (marked with N_) is translated when it is
    shown, in the command's language or, with said_in, in a dashboard reader's."""

    def __init__(self, msgid: str, **values):
        super().__init__(msgid % values)
        self.msgid, self.values = msgid, values

    def __str__(self) -> str:
        return self.said_in(current())

    def said_in(self, lang: Language) -> str:
        return lang.message(self.msgid, self.values)
