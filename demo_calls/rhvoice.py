"""Speaking a line with RHVoice, the natural-sounding Russian TTS; the result is trimmed speech at 8 kHz.

RHVoice is found through `RHVOICE_HOME` (default ~/.cache/rhvoice, the folder `install-rhvoice.sh` unpacks
into) or else `RHVoice-test` on PATH with the RHVOICE_* variables already set.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from demo_calls.records import Voice

RATE = 8000
INSTALL_HINT = (
    "RHVoice is needed to render calls. Install it with ../shared/tools/install-rhvoice.sh "
    "(it unpacks into ~/.cache/rhvoice; on Debian its runtime also needs `apt-get install libsonic0 libpulse0`), "
    "or point RHVOICE_HOME at an unpacked RHVoice, or put RHVoice-test on PATH. "
    "The committed demo set in demo_calls/data needs no TTS."
)
# where the speech of a clip begins and ends: 40 dB below the clip's peak
TRIM_BELOW_PEAK_DB = 40.0


class RHVoiceMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class RHVoice:
    program: Path
    env: dict[str, str]

    def speak(self, text: str, voice: Voice) -> np.ndarray:
        """Mono float32 samples at 8 kHz, from the first to the last sample of speech."""
        with tempfile.TemporaryDirectory(prefix="rhvoice-") as tmp:
            wav = Path(tmp) / "line.wav"
            done = subprocess.run(
                [str(self.program), "-p", voice.name, "-t", str(voice.pitch), "-r", str(voice.rate), "-o", str(wav)],
                input=text.encode("utf-8"), env=self.env, capture_output=True, timeout=120,
            )
            if done.returncode != 0 or not wav.exists():
                raise RuntimeError(f"RHVoice failed on {voice.name!r} ({done.returncode}): "
                                   f"{done.stderr.decode(errors='replace').strip()}")
            return trim(read_mono(wav, RATE))


def read_mono(path: Path, rate: int) -> np.ndarray:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        blocks = [f.to_ndarray()[0] for frame in container.decode(audio=0) for f in resampler.resample(frame)]
        blocks += [f.to_ndarray()[0] for f in resampler.resample(None)]
    return np.concatenate(blocks).astype(np.float32)


def trim(samples: np.ndarray) -> np.ndarray:
    peak = float(np.abs(samples).max(initial=0.0))
    if peak == 0.0:
        raise RuntimeError("RHVoice produced silence")
    loud = np.flatnonzero(np.abs(samples) >= peak * 10 ** (-TRIM_BELOW_PEAK_DB / 20))
    return samples[loud[0]:loud[-1] + 1]


def find_rhvoice() -> RHVoice:
    home = Path(os.environ.get("RHVOICE_HOME", "~/.cache/rhvoice")).expanduser()
    env = dict(os.environ)
    program = home / "usr" / "bin" / "RHVoice-test"
    if program.is_file():
        libs = [str(p) for p in sorted((home / "usr" / "lib").glob("*-linux-gnu")) if p.is_dir()]
        env["LD_LIBRARY_PATH"] = os.pathsep.join(libs + [env["LD_LIBRARY_PATH"]] if env.get("LD_LIBRARY_PATH") else libs)
        env.setdefault("RHVOICE_DATA_PATH", str(home / "usr" / "share" / "RHVoice"))
        env.setdefault("RHVOICE_CONFIG_PATH", str(home / "etc" / "RHVoice"))
    else:
        found = shutil.which("RHVoice-test")
        if found is None:
            raise RHVoiceMissing(f"RHVoice-test not found in {home} (RHVOICE_HOME) nor on PATH. {INSTALL_HINT}")
        program = Path(found)
    # a missing shared library only shows when the program starts
    probe = subprocess.run([str(program), "--version"], env=env, capture_output=True, timeout=30)
    if probe.returncode != 0:
        raise RHVoiceMissing(f"{program} does not start: {probe.stderr.decode(errors='replace').strip()}. {INSTALL_HINT}")
    return RHVoice(program, env)


def rhvoice_available() -> bool:
    try:
        find_rhvoice()
    except RHVoiceMissing:
        return False
    return True
