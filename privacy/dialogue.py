"""Which caller words answer an operator's request for identifying data, whatever Whisper made of them.

Whisper garbles a dictated passport, a surname spelt out or an e-mail past what text rules read («Фансфорции
232-894-344», «Восили в Митриюревич»), but where it sits in the dialogue gives it away: right after the
operator asks «назовите фамилию, имя, отчество», «продиктуйте номер СНИЛС» or «ваша электронная почта», the
caller's next words are that data. Those words are masked as the kind asked for, up to the operator's next
words and within a budget of words per kind; the caller's filler («да», «сейчас», «минуту») stays. A clause
with a verb in the indicative or a question ends the answer once something was answered, so a complaint told
right after the identification stays readable; before any answer it is passed over («сейчас посмотрю»).
Where Whisper wrote none of the answer (no caller word but filler before the operator speaks again), the
audio still carries it: that stretch of the caller's channel is returned to be muted (`Answers.unwritten`).
It needs roles: a transcript whose segments carry no operator and caller role gets nothing from here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from asr.records import Transcript
from kernel.language import morph
from privacy.detect import ORDINAL
from privacy.numbers import NUMBER_WORDS
from privacy.records import PiiInterval

# what names each kind in an operator's request, as Whisper writes it too («номер снил», «мерзнил», «Смилз»)
_ASKED = {
    "name": re.compile(r"фамил|отчеств|\bфио\b|как (?:вас|к вам) (?:зовут|обращаться)", re.I),
    "date": re.compile(r"рожден|родил", re.I),
    "snils": re.compile(r"снилс|\bсни[лзю]|\bсни\w?\b|\bсмил|[сзм]н[иы]л[сз]?\b|страхов\w* номер", re.I),
    "passport": re.compile(r"паспор|\bсери[юияей]\b", re.I),
    "inn": re.compile(r"\bинн\b|налогоплательщик", re.I),
    "phone": re.compile(r"телефон|мобильн|номер\w* для связи|контактн\w* номер", re.I),
    "card": re.compile(r"номер\w* карт", re.I),
    "email": re.compile(r"почт|e-?mail|имейл|емейл", re.I),
    "address": re.compile(r"\bадрес|прописк|проживан|где вы живёте|где вы живете", re.I),
}
# and what makes the sentence a request rather than advice («возьмите паспорт и СНИЛС»): Whisper keeps
# «пожалуйста» and the question mark better than «продиктуйте» («провиктуйте», «продиктоите»)
_ASKING = re.compile(r"пожалуйста|\?|назов|дикт|викт|подскаж|уточн|скажите|оставьте|по буквам|повтор"
                     r"|\bкак(?:ой|ая|ие|ую)\b", re.I)
# or «ваш», which alone asks nothing: «по вашему заявлению … нужен запрос в отдел, который оформляет паспорт.»
# The caller's words after it show whether it was answered; where Whisper wrote none, it is not muted.
_YOUR = re.compile(r"\bваш", re.I)
_SPELLING = re.compile(r"по буквам", re.I)

# content words the answer may take, per kind asked: a name is three words, a date up to seven in words, a
# number dictated in groups up to a dozen tokens; a name spelt out letter by letter takes many more
_BUDGET = {"name": 4, "date": 7, "snils": 11, "passport": 10, "inn": 11, "phone": 11, "card": 12, "email": 8,
           "address": 12}
_SPELLED_BUDGET = 25
_NUMERIC_KINDS = ("date", "snils", "passport", "inn", "phone", "card")
_ANSWER_WINDOW_S = 25.0  # from the end of the request to the last word the answer may take
_PAUSE_S = 4.0  # a pause this long ends an operator's sentence, and a caller's answer once begun
_SHORTEST_ANSWER_S = 1.5  # no one dictates a name or a number faster: a shorter gap is the operator pausing

# what the caller says around the data: not the data itself, left readable
_FILLER = {
    "да", "нет", "ну", "вот", "так", "это", "а", "и", "э", "эм", "ой", "ага", "угу", "алло", "конечно", "сейчас",
    "щас", "минуту", "минутку", "секунду", "секундочку", "момент", "пожалуйста", "хорошо", "пишите", "запишите",
    "записывайте", "диктую", "значит", "смотрите", "мой", "моя", "моё", "мое", "мои", "у", "меня", "зовут",
    "фамилия", "имя", "отчество", "дата", "рождения", "номер", "серия", "паспорт", "паспорта", "снилс", "инн",
    "телефон", "телефона", "почта", "почту", "адрес", "спасибо", "подождите", "одну", "все", "всё", "дату",
    "родился", "родилась", "понятно", "ясно", "ладно", "отлично", "понял", "поняла", "большое", "до", "свидания",
    "всего", "доброго",
}
# the operator's words that do not end the caller's answer
_BACKCHANNEL = {"угу", "ага", "да", "так", "хорошо", "записываю", "записала", "записал", "секунду", "слушаю",
                "понятно", "мгм", "м", "ну"}
_MONTH_OR_YEAR = re.compile(r"(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр|год|тысяч)",
                            re.I)
_CLAUSE_END = re.compile(r"[.,;:!?…]$")


@dataclass(frozen=True)
class _Spoken:
    segment: int
    index: int
    start: float
    end: float
    text: str
    role: str
    channel: int | None


@dataclass(frozen=True)
class _Request:
    end: float  # where its last word starts
    said_until: float  # where its last word ends
    kinds: tuple[str, ...]
    spelled: bool
    asking: bool  # a question or a request verb, not only «ваш»


@dataclass(frozen=True)
class Answers:
    """What the caller answered to identification requests. `words`: (segment number, word number) of every
    caller word that answers one, with the kind of personal data it stands for. `unwritten`: the stretches to
    mute where Whisper wrote no word of the caller's but filler («Нет,» over a dictated phone) before the
    operator spoke again: from the end of the request to the operator's next words, on the caller's channel
    (every channel of a mono call). Only the audio is touched there; there is no text to mask. With no words to
    go by, the request must ask outright."""

    words: dict[tuple[int, int], str]
    unwritten: tuple[PiiInterval, ...]


def read_answers(transcript: Transcript) -> Answers:
    replies = _requests_and_replies(transcript)
    words: dict[tuple[int, int], str] = {}
    for request, spoken, _ in replies:
        for w in _answer(spoken, request):
            words.setdefault((w.segment, w.index), _kind_of(w.text, request.kinds))
    return Answers(words, tuple(_unwritten(transcript, replies)))


def _unwritten(transcript: Transcript, replies: list[tuple[_Request, list[_Spoken], float]]) -> list[PiiInterval]:
    intervals = []
    for request, words, until in replies:
        if transcript.duration_s > request.said_until:  # a stored call may not know its duration
            until = min(until, transcript.duration_s)
        if not request.asking or until - request.said_until < _SHORTEST_ANSWER_S \
                or any(re.search(r"\w", w.text) and _norm(w.text) not in _FILLER for w in words):
            continue
        channels = {w.channel for w in words} or _caller_channels(transcript)
        intervals.append(PiiInterval(request.said_until, until, request.kinds[0],
                                     channels.pop() if len(channels) == 1 else None))
    return intervals


def _requests_and_replies(transcript: Transcript) -> list[tuple[_Request, list[_Spoken], float]]:
    """Each identification request with the caller's words after it, up to where the operator speaks again
    or the answer window closes, and that time. Backchannel is not speaking again, nor is a lone word with a
    long pause after it: an operator who began and stopped for the caller, or a word Whisper timed early (a
    sentence's «Я» eight seconds before the rest of it, over the caller's dictation)."""
    spoken = sorted((_Spoken(s_no, w_no, w.start, w.end, w.text.strip(), segment.role,
                             w.channel if w.channel is not None else segment.channel)
                     for s_no, segment in enumerate(transcript.segments) if segment.role in ("operator", "caller")
                     for w_no, w in enumerate(segment.words)), key=lambda w: w.start)
    operator = [w for w in spoken if w.role == "operator"]
    caller = [w for w in spoken if w.role == "caller"]
    replies = []
    for request in _requests(operator):
        until = min([w.start for n, w in enumerate(operator) if w.start > request.end
                     and _norm(w.text) not in _BACKCHANNEL
                     and (n + 1 == len(operator) or operator[n + 1].start - w.end < _PAUSE_S)]
                    + [request.end + _ANSWER_WINDOW_S])
        replies.append((request, [w for w in caller if request.end - 0.3 <= w.start < until], until))
    return replies


def _caller_channels(transcript: Transcript) -> set[int | None]:
    return {s.channel for s in transcript.segments if s.role == "caller"}


def _requests(operator: list[_Spoken]) -> list[_Request]:
    """The operator's sentences that ask for identifying data. A sentence asking for «адрес» or to spell
    takes its kind from the sentence before it («Ответ прислать на почту? Продиктуйте, пожалуйста, адрес.»)."""
    sentences, current = [], []
    for w in operator:
        if current and w.start - current[-1].start > _PAUSE_S:
            sentences.append(current)
            current = []
        current.append(w)
        if re.search(r"[.!?…]$", w.text):
            if sentences and _norm(w.text) == "пожалуйста" and len(current) == 1:
                sentences[-1].append(w)  # Whisper ends «И номер СНИЛС. Пожалуйста.» twice
            else:
                sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    requests, before = [], ()
    for sentence in sentences:
        text = " ".join(w.text for w in sentence)
        kinds = tuple(kind for kind, rx in _ASKED.items() if rx.search(text))
        spelled = bool(_SPELLING.search(text))
        if kinds == ("address",) and "email" in before:
            kinds = ("email",)
        elif not kinds and spelled:
            kinds = before or ("name",)
        asking = bool(_ASKING.search(text))
        if kinds and (asking or _YOUR.search(text)):
            requests.append(_Request(sentence[-1].start, sentence[-1].end, kinds, spelled, asking))
        before = kinds
    return requests


def _answer(words: list[_Spoken], request: _Request) -> list[_Spoken]:
    """The content words of the caller's answer, clause by clause, until the budget is spent, a long pause, or a
    clause that tells something (a verb in the indicative, a question) after something was answered. Filler
    between two answer words of one clause goes with them («37 к обатому и уточку ру» is one e-mail)."""
    budget = sum(_BUDGET[k] for k in request.kinds) + (_SPELLED_BUDGET if request.spelled else 0)
    taken, answered, last = [], 0, None
    for clause in _clauses(words):
        if last is not None and clause[0].start - last > _PAUSE_S:
            break
        if _tells_something(clause):
            if answered:
                break
            continue
        between, started = [], False
        for w in clause:
            if not re.search(r"\w", w.text):
                continue
            if _norm(w.text) in _FILLER:
                between += [w] if started else []
                continue
            if answered == budget:
                return taken
            taken += between + [w]
            between, started = [], True
            answered += 1
            last = w.start
    return taken


def _clauses(words: list[_Spoken]) -> list[list[_Spoken]]:
    clauses, current = [], []
    for w in words:
        current.append(w)
        if _CLAUSE_END.search(w.text):
            clauses.append(current)
            current = []
    return clauses + ([current] if current else [])


def _tells_something(clause: list[_Spoken]) -> bool:
    if clause[-1].text.endswith("?"):
        return True
    for w in clause:
        word = _norm(w.text)
        if word and word not in _FILLER and morph().word_is_known(word):
            tag = morph().parse(word)[0].tag
            if tag.POS == "VERB" and tag.mood != "impr":
                return True
    return False


def _kind_of(word: str, asked: tuple[str, ...]) -> str:
    """A number or a month goes to the number asked for, any other word to the name, e-mail or address asked for
    (a name and a birth date are asked for together)."""
    numeric = any(c.isdigit() for c in word) or _norm(word) in NUMBER_WORDS or _MONTH_OR_YEAR.match(_norm(word)) \
        or re.fullmatch(ORDINAL, _norm(word))
    wanted = [k for k in asked if (k in _NUMERIC_KINDS) == bool(numeric)]
    return (wanted or list(asked))[0]


def _norm(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word.lower())
