"""The two parties of a call, and who speaks on a channel of a stereo recording."""
from __future__ import annotations

OPERATOR, CALLER = "operator", "caller"


def channel_role(channel: int | None, operator_channel: int | None) -> str | None:
    """The operator on the operator's channel, the caller on the other; None when either is unknown."""
    if channel is None or operator_channel is None:
        return None
    return OPERATOR if channel == operator_channel else CALLER
