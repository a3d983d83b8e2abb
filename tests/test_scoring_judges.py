"""Judges learnt from the script's examples and from analysts' overrides, with the real packaged encoder."""
from __future__ import annotations

import pytest

from scoring.encoder import load_encoder
from scoring.judges import Correction, LabelledExample, build_judges, corrections_as_examples
from scoring.scorer import CallScorer
from scoring.script import load_script, parse_script
from scoring.turns import TurnsError, transcript_from_turns
from test_scoring import GOOD_CALL, OPERATOR_CHANNEL, call

pytestmark = pytest.mark.slow  # loads the sentence encoder and trains judges

CASE = (("operator", "Здравствуйте, горячая линия госуслуг. Меня зовут Анна. Чем могу помочь?"),
        ("caller", "У меня не открывается личный кабинет, пишет, что пароль неверный."))


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


@pytest.fixture(scope="module")
def scorer(encoder) -> CallScorer:
    return CallScorer(load_script(), encoder)


def judged(scorer: CallScorer, *turns: tuple[str, str], item_id: str):
    return scorer.score(call(*turns), operator_channel=OPERATOR_CHANNEL).item(item_id)


def test_a_callers_sentence_never_does_an_operators_item(scorer):
    farewell = "Спасибо вам большое за помощь, всего вам доброго, до свидания!"
    by_operator = judged(scorer, *CASE, ("operator", "Нажмите «Восстановить пароль» и введите СНИЛС."),
                         ("operator", farewell), item_id="closing")
    by_caller = judged(scorer, *CASE, ("operator", "Нажмите «Восстановить пароль» и введите СНИЛС."),
                       ("caller", farewell), item_id="closing")
    assert by_operator.verdict == "passed" and by_operator.evidence[0].speaker == "operator"
    assert by_caller.verdict == "failed", by_caller.evidence


def test_duties_said_in_a_few_words_are_found_in_a_sentence_the_asr_spliced_together(scorer):
    # Whisper's stereo transcript of an opening, one sentence where the text has three
    opening = ("operator", "Доброе утро, госушлу, луги, оператор Дмитрий, звонки записываются, что вам подсказать?")
    score = scorer.score(call(opening, CASE[1], ("operator", "Нажмите «Восстановить пароль» и введите СНИЛС.")),
                         operator_channel=OPERATOR_CHANNEL)
    assert score.item("operator_name").verdict == "passed", score.item("operator_name").reason
    assert score.item("offer_help").verdict == "passed", score.item("offer_help").reason


def test_a_transfer_is_recognised_however_it_is_worded_and_only_on_the_operators_side(scorer):
    handed = judged(scorer, *CASE, ("operator", "Я передам трубку Евгению Александровичу, он занимается "
                                                "блокировками учётных записей и снимет её."),
                    ("pause", "4"), ("operator", "Добрый день, Евгений Александрович, слушаю вас."),
                    item_id="transfer_explained")
    assert handed.verdict == "passed", handed.reason
    assert "Евгению Александровичу" in handed.evidence[0].quote
    apology = judged(scorer, *CASE, ("caller", "Я извинюсь перед вами, я сначала не так объяснил."),
                     ("operator", "Нажмите «Восстановить пароль» и введите СНИЛС."), item_id="transfer_explained")
    assert apology.verdict == "not_applicable", apology.reason


def test_a_second_operators_voice_is_a_transfer_even_unannounced(scorer):
    """Where the call tells its operators apart, a specialist's voice shows the transfer the first operator made
    with a bare «Ждите»; the transfer then went unexplained."""
    transcript = transcript_from_turns([
        {"speaker": "operator", "text": "Госуслуги, здравствуйте, меня зовут Анна, чем помочь?"},
        {"speaker": "caller", "text": "Мне неправильно начислили налог на машину, которую я продал."},
        {"speaker": "operator", "text": "Ждите."},
        {"speaker": "operator2", "text": "Добрый день, специалист по налогам Олег, слушаю вас."},
    ])
    score = scorer.score(transcript)
    unexplained = score.item("transfer_explained")
    assert unexplained.verdict == "failed" and unexplained.evidence[0].quote == "Ждите."
    assert score.metrics.transfers == 1


