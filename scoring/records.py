"""What scoring produces for one call: item verdicts with their evidence, conversation metrics, the weighted total;
and the records scorecards are made of."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

PASSED, FAILED, NOT_APPLICABLE = "passed", "failed", "not_applicable"
VERDICTS = (PASSED, FAILED, NOT_APPLICABLE)
GROUPINGS = ("operator", "team", "regional_center")
PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class Evidence:
    """A stretch of the call that justifies a verdict, and how it was recognised."""

    start: float
    end: float
    speaker: str
    quote: str
    method: str  # «lemma rule 'горячий линия госуслуга'», «judge 0.83, like '…'»

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "speaker": self.speaker, "quote": self.quote,
                "method": self.method}


@dataclass(frozen=True)
class Reason:
    """Why a verdict, as a message of the catalogue and its values, so that each reader reads it in their own
    language. A counted message has a `plural` form, chosen by the value `n`."""

    msgid: str
    values: tuple[tuple[str, str | int | float], ...] = ()
    plural: str | None = None

    @classmethod
    def of(cls, msgid: str | tuple[str, str], **values: str | int | float) -> Reason:
        """`msgid` marked by `language.N_`, or a (singular, plural) pair marked by `language.Nn_`. Times (floats)
        are kept to one decimal, as the English text says them: a page then writes the same figure."""
        singular, plural = (msgid, None) if isinstance(msgid, str) else msgid
        return cls(singular, tuple((k, round(v, 1) if isinstance(v, float) else v) for k, v in values.items()), plural)

    @property
    def text(self) -> str:
        """In English, times to one decimal: the text stored beside the message and exported."""
        values = dict(self.values)
        form = self.msgid if self.plural is None or values.get("n") == 1 else self.plural
        return form % {k: f"{v:.1f}" if isinstance(v, float) else v for k, v in values.items()}

    def to_json(self) -> dict:
        return {"msgid": self.msgid, "values": dict(self.values), "plural": self.plural}

    @classmethod
    def from_json(cls, data: dict) -> Reason:
        return cls(data["msgid"], tuple(data["values"].items()), data["plural"])


@dataclass(frozen=True)
class ItemVerdict:
    item_id: str
    verdict: str  # PASSED | FAILED | NOT_APPLICABLE
    why: tuple[Reason, ...]  # what a supervisor reads: why this verdict, one or more reasons in a row
    evidence: tuple[Evidence, ...]
    weight: float
    critical: bool

    @property
    def reason(self) -> str:
        """The reasons in English, on one line."""
        return "; ".join(r.text for r in self.why)


@dataclass(frozen=True)
class ConversationMetrics:
    duration_s: float
    operator_talk_s: float
    caller_talk_s: float
    talk_ratio: float | None  # operator talk time / caller talk time; None when the caller never spoke
    silence_share: float
    longest_silence_s: float
    hold_count: int  # silences longer than the hold threshold, between words of the call
    hold_total_s: float
    overtalk_s: float
    interruptions: int  # the operator taking the floor while the caller was speaking
    operator_words_per_minute: float | None
    time_to_operator_s: float | None
    transfers: int

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CallScore:
    script_name: str
    script_version: str
    encoder: str
    items: tuple[ItemVerdict, ...]
    metrics: ConversationMetrics
    score: float | None  # 0-100 over applicable items; None when no item applied
    critical_failures: tuple[str, ...]  # ids of critical items that failed

    def item(self, item_id: str) -> ItemVerdict:
        for verdict in self.items:
            if verdict.item_id == item_id:
                return verdict
        raise KeyError(item_id)


@dataclass(frozen=True)
class ItemOutcome:
    """The verdict a scorecard counts for one item of one call: the analyst's override if any, else the automatic one."""

    item_id: str
    verdict: str
    weight: float
    critical: bool
    overridden: bool = False


@dataclass(frozen=True)
class ScoredCall:
    call_id: str
    started_at: datetime | None  # in the regional centre's local time: its day is the day the operator worked
    operator_id: str | None
    team: str | None
    regional_center: str | None
    script_version: str
    items: tuple[ItemOutcome, ...]

    @property
    def score(self) -> float | None:
        return weighted_score(self.items)

    @property
    def critical_failures(self) -> tuple[str, ...]:
        return critical_failures(self.items)


@dataclass(frozen=True)
class ScorecardRow:
    group: str
    period_start: date
    calls: int
    mean_score: float | None
    critical_calls: int  # calls with at least one critical item failed
    critical_share: float
    trend: float | None  # mean score minus that of the group's previous period with calls


@dataclass(frozen=True)
class ScorecardCell:
    """The scored calls of one group in one period, added up: what a scorecard row is made from."""

    group: str
    period_start: date
    calls: int
    scored: int  # calls with a score (some have no applicable item)
    score_sum: float
    critical_calls: int


def weighted_score(items: Iterable[ItemOutcome | ItemVerdict]) -> float | None:
    """Points of passed items over points of applicable ones; not applicable items neither add nor cost."""
    applicable = [i for i in items if i.verdict != NOT_APPLICABLE]
    possible = sum(i.weight for i in applicable)
    if not possible:
        return None
    return round(100.0 * sum(i.weight for i in applicable if i.verdict == PASSED) / possible, 1)


def critical_failures(items: Iterable[ItemOutcome | ItemVerdict]) -> tuple[str, ...]:
    return tuple(i.item_id for i in items if i.critical and i.verdict == FAILED)
