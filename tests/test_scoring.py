"""Checklist verdicts, evidence, metrics and scores on constructed calls, with the real pymorphy3 and encoder.

The engine's rules (conditions, `before`, request types and deadlines, forbidden phrases, script errors) are tested
with a small fixture script, tests/scripts/engine.yaml, so an analyst's edit to the shipped script leaves them be.
The tests on the `scorer` fixture are about the shipped script (scoring/scripts/default.yaml): that its items and
judges catch the paraphrases, Whisper's misspellings and diarization's mistakes of real calls. They load the sentence
encoder, and are marked slow.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from asr.records import Segment, Transcript, Word
from conftest import shipped_script_with_hotwords
from scoring.conversation import conversation, sentences_of
from scoring.encoder import load_encoder
from scoring.metrics import conversation_metrics
from scoring.records import ItemOutcome, ScoredCall, weighted_score
from scoring.scorecard import scorecards, worst_items
from scoring.scorer import CallScorer
from scoring.script import ScriptError, load_script, parse_script
from scoring.tokens import Lemmatizer

OPERATOR_CHANNEL, CALLER_CHANNEL = 0, 1
ENGINE_SCRIPT = Path(__file__).with_name("scripts") / "engine.yaml"


@pytest.fixture(scope="module")
def scorer() -> CallScorer:
    return CallScorer(load_script(), load_encoder())


@pytest.fixture(scope="module")
def rules() -> CallScorer:
    """The fixture script's lemma rules alone: no item has examples, so no judge and no encoder."""
    return CallScorer(load_script(ENGINE_SCRIPT), None)


def call(*turns: tuple[str, str]) -> Transcript:
    """Turns of a stereo call, said one after another with a short pause: ("operator" | "caller", text);
    ("pause", seconds) is a longer silence (a transfer ringing, a hold)."""
    segments, at = [], 0.5
    for role, text in turns:
        if role == "pause":
            at += float(text)
            continue
        length = 0.35 * len(text.split())
        channel = OPERATOR_CHANNEL if role == "operator" else CALLER_CHANNEL
        segments.append(Segment(at, at + length, text, channel=channel))
        at += length + 0.6
    return Transcript("ru", 1.0, at, tuple(segments))


GOOD_CALL = call(
    ("operator", "Добрый день, горячая линия госуслуг. Меня зовут Анна. Разговор записывается. Чем могу помочь?"),
    ("caller", "Здравствуйте. Мне не приходит код из смс, не могу войти в личный кабинет."),
    ("operator", "Назовите, пожалуйста, ваши фамилию, имя, отчество и дату рождения."),
    ("caller", "Петрова Анна Сергеевна, двенадцатое марта восемьдесят пятого года."),
    ("operator", "Спасибо, данные подтверждены. Проверьте, пожалуйста, не включена ли на телефоне блокировка "
                 "сообщений с коротких номеров."),
    ("caller", "Хорошо, спасибо."),
    ("operator", "Могу ли я ещё чем-нибудь помочь?"),
    ("caller", "Нет, спасибо."),
    ("operator", "Пожалуйста, оцените наш разговор в опросе после звонка. Спасибо за обращение, всего доброго!"),
)


def verdict(scorer: CallScorer, transcript: Transcript, item_id: str):
    return scorer.score(transcript, operator_channel=OPERATOR_CHANNEL).item(item_id)


@pytest.mark.slow
def test_a_good_call_passes_every_applicable_item_with_evidence(scorer):
    score = scorer.score(GOOD_CALL, operator_channel=OPERATOR_CHANNEL)
    verdicts = {v.item_id: v.verdict for v in score.items}
    assert verdicts == {
        "greeting": "passed", "operator_name": "passed", "offer_help": "passed", "identification": "passed",
        "consent": "passed", "information": "passed", "transfer_explained": "not_applicable",
        "request_registered": "not_applicable", "deadline_stated": "not_applicable", "closing": "passed",
        "survey_invite": "passed",
        "no_forbidden_phrases": "passed",
    }
    assert score.score == 100.0 and score.critical_failures == ()
    greeting = score.item("greeting").evidence[0]
    assert greeting.quote == "Добрый день, горячая линия госуслуг."
    assert greeting.speaker == "operator" and 0.5 <= greeting.start < greeting.end
    assert "lemma rule" in greeting.method
    assert score.script_version == load_script().version


@pytest.mark.slow
def test_greeting_survives_paraphrase_and_asr_errors(scorer):
    paraphrase = verdict(scorer, call(("operator", "Вас приветствует единый контактный центр."),
                                      ("caller", "Здравствуйте, у меня вопрос.")), "greeting")
    assert paraphrase.verdict == "passed", paraphrase.reason
    misheard = verdict(scorer, call(("operator", "Здравствуйте, горячая линия госуслок, операторанно."),
                                    ("caller", "Добрый день.")), "greeting")
    assert misheard.verdict == "passed"
    assert "'госуслок'≈'госуслуг'" in misheard.evidence[0].method
    bare = verdict(scorer, call(("operator", "Алло."), ("caller", "Здравствуйте.")), "greeting")
    assert bare.verdict == "failed" and "not said in the opening" in bare.reason


