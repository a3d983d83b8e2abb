"""Redaction of personal data in text: every kind, as written and as read out, and numbers that are not PII."""
from __future__ import annotations

import random

import numpy as np
import pytest

from demo_calls import people, pii
from privacy.checksums import inn_valid, luhn_valid, snils_valid
from privacy.numbers import NUMBER_RUN, digit_groups
from privacy.redact import LABELS, redact_text


def kinds(text: str) -> list[str]:
    return [s.kind for s in redact_text(text).spans]


def test_check_digits_agree_with_the_generators():
    rng = random.Random(5)
    for _ in range(300):
        snils, inn, card = pii.make_snils(rng), pii.make_inn(rng, 77), pii.make_card(rng)
        assert snils_valid(pii.digits_of(snils)) and inn_valid(pii.digits_of(inn)) and luhn_valid(pii.digits_of(card))
    assert not snils_valid("18616507388")
    assert not inn_valid("762160213697")
    assert not luhn_valid("2200635139693715")


@pytest.mark.parametrize("spoken, digits", [
    ("восемь девятьсот семнадцать триста восемнадцать семьдесят шесть ноль ноль", "89173187600"),
    ("+7 906 856-49-91", "79068564991"),
    ("8 девятьсот шестнадцать 123 сорок пять шестьдесят семь", "89161234567"),
    ("восемь девять один шесть", "8916"),
])
def test_number_runs_read_digits_and_words(spoken, digits):
    runs = list(NUMBER_RUN.finditer(spoken))
    assert len(runs) == 1
    assert "".join(g.digits for g in digit_groups(runs[0].group())) == digits


@pytest.mark.slow
def test_phone_styles_of_the_generator_are_all_caught():
    rng = random.Random(11)
    for _ in range(60):
        phone = pii.make_mobile(rng)
        for style in ("digits", "by_digit", "groups"):
            text = f"Запишите мой номер: {pii.phone_spoken(phone, style)}, пожалуйста."
            out = redact_text(text)
            assert kinds(text) == ["phone"], (text, out)
            assert out.text == "Запишите мой номер: [телефон], пожалуйста."


@pytest.mark.parametrize("text, expected", [
    ("СНИЛС 186-165-073 87.", "СНИЛС [СНИЛС]."),
    ("Мой ИНН 7621 6021 3696, проверьте.", "Мой ИНН [ИНН], проверьте."),
    ("Паспорт 55 10 676936.", "Паспорт [паспорт]."),
    ("Серия пятьдесят пять десять, номер шестьсот семьдесят шесть девятьсот тридцать шесть.",
     "Серия [паспорт]."),
    ("Оплатил картой 2200 6351 3969 3714 вчера.", "Оплатил картой [карта] вчера."),
    ("Пишите: алексеева 96 собака джимейл точка ком.", "Пишите: [e-mail]."),
    ("Да, на почту ivan.petrov85@mail.ru.", "Да, на почту [e-mail]."),
    ("Прописка: город Пермь, улица Ленина, дом 40, квартира 181.", "Прописка: [адрес]."),
    ("Улица Гагарина, дом сорок два, квартира сто пять.", "[адрес]."),
    ("Григорьев Михаил Андреевич, 18 апреля 1973 года.", "[ФИО], [дата]."),
    ("меня зовут николаева вера юрьевна", "меня зовут [ФИО]"),
    ("Меня зовут Николаев Михаил Анатольевич, родился 19 августа 1976 года.", "Меня зовут [ФИО], родился [дата]."),
    ("Родилась тринадцатого марта тысяча девятьсот девяносто шестого года.", "Родилась [дата]."),
    ("Дата рождения 03.03.1985.", "Дата рождения [дата]."),
])
def test_each_kind_is_masked(text, expected):
    assert redact_text(text).text == expected


