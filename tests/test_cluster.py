"""`hotline-qc process --cluster` against a real Dask cluster on loopback: a scheduler and two worker processes,
one of which is killed in the middle of a call, as a machine that loses power would be."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from distributed import Client

from conftest import eval_file
from inbox import deliver, sidecar
from ingest.keys import generate_key_pair

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CALLS = {"mono-1": "audio_tts_ru/dialogue_rhv_8k.flac", "mono-2": "audio_tts_ru/dialogue_rhv_8k.flac",
         "stereo": "audio_real/fasterwhisper_en_fixtures/stereo_diarization.wav"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    procs = [subprocess.Popen([BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stderr=subprocess.DEVNULL)]
    for n in range(2):
        # no nanny: a killed worker stays dead, like a machine gone, instead of being restarted in place;
        # each worker's own ephemeral Prefect gets its own home so that two on one machine share no SQLite file
        procs.append(subprocess.Popen(
            [BIN / "dask", "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--host", "127.0.0.1", "--name", f"w{n}"],
            env={**env, "PREFECT_HOME": str(tmp_path / f"prefect-w{n}")}, stderr=subprocess.DEVNULL))
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
            yield address, client
    finally:
        for proc in reversed(procs):
            proc.kill()
            proc.wait()


def test_a_worker_killed_mid_call_loses_nothing_and_stores_nothing_twice(cluster, tmp_path):
    address, client = cluster
    pair = generate_key_pair(tmp_path / "keys")
    inbox = tmp_path / "inbox"
    for name, audio in CALLS.items():
        channels = {"channels": "stereo", "operator_channel": 0} if name == "stereo" else {"language": "ru"}
        deliver(inbox, name, pair.public, eval_file(audio), sidecar(name, **channels))
    pids = client.run(os.getpid)
    db = tmp_path / "qc.duckdb"
    run = subprocess.Popen([BIN / "hotline-qc", "--lang", "en", "process", inbox, "--db", db, "--keys", tmp_path / "keys",
                            "--cluster", address, "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, cwd=ROOT, env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-flow")})
    deadline = time.monotonic() + 240
    while not any(client.processing().values()):
        assert run.poll() is None and time.monotonic() < deadline, run.stderr.read() if run.poll() else "no call started"
        time.sleep(0.2)
    victim = next(worker for worker, tasks in client.processing().items() if tasks)
    time.sleep(3)  # well into the call: the model is loading or Whisper is decoding
    assert run.poll() is None, "the batch finished before a worker could be killed"
    os.kill(pids[victim], signal.SIGKILL)
    out, err = run.communicate(timeout=420)
    assert run.returncode == 0, err
    assert "3 done, 0 failed, 0 skipped of 3 calls" in out
    assert len(client.scheduler_info()["workers"]) == 1  # the killed worker did not come back: the other did its calls
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT call_id, status FROM calls ORDER BY call_id").fetchall() == \
            [("mono-1", "done"), ("mono-2", "done"), ("stereo", "done")]
        assert con.execute("SELECT call_id, count(*) FROM call_scores GROUP BY call_id ORDER BY call_id").fetchall() == \
            [("mono-1", 1), ("mono-2", 1), ("stereo", 1)]
        assert con.execute("SELECT count(*) FROM segments GROUP BY call_id, segment_no HAVING count(*) > 1").fetchall() == []
        per_call = dict(con.execute("SELECT call_id, count(*) FROM segments GROUP BY call_id").fetchall())
        assert per_call["mono-1"] == per_call["mono-2"] > 0 and per_call["stereo"] > 0
        assert con.execute("SELECT count(*) FROM failures").fetchone()[0] == 0
