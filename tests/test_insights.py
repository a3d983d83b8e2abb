"""Insights on real components: the packaged encoder, pymorphy3 and the `holidays` calendar; no mocks."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pymorphy3
import pytest

from insights import encoder
from insights.catalogue import CatalogueError, load_catalogue, parse_catalogue
from insights.clustering import assign_new, recluster
from insights.complaints import call_context, extract_complaint
from insights.deadlines import (COMPLEX, DOCUMENTS, SIMPLE, add_working_days, deadline_status, due_at, extend,
                                find_request, requests_needing_attention)
from insights.labels import document_frequency, label_cluster
from insights.numbers import numbers_said
from insights.records import CallText, ProblemCall, Request, Utterance
from insights.repeats import RepeatSettings, find_repeats, quotes_request_of, resolution_rates
from insights.topics import (OTHER, OUT_OF_SCOPE, assign_topics, build_classifier, is_misrouted, misrouting_by_branch,
                             topic_of)
from insights.trends import cluster_trends
from kernel.language import is_dictionary_word
from kernel.roles import CALLER, OPERATOR

MSK = timezone(timedelta(hours=3))


def call(call_id: str, *lines: tuple[str | None, str], at: datetime = datetime(2025, 3, 3, 10, tzinfo=MSK),
         caller: str = "c1", branch: int | None = 2) -> CallText:
    return CallText(call_id, at, caller, "op-1", branch,
                    tuple(Utterance(float(n), text, role) for n, (role, text) in enumerate(lines)))


# --- complaint extraction ---------------------------------------------------------------------------------------

def test_extraction_keeps_the_problem_and_drops_greetings_and_identification():
    c = extract_complaint(call(
        "a",
        (OPERATOR, "Здравствуйте, горячая линия госуслуг, меня зовут Анна. Чем могу помочь?"),
        (CALLER, "Алло, здравствуйте. Не могу войти в личный кабинет, код из смс не приходит."),
        (OPERATOR, "Назовите, пожалуйста, фамилию, имя, отчество и дату рождения."),
        (CALLER, "Петрова Анна Сергеевна, двенадцатое марта тысяча девятьсот восемьдесят пятого года."),
        (OPERATOR, "И номер СНИЛС, пожалуйста."),
        (CALLER, "СНИЛС 123-456-789 01."),
    ))
    assert c.text == "Не могу войти в личный кабинет, код из смс не приходит."
    assert not c.refers_to_earlier_call


def test_extraction_sets_the_earlier_call_apart_and_skips_the_ivr_remark():
    c = extract_complaint(call(
        "b",
        (OPERATOR, "Добрый день, служба поддержки госуслуг."),
        (CALLER, "Я уже звонила вчера по этому же вопросу. Пенсию так и не пересчитали после увольнения. "
                 "Я, наверное, не ту кнопку в меню нажала."),
    ))
    assert c.text == "Пенсию так и не пересчитали после увольнения."
    assert c.refers_to_earlier_call


def test_a_run_on_sentence_loses_only_its_ivr_remark():
    # as recognition ran a mono call's opening statement into one sentence
    c = extract_complaint(call(
        "i",
        (OPERATOR, "Доброе утро, единый контактный центр госуслуг, подскажите, чем могу помочь."),
        (CALLER, "Здравствуйте, заявление на замену водительского удостоверения отклонили, написали несоответствие "
                 "данных, не знала, какую цифру выбрать, нажала первую попавшуюся."),
    ))
    assert "заявление на замену водительского удостоверения отклонили, написали несоответствие данных" in c.text
    assert "цифру" not in c.text


def test_an_english_callers_request_for_english_is_not_the_complaint():
    # as independent dialogue d17 goes: the first turn only asks for the language, the problem comes after
    c = extract_complaint(call(
        "en",
        (OPERATOR, "Добрый день, горячая линия Госуслуг. Чем помочь?"),
        (CALLER, "Hello... sorry, do you speak English? My Russian is, um, not so good."),
        (OPERATOR, "Yes, of course, we can talk in English. What's your question?"),
        (CALLER, "Thank you! My Russian passport expires in December. Can I renew it through Gosuslugi from Toronto?"),
    ))
    assert c.text == "My Russian passport expires in December. Can I renew it through Gosuslugi from Toronto?"
    assert topic_of(c.text)[0] == "passport_documents"


def test_a_request_for_english_run_into_the_problem_leaves_the_problem():
    c = extract_complaint(call(
        "en2",
        (OPERATOR, "Госуслуги, горячая линия, здравствуйте!"),
        (CALLER, "Hi, hello. Sorry — English? My account is not confirmed, I need to go to a centre, which one?"),
    ))
    assert c.text == "My account is not confirmed, I need to go to a centre, which one?"
    russian = extract_complaint(call(
        "ru", (OPERATOR, "Госуслуги, здравствуйте."),
        (CALLER, "Извините, я плохо говорю по-русски. Мне не приходит код на новый номер телефона."),
    ))
    assert russian.text == "Мне не приходит код на новый номер телефона."


@pytest.mark.parametrize("original, broken, said", [
    ("consent: '\\bсоглас", "consent: '(соглас", ("field 'consent': not a valid regular expression",)),
    ("greetings: [", "greeting: [", ("unknown field(s) greeting",)),
    # YAML reads a bare yes as true
    ("ok, okay, 'yes'", "ok, okay, yes", ("field 'small_talk'[", "must be non-empty text, got True")),
])
def test_a_wrong_complaint_cue_names_the_file_and_field(tmp_path, original, broken, said):
    from insights.complaint_cues import ComplaintCuesError, complaint_cues_path, load_complaint_cues

    text = complaint_cues_path().read_text(encoding="utf-8")
    assert original in text
    path = tmp_path / "cues.yaml"
    path.write_text(text.replace(original, broken, 1), encoding="utf-8")
    with pytest.raises(ComplaintCuesError) as error:
        load_complaint_cues(path)
    assert str(path) in str(error.value) and all(part in str(error.value) for part in said)


def test_a_run_on_sentence_loses_only_the_words_about_the_earlier_call():
    c = extract_complaint(call(
        "g",
        (OPERATOR, "Здравствуйте, контактный центр, оператор Александр, чем могу помочь?"),
        (CALLER, "Я уже звонил 4 дня назад, по этому же вопросу дали номер обращения 7,7674668, но ответа так и нет "
                 "срок моей электронной подписи закончился, а в личном кабинете пишут, что она действующая."),
    ))
    assert c.refers_to_earlier_call
    assert c.text == "но срок моей электронной подписи закончился, а в личном кабинете пишут, что она действующая."


def test_garbled_words_about_the_earlier_call_still_mark_it():
    # as recognition wrote «я уже звонила три дня назад по этому же вопросу» and «вопрос всё тот же»
    garbled = extract_complaint(call(
        "h",
        (OPERATOR, "Добрый день, горячая линия госуслуг, подскажите, чем могу помочь?"),
        (CALLER, "Да, здравствуйте. Я уже два мило три дня назад, поэтому уже вопросу. "
                 "Пришло уведомление, что мой сертификат электронной подписи отозван."),
    ))
    assert garbled.refers_to_earlier_call
    # the garbled «звонила» is no cue, so its clause stays; the cue itself goes
    assert garbled.text == ("Я уже два мило три дня назад, "
                            "Пришло уведомление, что мой сертификат электронной подписи отозван.")
    assert extract_complaint(call("i", (CALLER, "Я вчера вам звонила, вопрос все-то тоже. Адрес в профиле старый."))
                             ).refers_to_earlier_call
    # a first call speaks of the agency's promise and of trying again, not of an earlier call
    first = extract_complaint(call("j", (CALLER, "Что с моим заявлением? Обещали ответ за десять рабочих дней. "
                                                 "Код запрашивала повторно, всё равно не приходит.")))
    assert not first.refers_to_earlier_call


def test_a_silent_line_has_no_complaint():
    c = extract_complaint(call("c", (OPERATOR, "Алло, вас не слышно. Говорите, пожалуйста."), (CALLER, "Алло.")))
    assert c.text == ""


def test_without_roles_the_operator_script_is_skipped():
    c = extract_complaint(call(
        "d",
        (None, "Здравствуйте, горячая линия госуслуг, оператор Ольга, чем могу помочь?"),
        (None, "Здравствуйте. Мне начислили налог за машину, которую я давно продал."),
    ))
    assert c.text == "Мне начислили налог за машину, которую я давно продал."


def test_a_question_with_a_request_number_is_a_complaint_not_identification():
    c = extract_complaint(call(
        "e",
        (OPERATOR, "Здравствуйте, разговор записывается. Чем могу помочь?"),
        (CALLER, "Подскажите, что с моим заявлением, номер 5586 9351 47. Обещали ответ через неделю."),
    ))
    assert c.text.startswith("Подскажите, что с моим заявлением")


def test_the_call_context_keeps_the_operators_answer_and_drops_the_routine():
    context = call_context(call(
        "f",
        (OPERATOR, "Здравствуйте, горячая линия госуслуг, оператор Ирина, чем могу помочь?"),
        (CALLER, "Что за бронфаспорт уже полтора месяца?"),
        (OPERATOR, "Теперь серию и номер паспорта, пожалуйста. Оставьте номер телефона для связи."),
        (CALLER, "Серия 4510 номер 123456."),
        (OPERATOR, "Я вижу ваше заявление на загранпаспорт, оно ждёт проверки."),
        (OPERATOR, "Вам придёт смс с коротким опросом, пожалуйста, оцените мою работу."),
    ))
    assert context == "Что за бронфаспорт уже полтора месяца? Я вижу ваше заявление на загранпаспорт, оно ждёт проверки."


# --- topics and routing ---------------------------------------------------------------------------------------

PARAPHRASES = {  # written for this test, not by the call generator
    "restore_access": "Третий день не получается зайти на портал, пароль вроде верный, а пишет что неверный.",
    "application_status": "Месяц назад отправил заявление, а оно всё висит на рассмотрении в ведомстве.",
    "passport_documents": "У меня истекает срок паспорта, как его заменить?",
    "benefits_pensions": "В этом месяце мне не перечислили пенсию по старости.",
    "contact_data_change": "Мне нужно поменять адрес электронной почты в профиле.",
    "service_centre_appointment": "На сайте МФЦ нет свободных окон для записи на приём.",
    "taxes_fines": "Пришло требование заплатить штраф ГИБДД, хотя я его давно оплатил.",
    "electronic_signature": "Госключ не даёт подписать заявление, выдаёт ошибку сертификата.",
}


@pytest.mark.slow
def test_topics_of_paraphrases():
    topics = list(PARAPHRASES)
    texts = [PARAPHRASES[t] for t in topics]
    catalogue = load_catalogue()
    assert not set(texts) & {e for t in catalogue.topics.values() for e in t.examples}  # never in the YAML
    assigned = assign_topics(topics, texts, encoder.embed(texts))
    assert [a.topic for a in assigned] == topics
    assert all(a.keywords for a in assigned)  # every verdict names its evidence


@pytest.mark.slow
@pytest.mark.parametrize("complaint", [
    "Во дворе на въезде такая яма, что я вчера колесо пробил, дорожники не приезжают.",
    "За отопление насчитали в два раза больше, чем в прошлом году, а батареи еле тёплые.",
    "Возле речки кто-то устроил свалку строительного мусора.",
    # «адрес», «решение», «очередь» belong to hotline topics too: the words alone must not decide
    "Управляющая компания не может принять решение по ремонту подъезда, хотя жильцы по этому адресу в очереди "
    "на капремонт пятый год.",
])
def test_a_complaint_outside_the_portal_is_out_of_scope(complaint):
    assert topic_of(complaint)[0] == OUT_OF_SCOPE


@pytest.mark.slow
@pytest.mark.parametrize("complaint", [
    "Подскажите, как через портал заказать повторное свидетельство о браке?",
    "Где на госуслугах подать заявление, чтобы сына поставили на воинский учёт?",
    "Как мне через госуслуги оформить права на управление катером?",
])
def test_a_portal_service_the_catalogue_has_no_topic_for_is_other(complaint):
    assert topic_of(complaint)[0] == OTHER


@pytest.mark.slow
@pytest.mark.parametrize("complaint", [
    "Банк без предупреждения заблокировал мне карту, в их поддержке никто не отвечает.",
    "Извините, это ветеринарная клиника? Мне собаку записать.",
])
def test_a_matter_of_a_bank_or_a_wrong_number_is_out_of_scope(complaint):
    assert topic_of(complaint)[0] == OUT_OF_SCOPE


@pytest.mark.slow
@pytest.mark.parametrize("gibberish", ["кракозябра шмурдяк трымпыр", "ээ мм а", ""])
def test_gibberish_is_other(gibberish):
    assert topic_of(gibberish)[0] == OTHER


@pytest.mark.slow
def test_a_relabel_teaches_the_classifier_a_similar_complaint():
    # the catalogue has no example of a sanatorium voucher; an analyst files one under benefits
    relabelled = "Как получить льготную путёвку в санаторий для ветерана через портал?"
    similar = "Где на госуслугах оформить бесплатную путёвку в санаторий ветерану труда?"
    before = topic_of(similar)[0]
    assert before != "benefits_pensions"
    taught = build_classifier(relabels=[(relabelled, "benefits_pensions")])
    assert topic_of(similar, taught)[0] == "benefits_pensions"
    # and it is a pure function: the default classifier is untouched
    assert topic_of(similar)[0] == before


def test_a_relabel_to_a_topic_the_catalogue_lacks_is_refused():
    with pytest.raises(ValueError, match="no_such_topic"):
        build_classifier(relabels=[("жалоба", "no_such_topic")])


def test_branch_fit_comes_from_the_catalogue():
    assert is_misrouted("restore_access", 4) is False and is_misrouted("taxes_fines", 1) is True
    assert is_misrouted(OTHER, 1) is None and is_misrouted("a topic no longer listed", 1) is None


CATALOGUE = """
version: 1
classifier: {regularisation: 10, threshold: 0.3, min_similarity: 0.25, context_weight: 0.3, relabel_weight: 3}
ivr_branches: {1: общие вопросы, 2: личный кабинет}
topics:
  restore_access: {name: доступ, name_en: access, branches: [2], examples: [Не могу войти.]}
  other: {name: другое, name_en: other, branches: [], examples: [Как записать ребёнка в школу]}
  out_of_scope: {name: вне портала, name_en: outside, branches: [1], examples: [Во дворе яма.]}
