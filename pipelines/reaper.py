"""Prefect runs a flow against an ephemeral API server it starts as a child process and stops when the command
exits. A command killed with SIGKILL cannot stop it, and the server would run on with its port and SQLite
store. So a command that runs flows marks the processes it starts (an environment variable they inherit) and
starts this watcher, which holds the read end of a pipe whose write end only the command holds. However the
command ends, the pipe reaches end-of-file and the watcher ends every process still carrying the mark.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

MARK = "HOTLINE_QC_RUN_MARK"
_GRACE_S = 5.0


def reap_on_exit() -> None:
    """Have whatever this process starts from now on ended when this process ends, however it ends."""
    if _held:
        return
    mark = secrets.token_hex(16)
    read_end, write_end = os.pipe()  # neither end is inheritable: only the watcher gets read_end, as stdin
    # a session of its own: a Ctrl-C to the terminal's process group must not end the watcher first
    subprocess.Popen([sys.executable, "-m", "pipelines.reaper", mark], stdin=read_end, start_new_session=True,
                     env={k: v for k, v in os.environ.items() if k != MARK})
    os.close(read_end)
    _held.append(write_end)  # open for this process's life; the kernel closes it at any death
    os.environ[MARK] = mark


_held: list[int] = []


def _marked(mark: str) -> list[int]:
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or another user's
            continue
    return found


def _end(mark: str) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _marked(mark)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + _GRACE_S
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = _marked(mark)
        if not pids:
            return


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdin.buffer.read()  # returns at end-of-file: the command has ended
    _end(sys.argv[1])