@pytest.mark.slow
def test_the_judge_catches_a_paraphrase_neither_rules_nor_examples_name(scorer):
    script = load_script()
    line = "Я вас внимательно слушаю, что привело вас к нам?"
    assert line not in script.text
    offer = verdict(scorer, call(("operator", f"Здравствуйте, горячая линия госуслуг. {line}"),
                                 ("caller", "Добрый день.")), "offer_help")
    assert offer.verdict == "passed", offer.reason
    assert offer.evidence[0].quote == line and offer.evidence[0].method.startswith("judge ")


@pytest.mark.slow
def test_a_duty_spliced_into_a_long_opening_is_judged_in_its_own_clause(scorer):
    # as Whisper wrote the opening of independent d28: read whole, the sentence is no offer of help to the judge
    opening = call(("operator", "засосуги, горячие линия здравствуйте, меня зовут Тимур, чем могу быть полезен."),
                   ("caller", "Здравствуйте, у меня вопрос."))
    offer_help = scorer.script.item("offer_help")
    sentences = conversation(opening, scorer.matcher.lemmatizer, OPERATOR_CHANNEL).sentences
    scorer.matcher.start()
    assert scorer.matcher.judged(offer_help.phrases, sentences[:1])[0].probability < scorer.script.settings.veto
    offer = verdict(scorer, opening, "offer_help")
    assert offer.verdict == "passed", offer.reason
    assert "lemma rule 'чем могу быть полезен'" in offer.evidence[0].method


def test_transfer_item_is_not_applicable_without_a_transfer_and_fails_when_bare(rules):
    assert verdict(rules, GOOD_CALL, "transfer_explained").verdict == "not_applicable"
    bare = call(("operator", "Здравствуйте, горячая линия госуслуг."), ("caller", "Мне нужен перерасчёт пенсии."),
                ("operator", "Соединяю."), ("pause", "3"), ("operator", "Здравствуйте, специалист Татьяна, слушаю вас."))
    assert verdict(rules, bare, "transfer_explained").verdict == "failed"
    explained = call(("operator", "Здравствуйте, горячая линия госуслуг."), ("caller", "Мне нужен перерасчёт пенсии."),
                     ("operator", "Перерасчётом пенсий занимаются специалисты по пенсиям. Я переведу вас к ним, "
                                  "оставайтесь на линии."))
    assert verdict(rules, explained, "transfer_explained").verdict == "passed"


def test_a_word_whisper_split_in_two_is_read_as_one():
    """Whisper hears «Госуслуги», a word it does not know, as «Госуд, слухи»: an unknown word and its neighbour are
    read together."""
    shipped = CallScorer(load_script(), None)
    split = verdict(shipped, call(("operator", "Госуд, слухи, здравствуйте, оператор Дмитрий."),
                                  ("caller", "Добрый день.")), "greeting")
    assert split.verdict == "passed", split.reason
    assert "'госуд слухи' read as one word" in split.evidence[0].method


def registration(deadline: str, caller_problem: str = "Я сменил номер телефона, а подтверждение приходит на старый.") -> Transcript:
    return call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", caller_problem),
        ("operator", "Я вижу, что к учётной записи привязан старый номер. Нужна заявка на изменение контактных данных."),
        ("operator", f"Ваше обращение зарегистрировано под номером 4821-3307. {deadline}"),
        ("caller", "Спасибо, записываю."),
    )


def test_request_deadline_must_fit_the_request_type(rules):
    fits = verdict(rules, registration("Ответ придёт в течение пяти рабочих дней."), "deadline_stated")
    assert fits.verdict == "passed", fits.reason
    wrong = verdict(rules, registration("Ответ придёт в течение двадцати четырёх часов."), "deadline_stated")
    assert wrong.verdict == "failed"
    assert "within 24 hours (simple), but a documents request has up to 5 working days" in wrong.reason
    assert any("двадцати четырёх часов" in e.quote for e in wrong.evidence)
    # the registration itself is a separate duty, done in both calls
    assert verdict(rules, registration("Ответ придёт в течение двадцати четырёх часов."),
                   "request_registered").verdict == "passed"
    none = verdict(rules, registration("Ответ придёт в течение двух недель."), "deadline_stated")
    assert none.verdict == "failed" and "fits no request type" in none.reason


def test_a_numeral_is_never_taken_for_another_but_a_garbled_one_is_read():
    """«девяти» is nine however alike it is spelt to «десяти»; «весяти» is no word, Whisper's slip of «десяти»."""
    shipped = CallScorer(load_script(), None)
    complaint = "Хочу пожаловаться: пособие не пришло, а в фонде и в банке кивают друг на друга."
    nine = verdict(shipped, registration("Ответ придёт в течение девяти рабочих дней.", complaint), "deadline_stated")
    assert nine.verdict == "failed", nine.reason
    slip = verdict(shipped, registration("Ответ придёт в течение весяти рабочих дней.", complaint), "deadline_stated")
    assert slip.verdict == "passed", slip.reason


