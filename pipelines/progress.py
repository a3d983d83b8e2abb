"""The progress bar an analyst watches during a batch: calls done of total, and hours of audio processed."""
from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

import language
from language import N_, gettext as _

# one line per call where no bar is drawn, by the call's status
CALL_LINES = {
    "done": N_("call %(call)s done (%(seconds)s s of audio)"),
    "failed": N_("call %(call)s failed (%(seconds)s s of audio)"),
    "skipped": N_("call %(call)s skipped (%(seconds)s s of audio)"),
}


class CallProgress:
    def __init__(self, total: int, enabled: bool = True, console: Console | None = None):
        self._progress = Progress(
            TextColumn("[bold]" + _("calls")), BarColumn(), MofNCompleteColumn(),
            TextColumn("· " + _("%(hours)s h of audio · %(failed)s failed · %(skipped)s skipped")
                       % {field: "{task.fields[%s]}" % field for field in ("hours", "failed", "skipped")}),
            TimeElapsedColumn(), TimeRemainingColumn(),
            console=console or Console(stderr=True),
            disable=not enabled,
        )
        self._task = self._progress.add_task("calls", total=total, hours=language.current().number(0.0, 2), failed=0,
                                            skipped=0)
        self.hours = 0.0
        self.failed = 0
        self.skipped = 0

    def __enter__(self) -> "CallProgress":
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def advance(self, name: str, status: str, audio_seconds: float) -> None:
        if self._progress.disable:
            # without a bar (logs, CI) one line per call says the same
            line = _(CALL_LINES[status]) % {"call": name, "seconds": language.current().number(audio_seconds)}
            self._progress.console.print(line, highlight=False)
        self.hours += audio_seconds / 3600
        self.failed += status == "failed"
        self.skipped += status == "skipped"
        self._progress.update(self._task, advance=1, hours=language.current().number(self.hours, 2), failed=self.failed,
                              skipped=self.skipped)

    def note(self, message: str) -> None:
        self._progress.console.print(message)
