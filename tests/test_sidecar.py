"""The metadata sidecar beside each recording: what is refused as a bad sidecar before it reaches storage."""
from __future__ import annotations

import json

import pytest

from ingest.metadata import InvalidSidecar, read_sidecar

GOOD = {"call_id": "call-1", "started_at": "2026-11-02T09:30:00+03:00", "operator_id": "op-1"}


def _recording_with(tmp_path, text: str):
    recording = tmp_path / "call-1.enc"
    recording.write_bytes(b"")
    recording.with_suffix(".json").write_text(text, encoding="utf-8")
    return recording


def test_a_good_sidecar_is_read(tmp_path):
    assert read_sidecar(_recording_with(tmp_path, json.dumps(GOOD))).operator_id == "op-1"


@pytest.mark.parametrize("text, reason", [
    (json.dumps({**GOOD, "operator_id": "x" * (30 * 1024 * 1024)}), "larger than"),  # a 30 MB field
    (json.dumps({**GOOD, "regional_center": "Москва " * 40}), "at most 200"),  # long, though the file is small
    ("[" * 100_000 + "]" * 100_000, "larger than"),
    ('{"call_id": ' + "[" * 5_000 + "]" * 5_000 + "}", "nested too deeply"),
])
def test_oversized_or_deeply_nested_sidecars_are_bad_sidecars(tmp_path, text, reason):
    with pytest.raises(InvalidSidecar, match=reason):
        read_sidecar(_recording_with(tmp_path, text))
