"""Playback mutes what redaction masked: a demo call's real recording, encrypted and stored with pii spans in a
real DuckDB, is requested through the app and the WAV it answers is decoded and compared with the original."""
from __future__ import annotations

import hashlib
import io
import re
import wave

import numpy as np
import pytest
from fastapi.testclient import TestClient

from asr.records import Segment, Transcript
from dashboards.app import Settings, create_app
from dashboards.auth import create_user
from demo_calls.dataset import committed_set, iter_calls
from ingest.audio import SAMPLE_RATE, AudioReader
from ingest.keys import Keyring, generate_key_pair
from ingest.metadata import parse_sidecar
from inbox import deliver
from privacy.audio import MARGIN_S
from privacy.records import PiiInterval
from storage.calls import save_call
from storage.db import Database
from storage.records import RecordingInfo

pytestmark = pytest.mark.slow  # encrypts and stores recordings to play back

PASSWORD = "a-long-password"
# the first demo call: the caller (channel 1) talks from 3.3 s to 10.2 s, the operator (channel 0) 10.8 s to 15.1 s
NAME = PiiInterval(6.0, 8.0, "name", 1)
PHONE = PiiInterval(12.0, 13.0, "phone", None)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("playback")
    call = next(iter_calls(committed_set()))
    keys = generate_key_pair(folder / "keys")
    encrypted = deliver(folder / "recordings", call.call_id, keys.public, call.audio, None)
    truth = call.truth()
    segments = tuple(Segment(t["start"], t["end"], t["text"], t["channel"], (), t["speaker"], t["role"])
                     for t in truth["turns"])
    recording = RecordingInfo(hashlib.sha256(encrypted.read_bytes()).hexdigest(), encrypted,
                              encrypted.stat().st_size, keys.key_id, "vorbis", 48000, 2)
    with Database(folder / "qc.duckdb") as db:
        save_call(db, "demo", parse_sidecar(call.sidecar_data()), recording,
                  Transcript("ru", 1.0, truth["duration_s"], segments), pii=[NAME, PHONE])
        for role in ("analyst", "admin"):
            create_user(db, role, PASSWORD, role)
        yield create_app(db, Settings(keyring=Keyring.from_paths([folder / "keys"]))), call


def sign_in(app, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token}).status_code == 303
    return client


def decoded_wav(body: bytes) -> np.ndarray:
    """channels x samples as int16, checked to be the 16 kHz 16-bit stereo the route promises"""
    with wave.open(io.BytesIO(body)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, SAMPLE_RATE)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return frames.reshape(-1, 2).T


def original(call) -> np.ndarray:
    """The unencrypted recording through ingest's own decoder, as int16 at the same rate."""
    with open(call.audio, "rb") as src, AudioReader(src) as reader:
        samples = np.concatenate([w.samples for w in reader.windows()], axis=1)
    return np.round(samples * 32767).astype(np.int16)


def stretch(samples: np.ndarray, channel: int, start_s: float, end_s: float) -> np.ndarray:
    return samples[channel, int(start_s * SAMPLE_RATE):int(end_s * SAMPLE_RATE)]


def loud(samples: np.ndarray) -> bool:
    return np.sqrt(np.mean(samples.astype(np.float64) ** 2)) > 50


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_playback_mutes_the_stored_pii_spans_for_every_role(stored, role):
    app, call = stored
    response = sign_in(app, role).get(f"/calls/{call.call_id}/audio")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    played, heard = decoded_wav(response.content), original(call)
    assert abs(played.shape[1] - heard.shape[1]) <= SAMPLE_RATE // 100
    # the caller's name: silent on the caller's channel, margin included, where the recording has speech
    assert loud(stretch(heard, 1, NAME.start_s, NAME.end_s))
    assert not stretch(played, 1, NAME.start_s - MARGIN_S, NAME.end_s + MARGIN_S).any()
    # a span on no channel silences both
    assert loud(stretch(heard, 0, PHONE.start_s, PHONE.end_s))
    for channel in (0, 1):
        assert not stretch(played, channel, PHONE.start_s - MARGIN_S, PHONE.end_s + MARGIN_S).any()
    # the rest of the same turns still plays
    assert loud(stretch(played, 1, 3.5, NAME.start_s - MARGIN_S - 0.05))
    assert loud(stretch(played, 1, NAME.end_s + MARGIN_S + 0.05, 10.0))
    assert loud(stretch(played, 0, 10.9, PHONE.start_s - MARGIN_S - 0.05))


def test_muted_recording_is_served_by_ranges(stored):
    app, call = stored
    client = sign_in(app, "analyst")
    whole = client.get(f"/calls/{call.call_id}/audio").content
    head = client.get(f"/calls/{call.call_id}/audio", headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.content == whole[:100]
    assert head.headers["content-range"] == f"bytes 0-99/{len(whole)}"
    rest = client.get(f"/calls/{call.call_id}/audio", headers={"Range": "bytes=100-"})
    assert rest.status_code == 206 and head.content + rest.content == whole
    assert client.get(f"/calls/{call.call_id}/audio", headers={"Range": f"bytes={len(whole)}-"}).status_code == 416
