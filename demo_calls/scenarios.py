"""Writing one call: verdicts are drawn for the checklist first, then the dialogue is written to match them.

Drawing the verdicts first is what keeps the truth exact: every passed item is said in one of its passing
forms, every failed item in a failing form or not at all, and nothing else in the call says it by accident
(the closing question offers more help only where `offer_help` passed; a specialist who takes a transfer
greets, introduces themself and offers help only as the first operator did).
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime

from demo_calls import people, pii
from demo_calls import script_lines as say
from demo_calls.records import CHECKLIST_ITEMS, FAILED, NOT_APPLICABLE, PASSED, CallScript, Line, PiiMention, Request
from demo_calls.schedule import CallSpec
from demo_calls.topics import AGO, DAYS_OF_MONTH, REQUEST, SERVICE_CENTRES, SERVICES, SOLVED, TRANSFER
from demo_calls.wording import fill, pick
from kernel.roles import CALLER, OPERATOR

# (share of calls, chance that any one item fails): from exemplary calls to badly broken ones
QUALITY_PROFILES = ((0.2, 0.0), (0.4, 0.12), (0.25, 0.35), (0.15, 0.6))
# critical violations are rarer than slips
SEVERITY = {"no_forbidden_phrases": 0.4, "identification": 0.7}
HOLD_SECONDS = (10.0, 40.0)
TRANSFER_RING_SECONDS = (2.0, 5.0)
SILENCE_PROMPT_SECONDS = (3.0, 5.0)
PHONE_STYLES = ("digits", "by_digit", "groups")


def build_call(spec: CallSpec, earlier: CallScript | None) -> CallScript:
    """`earlier` is the caller's previous call about the same problem (what they refer back to), if any."""
    rng = random.Random(spec.seed)
    if spec.problem is None:
        return _silent_line(spec, rng)
    return _Conversation(spec, earlier, rng).write()


def draw_checklist(rng: random.Random, applicable: set[str]) -> dict[str, str]:
    fail_share = rng.choices([p for _, p in QUALITY_PROFILES], weights=[w for w, _ in QUALITY_PROFILES])[0]
    return {
        item: NOT_APPLICABLE if item not in applicable
        else FAILED if rng.random() < fail_share * SEVERITY.get(item, 1.0) else PASSED
        for item in CHECKLIST_ITEMS
    }