@pytest.mark.slow
def test_the_shipped_script_reads_a_response_time_however_it_is_worded(scorer):
    def told(deadline: str, problem: str = "Мою учётную запись заблокировали, не могу войти.") -> str:
        transcript = call(("operator", "Здравствуйте, горячая линия госуслуг."), ("caller", problem),
                          ("operator", f"Ваше обращение зарегистрировано под номером 4821-3307. {deadline}"),
                          ("caller", "Спасибо, записываю."))
        result = verdict(scorer, transcript, "deadline_stated")
        return f"{result.verdict}: {result.reason}"

    for day in ("Ответ поступит в течение дня.", "Ответ придёт через сутки."):
        assert told(day).startswith("passed") and "simple" in told(day)
    # «раб.» shortens «рабочих» and ends no sentence
    complaint = told("Ответ поступит в течение 10 раб. дней.", "Хочу пожаловаться: пособие не пришло.")
    assert complaint.startswith("passed") and "complex" in complaint
    # a number between a promise's words changes it: five days are not «в течение суток»
    for wrong in ("Ответ поступит в течение пяти суток.", "Ответ придёт в течение 48 часов."):
        assert told(wrong).startswith("failed") and "fits no request type" in told(wrong)


def test_a_processing_time_quoted_before_the_registration_is_no_deadline(rules):
    """How long an agency takes, told as information in an earlier turn, is not the request's response time."""
    transcript = call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", "Я сменил номер телефона, а подтверждение приходит на старый."),
        ("operator", "Когда меняют контактные данные, ответ от ведомства придёт в течение пяти рабочих дней."),
        ("caller", "А можно это как-то ускорить?"),
        ("operator", "Ваше обращение зарегистрировано под номером 4821-3307."),
    )
    quoted = verdict(rules, transcript, "deadline_stated")
    assert quoted.verdict == "failed" and "no response time" in quoted.reason
    # said in the registration's own turn, just before it, it is the request's deadline
    same_turn = call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", "Я сменил номер телефона, а подтверждение приходит на старый."),
        ("operator", "Ответ придёт в течение пяти рабочих дней. Ваше обращение зарегистрировано под номером 4821-3307."),
    )
    assert verdict(rules, same_turn, "deadline_stated").verdict == "passed"


def test_request_without_a_number_fails(rules):
    transcript = call(("operator", "Здравствуйте, горячая линия госуслуг."),
                      ("caller", "Мою учётную запись заблокировали."),
                      ("operator", "Я передал ваш вопрос специалистам. Ответ придёт в течение двадцати четырёх часов."))
    result = verdict(rules, transcript, "request_registered")
    assert result.verdict == "failed" and "number" in result.reason


def test_forbidden_phrase_fails_with_its_quote(rules):
    transcript = call(("operator", "Здравствуйте, горячая линия госуслуг."), ("caller", "Почему никто не может объяснить?"),
                      ("operator", "Это не моя проблема, я вам всё сказала."))
    result = verdict(rules, transcript, "no_forbidden_phrases")
    assert result.verdict == "failed"
    assert result.evidence[0].quote == "Это не моя проблема, я вам всё сказала."
    assert result.evidence[0].method.startswith("lemma rule 'не моя проблема'")
    score = rules.score(transcript, operator_channel=OPERATOR_CHANNEL)
    assert "no_forbidden_phrases" in score.critical_failures


@pytest.mark.slow
def test_the_shipped_script_tells_blame_and_brush_offs_from_reassurance_said_with_a_no(scorer):
    """A «не» reassures as often as it brushes off, and sympathy sounds like impatience to the model alone (it
    found the first two lines 0.76 and 0.65 likely, which failed the call twice over): only the operator who
    blames the caller or sends them away without help fails the item."""
    problem = ("caller", "Я оплатил пошлину, а заявление всё равно не отправляется.")
    reassured = call(("operator", "Здравствуйте, горячая линия госуслуг."), problem,
                     ("operator", "Понимаю ваше недовольство, давайте разберёмся."),
                     ("operator", "Для начала мне нужно вас идентифицировать."),
                     ("operator", "Точного срока не назову, но обычно всё решается быстрее."),
                     ("operator", "Соединение с отделом займёт пару секунд."))
    assert verdict(scorer, reassured, "no_forbidden_phrases").verdict == "passed"
    blamed = call(("operator", "Здравствуйте, горячая линия госуслуг."), problem,
                  ("operator", "Это вы сами всё напутали, а я тут при чём?"),
                  ("operator", "Ищите в интернете, мне некогда объяснять."))
    result = verdict(scorer, blamed, "no_forbidden_phrases")
    assert result.verdict == "failed", result.reason
    assert "Это вы сами всё напутали, а я тут при чём?" in [e.quote for e in result.evidence]


def test_identification_after_the_case_was_discussed_fails(rules):
    late = call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", "Мне не пришло пособие на ребёнка за этот месяц."),
        ("operator", "Я проверил: выплата была отправлена, но банк её вернул, потому что карта перевыпущена."),
        ("operator", "А назовите, пожалуйста, ваши фамилию, имя и отчество."),
    )
    result = verdict(rules, late, "identification")
    assert result.verdict == "failed" and "after 'information'" in result.reason
    general = call(("operator", "Здравствуйте, горячая линия госуслуг."),
                   ("caller", "Подскажите, какие документы нужны для замены паспорта в сорок пять лет?"),
                   ("operator", "Понадобятся старый паспорт, две фотографии и квитанция об оплате госпошлины."))
    assert verdict(rules, general, "identification").verdict == "not_applicable"


