"""Synthetic hotline calls with exact ground truth, for demos and for measuring every stage of the product.

    generate_calls(out_dir, count, seed=0, audio_format="ogg", progress=None)   # demo_calls.generate
    python -m demo_calls --out DIR --count 24 --seed 0 --format ogg
    load_truth(path), iter_calls(folder), committed_set()                      # demo_calls.dataset

Per call the folder holds `<call_id>.ogg|.wav|.flac` (8 kHz; stereo with one party per channel, or a mono
mix), `<call_id>.json` (the recording system's sidecar) and `<call_id>.truth.json` (topic, problem, IVR branch,
repeat-call link, checklist verdicts, timed turns, planted personal data); `manifest.json` lists the calls.

Rendering needs RHVoice: run ../shared/tools/install-rhvoice.sh (unpacks into ~/.cache/rhvoice; set
RHVOICE_HOME if it lives elsewhere). `demo_calls/data` holds a rendered set, so nothing else needs TTS.
"""
