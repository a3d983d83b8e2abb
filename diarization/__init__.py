"""Who spoke when, and which speaker is the operator: stereo channels, pyannote.audio for mono calls.

pyannote.audio exports usage metrics to otel.pyannote.ai unless told not to, and the Hugging Face clients it
uses look for models online. Nothing may leave the machine, so the switches are set here, before any module of
this package imports them (the pipeline sets the same ones in pipelines/offline.py; these are defaults only).
"""
import os
import warnings

for _name, _value in {
    "PYANNOTE_METRICS_ENABLED": "0",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}.items():
    os.environ.setdefault(_name, _value)

# pyannote warns on import when torchcodec cannot decode files (FFmpeg libraries missing from the system). Audio
# is handed to pyannote as an in-memory waveform, so file decoding is never used and the warning is only noise.
warnings.filterwarnings("ignore", message=r"\s*torchcodec is not installed correctly", category=UserWarning)
# Calls are diarized with at least two speakers asked for (diarization.mono), so a one-voice call always draws
# pyannote's "outside the given bounds" warning; the voice check after it is what decides.
warnings.filterwarnings("ignore", message=r"\s*The detected number of speakers", category=UserWarning)
