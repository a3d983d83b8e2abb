"""The per-call Prefect task, as Dask workers run it: in worker processes of their own, maybe on other machines.

It computes a call and hands it back; it never opens the database, which only the flow's process writes.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from prefect import task
from prefect.cache_policies import NONE

from pipelines import offline  # noqa: F401  a worker is a process of its own: nothing may phone home from it either
from ingest.keys import Keyring
from pipelines.call_processing import Admitted, CallCost, ProcessingSettings, Rejected, compute_call
from pipelines.memory import keep_buffers_on_the_heap
from storage.records import ProcessedCall

# a network share's hiccups; workers never open DuckDB, so its lock errors cannot happen here
TRANSIENT_ERRORS = (OSError,)


def _retry_transient(task, task_run, state) -> bool:
    try:
        state.result()
    except TRANSIENT_ERRORS:
        return True
    except Exception:
        return False
    return False


@cache
def worker_keyring(key_paths: tuple[str, ...]) -> Keyring:
    """Private keys travel as paths, never as key material: each worker reads them from its own disk, once."""
    return Keyring.from_paths([Path(p) for p in key_paths])


@task(name="process-call", retries=2, retry_delay_seconds=2, retry_condition_fn=_retry_transient,
      cache_policy=NONE, task_run_name="process {recording.name}")
def process_call_task(recording: Path, key_paths: tuple[str, ...], admitted: Admitted,
                      settings: ProcessingSettings) -> tuple[ProcessedCall | Rejected, CallCost]:
    keep_buffers_on_the_heap()
    return compute_call(recording, worker_keyring(key_paths), admitted, settings)
