"""Delivering recordings into an inbox the way the recording system does: encrypted file plus sidecar."""
from __future__ import annotations

import io
import json
from pathlib import Path

from ingest.envelope import encrypt_stream
from ingest.keys import load_public_key


def deliver(inbox: Path, name: str, public_key: Path, audio: bytes | Path, sidecar: dict | str | None) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    data = audio.read_bytes() if isinstance(audio, Path) else audio
    target = inbox / f"{name}.enc"
    with target.open("wb") as out:
        encrypt_stream(load_public_key(public_key), io.BytesIO(data), out)
    if sidecar is not None:
        text = sidecar if isinstance(sidecar, str) else json.dumps(sidecar)
        (inbox / f"{name}.json").write_text(text, encoding="utf-8")
    return target


def sidecar(call_id: str, **fields) -> dict:
    return {"call_id": call_id, "started_at": "2026-11-02T09:30:00+03:00", **fields}
