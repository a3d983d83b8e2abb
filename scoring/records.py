"""What scoring produces for one call: item verdicts with their evidence, conversation metrics, the total."""
from __future__ import annotations

from dataclasses import dataclass

PASSED, FAILED, NOT_APPLICABLE = "passed", "failed", "not_applicable"
VERDICTS = (PASSED, FAILED, NOT_APPLICABLE)


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
class ItemVerdict:
    item_id: str
    verdict: str  # PASSED | FAILED | NOT_APPLICABLE
    reason: str  # one line a supervisor reads: why this verdict
    evidence: tuple[Evidence, ...]
    weight: float
    critical: bool


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
