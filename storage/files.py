"""Recording files on disk that belong to calls: the encrypted recording and its metadata sidecar beside it.

Files are only removed inside the folder the user named, so a path stored in the database can never make a
purge or an erasure delete something elsewhere.
"""
from __future__ import annotations

import json
from pathlib import Path

from ingest.records import sidecar_path


def inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def recording_files(recordings: list[Path], folder: Path, call_ids: set[str],
                    caller_id: str | None = None) -> list[Path]:
    """The stored recordings inside `folder`, their sidecars, and any recording whose sidecar names one of the
    calls or the caller (recordings that arrived but were never processed)."""
    wanted = {p for rec in recordings if inside(rec, folder) for p in (rec, sidecar_path(rec))}
    for sidecar in folder.rglob("*.json"):
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and (data.get("call_id") in call_ids
                                       or (caller_id is not None and data.get("caller_id") == caller_id)):
            wanted.add(sidecar)
            wanted.update(p for p in sidecar.parent.glob(sidecar.stem + ".*") if p != sidecar)
    return sorted(p for p in wanted if p.is_file())


def remove(paths: list[Path]) -> int:
    for path in paths:
        path.unlink(missing_ok=True)
    return len(paths)
