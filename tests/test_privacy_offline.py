"""Personal data never needs the network: redaction's models and the database run with only loopback."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs redaction in a loopback-only namespace

ROOT = Path(__file__).resolve().parents[1]
_CHECK = """
import socket, sys, tempfile
from pathlib import Path
try:
    socket.create_connection(("pypi.org", 443), timeout=3)
    sys.exit("the network is reachable: this check is not isolated")
except OSError:
    pass
from privacy.redact import redact_text
from storage import audit
from storage.db import Database
from storage.search import rebuild_index
masked = redact_text("Меня зовут Николаев Михаил Анатольевич, мой телефон восемь девятьсот шестнадцать 123 45 67.")
assert masked.text == "Меня зовут [ФИО], мой телефон [телефон].", masked.text
with Database(Path(tempfile.mkdtemp()) / "qc.duckdb") as db:
    audit.record(db, "check", "sign_in")
    rebuild_index(db)
print("offline ok")
"""


def _isolated() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _isolated(), reason="unshare -rn (unprivileged user and network namespaces) is unavailable")
def test_redaction_and_storage_work_inside_a_loopback_only_namespace():
    result = subprocess.run(
        ["unshare", "-rn", "sh", "-c", f'ip link set lo up 2>/dev/null; exec "{sys.executable}" -c "$0"', _CHECK],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("offline ok")
