"""The Russian interface: the catalogue covers every message Babel extracts from the code and templates, Russian
conventions for plurals, numbers, percentages, dates and durations, and the CLI in Russian unless asked otherwise."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from language import catalogue_path, from_environment, language
from scoring.script import load_script

ROOT = Path(__file__).resolve().parents[1]
NARROW_NBSP = "\u202f"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages as `pybabel extract` finds them with the project's own mapping (pyproject.toml)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "pyproject.toml", "-o", str(pot),
                    "--no-location", "."], cwd=ROOT, check=True,
                   capture_output=True)
    with pot.open("rb") as source:
        return read_po(source)


@pytest.fixture(scope="module")
def russian():
    with catalogue_path("ru").open("rb") as source:
        return read_po(source, locale="ru")


def untranslated(message_ids, catalogue) -> list:
    """The messages without a complete, settled Russian translation."""
    missing = []
    for message_id in message_ids:
        entry = catalogue.get(message_id if isinstance(message_id, str) else message_id[0])
        strings = entry.string if entry is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)) or entry.fuzzy:
            missing.append(message_id)
    return missing


def test_the_russian_catalogue_translates_every_extracted_message(extracted, russian):
    ids = [m.id for m in extracted if m.id]
    assert len(ids) > 300  # the dashboard, the report and the CLI are all extracted
    assert untranslated(ids, russian) == []
    stale = [m.id for m in russian if m.id and m.id not in {e.id for e in extracted}]
    assert stale == []  # messages the code no longer has


def test_translations_keep_the_placeholders_of_their_messages(russian):
    problems = [(message.id, errors) for message, errors in russian.check() if errors]
    assert problems == []


def test_a_new_template_string_without_a_translation_is_caught(tmp_path, russian):
    (tmp_path / "page.html").write_text('<h1>{{ _("A heading nobody translated") }}</h1><p>{{ _("Calls") }}</p>')
    found = [m[2] for m in extract_from_dir(tmp_path, method_map=[("**.html", "jinja2")],
                                             options_map={"**.html": {"extensions": "jinja2.ext.i18n"}})]
    assert untranslated(found, russian) == ["A heading nobody translated"]


def test_russian_plurals_numbers_percentages_dates_and_durations():
    ru, en = language("ru"), language("en")
    calls = [ru.ngettext("%(num)d call", "%(num)d calls", n) % {"num": n} for n in (1, 2, 5, 11, 21, 22)]
    assert calls == ["1 звонок", "2 звонка", "5 звонков", "11 звонков", "21 звонок", "22 звонка"]
    assert ru.number(12345.67) == f"12{NARROW_NBSP}345,7" and en.number(12345.67) == "12,345.7"
    assert ru.percent(0.1234) == f"12,3{NARROW_NBSP}%" and en.percent(0.1234) == "12.3%"
    assert ru.duration(135) == "2 мин 15 с" and ru.duration(42) == "42 с" and en.duration(135) == "2 min 15 s"
    assert ru.date(date(2025, 3, 24)) == f"24 марта 2025{NARROW_NBSP}г."
    assert en.date(date(2025, 3, 24)) == "March 24, 2025"
    assert ru.datetime(datetime(2025, 3, 29, 20, 48)) == "29 мар. 2025, 20:48"
    assert ru.label("not_applicable") == "неприменим" and en.label("not_applicable") == "not applicable"


def test_lang_values_choose_a_language_and_anything_else_is_russian():
    assert [from_environment(v) for v in ("en_US.UTF-8", "en", "ru_RU.UTF-8", "C.UTF-8", "POSIX", "", None,
                                          "de_DE.UTF-8")] == ["en", "en", "ru", "ru", "ru", "ru", "ru", "ru"]


def hqc_help(*args: str, lang: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LANGUAGE")}
    if lang is not None:
        env["LANG"] = lang
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", *args, "--help"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_cli_help_is_russian_by_default_and_english_on_request():
    russian = hqc_help(lang=None)
    assert russian.startswith("использование: hotline-qc")
    assert "Речевая аналитика и контроль качества горячей линии" in russian and "показать эту справку" in russian
    assert "сформировать отчёт руководству" in russian
    english = hqc_help("--lang", "en", lang="ru_RU.UTF-8")
    assert english.startswith("usage: hotline-qc") and "build the management report" in english
    assert "задать язык панели" in hqc_help("users", lang="C.UTF-8")
    assert "set the language a user reads the dashboard in" in hqc_help("users", lang="en_GB.UTF-8")


def test_every_checklist_item_of_the_shipped_script_has_a_title_and_reason_in_both_languages():
    for item in load_script().items:
        assert set(item.title) == set(item.reason) == {"ru", "en"}, item.item_id
        assert any("а" <= ch <= "я" for ch in item.title["ru"].lower()), item.item_id


def test_a_verdicts_reason_is_read_in_russian_with_its_plural_and_numbers():
    ru, en = language("ru"), language("en")
    among = ("none of it among %(n)s sentences", "none of it among %(n)s sentences")
    assert [ru.message(*among[:1], {"n": n}, among[1]) for n in (1, 3, 8, 21)] == [
        "нет ни в одном из 1 предложения", "нет ни в одном из 3 предложений", "нет ни в одном из 8 предложений",
        "нет ни в одном из 21 предложения"]
    assert ru.message("said at %(at)s s", {"at": 1234.5}) == f"сказано на 1{NARROW_NBSP}234,5 с"
    assert en.message("said at %(at)s s", {"at": 12.3}) == "said at 12.3 s"
