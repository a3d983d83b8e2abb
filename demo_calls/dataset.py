"""Reading a generated set back: the truth of one call, or every call of a folder in the order they happened."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from demo_calls.audio_file import AUDIO_FORMATS

TRUTH_SUFFIX = ".truth.json"


@dataclass(frozen=True)
class DemoCall:
    call_id: str
    audio: Path
    sidecar: Path
    truth_path: Path

    def truth(self) -> dict:
        return load_truth(self.truth_path)

    def sidecar_data(self) -> dict:
        return json.loads(self.sidecar.read_text(encoding="utf-8"))


def committed_set() -> Path:
    """The demo calls that ship with the project (rendered once; no TTS needed to use them)."""
    return Path(str(resources.files("demo_calls") / "data"))


def load_truth(path: Path | str) -> dict:
    """The ground truth of a call, given its truth file or its audio file (`<call_id>.ogg` → `<call_id>.truth.json`)."""
    path = Path(path)
    if not path.name.endswith(TRUTH_SUFFIX):
        path = path.with_name(path.name.split(".")[0] + TRUTH_SUFFIX)
    return json.loads(path.read_text(encoding="utf-8"))


def iter_calls(folder: Path | str) -> Iterator[DemoCall]:
    """Calls of a generated folder, oldest first (the manifest's order, or by call id without one)."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.exists():
        entries = json.loads(manifest.read_text(encoding="utf-8"))["calls"]
        for entry in entries:
            yield DemoCall(entry["call_id"], folder / entry["audio"], folder / entry["sidecar"], folder / entry["truth"])
        return
    for truth_path in sorted(folder.glob(f"*{TRUTH_SUFFIX}")):
        call_id = truth_path.name[: -len(TRUTH_SUFFIX)]
        audio = next((folder / f"{call_id}.{ext}" for ext in AUDIO_FORMATS if (folder / f"{call_id}.{ext}").exists()), None)
        if audio is None:
            raise FileNotFoundError(f"{truth_path.name} has no audio beside it ({', '.join(AUDIO_FORMATS)})")
        yield DemoCall(call_id, audio, folder / f"{call_id}.json", truth_path)