@pytest.mark.slow
def test_redacted_calls_are_judged_as_the_calls_they_were(scorer):
    """The pipeline scores redacted text: «[ФИО]» stands for the operator's name and is no request for the caller's."""
    from privacy.redact import LABELS
    from privacy.transcript import redact_transcript

    redacted, spans = redact_transcript(GOOD_CALL)
    assert "Анна" not in " ".join(s.text for s in redacted.segments) and spans
    verdicts = {v.item_id: v.verdict for v in scorer.score(redacted, operator_channel=OPERATOR_CHANNEL).items}
    assert verdicts == {v.item_id: v.verdict for v in scorer.score(GOOD_CALL, operator_channel=OPERATOR_CHANNEL).items}
    introduced = call(("operator", f"Здравствуйте, горячая линия госуслуг, на связи {LABELS['name']}."),
                      ("caller", "Подскажите, какие документы нужны для замены паспорта в сорок пять лет?"),
                      ("operator", "Понадобятся старый паспорт, две фотографии и квитанция об оплате госпошлины."))
    assert verdict(scorer, introduced, "operator_name").verdict == "passed"
    assert verdict(scorer, introduced, "identification").verdict == "not_applicable"


def test_silent_line_has_nothing_to_answer(rules):
    silent = Transcript("ru", 1.0, 20.0, (
        Segment(1.0, 6.0, "Здравствуйте, горячая линия госуслуг. Меня зовут Павел. Чем могу помочь?", channel=0),
        Segment(10.0, 13.0, "Вас не слышно, перезвоните, пожалуйста. Всего доброго!", channel=0),
    ))
    score = rules.score(silent, operator_channel=0)
    assert score.item("information").verdict == "not_applicable"
    assert score.item("request_registered").verdict == "not_applicable"
    assert score.item("transfer_explained").verdict == "not_applicable"
    assert score.item("closing").verdict == "passed"


def mono(*turns: tuple[str, str]) -> Transcript:
    """Turns of a mono call as diarization left them: (the role it gave, text), one speaker per role;
    ("pause", seconds) is a longer silence."""
    segments, at = [], 0.5
    for role, text in turns:
        if role == "pause":
            at += float(text)
            continue
        length = 0.35 * len(text.split())
        speaker = "SPEAKER_00" if role == "operator" else "SPEAKER_01"
        segments.append(Segment(at, at + length, text, speaker=speaker, role="operator" if role == "operator" else "caller"))
        at += length + 0.6
    return Transcript("ru", 1.0, at, tuple(segments))


@pytest.mark.slow
def test_a_request_number_read_after_a_garbled_request_is_its_registration(scorer):
    """Whisper ends a sentence at the words it could not make out, and the number opens the next one."""
    transcript = call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", "Сертификат подписи перестал работать, пишут, что он отозван удостоверяющим центром."),
        ("operator", "К сожалению, точной информации по вашему вопросу у меня нет."),
        ("operator", "Записывать инонир обращения. 7 925 2710. Ответ подготовят в течение двадцати четырёх часов."),
    )
    registered = verdict(scorer, transcript, "request_registered")
    assert registered.verdict == "passed", registered.reason
    assert registered.evidence[0].quote == "Записывать инонир обращения."
    # the response time belongs to the registration, so the evasive reply stays the only answer
    assert verdict(scorer, transcript, "information").verdict == "failed"


@pytest.mark.slow
def test_one_voice_answering_after_the_opening_gave_information(scorer):
    """Diarization heard caller and operator as one voice: the answer after the opening is still an answer."""
    merged = mono(
        ("operator", "Добрый день, контактный центр портала госуслуг. На связи Елена. Чем могу быть полезна?"),
        ("operator", "Добрый день, паспорт куда-то пропал. Куда идти, и сколько это займёт?"),
        ("pause", "8"),
        ("operator", "Если паспорт украли, сначала обратитесь в полицию, а потом с талоном-уведомлением в МФЦ."),
        ("operator", "Госпошлину за новый паспорт можно оплатить на портале."),
    )
    answered = scorer.score(merged).item("information")
    assert answered.verdict == "passed", answered.reason
    assert answered.evidence[0].quote.startswith("Если паспорт украли")
    silent = mono(("operator", "Здравствуйте, горячая линия госуслуг. Меня зовут Павел. Чем могу помочь?"),
                  ("pause", "8"), ("operator", "Алло, вас не слышно. Говорите, пожалуйста."),
                  ("pause", "5"), ("operator", "Вас не слышно, перезвоните, пожалуйста. Всего доброго!"))
    assert scorer.score(silent).item("information").verdict == "not_applicable"


@pytest.mark.slow
def test_the_callers_objections_heard_as_the_operator_are_no_answer(scorer):
    """Diarization gave the caller's protests after an evasive reply to the operator: still nothing to act on."""
    transcript = mono(
        ("operator", "Здравствуйте, горячая линия госуслуг. Чем могу помочь?"),
        ("caller", "Сертификат подписи перестал работать, пишут, что он отозван удостоверяющим центром."),
        ("operator", "Честно говоря, не знаю, что вам посоветовать."),
        ("operator", "Но я же уже пробовала, ничего не получается!"),
        ("operator", "А почему мне никто не может нормально объяснить, что с ним случилось?"),
    )
    result = scorer.score(transcript).item("information")
    assert result.verdict == "failed", result.reason
    assert result.evidence[0].quote == "Честно говоря, не знаю, что вам посоветовать."