@pytest.mark.parametrize("text", [
    "Мне дали номер обращения 6042-5280, но ответа так и нет.",
    "Ответ придёт в течение 30 дней, пошлина 1500 рублей.",
    "Оплатил вчера в 14 30, сумма 2 300 рублей.",
    "Нажмите три, потом два, потом ноль.",
    "Продиктуйте, пожалуйста, номер. Соединяю со специалистом.",
    "Мне дали номер обращения 4512 3378 91, ответа нет.",
    "Стоимость 8 950 000 рублей, срок 13.05.",
    "Оставайтесь на связи, пожалуйста. Будьте на связи с нами. Это она сказала, а оператор она не видела.",
    "Операторы сейчас заняты, оператор перезвонит, специалисты ответят.",
    "Оператор заблокировал карту, операторы заняты, специалист по налогам в отпуске.",
    "На следующей неделе наследство оформила, наследили в подъезде, учёт в наличении через год.",
    "Собаки и кошки. Мне дали номер обращения 6042-5280.",
    "Мне дали номер 6042-5280. Зайдите на сайт госуслуги точка ру.",
    "Паспорт получил в 2019 году, а СНИЛС 12 лет назад, пошлина 1500000 рублей.",
    # the service an operator names, garbled by Whisper into what the tagger takes for a person
    "Здравствуйте, Сужба Поддержки-Госусук, разговор записывается.",
])
def test_ordinary_numbers_stay(text):
    assert redact_text(text).spans == ()
    assert redact_text(text).text == text


@pytest.mark.parametrize("text, expected", [
    # Whisper misheard a digit: the check fails, but the words before the number still say what it is
    ("СНИЛС 186-165-073 88.", "СНИЛС [СНИЛС]."),
    ("Карта 2200 6351 3969 3715 не проходит.", "Карта [карта] не проходит."),
    ("Паспор 59,930 – 1,800.", "Паспор [паспорт]."),
    # as Whisper writes dictated numbers and years
    ("Так, сейчас 4,106,193,648,09, да, жду.", "Так, сейчас [ИНН], да, жду."),
    ("Родился 2 декабря, 1,970 года.", "Родился [дата]."),
    ("Поглов Никита Николаевич. Родился 13 севраля 1,968 года.", "[ФИО]. Родился [дата]."),
    ("Меня зовут Либидев, Владимир Николаевич, родился тримай 1,970 года.", "Меня зовут [ФИО], родился [дата]."),
    # a request's name names the request's number, not a number dictated after it; a passport's series is no
    # number of its own
    ("Номер заявления 9,360789. Да, что? Хорошо, поняла. 1891621911523.",
     "Номер заявления 9,360789. Да, что? Хорошо, поняла. [карта]."),
    ("Серия и номер паспорта? Номер 60 при 0,565,484.", "Серия и номер паспорта? Номер 60 при [паспорт]."),
])
def test_misheard_numbers_are_masked_on_the_safe_side(text, expected):
    assert redact_text(text).text == expected


