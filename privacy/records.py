"""What redaction hands to storage and playback."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PiiInterval:
    """A masked stretch of a call: the times audio playback and export mute."""

    start_s: float
    end_s: float
    kind: str
    channel: int | None = None  # the channel to mute; None: every channel
