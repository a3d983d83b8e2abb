"""Prefect flows: wiring only. Each call is a task so it is retried, isolated and run concurrently on its own."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import duckdb
from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from asr.model import ModelSettings
from diarization.assign import load_models as load_diarization_models
from feedback.pilots import script_choice
from ingest.keys import Keyring
from pipelines.call_processing import (CallOutcome, ProcessingSettings, find_recordings, process_recording,
                                       record_unfinished)
from pipelines.progress import CallProgress
from scoring.script import load_script
from storage.db import Database

PIPELINE_VERSION = version("hotline-qc")
TRANSIENT_ERRORS = (OSError, duckdb.TransactionException, duckdb.IOException)


def _retry_transient(task, task_run, state) -> bool:
    try:
        state.result()
    except TRANSIENT_ERRORS:
        return True
    except Exception:
        return False
    return False


@task(name="process-call", retries=2, retry_delay_seconds=2, retry_condition_fn=_retry_transient,
      cache_policy=NONE, task_run_name="process {recording.name}")
def process_call_task(recording: Path, db: Database, keyring: Keyring, run_id: str,
                      settings: ProcessingSettings) -> CallOutcome:
    return process_recording(recording, db, keyring, run_id, settings)


@dataclass(frozen=True)
class BatchSummary:
    run_id: str
    total: int
    done: int
    failed: int
    skipped: int
    audio_seconds: float
    wall_seconds: float
    failures: tuple[CallOutcome, ...]


@flow(name="process_calls", log_prints=True)
def process_calls(inbox: Path, db_path: Path, key_paths: list[Path], force: bool = False, concurrency: int = 1,
                  model_path: Path | None = None, quarantine: Path | None = None, script: Path | None = None,
                  show_progress: bool = True) -> BatchSummary:
    started = time.perf_counter()
    keyring = Keyring.from_paths(key_paths)
    model = ModelSettings.from_env(path=model_path, num_workers=concurrency)
    load_script(script)  # a broken script stops the batch here, before any call is half-processed
    load_diarization_models()
    recordings = find_recordings(Path(inbox))
    counts: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    failures: list[CallOutcome] = []
    audio_seconds = 0.0
    with Database(db_path) as db:
        run_id = db.start_run(PIPELINE_VERSION, model.name, {"force": force, "concurrency": concurrency,
                                                             "inbox": str(inbox)})
        settings = ProcessingSettings(model=model, force=force, quarantine=quarantine, script=script,
                                      scripts=script_choice(db))
        with ThreadPoolTaskRunner(max_workers=concurrency) as runner, \
                CallProgress(len(recordings), enabled=show_progress) as progress:
            futures = {runner.submit(process_call_task, {"recording": r, "db": db, "keyring": keyring,
                                                         "run_id": run_id, "settings": settings}): r
                       for r in recordings}
            for future in as_completed(list(futures)):
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001  retries ran out; one call must not stop the batch
                    outcome = record_unfinished(futures[future], db, run_id, exc)
                counts[outcome.status] += 1
                stages.update(outcome.stage_seconds)
                audio_seconds += outcome.audio_seconds
                if outcome.status == "failed":
                    failures.append(outcome)
                    progress.note(f"[red]failed[/red] {Path(outcome.path).name}: {outcome.reason}")
                elif outcome.reason:  # a duplicate or a conflict: left as it is, but the user must hear of it
                    progress.note(f"[yellow]skipped[/yellow] {Path(outcome.path).name}: {outcome.reason}")
                progress.advance(Path(outcome.path).name, outcome.status, outcome.audio_seconds)
        db.rebuild_search_index()
        wall = time.perf_counter() - started
        db.finish_run(run_id, calls_total=len(recordings), calls_done=counts["done"], calls_failed=counts["failed"],
                      calls_skipped=counts["skipped"], audio_seconds=audio_seconds, wall_seconds=wall,
                      stage_seconds=dict(stages))
    return BatchSummary(run_id, len(recordings), counts["done"], counts["failed"], counts["skipped"],
                        audio_seconds, wall, tuple(failures))

