"""`python -m demo_calls --out DIR --count N --seed S --format ogg`: render synthetic hotline calls with truth."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from demo_calls.audio_file import AUDIO_FORMATS
from demo_calls.generate import generate_calls
from demo_calls.rhvoice import RHVoiceMissing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo_calls", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="folder for audio, sidecars, truth and manifest.json")
    parser.add_argument("--count", type=int, default=24, help="number of calls (default 24)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same calls (default 0)")
    parser.add_argument("--format", choices=AUDIO_FORMATS, default="ogg",
                        help="ogg: Opus at 8 kHz, compact; wav/flac: 16-bit PCM at 8 kHz (default ogg)")
    args = parser.parse_args(argv)
    began = time.monotonic()

    def progress(done: int, total: int, call_id: str) -> None:
        print(f"[{done}/{total}] {call_id}  {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)

    try:
        paths = generate_calls(args.out, args.count, seed=args.seed, audio_format=args.format, progress=progress)
    except RHVoiceMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"generated {len(paths)} calls in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
