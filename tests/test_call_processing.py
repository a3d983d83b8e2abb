"""One call's path before storage: judged on the words as spoken, stored redacted."""
import pytest

from asr.records import Segment, Transcript, Word
from pipelines.call_processing import as_stored, call_scorer, score_then_redact
from scoring.encoder import shared_encoder
from scoring.judges import RECALLED, Correction, corrections_as_examples
from scoring.scorer import CallScorer
from scoring.script import load_script
from storage.calls import call_status

pytestmark = pytest.mark.slow  # loads the sentence encoder to score calls


def said(channel: int, role: str, start: float, text: str) -> Segment:
    words, at = [], start
    for token in text.split():
        words.append(Word(round(at, 3), round(at + 0.3, 3), token, 0.9, channel, f"channel {channel}"))
        at += 0.35
    return Segment(start, round(at, 3), text, channel, tuple(words), f"channel {channel}", role)


@pytest.fixture(scope="module")
def scorer():
    return CallScorer(load_script(), shared_encoder())


def test_a_masked_name_does_not_take_the_offer_of_help_with_it(scorer):
    # as Whisper writes a clinic's greeting: no commas, so masking the name swallows «Чем»
    call = Transcript("ru", 1.0, 30.0, (
        said(0, "operator", 0.5, "Добрый день Ирина Администратор Чем могу помочь?"),
        said(1, "caller", 4.0, "Здравствуйте, меня зовут Петров Иван Сергеевич, не могу войти в личный кабинет."),
        said(0, "operator", 9.0, "Назовите, пожалуйста, дату рождения и СНИЛС."),
        said(1, "caller", 12.0, "Пятое марта восемьдесят первого года, СНИЛС 123-456-789 01."),
        said(0, "operator", 17.0, "Спасибо, Иван Сергеевич. Сбросьте пароль кнопкой восстановить на странице входа."),
    ))
    transcript, pii, score = score_then_redact(call, scorer, 0)
    assert score.item("offer_help").verdict == "passed"
    # what is stored is masked: the transcript and every evidence quote
    stored = " ".join(s.text for s in transcript.segments) + " ".join(
        e.quote for item in score.items for e in item.evidence)
    for said_aloud in ("Ирина", "Петров", "123-456-789", "Иван Сергеевич"):
        assert said_aloud not in stored
    assert pii and "[ФИО]" in transcript.segments[0].text
    # the quote is the evidence's own stretch of the redacted turn
    (offer,) = score.item("offer_help").evidence
    assert offer.quote.endswith("могу помочь?") and offer.start >= 0.5


def test_an_analysts_redacted_quote_is_recalled_on_a_call_judged_as_spoken():
    spoken = "Спасибо, Анна, раньше надо было думать."
    quote = as_stored(spoken)  # what the analyst saw and overrode: the stored, redacted quote
    assert "Анна" not in quote
    script = load_script()
    taught = corrections_as_examples(script, [Correction("no_forbidden_phrases", "failed", (quote,))])
    spoken_vector, quote_vector = shared_encoder().encode([spoken, quote])
    assert spoken_vector @ quote_vector < RECALLED  # the name alone keeps the spoken line from recalling it
    call = Transcript("ru", 1.0, 20.0, (
        said(0, "operator", 0.5, "Здравствуйте, горячая линия госуслуг, меня зовут Ольга. Чем могу помочь?"),
        said(1, "caller", 5.0, "Я пропустил срок подачи заявления на пособие."),
        said(0, "operator", 9.0, spoken),
    ))
    _, _, score = score_then_redact(call, call_scorer(None, None, taught), 0)
    verdict = score.item("no_forbidden_phrases")
    assert verdict.verdict == "failed"
    assert [e.method for e in verdict.evidence] == [f"judge 1.00, like '{quote}'"]


def test_a_call_is_stored_with_its_score_or_not_at_all(scorer, tmp_path):
    from datetime import datetime, timezone

    from ingest.metadata import CallMetadata
    from scoring.script import parse_script
    from storage.db import Database
    from storage.records import ProcessedCall, RecordingInfo
    from storage.scores import save_processed_call, save_script

    call = Transcript("ru", 1.0, 10.0, (said(0, "operator", 0.5, "Госуслуги, Анна, чем могу помочь?"),
                                        said(1, "caller", 3.0, "Не могу войти в личный кабинет.")))
    transcript, pii, score = score_then_redact(call, scorer, 0)
    metadata = CallMetadata("call-1", datetime(2025, 3, 3, 9, tzinfo=timezone.utc), "op-1", operator_channel=0)
    processed = ProcessedCall(metadata, RecordingInfo("rec-1", tmp_path / "call-1.enc", 10), transcript, (), (), pii,
                              scorer.script, score)
    with Database(tmp_path / "qc.duckdb") as db:
        # the same script version already stored with another text: storing the score fails, and the call with it
        save_script(db, parse_script(scorer.script.text.replace("description:", "description: edited;", 1)))
        with pytest.raises(ValueError, match="different text"):
            save_processed_call(db, "run-1", processed)
        assert call_status(db, "call-1") is None
        with db.read() as cur:
            assert cur.execute("SELECT count(*) FROM segments").fetchone() == (0,)
    with Database(tmp_path / "fresh.duckdb") as db:
        save_processed_call(db, "run-1", processed)
        assert call_status(db, "call-1").status == "done"
        with db.read() as cur:
            assert cur.execute("SELECT count(*) FROM checklist_verdicts WHERE call_id = 'call-1'").fetchone() == (
                len(score.items),)
