from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pipelines import offline  # noqa: F401  same offline switches as the product

# Prefect's shutdown INFO lines are written after pytest closed its capture streams
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def eval_file(relative: str) -> Path:
    path = EVAL / relative
    if not path.exists():
        pytest.fail(f"evaluation file {path} is missing: tests read ../shared/eval beside the project")
    return path


def normalise(text: str) -> str:
    """Text as word error rate compares it: lower case, no punctuation, ё as е."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("ё", "е")).split())


def tts_dialogue_text() -> str:
    """What audio_tts_ru/dialogue_rhv*.flac say: sentences s1-s5 of sentences.tsv."""
    lines = eval_file("audio_tts_ru/sentences.tsv").read_text(encoding="utf-8").splitlines()
    sentences = dict(line.split("\t", 1) for line in lines)
    return " ".join(sentences[f"s{n}"] for n in range(1, 6))


def shipped_script_with_hotwords(hotwords: str) -> str:
    """The shipped script's text with `settings.asr_hotwords` set to `hotwords` (its YAML lines, «ru: Госуслуги»),
    which the shipped script names none of."""
    from scoring.script import load_script

    text = load_script().text
    if "\nsettings:\n" not in text or "asr_hotwords:" in text:
        pytest.fail("the shipped script's settings no longer read as this helper expects")
    lines = "".join(f"    {line}\n" for line in hotwords.splitlines())
    return text.replace("\nsettings:\n", f"\nsettings:\n  asr_hotwords:\n{lines}", 1)


# tests with none of these marks are fast unit tests: `pytest -m unit` runs them alone, in under a minute
SLOW_MARKS = ("model", "browser", "slow")


def pytest_collection_modifyitems(items):
    for item in items:
        if "whisper" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.model)
        if not any(item.get_closest_marker(mark) for mark in SLOW_MARKS):
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a command run in-process chooses one for the rest of its thread."""
    import language

    language.use(language.DEFAULT)


@pytest.fixture(scope="session")
def whisper():
    from asr.model import ModelSettings, shared_model

    return shared_model(ModelSettings.from_env())
