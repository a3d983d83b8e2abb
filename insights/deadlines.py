"""Registered requests, their response deadlines on the Russian working-day calendar, and which are late.

Deadlines by request type: a simple question is answered within 24 hours; documents and personal-data changes
within 5 working days; a complex complaint within 10 working days, which may be extended once, up to 30.
Working days are Monday to Friday less public holidays, plus the Saturdays the government moves a working
day to; both come from the `holidays` package, which tracks each year's decree (a hand-kept list goes stale).
A deadline counts from the day after registration and ends with its last working day.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import holidays

from insights.numbers import numbers_in
from insights.records import Request, Utterance
from insights.topics import OTHER
from kernel.language import lemmas
from kernel.roles import OPERATOR

SIMPLE, DOCUMENTS, COMPLEX = "simple", "documents", "complex"
REQUEST_TYPES = (SIMPLE, DOCUMENTS, COMPLEX)


@dataclass(frozen=True)
class DeadlinePolicy:
    simple_hours: int = 24
    documents_working_days: int = 5
    complex_working_days: int = 10
    complex_extended_working_days: int = 30
    # a request is "due soon" this close to its deadline
    due_soon: timedelta = timedelta(hours=24)


_calendar_lock = threading.Lock()
_calendar = holidays.country_holidays("RU")  # fills in each year the first time a date of it is asked about


def is_working_day(day: date) -> bool:
    with _calendar_lock:
        return _calendar.is_working_day(day)


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day` (which itself does not count)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    while count:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day


def _end_of(day: date, like: datetime) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=like.tzinfo)


def due_at(registered_at: datetime, request_type: str, extended: bool = False,
           policy: DeadlinePolicy = DeadlinePolicy()) -> datetime:
    if request_type == SIMPLE:
        return registered_at + timedelta(hours=policy.simple_hours)
    if request_type == DOCUMENTS:
        return _end_of(add_working_days(registered_at.date(), policy.documents_working_days), registered_at)
    if request_type == COMPLEX:
        days = policy.complex_extended_working_days if extended else policy.complex_working_days
        return _end_of(add_working_days(registered_at.date(), days), registered_at)
    raise ValueError(f"request type must be one of {', '.join(REQUEST_TYPES)}, got {request_type!r}")


def extend(request: Request, policy: DeadlinePolicy = DeadlinePolicy()) -> Request:
    """A complex complaint's one extension, up to the longer term."""
    if request.request_type != COMPLEX:
        raise ValueError(f"only complex complaints can be extended, request {request.number or request.call_id} "
                         f"is {request.request_type}")
    if request.extended:
        raise ValueError(f"request {request.number or request.call_id} was already extended once")
    return replace(request, extended=True, due_at=due_at(request.registered_at, COMPLEX, True, policy))


OVERDUE, DUE_SOON, ON_TIME, CLOSED = "overdue", "due_soon", "on_time", "closed"


def deadline_status(request: Request, now: datetime, policy: DeadlinePolicy = DeadlinePolicy()) -> str:
    if request.closed_at is not None:
        return CLOSED
    if now > request.due_at:
        return OVERDUE
    return DUE_SOON if request.due_at - now <= policy.due_soon else ON_TIME


def requests_needing_attention(requests: Iterable[Request], now: datetime,
                               policy: DeadlinePolicy = DeadlinePolicy()) -> tuple[list[Request], list[Request]]:
    """(due soon, overdue), each soonest deadline first."""
    due_soon, overdue = [], []
    for request in requests:
        status = deadline_status(request, now, policy)
        if status == DUE_SOON:
            due_soon.append(request)
        elif status == OVERDUE:
            overdue.append(request)
    return sorted(due_soon, key=lambda r: r.due_at), sorted(overdue, key=lambda r: r.due_at)


# --- finding a registered request in a call -------------------------------------------------------------------

_REGISTERED = re.compile(
    r"(зарегистрир\w+|записывайте номер|передал\w* ваш вопрос|записал\w* ваш вопрос|обращени\w+ принят\w*)",
    re.IGNORECASE)
# money that did not arrive or was charged wrongly, lost documents, a complaint: several agencies must answer
_COMPLEX_CUES = frozenset("""штраф налог начислить начисление пособие выплата пожаловаться жалоба потеряться
пеня задолженность""".split())
_DOCUMENT_TOPICS = frozenset({"contact_data_change", "passport_documents"})
_DOCUMENT_CUES = frozenset("перерасчет пересчитать стаж адрес регистрация прописка паспорт загранпаспорт".split())


def request_type_of(topic: str, complaint: str) -> str:
    """The request type the problem calls for, from its topic and the complaint's words: independent of the
    response time the operator promised, which is what the checklist checks against it."""
    found = set(lemmas(complaint))
    if found & _COMPLEX_CUES and topic != OTHER:
        return COMPLEX
    if topic in _DOCUMENT_TOPICS or found & _DOCUMENT_CUES:
        return DOCUMENTS
    return SIMPLE


def find_request(call_id: str, utterances: Sequence[Utterance], started_at: datetime, topic: str,
                 complaint: str, policy: DeadlinePolicy = DeadlinePolicy()) -> Request | None:
    """The request the operator registered during the call, if any (registration time: the call's start)."""
    for utterance in utterances:
        if utterance.role not in (OPERATOR, None):
            continue
        match = _REGISTERED.search(utterance.text)
        if match is None:
            continue
        numbers = numbers_in(utterance.text[match.start():])
        kind = request_type_of(topic, complaint)
        return Request(call_id, numbers[0] if numbers else None, kind, started_at,
                       due_at(started_at, kind, policy=policy))
    return None
