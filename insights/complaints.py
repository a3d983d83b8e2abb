"""The caller's own statement of the problem, cut out of a call transcript.

A call opens with the operator's script, the caller's greeting and, later, identification data; none of that
says what the problem is, and all of it is alike across calls, so it would pull unrelated complaints together.
The statement is the caller's first substantive turn, sentence by sentence, without greetings, names, dates
and document numbers, consent, remarks about the IVR menu, a request for another language, thanks, or the words
about an earlier call (those are kept as a flag: they mark a repeat call, not a kind of problem). The cues are
data: insights/complaint_cues.yaml.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from insights.complaint_cues import load_complaint_cues
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
_CLAUSE = re.compile(r"(?<=[,;:—])\s+|(?<=[.!?…])\s+")
_CUES = load_complaint_cues()


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def is_identity_data(sentence: str) -> bool:
    """Names, birth dates, document numbers: what identifies the caller, never what troubles them. A sentence
    that states a problem and mentions a document («захожу через СНИЛС, а выдаёт ошибку») is not one."""
    tokens = words(sentence)
    # a number is one token however many digits it has: a request number in a question does not make the
    # question identification
    digits = min(len(_NUMBER_GROUPS.findall(sentence)), 4)
    personal = [w for w in tokens if w in _CUES.identity_words or is_personal_name(w) or is_numeral(w)]
    if _CUES.identity.search(sentence):
        rest = [w for w in tokens if w not in personal]
        return len(content_lemmas(" ".join(rest))) <= 2
    return (len(personal) + digits) / max(1, len(tokens) + digits) >= 0.5


def _is_small_talk(sentence: str) -> bool:
    tokens = words(sentence)
    return all(t in _CUES.greetings or t in _CUES.small_talk for t in tokens)


def classify_sentence(sentence: str) -> str:
    """'problem', 'earlier_call', or why it is left out: 'small_talk', 'language', 'identity', 'consent', 'ivr'."""
    if _is_small_talk(sentence):
        return "small_talk"
    if _CUES.language.search(sentence):
        return "language"
    if _CUES.earlier_call.search(sentence):
        return "earlier_call"
    if _CUES.ivr.search(sentence):
        return "ivr"
    if _CUES.consent.search(sentence) and len(words(sentence)) <= 5:
        return "consent"
    if is_identity_data(sentence):
        return "identity"
    return "problem"


# what is left of a clause once the words about the earlier call are cut out must say this much to be kept
_CLAUSE_REST_CONTENT_WORDS = 3


def _without(remark: re.Pattern, sentence: str) -> str:
    """Speech recognition runs a remark about an earlier call or the IVR menu into the problem itself («…номер
    обращения 77, но ответа так и нет срок моей подписи закончился», «…заявление отклонили, не знала, какую цифру
    выбрать»), and a caller asks for English on the way to it: only the remark's words go, with the clauses they
    leave empty."""
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
                if not roles_known and _CUES.operator_script.search(sentence):
                    continue
                kind = classify_sentence(sentence)
                if kind == "earlier_call":
                    earlier = True
                    sentence = _without(_CUES.earlier_call, sentence)
                    kind = classify_sentence(sentence) if content_lemmas(sentence) else "small_talk"
                for remark, cue in (("ivr", _CUES.ivr), ("language", _CUES.language)):
                    if kind == remark:
                        sentence = _without(cue, sentence)
                        kind = classify_sentence(sentence) if content_lemmas(sentence) else "small_talk"
                if kind == "problem" and content < MAX_CONTENT_WORDS:
                    kept.append(sentence)
                    content += len(content_lemmas(sentence))
        if content >= ENOUGH_CONTENT_WORDS:
            break
    return Complaint(call.call_id, " ".join(kept), earlier)


def call_context(call: CallText) -> str:
    """The whole conversation about the matter: both sides' sentences without greetings, identification, consent
    and the operator's routine lines. The operator's answer often names the subject in plain words («ваше
    заявление на загранпаспорт») where recognition garbled the caller's; the routine lines name subjects on
    every call («номер паспорта», «номер телефона») and would pull every call towards them."""
    return " ".join(
        sentence
        for utterance in sorted(call.utterances, key=lambda u: u.start)
        for sentence in sentences(utterance.text)
        if not _CUES.operator_script.search(sentence) and not _CUES.routine.search(sentence)
        and classify_sentence(sentence) in ("problem", "earlier_call")
    )