def test_the_specialists_greeting_does_not_explain_the_operators_bare_transfer(scorer):
    """The rule looks for a transfer's «to whom» around its announcement; the specialist's first line, right after
    it, is another voice and explains nothing the operator left unsaid."""
    transcript = transcript_from_turns([
        {"speaker": "operator", "text": "Госуслуги, здравствуйте, меня зовут Анна, чем помочь?"},
        {"speaker": "caller", "text": "Мне пришёл налог за машину, которую я продал ещё весной."},
        {"speaker": "operator", "text": "Понятно, начисление пришло уже после продажи. Переключаю."},
        {"speaker": "operator2", "text": "Добрый день, Олег, специалист отдела по налогам."},
    ])
    unexplained = scorer.score(transcript).item("transfer_explained")
    assert unexplained.verdict == "failed", unexplained.evidence


def test_overrides_teach_the_item_they_corrected_and_leave_other_wordings_to_the_script(encoder, scorer):
    missed = ("operator", "Раньше надо было думать.")
    flagged = ("operator", "Вы ни в чём не виноваты.")  # reassurance the script's judge hears as blame
    paraphrase = ("operator", "Головой надо было думать раньше, а теперь поздно.")
    assert judged(scorer, *CASE, missed, item_id="no_forbidden_phrases").verdict == "passed"
    assert judged(scorer, *CASE, flagged, item_id="no_forbidden_phrases").verdict == "failed"
    script = load_script()
    taught = CallScorer(script, encoder, corrections_as_examples(script, [
        # an analyst's corrections, each quoting its whole turn
        Correction("no_forbidden_phrases", "failed", (f"Понятно. {missed[1]} Теперь ждите ответа ведомства.",)),
        Correction("no_forbidden_phrases", "passed", (f"{flagged[1]} Мы всё исправим.",)),
    ]))
    caught = judged(taught, *CASE, missed, item_id="no_forbidden_phrases")
    assert caught.verdict == "failed" and caught.evidence[0].quote == missed[1]
    # the same line on another call, said a little otherwise
    assert judged(taught, *CASE, ("operator", "Надо было раньше думать."),
                  item_id="no_forbidden_phrases").verdict == "failed"
    assert judged(taught, *CASE, flagged, item_id="no_forbidden_phrases").verdict == "passed"
    # a wording nobody corrected is judged as the script judges it
    assert (judged(taught, *CASE, paraphrase, item_id="no_forbidden_phrases").verdict
            == judged(scorer, *CASE, paraphrase, item_id="no_forbidden_phrases").verdict)
    assert taught.score(GOOD_CALL, operator_channel=OPERATOR_CHANNEL).item("no_forbidden_phrases").verdict == "passed"


def test_a_verdict_teaches_by_its_item_and_applicability():
    script = load_script()
    examples = corrections_as_examples(script, [
        Correction("no_forbidden_phrases", "failed", ("Это ваши трудности.",)),
        Correction("closing", "passed", ("Всего хорошего!",)),
        Correction("request_registered", "failed", ("Ну и ждите, никто ничего оформлять не будет.",)),
        Correction("greeting", "not_applicable", ("Алло.",)),
    ])
    assert LabelledExample("no_forbidden_phrases", "Это ваши трудности.", True) in examples
    assert LabelledExample("closing", "Всего хорошего!", True) in examples
    registration = [e for e in examples if "ждите" in e.text]
    assert {(e.item_id, e.does) for e in registration} == {("request_registered", False), ("request_needed", True)}
    assert not [e for e in examples if e.text == "Алло."]


def test_examples_of_another_script_version_are_refused(encoder):
    with pytest.raises(ValueError, match="no_such_item"):
        build_judges(load_script(), [LabelledExample("no_such_item", "Текст.", True)], encoder)


def test_a_judge_needs_something_to_tell_its_examples_from(encoder):
    script = parse_script("""
name: bare
version: "1"
items:
  - id: offer_help
    description: offers help
    speaker: operator
    position: opening
    weight: 1
    critical: false
    examples: ["Чем могу помочь?"]
""")
    with pytest.raises(ValueError, match="near_misses"):
        build_judges(script, [], encoder)


