"""Diarization in a process of its own beside each worker process, started on the worker's first call and kept.

Three reasons. It listens to a mono call (pyannote and the voice prints: most of diarization's time) while the
worker transcribes it, so where a core is free for it the call takes about as long as the longer of the two,
not their sum. torch's threads and the allocator setting CAM++ needs
(diarization.campplus.keep_large_tensors_off_the_heap) made every large allocation of Whisper's a fresh mapping
when they shared a process: ASR took 1.3 times the CPU and 3.7 times the
page faults after the first diarization. And the two sets of models and their working memory peak in two
processes, each under a worker's budget, instead of stacking up in one.

The worker sends the call's audio (`begin`), then its transcript (`finish`), and gets the attributed transcript
back. What the audio alone tells is worked out in between, while the worker transcribes; after the transcript,
only what needs the words is left. Messages are pickles over the child's stdin and stdout. The child exits when
the worker's end of the pipe closes, so it dies with its worker.
"""
from __future__ import annotations

import atexit
import os
import pickle
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from typing import BinaryIO

import numpy as np

from asr.records import Transcript
from diarization.records import AttributedTranscript


class DiarizationProcessDied(OSError):
    """The diarization process ended without an answer (killed for memory, say): the call is retried, and the
    next call starts a new process."""


@dataclass(frozen=True)
class ProcessCost:
    """What a call cost the diarization process, measured there: CPU seconds of listening to the audio (during the
    ASR) and of settling who spoke each word (after it), and the process's peak RSS so far."""

    cpu_seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0


def peak_rss_mb() -> float:
    """This process's own peak resident memory so far. Linux carries ru_maxrss over an exec: a process the worker
    starts reported at least the worker's peak then (a child of a 217 MB process said 217 MB, its VmHWM 11)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes too


class DiarizationProcess:
    def __init__(self) -> None:
        self._child = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE)
        # waited for when the worker exits, so that no process is left behind and its peak memory counts in the
        # worker's own (rusage); Dask's worker processes exit through multiprocessing, which runs no atexit
        atexit.register(_close, self._child)
        Finalize(None, _close, args=(self._child,), exitpriority=0)

    @property
    def alive(self) -> bool:
        return self._child.poll() is None

    def _died(self) -> DiarizationProcessDied:
        return DiarizationProcessDied(f"the diarization process ended (exit code {self._child.wait()})")

    def _send(self, message: tuple) -> None:
        try:
            pickle.dump(message, self._child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._child.stdin.flush()
        except BrokenPipeError:
            raise self._died() from None

    def begin(self, samples_16k: np.ndarray, device: str, mono: bool, operator_channel: int | None) -> None:
        """The call's (channels, n) audio, whether it is mono (diarization.assign.is_mono, as the caller found it)
        and its operator's channel from the metadata. It is listened to at once, while the caller goes on."""
        self._send(("begin", samples_16k, device, mono, operator_channel))

    def finish(self, transcript: Transcript) -> tuple[AttributedTranscript, ProcessCost]:
        """The call begun last, attributed (diarization.assign.attribute_speakers), with what it cost; its errors
        are raised here."""
        self._send(("finish", transcript))
        try:
            outcome, value, cost = pickle.load(self._child.stdout)
        except EOFError:
            raise self._died() from None
        if outcome == "error":
            raise value
        return value, cost


def _close(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


_process: DiarizationProcess | None = None
_lock = threading.Lock()


def diarization_process() -> DiarizationProcess:
    """This worker's diarization process, started anew if the last one died. It serves one call at a time, as a
    worker does (one thread: `--nthreads 1`)."""
    global _process
    with _lock:
        if _process is None or not _process.alive:
            _process = DiarizationProcess()
        return _process


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    from diarization.assign import attribute_speakers, listen_to_call, listen_to_stereo
    from pipelines.memory import return_freed_memory

    samples = listened = failure = operator_channel = None
    cpu: dict[str, float] = {}
    while True:
        try:
            message = pickle.load(requests)
        except EOFError:
            return
        if message[0] == "begin":
            _, samples, device, mono, operator_channel = message
            listened = failure = None
            started = time.process_time()
            try:
                if mono:
                    # what a 10-minute piece freed, given back before the next: otherwise glibc kept it and the peak
                    # grew piece by piece (a 20-minute call: 1533 MB, 1498 with it, no higher than its first piece)
                    listened = listen_to_call(samples, device=device, between_pieces=return_freed_memory)
                else:
                    # a stereo call's voice activity and voice prints, found now rather than while the worker waits
                    # for them after its ASR
                    listened = listen_to_stereo(samples, operator_channel)
            except Exception as exc:  # noqa: BLE001  raised in the worker, when it asks for the call
                failure = exc
            cpu = {"listen": time.process_time() - started}
            continue
        _, transcript = message
        started = time.process_time()
        try:
            if failure is not None:
                raise failure
            answer = ("done", attribute_speakers(transcript, samples if samples.shape[0] == 2 else samples[0],
                                                 operator_channel, listened=listened))
        except Exception as exc:  # noqa: BLE001  the worker decides what an error means for the call
            answer = ("error", exc)
        samples = listened = failure = None
        return_freed_memory()
        cost = ProcessCost({**cpu, "settle": time.process_time() - started}, peak_rss_mb())
        pickle.dump((*answer, cost), answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    from pipelines import offline  # noqa: F401  nothing may phone home from here either

    # the answers keep stdout to themselves: anything printed goes to stderr
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # serve as this module, not as __main__: the ProcessCost it answers with must unpickle in the worker
    from pipelines.diarization_process import serve as served
    served(sys.stdin.buffer, answers)