@pytest.mark.parametrize("text, expected", [
    # numbers: digits dotted, words run together, digits dropped from a phone
    ("Номер снию 222.0.0.365.593. Да, жду.", "Номер снию [СНИЛС]. Да, жду."),
    ("Восемь девятьсот восемьдесят пятьсчетыреста семьдесят один семнадцать девятнадцать.", "[телефон]."),
    ("Запишите, плюс 7,925,923. Спасибо.", "Запишите, [телефон]. Спасибо."),
    ("Понятно, спасибо. 8,957,1301. Понятно.", "Понятно, спасибо. [телефон]. Понятно."),
    ("Так сейчас, плюс 176.133.45.", "Так сейчас, [телефон]."),
    ("Не успецот 829-897-95.", "Не успецот [СНИЛС]."),
    # an e-mail whose «собака» Whisper cut short
    ("Да, на почту Павлово 50 собак, Рамбер.ру.", "Да, на почту [e-mail]."),
    ("Да, на почту вулкова 37.2 кг-мина точка ком.", "Да, на почту [e-mail]."),
    ("Пишите, Петров 72 с обакомой уточку ру.", "Пишите, [e-mail]."),
    # a document number that lost digits, after the document's name
    ("Романова Марина Викторовна, паспорт 63,36619.", "[ФИО], паспорт [паспорт]."),
    ("Сирия и номер 77, 182,198.", "Сирия и номер [паспорт]."),
    # names: lower case or garbled after an introduction, run into the word before
    ("Служба поддержки. На связи повел, чем могу помочь.", "Служба поддержки. На связи [ФИО], чем могу помочь."),
    ("Госуслуги, я операторально. Чем я могу вам помочь?", "Госуслуги, я [ФИО]. Чем я могу вам помочь?"),
    ("Опера Транна, чем могу помочь?", "[ФИО], чем могу помочь?"),
    ("здравствуйте, специалист татьяна. чем могу помочь?", "здравствуйте, специалист [ФИО]. чем могу помочь?"),
    ("Госуслуги. С вами Говоританно, обращаю ваше внимание.", "Госуслуги. С вами [ФИО], обращаю ваше внимание."),
    ("Портал госуслуг. С вами говорит она, чем могу помочь.", "Портал госуслуг. С вами говорит [ФИО], чем могу помочь."),
    ("Специалист отьяно. Подскажите, чем могу помочь?", "Специалист [ФИО]. Подскажите, чем могу помочь?"),
    ("Госудский, оператор повел для контроля качества разговор записывается.",
     "Госудский, оператор [ФИО] для контроля качества разговор записывается."),
    # «на связи» garbled into a made-up word, the name after it or run into it
    ("Горячая линия государству. Насляя деревина.", "Горячая линия государству. Насляя [ФИО]."),
    ("Контактный центр, нацлядя велена, разговор записывается.",
     "Контактный центр, нацлядя [ФИО], разговор записывается."),
    ("Да, наследенно.", "Да, [ФИО]."),
    # birth dates whose day or month Whisper garbled, or whose year it wrote in words
    ("Беляева Екатерина Анатольевна, в сейме октября 1,960 года.", "[ФИО], [дата]."),
    ("Иванова Юлия Олеговна, Рюлья Одна 1954 года.", "[ФИО], [дата]."),
    ("Дата рождения сеймгем варианта тысяча девятьсот восемьдесят два года.", "Дата рождения [дата]."),
    ("Егорова Ирина Анатолийна. Да, порождение 27,1,097 года.", "[ФИО]. Да, порождение [дата]."),
])
def test_asr_mishearings_are_masked(text, expected):
    assert redact_text(text).text == expected


def test_a_year_of_a_period_after_a_patronymic_is_no_birth_date():
    assert redact_text("Иван Петрович работает с 2015 года.").text == "[ФИО] работает с 2015 года."


def test_words_whisper_split_are_read_as_the_segment_joins_them():
    from asr.records import Segment, Transcript, Word
    from privacy.transcript import redact_transcript

    text = "Меня зовут Либидев, Владимир Николаевич, родился тримай 1,970 года, пошлина 2,300."
    tokens = ["Меня", "зовут", "Либидев,", "Владимир", "Николаевич,", "родился", "тримай", "1", ",970", "года,",
              "пошлина", "2", ",300."]
    words = tuple(Word(n * 0.4, n * 0.4 + 0.3, token, 0.9, 1) for n, token in enumerate(tokens))
    transcript = Transcript("ru", 0.99, 5.0, (Segment(0.0, 4.0, text, 1, words),))
    redacted, intervals = redact_transcript(transcript)
    assert [w.text for w in redacted.segments[0].words] == ["Меня", "зовут", "[ФИО],", "родился", "[дата],",
                                                            "пошлина", "2", ",300."]
    assert redacted.segments[0].text == "Меня зовут [ФИО], родился [дата], пошлина 2,300."
    assert [i.kind for i in intervals] == ["name", "date"]
    assert [(i.start_s, i.end_s) for i in intervals] == [pytest.approx((0.8, 1.9)), pytest.approx((2.4, 3.9))]


def test_spans_point_at_their_labels_and_count_the_original():
    caller = people.make_caller(random.Random(3))
    original = (f"Меня зовут {caller.full_name}, СНИЛС {caller.snils}, ИНН {caller.inn}, "
                f"телефон {caller.phone}, почта {caller.email}.")
    out = redact_text(original)
    assert [s.kind for s in out.spans] == ["name", "snils", "inn", "phone", "email"]
    for span in out.spans:
        assert out.text[span.start:span.end] == LABELS[span.kind]
    assert len(out.text) - sum(s.end - s.start for s in out.spans) + sum(s.original_len for s in out.spans) \
        == len(original)
    for secret in (caller.full_name, caller.snils, caller.inn, caller.phone, caller.email):
        assert secret not in out.text


