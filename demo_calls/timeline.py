"""Placing the lines of a call in time: natural gaps, a caller cutting in, back-channels, holds, transfers."""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from demo_calls.records import Line

GAP_SECONDS = (0.2, 1.0)
LEAD_IN_SECONDS = (0.3, 1.0)  # the recording starts a moment before the operator speaks
TAIL_SECONDS = (0.4, 1.2)
INTERRUPT_SECONDS = (0.3, 1.0)
# a back-channel needs a line long enough to land inside
BACKCHANNEL_MIN_HOST_SECONDS = 2.0


@dataclass(frozen=True)
class Timing:
    starts: list[float]
    holds: list[tuple[float, float]]  # silences the operator announced, (start, end)
    duration: float


def place(lines: Sequence[Line], lengths: Sequence[float], rng: random.Random) -> Timing:
    """`lengths` are each line's speech duration; a line starts when the floor is free, except the overlaps."""
    starts: list[float] = []
    holds: list[tuple[float, float]] = []
    speaker_free: dict[str, float] = {}  # nobody talks over themself
    floor_free = rng.uniform(*LEAD_IN_SECONDS)  # when everything said so far has ended
    pause = 0.0  # silence announced by the previous line (hold, transfer)
    host: tuple[float, float] | None = None  # (start, length) of the last line that held the floor
    for line, length in zip(lines, lengths):
        own_free = speaker_free.get(line.speaker_id, 0.0)
        takes_floor = True
        if line.overlap == "backchannel" and host and host[1] >= BACKCHANNEL_MIN_HOST_SECONDS and not pause:
            start = max(host[0] + host[1] * rng.uniform(0.3, 0.65), own_free + 0.1)
            takes_floor = False
        elif line.overlap == "interrupt" and host and host[1] >= 1.5 and not pause:
            start = max(floor_free - min(rng.uniform(*INTERRUPT_SECONDS), host[1] * 0.3), own_free + 0.1)
        else:
            start = floor_free + (pause or rng.uniform(*GAP_SECONDS))
        start = round(start, 3)
        if takes_floor:
            host = (start, length)
        starts.append(start)
        end = start + length
        speaker_free[line.speaker_id] = end
        floor_free = max(floor_free, end)
        if line.pause_after and line.is_hold:
            holds.append((round(floor_free, 3), round(floor_free + line.pause_after, 3)))
        pause = line.pause_after
    return Timing(starts, holds, round(floor_free + rng.uniform(*TAIL_SECONDS), 3))