def test_turns_without_times_are_timed_by_their_words():
    transcript = transcript_from_turns([{"speaker": "operator", "text": "Госуслуги, здравствуйте."},
                                        {"speaker": "caller", "text": "Добрый день, у меня вопрос про пенсию."},
                                        {"speaker": "operator2", "text": "Специалист по пенсиям, слушаю."}])
    first, second, third = transcript.segments
    assert first.end - first.start < second.end - second.start
    assert first.end < second.start < second.end < third.start
    assert (third.role, third.speaker) == ("operator", "operator2")
    with pytest.raises(TurnsError, match="turn 0"):
        transcript_from_turns([{"speaker": "robot", "text": "Здравствуйте."}])


RUDE_SCRIPT = """
name: rude
version: "1"
settings: {{threshold: 0.5}}
items:
  - id: no_forbidden_phrases
    description: never brushes the caller off
    speaker: operator
    position: any
    weight: 1
    critical: true
    check: not_said
    threshold: 0.9
{twice}
    examples: ["Это не моя проблема.", "Разбирайтесь сами.", "Меня это не касается.", "Сами виноваты.",
               "А я-то тут каким боком?", "Это ваши трудности, не наши.", "Звоните куда хотите, это не к нам.",
               "Мне некогда с вами разговаривать.", "Не морочьте мне голову.", "Сами напутали, сами исправляйте."]
    near_misses: ["Давайте разберёмся вместе.", "Сейчас я всё проверю.", "Понимаю, это неприятно.",
                  "Этим занимается МФЦ, я подскажу их телефон.", "Извините за ожидание.",
                  "Вы ни в чём не виноваты, это сбой.", "Не за что, обращайтесь!"]
everyday: ["Да, слушаю.", "Нажмите кнопку «Войти» и введите код из смс.", "Всего доброго!",
           "Здравствуйте, горячая линия госуслуг.", "Меня зовут Ольга.", "Чем могу помочь?",
           "У меня не открывается личный кабинет."]
"""


def test_two_likely_brush_offs_count_together_where_one_alone_would_not(encoder):
    """`threshold_twice`: a line the judge finds likely but not sure enough counts when another such line joins it."""
    alone = CallScorer(parse_script(RUDE_SCRIPT.format(twice="")), encoder)
    twice = CallScorer(parse_script(RUDE_SCRIPT.format(twice="    threshold_twice: 0.35")), encoder)
    one = call(*CASE, ("operator", "Ну а я тут при чём? Нажмите кнопку «Войти» и введите код из смс."))
    two = call(*CASE, ("operator", "Ну а я тут при чём? Это уже ваши заботы, не мои."))
    assert alone.score(two, OPERATOR_CHANNEL).item("no_forbidden_phrases").verdict == "passed"
    assert twice.score(one, OPERATOR_CHANNEL).item("no_forbidden_phrases").verdict == "passed"
    found = twice.score(two, OPERATOR_CHANNEL).item("no_forbidden_phrases")
    assert found.verdict == "failed" and len(found.evidence) == 2, found.evidence


def test_a_line_nearer_a_known_no_than_any_forbidden_example_is_no_forbidden_phrase(encoder):
    """A forbidden phrase fails the call critically: a line said nearly as a near miss is no brush-off, whatever the
    model makes of its words. Items to be done keep the model's reading alone."""
    forbidden = parse_script(RUDE_SCRIPT.format(twice=""))
    said = parse_script(RUDE_SCRIPT.format(twice="").replace("    check: not_said\n", ""))
    lines = ["Давайте с вами во всём разберёмся вместе.", "Это не моя проблема, разбирайтесь сами."]
    vectors = encoder.encode(lines)
    polite, rude = build_judges(forbidden, [], encoder).of(forbidden.items[0].phrases).judge(vectors)
    assert polite.probability == 0.0 and rude.probability > 0.5
    read = build_judges(said, [], encoder).of(said.items[0].phrases).judge(vectors)
    assert read[0].probability > 0.0