class _Conversation:
    def __init__(self, spec: CallSpec, earlier: CallScript | None, rng: random.Random):
        self.spec, self.earlier, self.rng = spec, earlier, rng
        self.problem = spec.problem
        self.caller = spec.caller
        self.operator = spec.operator  # whoever speaks for the hotline right now
        self.operators = [spec.operator]
        self.lines: list[Line] = []
        self.prefix = ""  # what the operator's next line starts with: «Спасибо за ожидание.»
        self.holds_left = spec.hold_count
        self.slots = self._case_slots()

        applicable = set(CHECKLIST_ITEMS) - {"identification", "transfer_explained", "request_registered"}
        if self.problem.personal:
            applicable.add("identification")
        if spec.resolution == TRANSFER:
            applicable.add("transfer_explained")
        if spec.resolution == REQUEST:
            applicable.add("request_registered")
        self.checklist = draw_checklist(rng, applicable)
        # consent is asked as a question only where the caller is identified; otherwise the recording notice
        self.consent_as_question = self.passed("identification") and rng.random() < 0.5
        self.late_identification = self.checklist["identification"] == FAILED and rng.random() < 0.4
        self.request = Request(False, None, None)
        self.complaint = ""

    def passed(self, item: str) -> bool:
        return self.checklist[item] == PASSED

    # --- lines ----------------------------------------------------------------------------------------
    def op(self, template: str, slots: dict | None = None, **line: object) -> Line:
        text, mentions = fill(template, self.operator.gender, {**self.slots, "name": self.operator.name, **(slots or {})})
        if self.prefix:
            text, self.prefix = f"{self.prefix} {text}", ""
        said = Line(OPERATOR, self.operator.operator_id, self.operator.voice, text, mentions, **line)
        self.lines.append(said)
        return said

    def caller_says(self, template: str, slots: dict | None = None, **line: object) -> Line:
        text, mentions = fill(template, self.caller.gender, {**self.slots, **(slots or {})})
        said = Line(CALLER, self.caller.caller_id, self.caller.voice, text, mentions, **line)
        self.lines.append(said)
        return said

    def pick(self, options: Sequence[str]) -> str:
        return pick(self.rng, options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # --- the call -------------------------------------------------------------------------------------
    def write(self) -> CallScript:
        self.opening()
        self.statement()
        if self.problem.personal and self.passed("identification"):
            self.identification()
        {SOLVED: self.solve, REQUEST: self.register, TRANSFER: self.transfer}[self.spec.resolution]()
        self.closing()
        return CallScript(
            call_id=self.spec.call_id,
            started_at=self.spec.started_at.isoformat(),
            topic=self.problem.topic,
            problem_id=self.problem.problem_id,
            complaint=self.complaint,
            ivr_branch=self.spec.ivr_branch,
            misrouted=self.spec.misrouted,
            caller=self.caller,
            operators=self.operators,
            channels=self.spec.channels,
            operator_channel=self.spec.operator_channel,
            repeat_of=self.spec.repeat_of,
            transfer=self.spec.resolution == TRANSFER,
            request=self.request,
            checklist=self.checklist,
            lines=self.lines,
        )

    def opening(self) -> None:
        self.op(opening_words(self.rng, self.checklist, self.spec.started_at.hour, self.consent_as_question))

    def statement(self) -> None:
        complaint, mentions = fill(self._complaint_template(), self.caller.gender, self.slots)
        self.complaint = complaint
        parts = [self.pick(say.CALLER_HELLO)] if self.chance(0.75) else []
        parts.append(complaint)
        if self.spec.misrouted and self.chance(0.5):
            parts.append(fill(self.pick(say.MISROUTE_REMARKS), self.caller.gender)[0])
        self.lines.append(Line(CALLER, self.caller.caller_id, self.caller.voice, " ".join(parts), mentions))
        if self.chance(0.35):
            self.op(self.pick(say.OPERATOR_BACKCHANNELS), overlap="backchannel")

    def _complaint_template(self) -> str:
        # each (caller, problem) case says its paraphrases in its own order, so a repeat call rewords the problem
        order = list(range(len(self.problem.complaints)))
        random.Random(f"{self.caller.caller_id}/{self.problem.problem_id}/order").shuffle(order)
        if self.earlier is None:
            return self.problem.complaints[order[0]]
        parts = []
        if self.spec.repeat_of:
            days = (self.spec.started_at.date() - _date_of(self.earlier)).days
            parts.append(self.pick(say.REPEAT_OPENERS).replace("{when}", say.DAYS_AGO[days]))
            if self.earlier.request.number:
                parts.append(self.pick(say.REPEAT_AFTER_REQUEST).replace("{number}", self.earlier.request.number))
            elif not self.earlier.request.type:
                parts.append(self.pick(say.REPEAT_AFTER_ADVICE))
        else:
            parts.append(self.pick(say.LATE_OPENERS))
        parts.append(self.problem.complaints[order[1]])
        return " ".join(parts)

    def identification(self) -> None:
        if self.passed("consent") and self.consent_as_question:
            self.op(self.pick(say.CONSENT_QUESTIONS))
            self.caller_says(self.pick(say.CONSENT_ANSWERS))
        self.op(self.pick(say.ID_REQUESTS))
        self.caller_says(self.pick(say.NAME_AND_BIRTH))
        document = self.problem.id_document
        self.op(self.pick(say.DOCUMENT_REQUESTS[document]))
        self.caller_says(self.pick(say.DOCUMENT_ANSWERS[document]))
        if document == "passport" and self.chance(0.5):
            self.op(self.pick(say.ADDRESS_REQUEST))
            self.caller_says(self.pick(say.ADDRESS_ANSWERS))
        self.prefix = fill(self.pick(say.ID_CONFIRMED), self.operator.gender)[0]

    def late_identification_if_any(self) -> None:
        if self.late_identification:
            self.op(self.pick(say.LATE_ID_REQUESTS))
            self.caller_says(self.pick(say.NAME_AND_BIRTH))

    def hold_if_any(self) -> None:
        if not self.holds_left:
            return
        self.holds_left -= 1
        last = self.op(self.pick(say.HOLD_ASKS))
        if self.chance(0.6):
            last = self.caller_says(self.pick(say.HOLD_AGREES))
        last.pause_after = round(self.rng.uniform(*HOLD_SECONDS), 1)
        last.is_hold = True
        self.prefix = self.pick(say.HOLD_RETURNS)

    def explain(self) -> None:
        """The information item: an answer in two parts, or nothing the caller can act on."""
        if not self.passed("information"):
            self.op(self.pick(say.VAGUE_ANSWERS))
            return
        first, second = self.problem.answers[self.rng.randrange(len(self.problem.answers))]
        self.op(first)
        self.caller_says(self.pick(say.CALLER_BACKCHANNELS), overlap="backchannel")
        self.hold_if_any()
        self.op(second)
        if self.problem.follow_ups and self.chance(0.5):
            question, answer = self.problem.follow_ups[self.rng.randrange(len(self.problem.follow_ups))]
            self.caller_says(question, overlap="interrupt" if self.chance(0.3) else "next")
            self.op(answer)

    def friction(self, objection: str) -> None:
        """The caller pushes back; the operator answers politely, or with a forbidden phrase."""
        forbidden = not self.passed("no_forbidden_phrases")
        if forbidden or self.chance(0.2):
            self.caller_says(self.pick(say.PUSHBACKS[objection]), overlap="interrupt" if self.chance(0.5) else "next")
            self.op(self.pick(say.FORBIDDEN_PHRASES if forbidden else say.POLITE_REPLIES))
        elif self.chance(0.6):
            self.caller_says(self.pick(say.CALLER_THANKS))

    def solve(self) -> None:
        self.hold_if_any()
        self.explain()
        self.friction("advice")
        self.late_identification_if_any()

    def register(self) -> None:
        self.hold_if_any()
        self.op(self.pick(self.problem.request_answers) if self.passed("information") else self.pick(say.VAGUE_ANSWERS))
        self.friction("waiting")
        self.late_identification_if_any()
        if self.chance(0.5):
            self.op(self.pick(say.CONTACT_ASKS))
            self.caller_says(self.pick(say.CONTACT_ANSWERS), {"phone": self._phone(self.caller.phone)})
        elif self.chance(0.4):
            self.op(self.pick(say.EMAIL_ASKS))
            self.caller_says(self.pick(say.EMAIL_ANSWERS))
        self.hold_if_any()
        kind = self.problem.request_type
        number = f"{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}"
        if self.passed("request_registered"):
            self.op(f"{self.pick(say.REGISTERED)} {self.pick(say.RESPONSE_TIMES[kind])}", {"number": number})
            self.request = Request(True, kind, number)
        else:
            failure = self.rng.choice(("no_number", "wrong_time", "not_registered"))
            if failure == "no_number":
                self.op(f"{self.pick(say.REGISTERED_WITHOUT_NUMBER)} {self.pick(say.RESPONSE_TIMES[kind])}")
                self.request = Request(True, kind, None)
            elif failure == "wrong_time":
                wrong = self.rng.choice([k for k in say.RESPONSE_TIMES if k != kind])
                self.op(f"{self.pick(say.REGISTERED)} {self.pick(say.RESPONSE_TIMES[wrong])}", {"number": number})
                self.request = Request(True, kind, number)
            else:
                self.op(self.pick(say.NOT_REGISTERED))
                self.request = Request(False, kind, None)
                return
        self.caller_says(self.pick(say.CALLER_NOTES_NUMBER))

    def transfer(self) -> None:
        self.hold_if_any()
        reason = self.problem.transfer_reasons if self.passed("transfer_explained") else say.TRANSFER_BARE
        self.op(self.pick(reason), pause_after=round(self.rng.uniform(*TRANSFER_RING_SECONDS), 1))
        self.operator = people.SPECIALISTS[self.problem.specialist_team]
        self.operators.append(self.operator)
        self.op(specialist_intro(self.rng, self.checklist, self.problem.specialist_team))
        self.caller_says(self.pick(self.problem.restatements))
        self.explain()
        self.friction("advice")
        self.late_identification_if_any()

    def closing(self) -> None:
        self.op(self.pick(say.ANYTHING_ELSE_HELP if self.passed("offer_help") else say.ANYTHING_ELSE))
        self.caller_says(self.pick(say.NOTHING_ELSE))
        survey, polite = self.passed("survey_invite"), self.passed("closing")
        if survey or polite:
            words = ([self.pick(say.SURVEY_INVITES)] if survey else []) + ([self.pick(say.CLOSINGS)] if polite else [])
            self.op(" ".join(words))
            if not polite or self.chance(0.5):  # without the operator's goodbye the caller says it
                self.caller_says(self.pick(say.CALLER_BYES))
        elif self.chance(0.5):
            self.op(self.pick(say.ABRUPT_ENDINGS))
        else:
            self.caller_says(self.pick(say.CALLER_BYES))

    # --- details --------------------------------------------------------------------------------------
    def _phone(self, phone: str) -> PiiMention:
        return PiiMention("phone", pii.phone_spoken(phone, self.rng.choice(PHONE_STYLES)))

    def _case_slots(self) -> dict[str, str | PiiMention]:
        # details of a caller's case stay the same when they call again about it
        case = random.Random(f"{self.caller.caller_id}/{self.problem.problem_id}")
        service, deadline = case.choice(SERVICES)
        c = self.caller
        return {
            "full_name": PiiMention("full_name", c.full_name),
            "date_of_birth": PiiMention("date_of_birth", c.date_of_birth),
            "snils": PiiMention("snils", c.snils),
            "inn": PiiMention("inn", c.inn),
            "passport": PiiMention("passport", c.passport),
            "address": PiiMention("address", c.address),
            "email": PiiMention("email", c.email),
            "card": PiiMention("card_number", c.card_number),
            "new_phone": PiiMention("phone", pii.phone_spoken(people.another_phone(case, c), case.choice(PHONE_STYLES))),
            "new_email": PiiMention("email", people.another_email(case, c)),
            "new_address": PiiMention("address", people.new_address(case)),
            "app_no": f"{case.randint(1000, 9999)} {case.randint(1000, 9999)} {case.randint(10, 99)}",
            "service": service,
            "deadline": deadline,
            "ago": case.choice(AGO),
            "mfc": case.choice(SERVICE_CENTRES),
            "day": case.choice(DAYS_OF_MONTH),
        }


def opening_words(rng: random.Random, checklist: dict[str, str], hour: int, consent_as_question: bool) -> str:
    parts = []
    if checklist["greeting"] == PASSED:
        by_hour = [g for start, end, g in say.HELLO_BY_HOUR if start <= hour < end]
        hello = rng.choice(by_hour + ["Здравствуйте"])
        parts.append(f"{hello}, {pick(rng, say.SERVICE_NAMES)}.")
    else:
        parts.append(pick(rng, say.GREETING_FAILED))
    if checklist["operator_name"] == PASSED:
        parts.append(pick(rng, say.OPERATOR_NAME))
    if checklist["consent"] == PASSED and not consent_as_question:
        parts.append(pick(rng, say.RECORDING_NOTICE))
    if checklist["offer_help"] == PASSED:
        parts.append(pick(rng, say.OFFER_HELP))
    return " ".join(parts)


def specialist_intro(rng: random.Random, checklist: dict[str, str], team: str) -> str:
    parts = [f"Здравствуйте, {say.SPECIALIST_LINES[team]}." if checklist["greeting"] == PASSED
             else pick(rng, say.SPECIALIST_NO_GREETING)]
    if checklist["operator_name"] == PASSED:
        parts.append(pick(rng, say.SPECIALIST_NAME))
    if checklist["offer_help"] == PASSED:
        parts.append(pick(rng, say.OFFER_HELP))
    return " ".join(parts)


def _silent_line(spec: CallSpec, rng: random.Random) -> CallScript:
    """The caller never speaks: only the opening, a prompt, and the operator giving up."""
    applicable = {"greeting", "operator_name", "offer_help", "consent", "closing", "no_forbidden_phrases"}
    checklist = draw_checklist(rng, applicable)
    checklist["no_forbidden_phrases"] = PASSED
    operator = spec.operator

    def line(template: str) -> Line:
        text = fill(template, operator.gender, {"name": operator.name})[0]
        return Line(OPERATOR, operator.operator_id, operator.voice, text,
                    pause_after=round(rng.uniform(*SILENCE_PROMPT_SECONDS), 1))

    give_up = pick(rng, say.SILENT_GIVE_UP)
    if checklist["closing"] == PASSED:
        give_up += " " + say.CLOSINGS[0]  # a goodbye; nothing to thank a silent line for
    lines = [line(opening_words(rng, checklist, spec.started_at.hour, False)),
             line(pick(rng, say.SILENT_PROMPTS)), line(give_up)]
    lines[-1].pause_after = 0.0
    return CallScript(
        call_id=spec.call_id, started_at=spec.started_at.isoformat(), topic=None, problem_id=None, complaint=None,
        ivr_branch=spec.ivr_branch, misrouted=False, caller=spec.caller, operators=[operator],
        channels=spec.channels, operator_channel=spec.operator_channel, repeat_of=None, transfer=False,
        request=Request(False, None, None), checklist=checklist, lines=lines,
    )


def _date_of(script: CallScript) -> date:
    return datetime.fromisoformat(script.started_at).date()
