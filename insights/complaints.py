"""The caller's own statement of the problem, cut out of a call transcript.

A call opens with the operator's script, the caller's greeting and, later, identification data; none of that
says what the problem is, and all of it is alike across calls, so it would pull unrelated complaints together.
The statement is the caller's first substantive turn, sentence by sentence, without greetings, names, dates
and document numbers, consent, remarks about the IVR menu, thanks, or the words about an earlier call (those
are kept as a flag: they mark a repeat call, not a kind of problem).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from insights.lemmas import content_lemmas
from insights.records import CallText, Complaint, Utterance
from kernel.language import is_numeral, is_personal_name, words
from kernel.roles import CALLER

# a statement this long is complete: further caller turns are answers to the operator's questions
ENOUGH_CONTENT_WORDS = 4
# on a long monologue the first sentences say what the problem is; the rest is detail
MAX_CONTENT_WORDS = 45

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_NUMBER_GROUPS = re.compile(r"\d+")

_GREETING_WORDS = frozenset(
    "здравствуйте здравствуй алло добрый доброе день вечер утро да привет слушаю девушка".split())
_SMALL_TALK_WORDS = frozenset(
    """спасибо большое благодарю до свидания всего доброго хорошо понятно ясно ага угу так да нет ладно конечно
    записываю записал записала жду ок окей сейчас минуту секунду всё все это больше ничего понял поняла""".split())
_IDENTITY_CUES = re.compile(
    r"(меня зовут|фамили|дата рождения|родил(ся|ась)|года рождения|снилс|инн\b|серия|номер паспорта|паспорт\s+\d"
    r"|прописка|адрес регистрации|номер заявления\s*\d|почта\s|собака)", re.IGNORECASE)
_CONSENT = re.compile(r"\bсоглас(ен|на|ны|ие|ен\.)", re.IGNORECASE)
_IVR_REMARK = re.compile(
    r"(кнопк|цифр|меню|пункт)\w*\W+(\w+\W+){0,3}?(нажал|выбра)"
    r"|(нажал|выбра)\w*\W+(\w+\W+){0,3}?(кнопк|цифр|меню|пункт)",
    re.IGNORECASE)
# with the forms speech recognition was heard to make of them: «вонила», «номера вращения», «поэтому уже
# вопросу» and «по этому уже в вопросу» for «по этому же вопросу», «вопрос все-то тоже» for «вопрос всё тот же».
# Not «мне обещали»: a first call says it of the agency's promised term («обещали ответ за десять дней»); nor
# the operator's «позвоните через неделю»
_EARLIER_CALL = re.compile(
    r"((уже|раньше|назад|вчера|позавчера|недел|утром)\W+(\w+\W+){0,4}?(звон|вонил|обращал)\w*"
    r"|(звонил|звоню|вонил|обращал)\w*\W+(\w+\W+){0,4}?(уже|раньше|назад|вчера|позавчера|недел\w*|утром)"
    r"|(повторно|снова|опять|ещ[её] раз)\W+(\w+\W+){0,2}?(звон|обращ)\w*"
    r"|(звон|обращ)\w*\W+(\w+\W+){0,2}?(повторно|снова|опять|ещ[её] раз)"
    r"|в прошл\w+ раз|номер\w* \w*ращени|ответа так и нет|всё объяснили|все объяснили|как сказали|толку нет"
    r"|снова вернул|(вопрос|проблема)\w*\W+(вс[её]\W*)?(тот|та|то)\W*(же|тоже)\b"
    r"|по ?этому\W+у?же\W+(в\W+)?вопрос\w*)",
    re.IGNORECASE)
_CLAUSE = re.compile(r"(?<=[,;:—])\s+|(?<=[.!?…])\s+")
_OPERATOR_SCRIPT = re.compile(
    r"(чем (я )?могу (вам )?(помо|быть полез)|чем (я )?могу\W*$|с вами говорит|разговор записывается|горяч\w+ лини"
    r"|контактн\w+ центр|служба поддержки"
    r"|оператор \w+|меня зовут \w+\W*$|назовите|продиктуйте|оставайтесь|не кладите трубку|спасибо за ожидание"
    r"|благодарю за ожидание|ваше обращение|зарегистрировал|могу ли я ещё|могу ли я еще|оцените|не слышно"
    r"|перезвоните|говорите)", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


# words that come with identification data; what is left of a sentence without them says what it is about
_IDENTITY_WORDS = frozenset("""
зовут фамилия имя отчество дата рождения родиться родился родилась год года снилс инн серия номер паспорт прописка
адрес регистрация почта собака точка ру ком мейл майл яндекс улица дом квартира город проспект переулок мой меня
января февраля марта апреля мая июня июля августа сентября октября ноября декабря
""".split())


def is_identity_data(sentence: str) -> bool:
    """Names, birth dates, document numbers: what identifies the caller, never what troubles them. A sentence
    that states a problem and mentions a document («захожу через СНИЛС, а выдаёт ошибку») is not one."""
    tokens = words(sentence)
    # a number is one token however many digits it has: a request number in a question does not make the
    # question identification
    digits = min(len(_NUMBER_GROUPS.findall(sentence)), 4)
    personal = [w for w in tokens if w in _IDENTITY_WORDS or is_personal_name(w) or is_numeral(w)]
    if _IDENTITY_CUES.search(sentence):
        rest = [w for w in tokens if w not in personal]
        return len(content_lemmas(" ".join(rest))) <= 2
    return (len(personal) + digits) / max(1, len(tokens) + digits) >= 0.5


def _is_small_talk(sentence: str) -> bool:
    tokens = words(sentence)
    return all(t in _GREETING_WORDS or t in _SMALL_TALK_WORDS for t in tokens)


def classify_sentence(sentence: str) -> str:
    """'problem', 'earlier_call', or why it is left out: 'small_talk', 'identity', 'consent', 'ivr', 'operator'."""
    if _is_small_talk(sentence):
        return "small_talk"
    if _EARLIER_CALL.search(sentence):
        return "earlier_call"
    if _IVR_REMARK.search(sentence):
        return "ivr"
    if _CONSENT.search(sentence) and len(words(sentence)) <= 5:
        return "consent"
    if is_identity_data(sentence):
        return "identity"
    return "problem"


# what is left of a clause once the words about the earlier call are cut out must say this much to be kept
_CLAUSE_REST_CONTENT_WORDS = 3


def _without(remark: re.Pattern, sentence: str) -> str:
    """Speech recognition runs a remark about an earlier call or the IVR menu into the problem itself («…номер
    обращения 77, но ответа так и нет срок моей подписи закончился», «…заявление отклонили, не знала, какую цифру
    выбрать»): only the remark's words go, with the clauses they leave empty."""
    kept = []
    for clause in _CLAUSE.split(sentence):
        if remark.search(clause):
            clause = _NUMBER_GROUPS.sub(" ", remark.sub(" ", clause))
            clause = " ".join(clause.split())
            if len(content_lemmas(clause)) < _CLAUSE_REST_CONTENT_WORDS:
                continue
        kept.append(clause)
    return " ".join(kept)


