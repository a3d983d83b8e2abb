"""Which calls a user may see: a supervisor reads the calls of operators in their teams, other roles every call."""
from __future__ import annotations

from collections.abc import Iterable


def team_filter(teams: Iterable[str] | None, column: str = "t.team") -> tuple[str, dict]:
    """The SQL condition (to append after WHERE) that keeps the rows of `teams`' operators, with its parameters;
    `column` names the team. None: no condition."""
    if teams is None:
        return "", {}
    return f" AND list_contains($teams, {column})", {"teams": sorted(teams)}