def test_every_kind_has_a_label_and_the_storage_schema_knows_it():
    from pathlib import Path

    from kernel.pii import KINDS

    assert set(LABELS) == set(KINDS)
    schema = (Path(__file__).parents[1] / "storage" / "migrations").glob("*.sql")
    pii_table = next(t for t in (p.read_text(encoding="utf-8") for p in schema) if "CREATE TABLE pii_spans" in t)
    assert all(f"'{kind}'" in pii_table for kind in KINDS)


def test_bad_input_is_refused_and_empty_text_passes():
    with pytest.raises(TypeError):
        redact_text(None)  # type: ignore[arg-type]
    assert redact_text("   ").spans == ()


def test_masked_intervals_are_muted_on_their_channel():
    from privacy.audio import mute
    from privacy.transcript import PiiInterval

    rate = 8000
    stereo = np.ones((2, rate * 4), dtype=np.float32)
    muted = mute(stereo, rate, [PiiInterval(1.0, 2.0, "phone", 1)], margin_s=0.1)
    assert np.all(muted[0] == 1) and np.all(stereo == 1)  # the operator's channel and the input are untouched
    assert np.all(muted[1, int(0.9 * rate):int(2.1 * rate)] == 0)
    assert np.all(muted[1, :int(0.9 * rate) - 1] == 1) and np.all(muted[1, int(2.1 * rate) + 1:] == 1)
    mono = mute(np.ones(rate * 4, dtype=np.float32), rate, [PiiInterval(3.9, 5.0, "name", 1)], margin_s=0)
    assert mono[int(3.9 * rate):].max() == 0 and mono[:int(3.9 * rate)].min() == 1
    with pytest.raises(ValueError, match="channel 3"):
        mute(stereo, rate, [PiiInterval(1.0, 2.0, "name", 3)])


def dialogue(*turns: tuple[str, str]):
    """A stereo call as Whisper and diarization hand it over: one segment per turn, the operator on channel 1,
    the caller on channel 0, a word every 0.4 s and a second between turns."""
    from asr.records import Segment, Transcript, Word

    segments, at = [], 0.0
    for role, text in turns:
        channel = 1 if role == "operator" else 0
        words = tuple(Word(at + n * 0.4, at + n * 0.4 + 0.3, token, 0.9, channel, role)
                      for n, token in enumerate(text.split()))
        segments.append(Segment(at, words[-1].end, text, channel, words, role, role))
        at = words[-1].end + 1.0
    return Transcript("ru", 0.99, at, tuple(segments))


def texts(transcript) -> list[str]:
    return [s.text for s in transcript.segments]


def without_roles(transcript):
    from dataclasses import replace

    return replace(transcript, segments=tuple(replace(s, role=None) for s in transcript.segments))


@pytest.mark.parametrize("request_, answer, expected, kind", [
    ("Назовите, пожалуйста, ваши фамилию, имя, отчество.", "Да, конечно. Восили в Митриюревич.",
     "Да, конечно. [ФИО].", "name"),
    ("Ответ прислать на электронную почту? Продиктуйте, пожалуйста, адрес.",
     "Пишите. Кузьмина 37 к обатому и уточку ру.", "Пишите. [e-mail].", "email"),
    ("Какой номер телефона указать для обратной связи?", "Восемь велица 1561743.", "[телефон].", "phone"),
    # Whisper garbled the operator's «номер СНИЛС» too
    ("Спасибо, ему мерзнил, пожалуйста.", "Так, сейчас. 6997,0 и 3 -500 кем-битых 9.",
     "Так, сейчас. [СНИЛС].", "snils"),
    ("Спасибо. И номер снив. Пожалуйста.", "Так, сейчас, в вертишем 99434, в прошлом 10,99.",
     "Так, сейчас, [СНИЛС].", "snils"),
])
def test_the_callers_answer_to_an_identification_request_is_masked_whatever_whisper_wrote(
        request_, answer, expected, kind):
    from privacy.transcript import redact_transcript

    call = dialogue(("operator", request_), ("caller", answer))
    assert texts(redact_transcript(without_roles(call))[0])[1] != expected  # the text rules alone miss it
    redacted, intervals = redact_transcript(call)
    assert texts(redacted) == [request_, expected]
    assert kind in {i.kind for i in intervals} and all(i.channel == 0 for i in intervals)


