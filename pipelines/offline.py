"""Nothing leaves the machine: switch off every phone-home before the libraries that read these are imported."""
import os

_SWITCHES = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # its telemetry also locked the SQLite store in our runs
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYANNOTE_METRICS_ENABLED": "0",
}

for name, value in _SWITCHES.items():
    os.environ.setdefault(name, value)
