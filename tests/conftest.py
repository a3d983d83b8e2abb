from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def whisper():
    from asr.model import ModelSettings, shared_model

    return shared_model(ModelSettings.from_env())
