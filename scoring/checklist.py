"""Judging each checklist item of one call: passed, failed or not applicable, always with the reason and quotes.

Phrases are first looked for everywhere in the call; the item's position (opening, closing) then decides which
of those count. Looking everywhere first lets the information item tell an answer apart from lines that belong to
other items (a hold, an identification request, a transfer announcement).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import dropwhile, takewhile

from kernel.roles import CALLER, OPERATOR
from language import N_, Nn_
from scoring.conversation import Conversation, Sentence
from scoring.matching import Hit, Matcher, garbled_word
from scoring.records import FAILED, NOT_APPLICABLE, PASSED, Evidence, ItemVerdict, Reason
from scoring.script import ChecklistItem, Condition, Phrases, RequestType, Script

CONTEXT_SECONDS = 20.0  # a request's number and response time are said in the registration's turn
TRANSFER_APART_S = 15.0
EXPLAINED_BEFORE_S = 30.0  # how long before announcing a transfer its reason may be told
ANSWER_SENTENCES = 3  # a request is answered within so many sentences after it: the caller's reply, the thanks
NUMBER_APART_S = 1.5  # a request's number read out right after the words naming it
# the script condition whose phrases announce a transfer: the case after it is the specialist's to answer
TRANSFER_CONDITION = "transfer"
_DURATION = frozenset({"час", "день", "сутки", "рабочий", "минута", "неделя", "месяц", "год"})
_NUMERALS = frozenset(
    "ноль один два три четыре пять шесть семь восемь девять десять одиннадцать двенадцать тринадцать четырнадцать "
    "пятнадцать шестнадцать семнадцать восемнадцать девятнадцать двадцать тридцать сорок пятьдесят шестьдесят "
    "семьдесят восемьдесят девяносто сто двести триста четыреста пятьсот шестьсот семьсот восемьсот девятьсот "
    "тысяча".split()
)


@dataclass(frozen=True)
class ConditionResult:
    holds: bool
    hits: tuple[Hit, ...]
    reason: Reason


def evidence(hit: Hit, method: str | None = None) -> Evidence:
    s = hit.sentence
    return Evidence(round(s.start, 2), round(s.end, 2), s.speaker, s.text, method or hit.method)


class Checklist:
    """The verdicts of one call. Build one per call: it holds that call's matches."""

    def __init__(self, script: Script, matcher: Matcher, call: Conversation):
        self.script, self.matcher = script, matcher
        self._read(call)
        unknown = set() if call.channels_apart else self._openings_taken_for_callers()
        if unknown:
            self._read(replace(call, sentences=tuple(replace(s, role=None) if s.index in unknown else s
                                                     for s in call.sentences)))

    def _read(self, call: Conversation) -> None:
        self.call = call
        self.conditions = {cid: self._condition(c) for cid, c in self.script.conditions.items()}
        self.hits = {item.item_id: self._item_hits(item) for item in self.script.items if item.phrases}
        self.transfer_end = max((h.sentence.end for h in self._transfer_hits()), default=None)
        self.case_sentences = self._case()

    def _openings_taken_for_callers(self) -> set[int]:
        """Sentences of an operator's opening that diarization gave to the caller; their role is left unknown, so
        either side's items may judge them. The operator opens the call: a first turn of the caller's voice that
        opens it as an operator does is the operator's, split off by diarization. After a transfer a third voice
        joins a mono call, and diarization may give it to the caller's speaker: that turn («Здравствуйте, линия
        специалистов. Специалист Татьяна, чем могу помочь?») is the specialist's, and so is what that speaker says
        from then on, mixed with the caller's. Asked only of a call diarized from one channel: on a stereo call the
        caller's channel is the caller, whose «Здравствуйте, это горячая линия госуслуг?» opens nothing."""
        unknown = {s.index for s in self._callers_opening(self.call.sentences)}
        if self.transfer_end is not None:
            turn = self._callers_opening([s for s in self.call.sentences if s.start >= self.transfer_end])
            if turn:
                unknown |= {s.index for s in self.call.sentences
                            if s.speaker == turn[0].speaker and s.start >= turn[0].start}
        return unknown

    def _callers_opening(self, sentences: list[Sentence] | tuple[Sentence, ...]) -> list[Sentence]:
        """The caller's first turn among `sentences`, up to its last line of an operator's opening, when it says
        two of the script's opening items (which no caller does); the rest of the turn may be the caller's own."""
        turn = list(takewhile(lambda s: s.role == CALLER, dropwhile(lambda s: s.role != CALLER, sentences)))
        openings = [i for i in self.script.items if i.position == "opening" and i.speaker == OPERATOR and i.phrases]
        said = [self.matcher.said(i.phrases, turn) for i in openings]
        if sum(1 for hits in said if hits) < 2:
            return []
        last = max(h.sentence.index for hits in said for h in hits)
        return [s for s in turn if s.index <= last]

    # --- what the call shows ------------------------------------------------------------------------------
    def _item_hits(self, item: ChecklistItem) -> list[Hit]:
        """Sentences anywhere in the call that do the item, by its judge or its rules; the item's position decides
        later which of them count."""
        said = self.call.by(item.speaker)
        hits = self.matcher.hits(item.phrases, said)
        if item.check == "request":
            hits = sorted(hits + _numbered_requests(said, hits), key=lambda h: h.sentence.start)
        if item.asks:
            hits = hits + self._asked_from_callers_side(item)
            if item.requires:
                hits = hits + self._garbled_requests(item, {h.sentence.index for h in hits})
            hits = sorted(hits, key=lambda h: h.sentence.start)
        if TRANSFER_CONDITION in item.when:
            # a transfer is explained in the announcement's turn, before the caller is put through
            announced = [h.sentence for h in self._transfer_hits()]
            hits = [h for h in hits if any(a.start - EXPLAINED_BEFORE_S <= h.sentence.start <= a.end for a in announced)]
        return hits

    def _asked_from_callers_side(self, item: ChecklistItem) -> list[Hit]:
        """The operator's requests that diarization gave to the caller. A short request between two of the caller's
        turns («Назовите, пожалуйста, ваши фамилию, имя, отчество» after the complaint, before the answer) is
        easily heard as the caller's voice, but no caller asks that of themself."""
        callers = [s for s in self.call.sentences if s.role == CALLER]
        return [Hit(h.sentence, f"{h.method}, a request heard on the caller's side") for h in
                self.matcher.said(item.phrases, callers) if self.matcher.says_any(item.asks, h.sentence) is not None]

    def _garbled_requests(self, item: ChecklistItem, found: set[int]) -> list[Hit]:
        """The operator's requests that speech recognition garbled past the judge («Назовите, пожалуйста, все
        оелены», for «ФИО и ИНН»; «Я и снился, назовите»), known by their answer: a line or two after, the caller's
        reply or the operator's thanks names something the item `requires` («Мухин Станислав Игоревич»; «Спасибо,
        Станислав Игоревич»). The request itself has a garbled word or names something `requires` too: a plain
        «Какой у вас номер телефона?» answered with a full name is no request for it."""
        sentences = self.call.sentences
        garbled = []
        for n, s in enumerate(sentences):
            if s.index in found or s.role == CALLER or self.matcher.says_any(item.asks, s) is None:
                continue
            if not _garbled([s], item.requires) and not self._names_required(item, [s]):
                continue
            if self._names_required(item, sentences[n + 1:n + 1 + ANSWER_SENTENCES]):
                garbled.append(Hit(s, "a garbled request, answered with what the item requires"))
        return garbled

    def _names_required(self, item: ChecklistItem, sentences: list[Sentence] | tuple[Sentence, ...]) -> bool:
        """Whether the sentences name one of the things the item `requires`."""
        return any(self.matcher.said(Phrases(groups=(g,)), sentences) for g in item.requires.groups)

    def _condition(self, condition: Condition) -> ConditionResult:
        if condition is self.script.conditions.get(TRANSFER_CONDITION):
            return self._transfer(condition)
        return self._said_condition(condition)

    def _transfer(self, condition: Condition) -> ConditionResult:
        """Where the call tells its operators apart, a second operator's voice is a transfer however it was
        announced: the announcement is what the first operator said before it («Соединяю.», «Ждите.»)."""
        said = self._said_condition(condition)
        handover = self._handover()
        if handover is None:
            return said
        before = [h for h in said.hits if h.sentence.start < handover.start]
        if not before:
            last = [s for s in self.call.sentences if s.role == OPERATOR and s.start < handover.start][-1:]
            before = [Hit(s, "the first operator's last line before a second operator's voice") for s in last]
        reason = Reason.of(N_("%(condition)s: a second operator speaks from %(at)s s"),
                           condition=condition.description, at=float(handover.start))
        return ConditionResult(True, tuple(before), reason)

    def _handover(self) -> Sentence | None:
        """The first line of a second operator's voice (a specialist after a transfer)."""
        operators = [s for s in self.call.sentences if s.role == OPERATOR]
        return next((s for s in operators if s.speaker != operators[0].speaker), None) if operators else None

    def _said_condition(self, condition: Condition) -> ConditionResult:
        sentences = self.call.by(condition.speaker)
        if condition.phrases:
            hits = self.matcher.hits(condition.phrases, sentences)
            if hits:
                return ConditionResult(True, tuple(hits), Reason.of(N_("%(condition)s: said at %(at)s s"),
                                       condition=condition.description, at=float(hits[0].sentence.start)))
        if condition.min_words is not None:
            words = sum(s.words for s in sentences)
            if words >= condition.min_words:
                return ConditionResult(True, (), Reason.of(Nn_("%(condition)s: %(n)s words", "%(condition)s: %(n)s words"),
                                                           condition=condition.description, n=words))
        return ConditionResult(False, (), Reason.of(N_("not so: %(condition)s"), condition=condition.description))

    def _transfer_hits(self) -> list[Hit]:
        """Announcements of a transfer: the case after the last one is the specialist's to answer."""
        result = self.conditions.get(TRANSFER_CONDITION)
        return list(result.hits) if result is not None else []

    def transfers(self) -> int:
        """Transfer announcements, a line that repeats one («…переведу вас, оставайтесь на линии») counted once."""
        count, last_end = 0, None
        for hit in sorted(self._transfer_hits(), key=lambda h: h.sentence.start):
            if last_end is None or hit.sentence.start - last_end > TRANSFER_APART_S:
                count += 1
            last_end = hit.sentence.end
        return count

    def _case(self) -> list[Sentence]:
        """Sentences where the caller's question is answered: after the caller first spoke. An operator who tells
        what they found before transferring the call has informed the caller as much as the specialist after."""
        # the caller's first words, or the first nobody told the speaker of (all of them on a call without roles)
        heard = [s for s in self.call.sentences if s.role != OPERATOR]
        begin = heard[0].start if heard else None
        if begin is None and self.call.sentences:
            # one voice: a silent line, or a mono call whose two voices diarization heard as one; an answer
            # after the opening is then the operator's to the question that voice also asked
            begin = self.call.sentences[0].start + self.script.settings.opening_seconds
        if begin is None:
            return []
        return [s for s in self.call.sentences if s.start >= begin]

    def window(self, item: ChecklistItem, hits: list[Hit]) -> list[Hit]:
        said = self.call.by(item.speaker)
        if item.position == "any" or not said:
            return hits
        if item.position == "opening":
            limit = said[0].start + self.script.settings.opening_seconds
            return [h for h in hits if h.sentence.start <= limit]
        limit = said[-1].end - self.script.settings.closing_seconds
        return [h for h in hits if h.sentence.end >= limit]

    def applicable(self, item: ChecklistItem) -> tuple[bool, tuple[Reason, ...]]:
        """Whether every condition of the item holds, and the reasons of those that do not. Callers check their
        hits first: an item that was done counts even where its condition was not recognised."""
        unmet = [c for c in item.when if not self.conditions[c].holds]
        reasons = tuple(self.conditions[c].reason for c in unmet)
        return not unmet, reasons

    # --- verdicts -------------------------------------------------------------------------------------------
    def verdicts(self) -> tuple[ItemVerdict, ...]:
        answers = {item.item_id: self._answers(item) for item in self.script.items if item.check == "answered"}
        result: dict[str, ItemVerdict] = {}
        # a response time is judged after the request it belongs to
        for item in sorted(self.script.items, key=lambda i: i.check == "deadline"):
            request = next((result.get(i.item_id) for i in self.script.items if i.check == "request"), None)
            judge = {"said": self._said, "not_said": self._not_said, "request": self._request,
                     "deadline": lambda i: self._deadline(i, request),
                     "answered": lambda i: self._answered(i, *answers[i.item_id])}[item.check]
            verdict, why, proof = judge(item)
            result[item.item_id] = ItemVerdict(item.item_id, verdict, why, tuple(proof), item.weight, item.critical)
        return tuple(result[item.item_id] for item in self.script.items)

    def _said(self, item: ChecklistItem) -> tuple[str, tuple[Reason, ...], list[Evidence]]:
        hits = self.window(item, self.hits[item.item_id])
        applies, unmet = self.applicable(item)
        if not hits:
            if not applies:
                return NOT_APPLICABLE, unmet, []
            not_said = {"opening": N_("not said in the opening: %(item)s"),
                        "closing": N_("not said in the closing: %(item)s"), "any": N_("not said: %(item)s")}
            proof = [evidence(h, f"condition: {self.conditions[c].reason.text}") for c in item.when
                     for h in self.conditions[c].hits[:1]]
            return FAILED, _why(not_said[item.position], item=item.description), proof
        deadline = None
        if item.before is not None:
            # a specialist who takes over the case identifies the caller before they discuss it; what the first
            # operator said before the transfer is not the specialist's discussion of the record
            after = self.transfer_end if self.transfer_end is not None and hits[0].sentence.start >= self.transfer_end \
                else None
            deadline = self._first_case_time(item.before, after)
            if deadline is not None and hits[0].sentence.start >= deadline:
                return FAILED, _why(N_("said only at %(at)s s, after '%(before)s' began at %(began)s s"),
                                    at=float(hits[0].sentence.start), before=item.before, began=float(deadline)), \
                    [evidence(hits[0])]
        if item.requires:
            in_time = [h.sentence for h in hits if deadline is None or h.sentence.start < deadline]
            # what the caller told in time was obtained too, asked for or volunteered («Это Зуева Галина Петровна
            # говорит»; «Дату рождения назовите»), and an operator who then calls the caller by name and patronymic
            # («Спасибо, Светлана Дмитриевна») has it: either is often all that is left of a request the speech
            # recognition garbled («фамилию имею чисто»)
            told = [s for s in self.call.sentences if deadline is None or s.start < deadline]
            missing = [g for g in item.requires.groups
                       if not self.matcher.said(Phrases(groups=(g,)), in_time + told)]
            # a fact may hide in a word speech recognition garbled («фамилию имя участвовой номер сниус»): only a
            # request read whole says it was left out
            if missing and not _garbled(in_time, item.requires):
                return FAILED, _why(N_("said at %(at)s s, but without %(missing)s"), at=float(hits[0].sentence.start),
                                    missing=" / ".join(g[0] for g in missing)), [evidence(h) for h in hits[:3]]
        return PASSED, _why(N_("said at %(at)s s"), at=float(hits[0].sentence.start)), [evidence(h) for h in hits[:3]]

    def _not_said(self, item: ChecklistItem) -> tuple[str, tuple[Reason, ...], list[Evidence]]:
        hits = self.window(item, self.hits[item.item_id])
        applies, unmet = self.applicable(item)
        if hits:
            return FAILED, _why(Nn_("said %(n)s time(s): %(item)s", "said %(n)s time(s): %(item)s"), n=len(hits),
                                item=item.description), [evidence(h) for h in hits]
        if not applies:
            return NOT_APPLICABLE, unmet, []
        return PASSED, _why(Nn_("none of it among %(n)s sentences", "none of it among %(n)s sentences"),
                            n=len(self.call.by(item.speaker))), []

    # --- information ----------------------------------------------------------------------------------------
    def _answers(self, item: ChecklistItem) -> tuple[list[Sentence], list[tuple[Sentence, str]]]:
        """The case's sentences of `item.speaker` that inform, and those that evade."""
        # lines that do another item's job (a hold, a transfer, a request's number and deadline) are not answers
        # (a forbidden phrase does no job: a brush-off is still the reply the caller got)
        claimed = {h.sentence.index for item_id, hits in self.hits.items()
                   if item_id != item.item_id and self.script.item(item_id).check != "not_said"
                   for h in self.window(self.script.item(item_id), hits)}
        claimed |= {h.sentence.index for h in self._transfer_hits()}
        claimed |= self._specialists_opening()
        claimed |= {s.index for other in self.script.items if other.check == "request"
                    for h in self.hits[other.item_id] for s in self._context(h.sentence)}
        informative, evasive = [], []
        # the judge, where the item has one, tells an answer from a filler; the length of what is left after routine
        # phrases is the fallback for what it cannot read
        judged = self.matcher.judged(item.phrases, [s for s in self.case_sentences if s.said_by(item.speaker)])
        judge = self.matcher.judges.of(item.phrases) if self.matcher.judges is not None else None
        for sentence in self.case_sentences:
            if not sentence.said_by(item.speaker) or sentence.index in claimed:
                continue
            # a question or an objection is the caller's, whatever voice diarization heard in it
            if _QUESTION.search(sentence.text) or (item.objections and self.matcher.says_any(item.objections, sentence)):
                continue
            evades = self.matcher.says_any(item.evasive, sentence) if item.evasive else None
            if evades is not None:
                evasive.append((sentence, evades))
            elif sentence.index in judged:
                if judged[sentence.index].probability >= judge.threshold:
                    informative.append(sentence)
            elif sentence.words - self.matcher.covered(item.routine, sentence) >= item.min_words:
                # words of routine phrases do not count: Whisper often glues a routine line to an answer
                informative.append(sentence)
        return informative, evasive

    def _specialists_opening(self) -> set[int]:
        """After a transfer the specialist opens the call anew («Здравствуйте, линия специалистов по налогам»):
        the lines of the script's opening items said then are no answer."""
        if self.transfer_end is None:
            return set()
        begin = next((s.start for s in self.call.sentences if s.start >= self.transfer_end), None)
        if begin is None:
            return set()
        limit = begin + self.script.settings.opening_seconds
        return {h.sentence.index for item in self.script.items if item.position == "opening" and item.phrases
                for h in self.hits[item.item_id] if begin <= h.sentence.start <= limit}

    def _first_case_time(self, item_id: str, after: float | None = None) -> float | None:
        """When the item `item_id` was first done, from `after` on."""
        item = self.script.item(item_id)
        if item.check != "answered":
            times = [h.sentence.start for h in self.hits.get(item_id) or []]
        else:
            informative, evasive = self._answers(item)
            times = [s.start for s in informative] + [s.start for s, _ in evasive]
        return min((t for t in times if after is None or t >= after), default=None)

    def _answered(self, item: ChecklistItem, informative: list[Sentence], evasive: list[tuple[Sentence, str]]
                  ) -> tuple[str, tuple[Reason, ...], list[Evidence]]:
        applies, unmet = self.applicable(item)
        if not applies and not informative:
            return NOT_APPLICABLE, unmet, []
        if informative:
            method = "an answer of {} words, not a line of any other item"
            return PASSED, _why(N_("answered from %(at)s s"), at=float(informative[0].start)), [
                Evidence(round(s.start, 2), round(s.end, 2), s.speaker, s.text, method.format(s.words))
                for s in informative[:2]
            ]
        if evasive:
            return FAILED, _why(N_("the answer gave nothing to act on")), [
                Evidence(round(s.start, 2), round(s.end, 2), s.speaker, s.text, f"evasive: {how}")
                for s, how in evasive[:3]
            ]
        return FAILED, _why(N_("no reference information or instructions were given")), []

    # --- request registration -------------------------------------------------------------------------------
    def _request(self, item: ChecklistItem) -> tuple[str, tuple[Reason, ...], list[Evidence]]:
        hits = self.window(item, self.hits[item.item_id])
        applies, unmet = self.applicable(item)
        if not hits:
            if not applies:
                return NOT_APPLICABLE, unmet, []
            proof = [evidence(h, f"condition: {self.conditions[c].reason.text}") for c in item.when
                     for h in self.conditions[c].hits[:2]]
            return FAILED, _why(N_("the question was left unsolved and no request was registered")), proof
        for hit in hits:
            numbered = [s for s in self._context(hit.sentence)[:3] if _has_number(s)]
            if numbered:
                proof = [evidence(hit)] + ([evidence(Hit(numbered[0], "request number"))]
                                           if numbered[0] is not hit.sentence else [])
                return PASSED, _why(N_("request registered at %(at)s s and its number told"),
                                    at=float(hit.sentence.start)), proof
        return FAILED, _why(N_("a request was registered but its number was not told to the caller")), [evidence(hits[0])]

    # --- the request's response time ------------------------------------------------------------------------
    def _deadline(self, item: ChecklistItem, request: ItemVerdict | None) -> tuple[str, tuple[Reason, ...], list[Evidence]]:
        """Judged wherever a request is: the response time belongs to the request, so this item applies exactly
        when the request item does."""
        if request is None or request.verdict == NOT_APPLICABLE:
            return NOT_APPLICABLE, request.why if request is not None else _why(N_("the script registers no requests")), []
        registrations = [h for i in self.script.items if i.check == "request" for h in self.hits[i.item_id]]
        told = [h for h in self.window(item, self.hits[item.item_id]) if self._for_the_request(h, registrations)]
        # a response time said with the registration is its deadline, whatever words lead to it («Срок — пять
        # рабочих дней» needs no «ответ придёт»)
        found = {h.sentence.index for h in told}
        told += [Hit(s, "a request type's response time said with the registration")
                 for s in dict.fromkeys(s for h in registrations for s in self._context(h.sentence))
                 if s.index not in found and any(self.matcher.said(t.promises, [s]) for t in self.script.request_types)]
        told.sort(key=lambda h: h.sentence.start)
        if not told:
            return FAILED, _why(N_("no response time was told for the request")), list(request.evidence[:1])
        kinds = self._request_types(registrations)
        wrong: tuple[str, tuple[Reason, ...], list[Evidence]] | None = None
        for hit in told:
            fits = [t for t in self.script.request_types if self.matcher.said(t.promises, [hit.sentence])]
            matched = [t for t in fits if t in kinds] or (fits if not kinds else [])
            if matched:
                told_type = matched[0]
                return PASSED, _why(N_("response time %(time)s told at %(at)s s fits a %(type)s request"),
                                    time=told_type.response_time, at=float(hit.sentence.start),
                                    type=told_type.type_id), [evidence(hit)] + kinds.get(told_type, [])
            if wrong is None and fits:
                kind, proof = next(iter(kinds.items()))
                wrong = (FAILED, _why(N_("promised %(promised)s (%(promised_type)s), but a %(type)s request has "
                                         "%(time)s"), promised=fits[0].response_time, promised_type=fits[0].type_id,
                                      type=kind.type_id, time=kind.response_time), [evidence(hit)] + proof)
        return wrong or (FAILED, _why(N_("the response time told fits no request type (%(times)s)"),
                                      times="; ".join(t.response_time for t in self.script.request_types)),
                         [evidence(told[0])])

    def _for_the_request(self, told: Hit, registrations: list[Hit]) -> bool:
        """A response time told before the request was registered, in an earlier turn, is information about the
        matter (how long a passport takes), not the request's deadline: the deadline comes with the registration,
        in its turn or after it."""
        if not registrations:
            return True
        first = min(registrations, key=lambda h: h.sentence.index).sentence
        if told.sentence.index >= first.index:
            return True
        between = self.call.sentences[told.sentence.index:first.index + 1]
        return all(s.role == first.role for s in between)

    def _context(self, sentence: Sentence) -> list[Sentence]:
        """What the same speaker says with and right after a registration: its number and response time belong
        there. Whatever the other side says meanwhile does not cut it off: on a separate channel Whisper may time
        a caller's «записываю» anywhere in that stretch."""
        return [s for s in self.call.sentences[sentence.index:]
                if s.role == sentence.role and s.start - sentence.end <= CONTEXT_SECONDS]

    def _request_types(self, registrations: list[Hit]) -> dict[RequestType, list[Evidence]]:
        """The types the call's matter may give the request, with their proof, read from what the call is about:
        the operator's own promise must not decide it. A call may touch several (a passport and a complaint
        about it); a call that names none may have any type's response time."""
        skip = {s.index for h in registrations for s in self._context(h.sentence)}
        skip |= {h.sentence.index for item_id, hits in self.hits.items()
                 if self.script.item(item_id).check == "said" for h in hits}
        about = [s for s in self.call.sentences if s.index not in skip]
        kinds = {}
        for request_type in self.script.request_types:
            hits = self.matcher.hits(request_type.cues, about) if request_type.cues else []
            if hits:
                kinds[request_type] = [evidence(hits[0], f"{request_type.type_id} request: {hits[0].method}")]
        return kinds