@pytest.mark.slow
def test_an_opening_heard_as_the_callers_is_still_the_operators(scorer):
    """Diarization gave the operator's first turn to the caller's voice: greeting, name and offer of help still
    count, and the caller's question after it stays the caller's."""
    transcript = mono(
        ("caller", "Здравствуйте, горячая линия госуслуг. Меня зовут Анна. Чем могу помочь?"),
        ("caller", "Добрый день, мне не приходит код из смс, что мне делать?"),
        ("operator", "Проверьте, пожалуйста, не включена ли на телефоне блокировка сообщений с коротких номеров."),
    )
    score = scorer.score(transcript)
    for item_id in ("greeting", "operator_name", "offer_help", "information"):
        assert score.item(item_id).verdict == "passed", (item_id, score.item(item_id).reason)
    assert score.item("information").evidence[0].quote.startswith("Проверьте")


@pytest.mark.slow
def test_a_caller_who_names_the_hotline_on_a_stereo_call_does_not_open_it_for_the_operator(scorer):
    """On a stereo call each side has its own channel: the caller's words are the caller's, however much they sound
    like an opening, and an operator who only said «Да, слушаю» neither greeted nor gave a name (independent d19)."""
    transcript = call(
        ("operator", "Да, слушаю."),
        ("caller", "Здравствуйте, это горячая линия госуслуг? Меня зовут Анна, мне не приходит код из смс."),
        ("operator", "Проверьте, пожалуйста, не включена ли на телефоне блокировка сообщений с коротких номеров."),
    )
    score = scorer.score(transcript, operator_channel=OPERATOR_CHANNEL)
    for item_id in ("greeting", "operator_name"):
        assert score.item(item_id).verdict == "failed", (item_id, score.item(item_id).reason)


TRANSFER_TO_TAXES = (
    ("operator", "Здравствуйте, служба поддержки госуслуг. Оператор Ирина. Чем я могу вам помочь?"),
    ("caller", "Здравствуйте. Мне начислили налог за квартиру, которую я продала два года назад."),
    ("operator", "Ошибками в начислении налогов занимается наш специалист. Сейчас я переведу вас к нему, "
                 "оставайтесь на линии."),
    ("pause", "4"),
)


@pytest.mark.slow
def test_a_specialist_heard_as_the_caller_answers_for_the_operator(scorer):
    """After a transfer diarization gave the specialist's voice to the caller's speaker: the specialist opens as
    an operator does, and the answer and goodbye that follow count for the operator's items."""
    transcript = mono(
        *TRANSFER_TO_TAXES,
        ("caller", "Здравствуйте, линия специалистов по налогам и пенсиям. Специалист Татьяна. Подскажите, чем могу помочь?"),
        ("caller", "Здравствуйте, мне неправильно начислили налог."),
        ("caller", "Подайте в личном кабинете налогоплательщика заявление о перерасчёте и приложите договор купли-продажи."),
        ("caller", "Понятно, спасибо."),
        ("caller", "Пожалуйста, оцените наш разговор в опросе, который придёт после звонка. Всего доброго, до свидания!"),
    )
    score = scorer.score(transcript)
    assert score.item("information").verdict == "passed"
    # the specialist's own opening is no answer: the instruction is
    assert score.item("information").evidence[0].quote.startswith("Подайте в личном кабинете")
    assert score.item("closing").verdict == "passed" and score.item("survey_invite").verdict == "passed"
    # a voice after the transfer that never opens as an operator stays the caller's
    unanswered = mono(*TRANSFER_TO_TAXES, ("caller", "Алло, здравствуйте, мне неправильно начислили налог за "
                                                     "квартиру, которую я продала давно."))
    assert scorer.score(unanswered).item("information").verdict == "failed"


@pytest.mark.slow
@pytest.mark.parametrize("request_line", [
    "Теперь продиктуете, пожалуйста, номер снил.",
    "Спасибо, и номер снился, пожалуйста.",
    "Спасибо. И номер с ним, пожалуйста.",
    "Продиктуйте, пожалуйста, датурождения.",
    "Назовите, пожалуйста, ваши фамилии имы, участвуют в отрождение.",
])
def test_identification_requests_as_whisper_writes_them(scorer, request_line):
    """Requests for the caller's data as Whisper writes them: a fact the rules cannot read in a garbled word is given
    the benefit of the doubt."""
    transcript = call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", "Мне не пришло пособие на ребёнка за этот месяц."),
        ("operator", "Назовите, пожалуйста, фамилию, имя и отчество."),
        ("caller", "Петрова Анна Сергеевна."),
        ("operator", request_line),
        ("caller", "Сейчас, минуту."),
        ("operator", "Вижу ваш профиль. Выплата была отправлена, но банк её вернул, потому что карта перевыпущена."),
    )
    result = verdict(scorer, transcript, "identification")
    assert result.verdict == "passed", result.reason


