"""Prefect flows: wiring only. Each call is a task run on a Dask worker, so it is retried, isolated and run in
parallel on its own; the flow's process alone reads and writes DuckDB."""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import dask
import psutil
from prefect import flow
from prefect.context import get_run_context
from prefect.futures import as_completed
from prefect_dask import DaskTaskRunner

from asr.model import ModelSettings, check_device
from ingest.keys import Keyring
from pipelines.call_processing import CallOutcome, ProcessingSettings, admit, find_recordings, record_unfinished, store
from pipelines.call_task import process_call_task
from pipelines.pilots import script_choice
from pipelines.progress import CallProgress
from pipelines.rescore import taught_examples
from scoring.scorer import shared_script
from scoring.script import load_script
from storage.calls import finish_run, start_run
from storage.db import Database
from storage.search import rebuild_index

PIPELINE_VERSION = version("hotline-qc")
# a worker with its diarization process holds Whisper, the diarization and text models and one call: on an hour-long
# mono call they peaked at 1.16 and 1.23 GB (docs/scale-out.md); with less free memory than this per worker they
# would swap or be killed
WORKER_MEMORY_BYTES = 3 * 2**30
# a call whose worker died is rerun elsewhere; one that kills this many workers is a poison pill and fails
ALLOWED_WORKER_DEATHS = 3
# Dask's nanny starts workers with OMP_NUM_THREADS=1 (and MKL's, OpenBLAS's) and MALLOC_TRIM_THRESHOLD_=65536: the
# first left Whisper's second thread idle (a stereo call's ASR took 16 % longer), the second made it map and unmap
# its buffers (1.67x the CPU, pipelines.memory.keep_buffers_on_the_heap). Every thread count is set by this
# package itself (HOTLINE_QC_ASR_THREADS, the diarization process's torch threads).
WORKER_ENVIRONMENT: dict[str, str] = {}


def default_workers() -> int:
    cores = os.cpu_count() or 1
    return max(1, min(cores, psutil.virtual_memory().available // WORKER_MEMORY_BYTES))


def _task_runner(cluster: str | None, workers: int) -> DaskTaskRunner:
    if cluster:
        return DaskTaskRunner(address=cluster)
    # Worker processes report task runs to this flow's Prefect API: without it each would start a server of its own
    api_url = str(get_run_context().client.api_url)
    # the scheduler's HTTP server always starts: on a random loopback port it takes no port another cluster on this
    # machine wants (8787 is Dask's default) and is reachable from nowhere else
    return DaskTaskRunner(cluster_kwargs=dict(n_workers=workers, threads_per_worker=1, processes=True,
                                              dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                                              env={"PREFECT_API_URL": api_url}))


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
    # every call's, with what it cost (CallCost)
    outcomes: tuple[CallOutcome, ...] = ()


@flow(name="process_calls", log_prints=True)
def process_calls(inbox: Path, db_path: Path, key_paths: list[Path], force: bool = False, workers: int | None = None,
                  cluster: str | None = None, model_path: Path | None = None, quarantine: Path | None = None,
                  script: Path | None = None, show_progress: bool = True) -> BatchSummary:
    """`cluster` is a Dask scheduler's address (tcp://host:8786); without it a local cluster of `workers` processes
    (default: one per 3 GB of free memory, up to the core count) runs the calls."""
    started = time.perf_counter()
    Keyring.from_paths(key_paths)  # a key problem stops the batch here, not once per call on every worker
    workers = None if cluster else workers or default_workers()
    # each local worker transcribes one call at a time: the cores are shared out between them, not oversubscribed
    model = ModelSettings.from_env(path=model_path, **({"cpu_threads": max(1, (os.cpu_count() or 1) // workers)}
                                                       if workers and not os.environ.get("HOTLINE_QC_ASR_THREADS")
                                                       else {}))
    if not cluster:
        check_device(model.device)  # a GPU this machine lacks stops the batch here; a cluster's workers have their own
    load_script(script)  # a broken script stops the batch here, before any call is half-processed
    recordings = find_recordings(Path(inbox))
    counts: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    outcomes: list[CallOutcome] = []
    failures: list[CallOutcome] = []
    audio_seconds = 0.0
    key_names = tuple(str(Path(p).resolve()) for p in key_paths)
    with Database(db_path) as db:
        run_id = start_run(db, PIPELINE_VERSION, model.name, {"force": force, "workers": workers, "cluster": cluster,
                                                             "inbox": str(inbox)})
        scripts = script_choice(db)
        candidates = [shared_script(script)] if script else [shared_script(None, text) for text in
                                                             {scripts.adopted, *scripts.texts.values()}]
        settings = ProcessingSettings(model=model, force=force, quarantine=quarantine, script=script, scripts=scripts,
                                      taught={s.version: tuple(taught_examples(db, s)) for s in candidates})

        def finish(outcome: CallOutcome) -> None:
            nonlocal audio_seconds
            counts[outcome.status] += 1
            stages.update(outcome.cost.wall_seconds)
            outcomes.append(outcome)
            audio_seconds += outcome.audio_seconds
            if outcome.status == "failed":
                failures.append(outcome)
                progress.note(f"[red]failed[/red] {Path(outcome.path).name}: {outcome.reason}")
            elif outcome.reason:  # a duplicate or a conflict: left as it is, but the user must hear of it
                progress.note(f"[yellow]skipped[/yellow] {Path(outcome.path).name}: {outcome.reason}")
            progress.advance(Path(outcome.path).name, outcome.status, outcome.audio_seconds)

        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_WORKER_DEATHS,
                              "distributed.nanny.pre-spawn-environ": WORKER_ENVIRONMENT}), \
                _task_runner(cluster, workers) as runner, \
                CallProgress(len(recordings), enabled=show_progress) as progress:
            submitted = {}
            for recording in recordings:
                try:
                    admitted = admit(recording, db, run_id, settings)
                except Exception as exc:  # noqa: BLE001  the share hiccuped; the call stays for the next run
                    admitted = record_unfinished(recording, db, run_id, exc)
                if isinstance(admitted, CallOutcome):
                    finish(admitted)
                    continue
                future = runner.submit(process_call_task, {"recording": recording.resolve(), "key_paths": key_names,
                                                           "admitted": admitted, "settings": settings})
                submitted[future] = (recording, admitted.metadata)
            # results are stored as they complete, each once: a call rerun after its worker died came back once
            for future in as_completed(list(submitted)):
                recording, metadata = submitted[future]
                try:
                    result, cost = future.result()
                    outcome = store(recording, db, run_id, settings, metadata, result, cost)
                except Exception as exc:  # noqa: BLE001  retries ran out; one call must not stop the batch
                    outcome = record_unfinished(recording, db, run_id, exc)
                finish(outcome)
        rebuild_index(db)
        wall = time.perf_counter() - started
        finish_run(db, run_id, calls_total=len(recordings), calls_done=counts["done"], calls_failed=counts["failed"],
                   calls_skipped=counts["skipped"], audio_seconds=audio_seconds, wall_seconds=wall,
                   stage_seconds=dict(stages))
    return BatchSummary(run_id, len(recordings), counts["done"], counts["failed"], counts["skipped"],
                        audio_seconds, wall, tuple(failures), tuple(outcomes))
