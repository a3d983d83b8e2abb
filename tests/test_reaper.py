"""A `hotline-qc` command killed with SIGKILL leaves no Prefect API server (or other child) running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts and kills process trees

ROOT = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_command_killed_with_sigkill_leaves_no_child_running(tmp_path):
    # a flow run starts Prefect's ephemeral server as a child; the insights flow starts one on an empty database
    from storage.db import Database

    Database(tmp_path / "qc.duckdb").close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "cluster-complaints", "--db",
                                str(tmp_path / "qc.duckdb")], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    deadline = time.monotonic() + 120
    while server is None and time.monotonic() < deadline and command.poll() is None:
        for pid in _children(command.pid):
            try:
                if b"prefect.server.api.server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    server = pid
            except OSError:
                pass
        time.sleep(0.05)
    if server is None:
        command.kill()
        pytest.skip("the command ended before Prefect started a server process to kill it under")
    command.send_signal(signal.SIGKILL)
    command.wait()
    deadline = time.monotonic() + 20
    while _alive(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = _alive(server)
    if alive:
        os.kill(server, signal.SIGKILL)
    assert not alive, "Prefect's API server outlived the killed command"