@pytest.mark.slow
@pytest.mark.parametrize("asked, verdict_", [
    ("Назовите, пожалуйста, фамилию, имя, отчество и номер телефона.", "failed"),
    ("Фамилия, имя, отчество.", "failed"),
    ("Продиктуйте серию и номер паспорта и ваше ФИО.", "failed"),
    ("Назовите, пожалуйста, фамилию, имя, отчество и ИНН.", "passed"),
    ("Назовите, пожалуйста, фамилию, имя, отчество и нумер снелса.", "passed"),  # as Whisper may write it
])
def test_identification_needs_a_full_name_and_a_second_identifier(scorer, asked, verdict_):
    """However the request is worded (the judge hears each of these as identification), a phone number, a
    passport or the name alone identifies nobody; a second identifier garbled beyond the rules' reading is given
    the benefit of the doubt."""
    transcript = call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", "Мне не пришло пособие на ребёнка за этот месяц."),
        ("operator", asked),
        ("caller", "Петрова Анна Сергеевна, сейчас скажу."),
        ("operator", "Вижу ваш профиль. Выплата была отправлена, но банк её вернул, потому что карта перевыпущена."),
    )
    result = verdict(scorer, transcript, "identification")
    assert result.verdict == verdict_, result.reason


@pytest.mark.slow
def test_a_caller_identified_by_phone_alone_fails_identification(scorer):
    """An account the caller cannot enter is their own record, however the complaint is worded."""
    transcript = call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", "Мне код для входа не приходит, уже второй день."),
        ("operator", "Какой у вас номер телефона?"),
        ("caller", "Восемь девятьсот шестнадцать, сто двадцать, тридцать, сорок."),
        ("operator", "Коды отправляются, проверьте, не блокирует ли их ваш оператор связи."),
    )
    assert verdict(scorer, transcript, "identification").verdict == "failed"


@pytest.mark.slow
@pytest.mark.parametrize("told, asked, verdict_", [
    # volunteered before the operator asked for the rest
    ("Это Зуева Галина Петровна говорит, я насчёт пенсии.", "Дату рождения назовите.", "passed"),
    ("Это Зуева говорит, я насчёт пенсии.", "Дату рождения назовите.", "failed"),
    ("Я насчёт пенсии, перерасчёт не сделали.", "Назовите номер телефона и дату рождения.", "failed"),
])
def test_a_full_name_the_caller_told_counts_toward_identification(scorer, told, asked, verdict_):
    """The caller's name and patronymic are a full name obtained, however the operator's request read; a bare
    surname is not."""
    transcript = call(
        ("operator", "Горячая линия госуслуг."),
        ("caller", told),
        ("operator", asked),
        ("caller", "Четырнадцатого февраля пятьдесят второго года."),
        ("operator", "Вижу ваше заявление на перерасчёт, его рассмотрят до конца месяца."),
    )
    result = verdict(scorer, transcript, "identification")
    assert result.verdict == verdict_, result.reason


@pytest.mark.slow
def test_an_operator_who_calls_the_caller_by_name_and_patronymic_has_their_name(scorer):
    """Whisper garbled both the request for the full name and the caller's answer; the operator's thanks by name and
    patronymic shows it was obtained. Thanks by the first name alone do not."""
    def transcript(thanks: str) -> Transcript:
        return call(
            ("operator", "Здравствуйте, портал госуслуг, горячая линия, меня зовут Анна."),
            ("caller", "Здравствуйте, мне пришёл отказ по заявлению на перевод сына в другую школу."),
            ("operator", "Назовите, пожалуйста, вашу фамилию имею чисто полностью и номер заявления."),
            ("caller", "Орлова Светлана в Микривно, номер четыре ноль восемь один пять шесть."),
            ("operator", thanks),
            ("operator", "Вижу отказ от школы с формулировкой «отсутствие свободных мест»."),
        )
    result = verdict(scorer, transcript("Спасибо, Светлана Дмитриевна, одну минуту."), "identification")
    assert result.verdict == "passed", result.reason
    assert verdict(scorer, transcript("Спасибо, Светлана, одну минуту."), "identification").verdict == "failed"


@pytest.mark.slow
@pytest.mark.parametrize("reply, verdict_", [
    ("Мухин Станислав Игоревич, семь семь ноль восемь пять пять.", "passed"),
    ("А я куда попал? Ладно, сейчас.", "failed"),
])
def test_a_request_whisper_garbled_is_known_by_its_answer(scorer, reply, verdict_):
    """«ФИО и ИНН» heard as «все оелены»: the caller answering with a full name shows what was asked; a request
    nobody answered so stays unread."""
    transcript = call(
        ("operator", "Госуслуги, Сергей."),
        ("caller", "Я штраф оплатил со скидкой через приложение, а он опять висит, и уже полная сумма."),
        ("operator", "Назовите, пожалуйста, все оелены, чтобы я нашёл ваш платёж."),
        ("caller", reply),
        ("operator", "Так, я вижу ваш платёж от первого октября, он пока не привязан к постановлению."),
    )
    result = verdict(scorer, transcript, "identification")
    assert result.verdict == verdict_, result.reason


@pytest.mark.slow
def test_a_specialist_identifies_the_caller_before_discussing_the_case(scorer):
    """What the first operator said before transferring is not the specialist's discussion of the record."""
    transcript = call(
        ("operator", "Здравствуйте, горячая линия госуслуг, Сергей."),
        ("caller", "Я оплатил штраф со скидкой, а он опять висит, и уже полная сумма."),
        ("operator", "Оплата со скидкой обычно доходит до ведомства за несколько дней, после этого штраф пересчитывают."),
        ("operator", "Платежи проверяют специалисты по платежам, я переведу вас к ним, оставайтесь на линии."),
        ("pause", "20"),
        ("operator", "Добрый день, специалист по платежам Роман. Назовите, пожалуйста, ФИО и ИНН."),
        ("caller", "Мухин Станислав Игоревич, ИНН семь семь ноль восемь."),
        ("operator", "Вижу ваш платёж, он пока не привязан к постановлению, я зарегистрирую обращение на проверку."),
    )
    result = verdict(scorer, transcript, "identification")
    assert result.verdict == "passed", result.reason