def _turns(utterances: Iterable[Utterance], roles_known: bool) -> list[list[Utterance]]:
    """Consecutive utterances of one role; where roles are unknown every utterance is its own turn."""
    turns: list[list[Utterance]] = []
    for u in sorted(utterances, key=lambda u: u.start):
        if turns and roles_known and turns[-1][-1].role == u.role:
            turns[-1].append(u)
        else:
            turns.append([u])
    return turns


def extract_complaint(call: CallText) -> Complaint:
    """The caller's statement of the problem; text is empty when the caller never said one (a silent line).

    Without roles (a mono call not yet diarized, or diarized into one voice), sentences that read like the
    operator's script are skipped instead, which keeps the caller's statement but may let an operator's answer
    in."""
    # a transcript without a single caller utterance has no roles worth the name: diarization heard one voice
    # in a mono recording and gave every word to the operator
    roles_known = any(u.role == CALLER for u in call.utterances)
    kept: list[str] = []
    content = 0
    earlier = False
    for turn in _turns(call.utterances, roles_known):
        if roles_known and turn[0].role != CALLER:
            continue
        for utterance in turn:
            for sentence in sentences(utterance.text):
                if not roles_known and _OPERATOR_SCRIPT.search(sentence):
                    continue
                kind = classify_sentence(sentence)
                if kind == "earlier_call":
                    earlier = True
                    sentence = _without(_EARLIER_CALL, sentence)
                    kind = classify_sentence(sentence) if content_lemmas(sentence) else "small_talk"
                if kind == "ivr":
                    sentence = _without(_IVR_REMARK, sentence)
                    kind = classify_sentence(sentence) if content_lemmas(sentence) else "small_talk"
                if kind == "problem" and content < MAX_CONTENT_WORDS:
                    kept.append(sentence)
                    content += len(content_lemmas(sentence))
        if content >= ENOUGH_CONTENT_WORDS:
            break
    return Complaint(call.call_id, " ".join(kept), earlier)


# what an operator says on every call whatever the matter: asking for data, the request number, the survey
_ROUTINE = re.compile(
    r"(идентифицир|серию и номер|номер телефона для связи|учетн\w+ запис|коротк\w+ (опрос|вопрос)|оцените"
    r"|обращени\w+ (за)?регистр|в течение \w+ рабочих|ответ при(дет|шл)|подождите|на линии|уточнить)",
    re.IGNORECASE)


def call_context(call: CallText) -> str:
    """The whole conversation about the matter: both sides' sentences without greetings, identification, consent
    and the operator's routine lines. The operator's answer often names the subject in plain words («ваше
    заявление на загранпаспорт») where recognition garbled the caller's; the routine lines name subjects on
    every call («номер паспорта», «номер телефона») and would pull every call towards them."""
    return " ".join(
        sentence
        for utterance in sorted(call.utterances, key=lambda u: u.start)
        for sentence in sentences(utterance.text)
        if not _OPERATOR_SCRIPT.search(sentence) and not _ROUTINE.search(sentence)
        and classify_sentence(sentence) in ("problem", "earlier_call")
    )
