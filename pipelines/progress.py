"""The progress bar an analyst watches during a batch: calls done of total, and hours of audio processed."""
from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class CallProgress:
    def __init__(self, total: int, enabled: bool = True, console: Console | None = None):
        self._progress = Progress(
            TextColumn("[bold]calls"), BarColumn(), MofNCompleteColumn(),
            TextColumn("· {task.fields[hours]:.2f} h audio · {task.fields[failed]} failed · {task.fields[skipped]} skipped"),
            TimeElapsedColumn(), TimeRemainingColumn(),
            console=console or Console(stderr=True),
            disable=not enabled,
        )
        self._task = self._progress.add_task("calls", total=total, hours=0.0, failed=0, skipped=0)
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
            self._progress.console.print(f"{status} {name} ({audio_seconds:.1f} s audio)", highlight=False)
        self.hours += audio_seconds / 3600
        self.failed += status == "failed"
        self.skipped += status == "skipped"
        self._progress.update(self._task, advance=1, hours=self.hours, failed=self.failed, skipped=self.skipped)

    def note(self, message: str) -> None:
        self._progress.console.print(message)