@pytest.mark.slow
def test_identification_request_heard_on_the_callers_side_still_asks(scorer):
    """A request for the caller's data between two of the caller's turns is easily given to the caller's voice;
    the caller's own words about the same things ask nothing."""
    asked = mono(
        ("operator", "Здравствуйте, меня зовут Елена, чем могу помочь?"),
        ("caller", "Добрый день. Мне не пришло единое пособие на детей за этот месяц."),
        ("caller", "Назовите, пожалуйста, ваши фамилии им отчество и дату рождения."),
        ("caller", "Захарова Надежда Михайловна, дату рождения 16 января 2003 года."),
        ("operator", "Благодарю, вижу ваш профиль. Выплата была отправлена, но банк её вернул, потому что карта "
                     "перевыпущена."),
    )
    result = scorer.score(asked).item("identification")
    assert result.verdict == "passed", result.reason
    assert "caller's side" in result.evidence[0].method
    unasked = mono(
        ("operator", "Здравствуйте, меня зовут Елена, чем могу помочь?"),
        ("caller", "Добрый день. Мне не пришло единое пособие на детей за этот месяц."),
        ("caller", "Моя фамилия Захарова, имя отчество Надежда Михайловна, дату рождения 16 января 2003 года."),
        ("operator", "Благодарю, вижу ваш профиль. Выплата была отправлена, но банк её вернул, потому что карта "
                     "перевыпущена."),
    )
    assert scorer.score(unasked).item("identification").verdict == "failed"


@pytest.mark.slow
def test_a_lead_in_to_identification_is_no_answer(scorer):
    """«Для» went to the other voice and Whisper garbled «идентифицировать»: what is left is still a lead-in."""
    transcript = call(
        ("operator", "Здравствуйте, горячая линия госуслуг."),
        ("caller", "Адрес в личном кабинете не обновился после смены регистрации."),
        ("operator", "Начала мне нужно вас следом кефицировать. Продиктуйте, пожалуйста, фамилию, имя, отчество "
                     "и дату рождения."),
        ("caller", "Михайлова Ирина Владимировна."),
        ("operator", "Спасибо, я нашла вашу учётную запись. Чтобы обновить адрес, нужна заявка на изменение "
                     "персональных данных."),
    )
    result = verdict(scorer, transcript, "identification")
    assert result.verdict == "passed", result.reason


def words(text: str, start: float, end: float, channel: int) -> Segment:
    parts = text.split()
    step = (end - start) / len(parts)
    return Segment(start, end, text, channel=channel, words=tuple(
        Word(start + n * step, start + (n + 1) * step - 0.05, w, 0.9, channel) for n, w in enumerate(parts)))


def test_metrics_on_a_two_channel_call_with_known_overlaps_and_hold():
    transcript = Transcript("ru", 1.0, 60.0, (
        words("Добрый день горячая линия госуслуг", 2.0, 5.0, 0),     # operator answers after 2 s
        words("Здравствуйте у меня не приходит код", 5.5, 10.0, 1),
        words("Понимаю", 7.0, 7.5, 0),                               # a backchannel: overlap, no interruption
        words("Подождите на линии я уточню", 9.0, 12.0, 0),          # starts 1 s before the caller stops
        words("Спасибо за ожидание проверьте настройки", 32.0, 36.0, 0),  # after a 20 s hold
        words("Хорошо спасибо", 37.0, 38.0, 1),
    ))
    m = conversation_metrics(transcript, operator_channel=0, hold_seconds=8.0, transfers=0)
    assert m.time_to_operator_s == 2.0
    assert m.hold_count == 1 and m.hold_total_s == pytest.approx(20.0, abs=0.1)
    assert m.longest_silence_s == pytest.approx(20.0, abs=0.1)
    assert m.overtalk_s == pytest.approx(1.5, abs=0.15)  # 7.0-7.5 and 9.0-10.0
    assert m.interruptions == 1
    assert m.operator_talk_s == pytest.approx(3.0 + 0.5 + 3.0 + 4.0, abs=0.3)
    assert m.caller_talk_s == pytest.approx(4.5 + 1.0, abs=0.3)
    assert m.talk_ratio == pytest.approx(m.operator_talk_s / m.caller_talk_s, abs=0.01)
    assert m.silence_share == pytest.approx((0.5 + 20.0 + 1.0) / 36.0, abs=0.02)
    assert m.operator_words_per_minute == pytest.approx(16 / (m.operator_talk_s / 60), rel=0.01)


def outcome(item_id: str, verdict: str, weight: float, critical: bool = False) -> ItemOutcome:
    return ItemOutcome(item_id, verdict, weight, critical)


