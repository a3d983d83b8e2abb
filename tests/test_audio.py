import io
import wave

import numpy as np
import pytest

from audio_factory import FORMATS, encode, read_audio
from conftest import eval_file
from ingest.audio import SAMPLE_RATE, AudioReader, EmptyRecording, NotAudio, UnsupportedCodec

SPEECH = "audio_real/pisets_ru_en_utterances/test_sound_ru.wav"


def decode_all(data: bytes, **kwargs):
    with AudioReader(io.BytesIO(data), **kwargs) as reader:
        windows = list(reader.windows())
    return reader.info, windows


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "m4a-aac"])
@pytest.mark.parametrize("rate", [8000, 16000])
def test_every_supported_format_decodes_to_16khz_with_the_right_length(fmt, rate):
    speech = read_audio(eval_file(SPEECH), rate)
    info, windows = decode_all(encode(speech, rate, fmt))
    assert info.channels == 1
    assert len(windows) == 1 and windows[0].samples.dtype == np.float32
    assert windows[0].duration_s == pytest.approx(speech.shape[1] / rate, abs=0.05)
    # the decoded signal is the speech, not noise: its loudness contour follows the original's
    original = read_audio(eval_file(SPEECH), SAMPLE_RATE)[0]
    assert np.corrcoef(loudness(windows[0].samples[0]), loudness(original))[0, 1] > 0.9


def loudness(samples: np.ndarray, hop: int = 1600) -> np.ndarray:
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    return np.sqrt((frames**2).mean(axis=1))[:30]

def test_stereo_keeps_both_channels_apart():
    stereo = read_audio(eval_file("audio_real/fasterwhisper_en_fixtures/stereo_diarization.wav"), 8000, "stereo")
    info, windows = decode_all(encode(stereo, 8000, "flac"))
    assert info.channels == 2 and windows[0].samples.shape[0] == 2
    left, right = windows[0].samples
    assert not np.allclose(left, right, atol=1e-3)


def test_long_audio_is_cut_into_windows_at_quiet_moments_without_losing_samples():
    speech = read_audio(eval_file("audio_tts_ru/dialogue_rhv.flac"), SAMPLE_RATE)
    info, windows = decode_all(encode(speech, SAMPLE_RATE, "wav"), window_s=8.0, cut_search_s=2.0)
    assert len(windows) >= 3
    assert sum(w.samples.shape[1] for w in windows) == speech.shape[1]
    for before, after in zip(windows, windows[1:]):
        assert after.offset_s == pytest.approx(before.offset_s + before.duration_s)
        edge = before.samples[0, -800:]
        # the cut lands in a pause between sentences, far quieter than the speech around it
        assert np.sqrt((edge**2).mean()) < 0.1 * np.sqrt((speech**2).mean())


def test_random_bytes_are_not_audio():
    with pytest.raises(NotAudio):
        decode_all(np.random.default_rng(0).bytes(50_000))


def test_aac_is_refused_as_unsupported_codec():
    speech = read_audio(eval_file(SPEECH), 16000)
    with pytest.raises(UnsupportedCodec, match="aac"):
        decode_all(encode(speech, 16000, "m4a-aac"))


def test_wav_without_samples_is_empty():
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
    with pytest.raises(EmptyRecording):
        decode_all(buffer.getvalue())