"""


@pytest.mark.parametrize("change, message", [
    (("branches: [2]", "branches: [7]"), "topic 'restore_access' field 'branches': no IVR branch 7"),
    (("examples: [Не могу войти.]", "examples: []"), "topic 'restore_access' field 'examples': must be a non-empty"),
    (("threshold: 0.3", "threshold: 3"), "classifier field 'threshold': must be a number between 0.0 and 1.0"),
    (("name: доступ, ", ""), "topic 'restore_access': missing field(s) name"),
    (("name: доступ", "nmae: доступ"), "topic 'restore_access': unknown field(s) nmae"),
    (("  out_of_scope:", "  outside:"), "topic 'out_of_scope' is missing"),
    (("version: 1", "version: [1"), "not valid YAML"),
])
def test_a_malformed_catalogue_names_the_file_and_the_field(change, message):
    assert parse_catalogue(CATALOGUE, source="topics.yaml").topics["restore_access"].branches == {2}
    with pytest.raises(CatalogueError) as error:
        parse_catalogue(CATALOGUE.replace(*change), source="topics.yaml")
    assert str(error.value).startswith("topics.yaml: ") and message in str(error.value)


def test_an_unreadable_catalogue_names_the_file(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read topic catalogue .*missing.yaml"):
        load_catalogue(tmp_path / "missing.yaml")


def test_misrouting_rate_per_branch():
    routed = [("restore_access", 2), ("restore_access", 4), ("taxes_fines", 1), ("passport_documents", 1),
              ("benefits_pensions", 2), ("other", 1), ("taxes_fines", None)]
    rates = {r.ivr_branch: (r.calls, r.misrouted) for r in misrouting_by_branch(routed)}
    assert rates == {1: (2, 1), 2: (2, 1), 4: (1, 0)}  # 'other' and a missing branch cannot be judged


# --- clustering -----------------------------------------------------------------------------------------------

ACCESS = ["Не могу войти в личный кабинет, пишет ошибку авторизации.",
          "Не получается зайти на госуслуги, пароль не подходит.",
          "Забыл пароль от госуслуг, восстановить не могу.", "Код для входа в кабинет не приходит по смс."]
PENSION = ["Мне не пересчитали пенсию после увольнения.", "Пенсия пришла меньше, чем в прошлом месяце.",
           "Как получить справку о размере пенсии?", "Не учли стаж при назначении пенсии."]
FINES = ["Оплатил штраф ГИБДД, а он всё ещё висит.", "Штраф за превышение скорости оплачен, но не погашен.",
         "Пришёл штраф, который я уже оплатил со скидкой.", "На портале висит неоплаченный штраф, хотя я заплатил."]


@pytest.mark.slow
def test_cluster_ids_are_kept_when_new_calls_arrive_and_on_a_full_recluster():
    texts = ACCESS[:3] + PENSION[:3]
    first, assignments = recluster([f"a{i}" for i in range(6)], encoder.embed(texts), count=2)
    ids = {a.call_id: a.cluster_id for a in assignments}
    assert ids["a0"] == ids["a1"] == ids["a2"] != ids["a3"] == ids["a4"] == ids["a5"]

    new_texts = [ACCESS[3], PENSION[3], *FINES]
    changed, new = assign_new([f"n{i}" for i in range(6)], encoder.embed(new_texts), first)
    got = {a.call_id: a.cluster_id for a in new}
    assert got["n0"] == ids["a0"] and got["n1"] == ids["a3"]  # joined the clusters they belong to
    fines = {got[f"n{i}"] for i in range(2, 6)}
    assert len(fines) == 1 and fines.isdisjoint(ids.values())  # a new problem opens one new cluster
    assert {c.cluster_id for c in changed} == set(got.values())

    everything = texts + new_texts
    clusters = {c.cluster_id: c for c in first}
    clusters.update({c.cluster_id: c for c in changed})
    _, again = recluster([f"a{i}" for i in range(6)] + [f"n{i}" for i in range(6)], encoder.embed(everything),
                         previous=list(clusters.values()), count=3)
    again_ids = {a.call_id: a.cluster_id for a in again}
    assert again_ids["a0"] == ids["a0"] and again_ids["a3"] == ids["a3"] and again_ids["n2"] == got["n2"]


@pytest.mark.slow
def test_a_cluster_label_shows_only_dictionary_words():
    # as recognition heard «сертификат подписи» and «через портал» in one cluster's calls, the same way each time
    garbled = ["Фертификат подписья отозвали, не могу подписать договор.",
               "Пишет фертификат подписья недействителен, черепить через портал не выходит.",
               "Фертификат подписья истёк, отмутро подписать заявление не получается.",
               "Черепить заявление не могу, фертификат подписья отозван."]
    texts = garbled + ACCESS + PENSION
    vectors = encoder.embed(texts)
    centroid = vectors[:len(garbled)].mean(axis=0)
    label = label_cluster(1, garbled, vectors[:len(garbled)], centroid / np.linalg.norm(centroid),
                          document_frequency(texts))
    assert label.keywords and "подписать" in label.keywords
    assert all(is_dictionary_word(word) and pymorphy3.MorphAnalyzer().word_is_known(word) for word in label.keywords)
    assert not {"фертификат", "подписья", "черепить", "отмутро"} & set(label.keywords)


def test_emerging_cluster_is_the_one_that_grows():
    monday = datetime(2025, 3, 3, 12, tzinfo=MSK)
    calls = [(1, monday + timedelta(weeks=w, days=d)) for w in range(5) for d in range(2)]  # steady: 2 a week
    calls += [(2, monday + timedelta(weeks=4, hours=h)) for h in range(5)]  # 5 in the latest week, none before
    trends = {t.cluster_id: t for t in cluster_trends(calls, until=monday + timedelta(weeks=4, days=3))}
    assert [n for _, n in trends[1].weeks] == [2, 2, 2, 2, 2] and not trends[1].emerging
    assert trends[2].emerging and trends[2].latest == 5


# --- repeat calls ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_repeat_call_window_edges_and_other_problems():
    v = encoder.embed([ACCESS[0], ACCESS[1], FINES[0]])
    start = datetime(2025, 3, 3, 10, tzinfo=MSK)
    calls = [
        ProblemCall("first", "c1", start, "op-1", "restore_access", v[0]),
        ProblemCall("six_days", "c1", start + timedelta(days=6), "op-2", "restore_access", v[1]),
        ProblemCall("other_problem", "c1", start + timedelta(days=6, hours=1), "op-2", "taxes_fines", v[2]),
        ProblemCall("x_first", "c2", start, "op-1", "restore_access", v[0]),
        ProblemCall("eight_days", "c2", start + timedelta(days=8), "op-1", "restore_access", v[1]),
    ]
    links = {link.call_id: link.repeat_of for link in find_repeats(calls)}
    assert links == {"six_days": "first"}
    # the window is a setting
    assert {link.call_id for link in find_repeats(calls, RepeatSettings(window=timedelta(days=9)))} == {
        "six_days", "eight_days"}

    rates = {r.group: r for r in resolution_rates(calls, find_repeats(calls), "operator",
                                                    as_of=start + timedelta(days=30))}
    assert (rates["op-2"].calls, rates["op-2"].repeats) == (2, 1)
    # op-1 took first, x_first, eight_days; only `first` was followed by a repeat
    assert rates["op-1"].first_calls == 3 and rates["op-1"].first_call_resolution == pytest.approx(2 / 3)


def problem_calls(calls: list[CallText]) -> list[ProblemCall]:
    """Calls as repeat detection sees them, each step the real one: complaint, embedding, topic, request."""
    complaints = [extract_complaint(c) for c in calls]
    vectors = encoder.embed([c.text for c in complaints])
    topics = assign_topics([c.call_id for c in calls], [c.text for c in complaints], vectors,
                           [call_context(c) for c in calls])
    requests = [find_request(c.call_id, c.utterances, c.started_at, t.topic, p.text)
                for c, p, t in zip(calls, complaints, topics)]
    return [ProblemCall(c.call_id, c.caller_id, c.started_at, c.operator_id, t.topic, v, p.refers_to_earlier_call,
                        r.number if r else None, numbers_said(c.utterances))
            for c, p, t, v, r in zip(calls, complaints, topics, vectors, requests)]


@pytest.mark.slow
def test_a_quoted_request_number_links_a_repeat_the_words_do_not():
    start = datetime(2025, 3, 3, 10, tzinfo=MSK)
    greeting = (OPERATOR, "Здравствуйте, горячая линия госуслуг, оператор Ирина, чем могу помочь?")
    calls = problem_calls([
        call("first", greeting, (CALLER, "Мне не пришло единое пособие на ребёнка за этот месяц."),
             (OPERATOR, "Я зарегистрировала ваше обращение под номером 4821-7730, ответ придёт в течение десяти "
                        "рабочих дней."),
             (CALLER, "Спасибо, записываю. Мой телефон 8 912 345-67-89."), at=start),
        # no word about the earlier call and nothing of the problem's words: only the number, heard a digit short
        call("rings_back", greeting, (CALLER, "Здравствуйте, мне дали номер 4,821-730."),
             (CALLER, "Скажите, что там с моим вопросом, до сих пор никто не ответил."), at=start + timedelta(days=3)),
        # the same caller's other problem, with the same phone number and an application number
        call("other_problem", greeting, (CALLER, "Не могу войти в личный кабинет, пишет ошибку авторизации."),
             (CALLER, "Телефон 8 912 345-67-89, номер заявления 5586 9351 47."), at=start + timedelta(days=4)),
    ])
    first, rings_back, other = calls
    assert first.request_number == "48217730" and rings_back.numbers_said == ("4821730",)
    assert not rings_back.refers_to_earlier_call and rings_back.topic != first.topic
    assert {link.call_id: link.repeat_of for link in find_repeats(calls)} == {"rings_back": "first"}
    # without the number nothing ties the two calls
    assert find_repeats([first, replace(rings_back, numbers_said=()), other]) == []


def test_a_request_number_is_quoted_with_a_digit_or_two_wrong_but_not_a_different_one():
    earlier = ProblemCall("e", "c1", datetime(2025, 3, 3, tzinfo=MSK), None, "other", np.zeros(1),
                          request_number="77674608")

    def quoting(*numbers: str) -> ProblemCall:
        return replace(earlier, call_id="l", request_number=None, numbers_said=numbers)
    assert quotes_request_of(quoting("7767468"), earlier)  # a digit lost
    assert quotes_request_of(quoting("2491986315776746681"), earlier)  # one changed, run into the next number
    assert not quotes_request_of(quoting("77614201", "89123456789"), earlier)
    assert not quotes_request_of(quoting("4608"), replace(earlier, request_number="4608"))  # too short to tell


# --- deadlines ------------------------------------------------------------------------------------------------

def test_working_days_skip_the_new_year_holidays():
    # 31 December 2024 is a day off (moved from Sunday 5 January) and 1-8 January 2025 are holidays, so the five
    # working days after Monday 30 December are 9, 10, 13, 14 and 15 January
    assert add_working_days(date(2024, 12, 30), 5) == date(2025, 1, 15)
    registered = datetime(2024, 12, 30, 15, 0, tzinfo=MSK)
    assert due_at(registered, DOCUMENTS) == datetime(2025, 1, 15, 23, 59, 59, tzinfo=MSK)


def test_a_transferred_saturday_is_a_working_day():
    # 1 November 2025 is a Saturday worked instead of Monday 3 November (decree on transferred days)
    assert add_working_days(date(2025, 10, 31), 1) == date(2025, 11, 1)
    assert add_working_days(date(2025, 11, 1), 1) == date(2025, 11, 5)  # 3rd: day off, 4th: Unity Day


def test_deadlines_over_a_weekend_and_by_request_type():
    friday = datetime(2025, 3, 14, 17, 30, tzinfo=MSK)
    assert due_at(friday, SIMPLE) == friday + timedelta(hours=24)  # a simple question: 24 hours, calendar time
    assert due_at(friday, DOCUMENTS).date() == date(2025, 3, 21)
    assert due_at(friday, COMPLEX).date() == date(2025, 3, 28)
    request = Request("call-1", "12345678", COMPLEX, friday, due_at(friday, COMPLEX))
    extended = extend(request)
    assert extended.due_at.date() == add_working_days(friday.date(), 30)
    with pytest.raises(ValueError, match="already extended"):
        extend(extended)


def test_due_soon_and_overdue():
    registered = datetime(2025, 3, 10, 9, tzinfo=MSK)
    soon = Request("soon", None, SIMPLE, registered, due_at(registered, SIMPLE))
    earlier = registered - timedelta(days=14)
    late = Request("late", None, DOCUMENTS, earlier, due_at(earlier, DOCUMENTS))
    done = Request("done", None, DOCUMENTS, registered - timedelta(days=14), late.due_at, closed_at=registered)
    now = registered + timedelta(hours=2)
    assert deadline_status(done, now) == "closed"
    due_soon, overdue = requests_needing_attention([soon, late, done], now)
    assert [r.call_id for r in due_soon] == ["soon"] and [r.call_id for r in overdue] == ["late"]


def test_a_registered_request_is_found_with_its_number_and_type():
    c = call("r", (CALLER, "Мне пришло уведомление о неоплаченном штрафе, хотя я его оплатил."),
             (OPERATOR, "Ваше обращение зарегистрировано под номером 4821-7730. "
                        "Срок рассмотрения до десяти рабочих дней."),
             (CALLER, "Мне дали номер обращения 1111-2222."))
    request = find_request(c.call_id, c.utterances, c.started_at, "taxes_fines", extract_complaint(c).text)
    assert request is not None and request.number == "48217730" and request.request_type == COMPLEX
    assert find_request("n", (Utterance(0.0, "Мне дали номер обращения 1111-2222.", CALLER),), c.started_at,
                        "taxes_fines", "") is None