def _why(msgid: str | tuple[str, str], **values: str | int | float) -> tuple[Reason, ...]:
    return (Reason.of(msgid, **values),)


_REQUEST_WORDS = frozenset({"обращение", "заявка"})
_QUESTION = re.compile(r"\?[»\"')]*$")


def _numbered_requests(said: list[Sentence], hits: list[Hit]) -> list[Hit]:
    """A request named with a number registers it however the verb was heard («Ваше обращение в ревесприровано
    по номерам 4 428 531»): Whisper garbles «зарегистрировано» on a mono line more often than it loses digits.
    The number may open the next sentence: Whisper ends one at the words it could not make out («Записывать
    инонир обращения. 7 925 2710.»)."""
    found = {h.sentence.index for h in hits}
    numbered = []
    for n, s in enumerate(said):
        if s.index in found or not any(t.lemma in _REQUEST_WORDS for t in s.tokens):
            continue
        following = said[n + 1] if n + 1 < len(said) else None
        if _has_number(s) or (following is not None and following.role == s.role
                              and following.start - s.end <= NUMBER_APART_S and _has_number(following)):
            numbered.append(Hit(s, "a request named with its number"))
    return numbered


def _garbled(sentences: list[Sentence], phrases: Phrases) -> bool:
    """Some word of the sentences is neither in the dictionary nor one of `phrases`' words («снилс» is no
    dictionary word): speech recognition garbled it."""
    known = {w.lstrip("=") for group in phrases.groups for phrase in group for w in phrase.split()}
    return any(t.surface not in known and garbled_word(t.surface)
               for s in sentences for t in s.tokens)


def _has_number(sentence: Sentence) -> bool:
    """A request number: four digits or three number words, not counting a duration («24 часа», «пять дней»)."""
    tokens = sentence.tokens
    counted = [t for n, t in enumerate(tokens)
               if n + 1 >= len(tokens) or not any(tokens[m].lemma in _DURATION for m in range(n + 1, min(n + 3, len(tokens))))]
    digits = sum(len(t.surface) for t in counted if t.surface.isdigit())
    numerals = sum(1 for t in counted if t.lemma in _NUMERALS)
    return digits >= 4 or numerals >= 3
