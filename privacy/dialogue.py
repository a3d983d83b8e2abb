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
The cues it reads a dialogue by (how each kind is asked for, filler, backchannel) are data:
`privacy/dialogue_cues.yaml`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from asr.records import Transcript
from kernel.language import morph
from privacy.detect import ORDINAL
from privacy.dialogue_cues import load_cues
from privacy.numbers import NUMBER_WORDS
from privacy.records import PiiInterval

_ANSWER_WINDOW_S = 25.0  # from the end of the request to the last word the answer may take
_PAUSE_S = 4.0  # a pause this long ends an operator's sentence, and a caller's answer once begun
_SHORTEST_ANSWER_S = 1.5  # no one dictates a name or a number faster: a shorter gap is the operator pausing
_CLAUSE_END = re.compile(r"[.,;:!?…]$")


_CUES = load_cues()


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
                or any(re.search(r"\w", w.text) and _norm(w.text) not in _CUES.filler for w in words):
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
                     and _norm(w.text) not in _CUES.backchannel
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
        kinds = tuple(kind for kind, rx in _CUES.asked.items() if rx.search(text))
        spelled = bool(_CUES.spelling.search(text))
        if kinds == ("address",) and "email" in before:
            kinds = ("email",)
        elif not kinds and spelled:
            kinds = before or ("name",)
        asking = bool(_CUES.asking.search(text))
        if kinds and (asking or _CUES.your.search(text)):
            requests.append(_Request(sentence[-1].start, sentence[-1].end, kinds, spelled, asking))
        before = kinds
    return requests


def _answer(words: list[_Spoken], request: _Request) -> list[_Spoken]:
    """The content words of the caller's answer, clause by clause, until the budget is spent, a long pause, or a
    clause that tells something (a verb in the indicative, a question) after something was answered. Filler
    between two answer words of one clause goes with them («37 к обатому и уточку ру» is one e-mail)."""
    budget = sum(_CUES.budget[k] for k in request.kinds) + (_CUES.spelled_budget if request.spelled else 0)
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
            if _norm(w.text) in _CUES.filler:
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
        if word and word not in _CUES.filler and morph().word_is_known(word):
            tag = morph().parse(word)[0].tag
            if tag.POS == "VERB" and tag.mood != "impr":
                return True
    return False


def _kind_of(word: str, asked: tuple[str, ...]) -> str:
    """A number or a month goes to the number asked for, any other word to the name, e-mail or address asked for
    (a name and a birth date are asked for together)."""
    numeric = any(c.isdigit() for c in word) or _norm(word) in NUMBER_WORDS or _CUES.month_or_year.match(_norm(word)) \
        or re.fullmatch(ORDINAL, _norm(word))
    wanted = [k for k in asked if (k in _CUES.numeric) == bool(numeric)]
    return (wanted or list(asked))[0]


def _norm(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word.lower())
