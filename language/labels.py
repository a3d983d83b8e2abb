"""The interface's words for values stored in English (verdicts, roles, urgencies, statuses): a stored value is
shown through its label, in the reader's language."""
from __future__ import annotations

from language import N_

LABELS = {
    # checklist verdicts
    "passed": N_("passed"), "failed": N_("failed"), "not_applicable": N_("not applicable"),
    # roles
    "admin": N_("admin"), "analyst": N_("analyst"), "supervisor": N_("supervisor"),
    # scorecard groupings and periods
    "operator": N_("operator"), "team": N_("team"), "regional_center": N_("regional centre"),
    "day": N_("day"), "week": N_("week"), "month": N_("month"),
    # transcript speakers
    "caller": N_("caller"), "operator2": N_("second operator"),
    # problem urgency and kind
    "critical": N_("critical"), "high": N_("high"), "medium": N_("medium"), "low": N_("low"),
    "complaint_cluster": N_("complaint cluster"), "topic": N_("topic"), "checklist_item": N_("checklist item"),
    # corrective action statuses and pilot decisions
    "planned": N_("planned"), "in_progress": N_("in progress"), "done": N_("done"), "dropped": N_("dropped"),
    "adopt": N_("adopt"), "extend": N_("extend"), "reject": N_("reject"),
    # pilot comparisons
    "better": N_("better"), "worse": N_("worse"), "no difference": N_("no difference"),
    "too few calls": N_("too few calls"),
}