def test_an_answer_whisper_wrote_no_words_for_is_muted_on_the_callers_channel():
    from dataclasses import replace

    from privacy.transcript import redact_transcript

    # Whisper heard only «Нет,» of the dictated phone: the audio up to the operator's next words still holds it
    call = dialogue(("operator", "Какой номер телефона указать для обратной связи?"), ("caller", "Нет,"),
                    ("operator", "Ваше обращение зарегистрировано."))
    request_end, next_words = call.segments[0].words[-1].end, call.segments[2].words[0].start
    redacted, intervals = redact_transcript(call)
    assert texts(redacted) == texts(call)
    assert [(i.start_s, i.end_s, i.kind, i.channel) for i in intervals] == [(request_end, next_words, "phone", 0)]
    assert redact_transcript(without_roles(call))[1] == ()
    # nor does a lone word of the operator's with a long pause after it: Whisper timed the sentence's «Я» early
    lone = dialogue(("operator", "Какой номер телефона указать для обратной связи?"), ("operator", "Я"),
                    ("caller", "Нет,"), ("operator", "зарегистрировал ваше обращение."))
    rest = lone.segments[3]
    late = replace(rest, start=rest.start + 6, end=rest.end + 6,
                   words=tuple(replace(w, start=w.start + 6, end=w.end + 6) for w in rest.words))
    lone = replace(lone, duration_s=lone.duration_s + 6, segments=lone.segments[:3] + (late,))
    assert [(i.start_s, i.end_s, i.channel) for i in redact_transcript(lone)[1]] == [
        (lone.segments[0].words[-1].end, late.start, 0)]
    # a sentence that names a document but asks nothing leaves the caller's reply audible
    told = dialogue(("operator", "По вашему заявлению нужен запрос в отдел, который оформляет паспорт."),
                    ("caller", "Нет,"), ("operator", "Извините за неудобство."))
    assert redact_transcript(told)[1] == ()
    # an operator who goes on after a moment's pause left no time for an answer, and a spoken answer is masked
    # as such, its stretch alone
    assert redact_transcript(dialogue(("operator", "Какой номер телефона указать? Ваше обращение принято.")))[1] == ()
    answered = dialogue(("operator", "Какой номер телефона указать для обратной связи?"),
                        ("caller", "Восемь велица 1561743."), ("operator", "Ваше обращение зарегистрировано."))
    assert [(i.start_s, i.kind) for i in redact_transcript(answered)[1]] == [(answered.segments[1].start, "phone")]


def test_the_complaint_after_the_identification_and_the_operators_words_stay():
    from privacy.transcript import redact_transcript

    call = dialogue(
        ("operator", "Продиктуйте, пожалуйста, фамилию, имя, отчество и дату рождения."),
        ("caller", "Восили в Митриюревич, одиннадцатое мартобря. У меня третий месяц не приходит пособие на ребёнка."),
        ("operator", "Возьмите с собой паспорт и СНИЛС."),
        ("caller", "Понял. Окно номер пять."),
    )
    redacted, intervals = redact_transcript(call)
    assert texts(redacted) == [
        "Продиктуйте, пожалуйста, фамилию, имя, отчество и дату рождения.",
        "[ФИО], [дата]. У меня третий месяц не приходит пособие на ребёнка.",
        "Возьмите с собой паспорт и СНИЛС.",  # advice, not a request: the caller's reply is no answer
        "Понял. Окно номер пять.",
    ]
    assert [i.kind for i in intervals] == ["name", "date"]


def test_a_wrong_dialogue_cue_names_the_file_and_field(tmp_path):
    from privacy.dialogue_cues import CuesError, cues_path, load_cues

    text = cues_path().read_text(encoding="utf-8")
    for original, broken, field in [("your: '\\bваш'", "your: '(ваш'", "field 'your'"),
                                    ("    budget: 4", "    budget: four", "kind 'name' field 'budget'"),
                                    ("    numeric: true", "    numeric: 1", "kind 'date' field 'numeric'"),
                                    ("spelled_budget: 25", "spelled_budgets: 25", "unknown field(s) spelled_budgets")]:
        path = tmp_path / "cues.yaml"
        path.write_text(text.replace(original, broken, 1), encoding="utf-8")
        with pytest.raises(CuesError) as error:
            load_cues(path)
        assert str(path) in str(error.value) and field in str(error.value)
