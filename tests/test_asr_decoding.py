"""The rules DecodingSettings applies to what Whisper decodes, on the figures measured where they were chosen."""
from asr.transcribe import DecodingSettings


def test_a_fallbacks_text_on_likely_silence_is_dropped_on_a_silent_line_and_kept_on_a_speaking_one():
    settings = DecodingSettings()
    # the eval's silent clip: VAD passes one click as 0.9 s of speech, and a sampled fallback wrote «Ахххххххх..»
    assert settings.likely_silence(temperature=0.8, no_speech_prob=0.56, speech_s=0.928)
    # the caller channel of an English call (independent d17): 33 s of speech, its first window decoded at 0.2
    assert not settings.likely_silence(temperature=0.2, no_speech_prob=0.61, speech_s=33.2)
    # Whisper's own greedy decoding and a window it thought speech are never second-guessed
    assert not settings.likely_silence(temperature=0.0, no_speech_prob=0.9, speech_s=0.9)
    assert not settings.likely_silence(temperature=0.8, no_speech_prob=0.4, speech_s=0.9)
