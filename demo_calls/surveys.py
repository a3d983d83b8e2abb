"""Post-call survey answers for generated calls, where the rating depends on what the operator did: the
satisfaction analysis then has something true to find.

The truth, in RATING_EFFECTS: failing to give the information costs 1.5 rating points and a forbidden phrase
1.2; a repeat call costs 0.8 and every hold 0.4. The other checklist items do not move the rating at all.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from demo_calls.records import FAILED, CallScript

BASE_RATING = 4.6
RATING_EFFECTS = {"information": -1.5, "no_forbidden_phrases": -1.2}
REPEAT_EFFECT = -0.8
HOLD_EFFECT = -0.4
NOISE_SD = 0.6
RESPONSE_SHARE = 0.6

_COMPLAINTS = (
    "Оператор так и не объяснил, что делать.",
    "Ничего не решили, пришлось звонить ещё раз.",
    "Долго держали на линии.",
    "Грубо разговаривали.",
)
# a caller who leaves a way to reach them: the personal data the comment's masking must catch
_CONTACTS = ("Перезвоните мне: {phone}.", "Меня зовут {full_name}, жду ответа.")


def survey_rows(scripts: Sequence[CallScript], seed: int, response_share: float = RESPONSE_SHARE) -> list[dict]:
    """Rows in the survey system's format (the fields `ingest.surveys` accepts) for the calls whose caller
    answered; a silent line gets no survey. The same seed gives the same rows."""
    rng = random.Random(seed)
    rows = []
    for call in scripts:
        answers = rng.random() < response_share
        if call.topic is None or not answers:
            continue
        expected = (BASE_RATING + sum(effect for item, effect in RATING_EFFECTS.items()
                                      if call.checklist.get(item) == FAILED)
                    + (REPEAT_EFFECT if call.repeat_of else 0.0)
                    + HOLD_EFFECT * sum(line.is_hold for line in call.lines))
        rating = min(5, max(1, round(rng.gauss(expected, NOISE_SD))))
        solved_chance = 0.5 if call.transfer else 0.8 if call.request.registered else 0.9
        if call.checklist.get("information") == FAILED:
            solved_chance /= 2
        comment = ""
        if rating <= 2 and rng.random() < 0.7:
            comment = rng.choice(_COMPLAINTS)
            if rng.random() < 0.5:
                comment += " " + rng.choice(_CONTACTS).format(phone=call.caller.phone,
                                                              full_name=call.caller.full_name)
        answered = datetime.fromisoformat(call.started_at) + timedelta(minutes=rng.randint(5, 40))
        rows.append({"call_id": call.call_id, "rating": rating, "resolved": rng.random() < solved_chance,
                     "comment": comment, "answered_at": answered.isoformat()})
    return rows
