"""A dashboard database filled the way production fills it, from the committed demo calls: their true turns
redacted and stored as transcripts with their encrypted recordings, scored by the real scorer, analysed and clustered by
the real insights steps, operators in two teams, and one user of each role."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from asr.records import Segment, Transcript
from dashboards.auth import create_user
from demo_calls.dataset import committed_set, iter_calls
from ingest.envelope import encrypt_file
from ingest.keys import generate_key_pair
from ingest.metadata import parse_sidecar
from pipelines.insights_steps import analyse_new_calls, recluster_all_complaints
from pipelines.rescore import rescore
from privacy.transcript import redact_transcript
from scoring.encoder import shared_encoder
from storage.calls import save_call
from storage.db import Database
from storage.records import RecordingInfo
from storage.scores import save_operator_teams

# odd operators work in the north team, even ones in the south team
TEAMS = {f"op-{n:02d}": "north" if n % 2 else "south" for n in range(1, 10)}
PASSWORDS = {"admin": "admin-pass-1", "analyst": "analyst-pass-1", "supervisor": "supervisor-pass-1",
             "south-supervisor": "supervisor-pass-2"}


def build(folder: Path) -> Path:
    """The database file and the recordings and keys it points at, all inside `folder`; returns the file."""
    keys = generate_key_pair(folder / "keys")
    recordings = folder / "recordings"
    recordings.mkdir()
    path = folder / "dashboard.duckdb"
    with Database(path) as db:
        for call in iter_calls(committed_set()):
            truth = call.truth()
            encrypted = recordings / f"{call.call_id}.enc"
            encrypt_file(keys.public, call.audio, encrypted)
            segments = tuple(Segment(t["start"], t["end"], t["text"], t["channel"], (), t["speaker"], t["role"])
                             for t in truth["turns"])
            recording = RecordingInfo(hashlib.sha256(encrypted.read_bytes()).hexdigest(), encrypted,
                                      encrypted.stat().st_size, keys.key_id, "vorbis", 8000, 2)
            transcript, pii = redact_transcript(Transcript("ru", 1.0, truth["duration_s"], segments))
            save_call(db, "demo", parse_sidecar(call.sidecar_data()), recording, transcript, pii=pii)
        rescore(db, encoder=shared_encoder())
        analyse_new_calls(db)
        recluster_all_complaints(db)
        save_operator_teams(db, TEAMS)
        create_user(db, "admin", PASSWORDS["admin"], "admin")
        create_user(db, "analyst", PASSWORDS["analyst"], "analyst")
        create_user(db, "supervisor", PASSWORDS["supervisor"], "supervisor", ["north"])
        create_user(db, "south-supervisor", PASSWORDS["south-supervisor"], "supervisor", ["south"])
    return path


def copy_of(template: Path, folder: Path) -> Path:
    """A private copy of a built database (the recordings and keys stay shared: nothing writes them)."""
    target = folder / template.name
    shutil.copyfile(template, target)
    return target


_templates: dict[str, Path] = {}


def template(tmp_path_factory) -> Path:
    """Built once per test session and shared by the dashboard test modules, which each work on a copy."""
    if "db" not in _templates:
        _templates["db"] = build(tmp_path_factory.mktemp("dashboard-template"))
    return _templates["db"]