def test_weighted_score_skips_not_applicable_and_flags_critical():
    items = [outcome("greeting", "passed", 10), outcome("information", "failed", 20),
             outcome("transfer_explained", "not_applicable", 10), outcome("identification", "failed", 15, True),
             outcome("closing", "passed", 5)]
    assert weighted_score(items) == pytest.approx(100 * 15 / 50, abs=0.1)
    assert weighted_score([outcome("transfer_explained", "not_applicable", 10)]) is None
    moscow = timezone(timedelta(hours=3))
    calls = [
        ScoredCall("c1", datetime(2025, 3, 3, 10, tzinfo=moscow), "op-1", "first line", "Москва", "v1", tuple(items)),
        ScoredCall("c2", datetime(2025, 3, 4, 10, tzinfo=moscow), "op-1", "first line", "Москва", "v1",
                   (outcome("greeting", "passed", 10), outcome("identification", "passed", 15, True))),
        ScoredCall("c3", datetime(2025, 3, 11, 10, tzinfo=moscow), "op-1", "first line", "Москва", "v1",
                   (outcome("greeting", "passed", 10),)),
    ]
    weekly = scorecards(calls, by="operator", period="week")
    assert [(r.period_start.isoformat(), r.calls, r.mean_score, r.critical_calls, r.trend) for r in weekly] == [
        ("2025-03-03", 2, 65.0, 1, None), ("2025-03-10", 1, 100.0, 0, 35.0)]
    worst = worst_items(calls)["op-1"]
    assert [(w.item_id, w.failed, w.applicable) for w in worst][:2] == [("information", 1, 1), ("identification", 1, 2)]


def test_a_scorecards_mean_does_not_depend_on_the_order_its_scores_were_added_in():
    """The dashboard adds a week's scores day by day in SQL, the export call by call: the two floats differ in the
    last bits (348.9 against 348.90000000000003), and a mean on a rounding edge must still come out the same."""
    from datetime import date

    from scoring.records import ScorecardCell
    from scoring.scorecard import scorecard_rows

    scores = [59.3, 68.4, 41.4, 63.2, 65.3, 51.3]
    by_call, by_day = sum(scores), sum(scores[:3]) + sum(scores[3:])
    assert by_call != by_day
    means = {scorecard_rows([ScorecardCell("op-1", date(2025, 3, 3), 6, 6, total, 0)])[0].mean_score
             for total in (by_call, by_day)}
    assert means == {58.1}


def test_script_errors_name_the_item_and_field():
    text = load_script(ENGINE_SCRIPT).text.replace("    weight: 5\n", "    weight: five\n", 1)
    with pytest.raises(ScriptError, match=r"item 'deadline_stated' field 'weight': must be a number"):
        parse_script(text)
    with pytest.raises(ScriptError, match=r"item 'identification' field 'when': no condition 'someone'"):
        parse_script(load_script(ENGINE_SCRIPT).text.replace("when: [personal_case]", "when: [someone]"))
    with pytest.raises(ScriptError, match=r"item 'identification' field 'asks': only an operator's 'said' item"):
        parse_script(load_script(ENGINE_SCRIPT).text.replace("    before: information\n", "    before: information\n    check: not_said\n", 1))
    with pytest.raises(ScriptError, match=r"settings field 'asr_hotwords': unknown field\(s\) de; known: en, ru"):
        parse_script(shipped_script_with_hotwords("de: Gosuslugi"))
    with pytest.raises(ScriptError, match=r"settings field 'asr_hotwords'.ru: must be non-empty text"):
        parse_script(shipped_script_with_hotwords("ru: ''"))



@pytest.mark.slow
def test_a_call_touching_two_request_types_may_be_promised_the_response_time_of_either(scorer):
    """A changed phone number is a documents request, a complaint a complex one; a call with both may get
    either response time, but no other."""
    both = "Я сменил номер телефона и хочу пожаловаться: из-за вашего сбоя уже месяц не могу войти."
    for deadline in ("Ответ придёт в течение пяти рабочих дней.", "Ответ дадут в течение десяти рабочих дней."):
        told = verdict(scorer, registration(deadline, both), "deadline_stated")
        assert told.verdict == "passed", (deadline, told.reason)
    hours = verdict(scorer, registration("Ответ придёт в течение двадцати четырёх часов.", both), "deadline_stated")
    assert hours.verdict == "failed", hours.reason


def test_a_period_after_an_abbreviation_ends_no_sentence():
    said = "Ответ придёт в течение 10 раб. дней. Спасибо за ожидание."
    assert sentences_of(said) == ["Ответ придёт в течение 10 раб. дней.", "Спасибо за ожидание."]
    assert sentences_of("Так... нажал. Телефон ввожу, да?") == ["Так...", "нажал.", "Телефон ввожу, да?"]
    # Whisper's words with their times are cut the same way
    words = tuple(Word(0.3 * n, 0.3 * n + 0.25, w, 0.9) for n, w in enumerate(said.split()))
    timed = Transcript("ru", 1.0, 4.0, (Segment(0.0, 3.0, said, words=words, channel=OPERATOR_CHANNEL),))
    assert [s.text for s in conversation(timed, Lemmatizer(), OPERATOR_CHANNEL).sentences] == sentences_of(said)


def test_a_response_time_said_with_the_registration_is_its_deadline_however_it_is_led_in(rules):
    """No «ответ придёт» is needed: the type's response time said in the registration's turn is the deadline."""
    told = verdict(rules, registration("Срок — пять рабочих дней."), "deadline_stated")
    assert told.verdict == "passed", told.reason
    assert any("пять рабочих дней" in e.quote for e in told.evidence)
