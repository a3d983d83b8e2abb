"""Which speaker is the operator and which the caller, with a confidence beside each role.

On a stereo call the metadata (or the site's configured default) names the operator's channel. Otherwise the
call itself tells: the operator answers first, greets with the service's name, introduces themself, asks for
identification, puts the caller on hold, registers the request, closes and invites to the survey; the caller
states a problem. After a transfer a second operator speaks the same way, and is an operator too.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from asr.records import Transcript
from diarization.records import Diarization, SpeakerRole
from diarization.stereo import channel_speaker
from kernel.roles import CALLER, OPERATOR, channel_role


@dataclass(frozen=True)
class Cue:
    name: str
    role: str
    weight: float
    pattern: re.Pattern


def _cue(name: str, role: str, weight: float, pattern: str) -> Cue:
    return Cue(name, role, weight, re.compile(pattern))


# Patterns run on lower-cased text with «ё» as «е». Stems rather than words: the ASR hears «госуслок» for
# «госуслуг», and Russian endings change with the sentence.
CUES = (
    _cue("service name", OPERATOR, 3, r"контактн\w* центр|горяч\w* лини|служб\w* поддержки|техническ\w* поддержк"
                                      r"|hotline|help ?line|contact cent(?:er|re)|support line"),
    _cue("greeting with service name", OPERATOR, 2, r"^\W*(?:(?:здравствуйте|добр\w+ (?:утро|день|вечер))\W+)?\w*\W*госус"),
    # «оператор Анна» opens a clause of the greeting; a caller's «старый номер оператор заблокировал» is their
    # mobile operator in the middle of a sentence
    _cue("self-introduction", OPERATOR, 2, r"(?:^|[^\w\s]\s*)оператор \w+|\bспециалист\b|\bс вами говорит\b"
                                           r"|\bна связи \w+|\bthis is \w+ speaking\b"
                                           r"|\byou(?:'re| are) speaking (?:to|with)\b"),
    _cue("offer of help", OPERATOR, 3, r"чем (?:я )?(?:могу|можем) (?:вам )?(?:помочь|быть полез)|\bслушаю вас\b"
                                       r"|how (?:can|may) i help"),
    _cue("recording notice", OPERATOR, 2, r"разговор записывается|разговор может быть записан|call (?:is|may be) recorded"),
    _cue("consent question", OPERATOR, 2, r"согласие на (?:\w+ )?обработку|\bвы согласны\b|(?:даете|дадите) согласие"),
    _cue("identification request", OPERATOR, 3,
         r"\b(?:назовите|продиктуйте|подтвердите|уточните|сообщите)\b"
         r"|\b(?:ваш\w*|полн\w+) (?:фамили|фио|имя|дат\w* рождения|снилс|инн|паспорт|номер|адрес)"
         r"|(?:и|теперь|еще) (?:номер|серию|адрес|инн|снилс)\w*,? пожалуйста"
         r"|(?:confirm|tell me|give me|spell) your|date of birth|account number"),
    _cue("account found", OPERATOR, 2, r"вижу ваш|наш\w* вашу|данные подтвержден"),
    _cue("hold", OPERATOR, 2, r"оставайтесь\W+(?:\w+\W+)?на линии|не кладите трубку|подождите,? пожалуйста,? на линии"
                              r"|спасибо,? что дождались|(?:спасибо|благодарю) за ожидание|please hold|for holding"),
    _cue("transfer", OPERATOR, 2, r"\b(?:соединяю|переключаю|перевожу|переведу)\b|transfer you"),
    _cue("request registered", OPERATOR, 3, r"обращение зарегистрирован|зарегистрировал\w* ваш|номер обращения"
                                            r"|передал\w* ваш вопрос|срок рассмотрения|ответ (?:придет|вы получите|подготовят)"),
    _cue("anything else", OPERATOR, 2, r"(?:еще|что-то еще|чем-то еще|чем-нибудь еще)\W+(?:\w+\W+)?(?:помочь|вопросы)"
                                       r"|\bу вас все\b|\bчто-то еще\b|anything else"),
    # «опрос», not the «вопрос» every caller has
    _cue("survey invitation", OPERATOR, 3, r"оцени\w*|\bопрос|survey|rate (?:the|our|my)"),
    _cue("closing", OPERATOR, 2, r"спасибо за (?:обращение|звонок)|спасибо,? что позвонили|thank you for calling"),
    _cue("silent line", OPERATOR, 2, r"вас не слышно|перезвоните|i can(?:no|')t hear you"),
    _cue("problem statement", CALLER, 2, r"\bне (?:могу|получается|приходит|пришл\w*|работает|открывается|вижу|понимаю)\b"
                                         r"|\bу меня\b|can(?:no|')t|doesn't work|i have a problem"),
    _cue("calling again", CALLER, 3, r"(?:уже|снова) (?:звонил|обращал)|звонил\w* (?:вам |по этому)|не (?:первый|второй) раз"
                                     r"|\bвам (?:уже )?звонила?\b|called (?:before|again|last)"),
    _cue("own need", CALLER, 1, r"\b(?:мне|я) (?:нужн\w*|надо|хочу|хотел\w*|пытаюсь|пробовал\w*)\b|\bi (?:need|want|tried)\b"),
    _cue("own data", CALLER, 1, r"\bмо(?:й|я|е|и|ю) (?:номер|снилс|паспорт|адрес|фамилия|почта|телефон|заявление)"
                                r"|\bmy (?:number|account|address|password)\b"),
    _cue("complaint", CALLER, 2, r"\bпочему\b|сколько (?:можно|мне еще)|никто не|\bwhy\b"),
)
FIRST_SPEAKER = "speaks first"  # the operator answers the call
_FIRST_SPEAKER_WEIGHT = 1.0
# Evidence, in cue weights, that makes a role near certain: confidence = 0.5 + 0.5 · tanh(margin / scale).
_CONFIDENCE_SCALE = 4.0


def _normalise(text: str) -> str:
    return text.lower().replace("ё", "е")


@dataclass
class _Evidence:
    operator: float = 0.0
    caller: float = 0.0
    cues: list[str] = field(default_factory=list)

    @property
    def margin(self) -> float:
        return self.operator - self.caller


def _evidence(transcript: Transcript, speakers: tuple[str, ...]) -> dict[str, _Evidence]:
    evidence = {s: _Evidence() for s in speakers}
    for segment in transcript.segments:
        found = evidence.get(segment.speaker)
        if found is None:
            continue
        text = _normalise(segment.text)
        for cue in CUES:
            if cue.pattern.search(text):
                if cue.role == OPERATOR:
                    found.operator += cue.weight
                else:
                    found.caller += cue.weight
                if cue.name not in found.cues:
                    found.cues.append(cue.name)
    spoken = [s for s in transcript.segments if s.speaker in evidence]
    if spoken:
        first = min(spoken, key=lambda s: s.start).speaker
        evidence[first].operator += _FIRST_SPEAKER_WEIGHT
        evidence[first].cues.append(FIRST_SPEAKER)
    return evidence


def _confidence(margin: float) -> float:
    return round(0.5 + 0.5 * math.tanh(abs(margin) / _CONFIDENCE_SCALE), 3)


def roles_from_content(transcript: Transcript, speakers: tuple[str, ...]) -> tuple[SpeakerRole, ...]:
    """Every call has one caller: the speaker whose words lean most to the caller's side. The speaker leaning
    most to the operator's side is the operator; any other speaker is an operator if their own words say so, or
    if they talk back and forth with the caller (a specialist after a transfer whose greeting Whisper garbled),
    a caller otherwise."""
    return _roles(speakers, _evidence(transcript, speakers), turn_order(transcript))


def _roles(speakers: tuple[str, ...], evidence: dict[str, _Evidence],
           order: tuple[str | None, ...]) -> tuple[SpeakerRole, ...]:
    if not evidence:
        return ()
    ranked = sorted(evidence, key=lambda s: evidence[s].margin)
    roles = []
    for speaker in speakers:
        found = evidence[speaker]
        if len(ranked) == 1:
            role, margin = (OPERATOR if found.margin > 0 else CALLER), found.margin
        elif speaker == ranked[0]:
            role, margin = CALLER, evidence[ranked[-1]].margin - found.margin
        elif speaker == ranked[-1]:
            role, margin = OPERATOR, found.margin - evidence[ranked[0]].margin
        elif found.margin <= 0 and talk_to_each_other(order, speaker, ranked[0]):
            role, margin = OPERATOR, evidence[ranked[-1]].margin - found.margin
        else:
            role, margin = (OPERATOR if found.margin > 0 else CALLER), found.margin
        roles.append(SpeakerRole(speaker, role, _confidence(margin), "content", tuple(found.cues)))
    return tuple(roles)


# Whisper ends a sentence with one of these; a segment cut where diarization changes speaker mid-sentence does not.
_SENTENCE_END = re.compile(r"[.?!…]\W*$")
# A sentence that goes on in another voice after a pause this long may be someone finishing it for the speaker.
_RUN_ON_PAUSE_S = 1.0


def turn_order(transcript: Transcript) -> tuple[str | None, ...]:
    """Who speaks, segment by segment, with None between two speakers where one sentence runs on from the first
    into the second: one person whose voice diarization split mid-sentence, not the second answering the first."""
    order: list[str | None] = []
    previous = None
    for segment in sorted(transcript.segments, key=lambda s: s.start):
        if (previous is not None and segment.speaker != previous.speaker and not _SENTENCE_END.search(previous.text)
                and segment.start - previous.end < _RUN_ON_PAUSE_S):
            order.append(None)
        order.append(segment.speaker)
        previous = segment
    return tuple(order)


def talk_to_each_other(order: tuple[str | None, ...], a: str, b: str) -> bool:
    """Two speakers whose turns (`order`: who speaks, turn by turn) follow one another back and forth are two
    people in conversation, never one person heard in two voices, and never two callers."""
    return sum(1 for x, y in zip(order, order[1:]) if {x, y} == {a, b}) >= 2


@dataclass(frozen=True)
class Parties:
    """The speakers that `roles_from_content` makes operators, and those it makes callers, each the one leaning
    most to its side first; `order`: who speaks, turn by turn (turn_order)."""

    operators: tuple[str, ...]
    callers: tuple[str, ...]
    order: tuple[str | None, ...]


def parties(transcript: Transcript, speakers: tuple[str, ...]) -> Parties:
    evidence, order = _evidence(transcript, speakers), turn_order(transcript)
    roles = {r.speaker: r.role for r in _roles(speakers, evidence, order)}
    return Parties(tuple(sorted((s for s in roles if roles[s] == OPERATOR), key=lambda s: -evidence[s].margin)),
                   tuple(sorted((s for s in roles if roles[s] == CALLER), key=lambda s: evidence[s].margin)),
                   order)


# What tells two people apart by their words: one speaker clearly speaks as the operator (a greeting with the
# service name and an offer of help weigh 6), another hardly at all (the ASR garbles the caller's «я уже
# звонила», so a caller's own cues cannot be required).
_CLEAR_OPERATOR = 6.0
_HARDLY_OPERATOR = 1.0


def operator_and_caller_in_one_voice(transcript: Transcript, speakers: tuple[str, ...],
                                     groups: list[tuple[str, ...]]) -> bool:
    """`groups`: speakers whose voices sound as one, group by group. In one group a speaker clearly speaks as the
    operator and talks with another whose words hardly lean that way at all, the only such speaker of all the
    call's `speakers` (a call has one caller; where two speakers hardly speak as operators, one is an operator
    heard in two voices)."""
    evidence, order = _evidence(transcript, speakers), turn_order(transcript)
    hardly = [s for s in speakers if evidence[s].margin <= _HARDLY_OPERATOR]
    return len(hardly) == 1 and any(hardly[0] in joined and any(
        evidence[s].margin >= _CLEAR_OPERATOR and talk_to_each_other(order, s, hardly[0]) for s in joined)
        for joined in groups)


def _channels(diarization: Diarization) -> dict[str, int]:
    return {t.speaker: t.channel for t in diarization.turns if t.channel is not None}


def roles_from_channel(diarization: Diarization, operator_channel: int, source: str) -> tuple[SpeakerRole, ...]:
    """Every voice on the operator's channel is an operator (a specialist after a transfer too)."""
    channels = _channels(diarization)
    return tuple(SpeakerRole(s, channel_role(channels[s], operator_channel), 1.0, source)
                 for s in diarization.speakers)


def roles_from_channel_content(transcript: Transcript, diarization: Diarization) -> tuple[SpeakerRole, ...]:
    """A stereo call without a known operator channel: the channels' words decide which one is the operator's,
    each channel's words taken together; every voice then takes its channel's role and confidence."""
    channels = _channels(diarization)
    by_channel = replace(transcript, segments=tuple(
        replace(s, speaker=channel_speaker(s.channel)) for s in transcript.segments if s.channel is not None))
    channel_roles = {r.speaker: r for r in roles_from_content(
        by_channel, tuple(sorted({channel_speaker(c) for c in channels.values()})))}
    return tuple(replace(channel_roles[channel_speaker(channels[s])], speaker=s) for s in diarization.speakers)


def apply_roles(transcript: Transcript, roles: tuple[SpeakerRole, ...]) -> Transcript:
    role_of = {r.speaker: r.role for r in roles}
    return replace(transcript, segments=tuple(replace(s, role=role_of.get(s.speaker)) for s in transcript.segments))
