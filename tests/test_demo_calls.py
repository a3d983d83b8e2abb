"""The synthetic demo calls: the committed set (always) and the generator (rendering only where RHVoice is installed).

Everything downstream measures itself on these calls, so the truth is checked against the audio and the words,
not just for shape.
"""
from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import av
import numpy as np
import pytest

from demo_calls import pii, script_lines
from demo_calls.audio_file import write_audio
from demo_calls.dataset import committed_set, iter_calls, load_truth
from demo_calls.generate import generate_calls, write_calls
from demo_calls.people import OPERATORS, caller_id_for
from demo_calls.records import CHECKLIST_ITEMS, PII_TYPES, REQUEST_TYPES, TOPICS, VERDICTS
from demo_calls.rhvoice import RHVoiceMissing, find_rhvoice, rhvoice_available
from demo_calls.schedule import plan_calls
from demo_calls.topics import PROBLEMS_BY_ID, TOPIC_BRANCHES, ProblemsError, load_problems, problems_path
from ingest.metadata import parse_sidecar

DATA = committed_set()
CALLS = list(iter_calls(DATA))
RATE = 8000
FRAME = 160  # 20 ms
CHECK_DIGITS = {"snils": pii.snils_valid, "inn": pii.inn_valid, "card_number": pii.card_valid}
OPERATOR_NAMES = {op.operator_id: op.name for op in OPERATORS}


# --- checks shared by the committed set and freshly generated calls -----------------------------------------

def check_sidecar(call) -> None:
    raw = call.sidecar_data()
    meta = parse_sidecar(raw)
    truth = call.truth()
    assert set(raw) <= {"call_id", "started_at", "operator_id", "caller_id", "ivr_branch", "regional_center",
                        "channels", "operator_channel", "language"}
    assert meta.call_id == truth["call_id"] == call.call_id
    assert meta.caller_id == truth["caller_id"] and re.fullmatch(r"c-[0-9a-f]{12}", meta.caller_id)
    assert meta.operator_id == truth["operator_ids"][0]
    assert meta.ivr_branch == truth["ivr_branch"]
    assert meta.channels == truth["channels"] and meta.language == "ru"
    assert meta.operator_channel == truth["operator_channel"]
    assert meta.started_at.utcoffset() == timedelta(hours=3)
    assert meta.regional_center


def check_truth(truth: dict) -> None:
    turns, duration = truth["turns"], truth["duration_s"]
    stereo = truth["channels"] == "stereo"
    assert [t["index"] for t in turns] == list(range(len(turns)))
    assert [t["start"] for t in turns] == sorted(t["start"] for t in turns)
    for turn in turns:
        assert 0 < turn["start"] < turn["end"] <= duration, turn
        assert turn["text"].strip()
        if turn["role"] == "operator":
            assert turn["speaker"] in truth["operator_ids"]
            assert turn["channel"] == (truth["operator_channel"] if stereo else None)
        else:
            assert turn["role"] == "caller" and turn["speaker"] == truth["caller_id"]
            assert turn["channel"] == (1 - truth["operator_channel"] if stereo else None)
    by_speaker = defaultdict(list)
    for turn in turns:
        by_speaker[turn["speaker"]].append(turn)
    for own in by_speaker.values():  # nobody talks over themself
        assert all(a["end"] <= b["start"] for a, b in zip(own, own[1:]))

    checklist = truth["checklist"]
    assert list(checklist) == list(CHECKLIST_ITEMS)
    assert set(checklist.values()) <= set(VERDICTS)
    assert (checklist["transfer_explained"] == "not_applicable") == (not truth["transfer"])
    assert len(truth["operator_ids"]) == (2 if truth["transfer"] else 1)
    request = truth["request"]
    assert (checklist["request_registered"] == "not_applicable") == (request["type"] is None)
    assert request["type"] in (None, *REQUEST_TYPES)
    if request["number"] is not None:
        assert request["registered"]
        assert any(request["number"] in t["text"] for t in turns if t["role"] == "operator")

    assert truth["hold_count"] == len(truth["holds"])
    for hold in truth["holds"]:
        assert 10 <= hold["end"] - hold["start"] <= 40
        assert not any(t["start"] < hold["end"] and t["end"] > hold["start"] for t in turns)

    if truth["topic"] is None:  # a silent line: the caller never speaks
        assert not any(t["role"] == "caller" for t in turns) and truth["problem_id"] is None
    else:
        assert truth["topic"] in TOPICS
        problem = PROBLEMS_BY_ID[truth["problem_id"]]
        assert problem.topic == truth["topic"]
        assert (checklist["identification"] == "not_applicable") == (not problem.personal)
        assert truth["misrouted"] == (truth["ivr_branch"] not in TOPIC_BRANCHES[truth["topic"]])
        assert any(truth["complaint"] in t["text"] for t in turns if t["role"] == "caller")

    for item in truth["pii"]:
        assert item["type"] in PII_TYPES
        assert item["text"] in turns[item["turn"]]["text"], item
        if item["type"] in CHECK_DIGITS:
            assert CHECK_DIGITS[item["type"]](item["text"]), item


def decode(path: Path) -> np.ndarray:
    """(channels, n) at 8 kHz; Opus decodes at 48 kHz whatever it was made from."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        layout = "stereo" if stream.channels == 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=RATE)
        blocks = [f.to_ndarray() for frame in container.decode(audio=0) for f in resampler.resample(frame)]
        blocks += [f.to_ndarray() for f in resampler.resample(None)]
    return np.concatenate(blocks, axis=1)


def recorded_rate(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        if stream.codec_context.name == "opus":  # OpusHead keeps the input rate at bytes 12-15
            return int.from_bytes(bytes(stream.codec_context.extradata)[12:16], "little")
        return stream.rate


def check_audio(audio: Path, truth: dict) -> None:
    samples = decode(audio)
    assert recorded_rate(audio) == RATE
    assert samples.shape[0] == (2 if truth["channels"] == "stereo" else 1)
    assert abs(samples.shape[1] / RATE - truth["duration_s"]) < 0.05
    for channel, signal in enumerate(samples):
        turns = [t for t in truth["turns"] if t["channel"] in (channel, None)]
        frames = signal[: len(signal) // FRAME * FRAME].reshape(-1, FRAME)
        level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
        speech = level > np.percentile(level, 10) + 20  # well above this channel's line noise
        times = (np.arange(len(level)) + 0.5) * FRAME / RATE
        inside = np.zeros(len(level), dtype=bool)
        for turn in turns:
            inside |= (times >= turn["start"] - 0.1) & (times <= turn["end"] + 0.1)
            if turn["end"] - turn["start"] > 0.3:
                within = (times >= turn["start"]) & (times <= turn["end"])
                assert speech[within].any(), f"no speech in turn {turn['index']} on channel {channel}"
        stray = speech & ~inside
        assert stray.sum() <= max(2, 0.01 * speech.sum()), \
            f"channel {channel}: speech outside its turns at {times[stray][:5]} s"


# --- the committed set --------------------------------------------------------------------------------------

def test_committed_set_is_small_and_varied():
    manifest = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
    assert [c["call_id"] for c in manifest["calls"]] == [c.call_id for c in CALLS]
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 4 * 1024 * 1024
    truths = [c.truth() for c in CALLS]
    assert 20 <= len(truths) <= 30
    assert {t["topic"] for t in truths} >= set(TOPICS)
    assert sum(t["repeat_of"] is not None for t in truths) >= 2
    assert sum(t["transfer"] for t in truths) >= 2
    assert sum(t["hold_count"] > 0 for t in truths) >= 3
    assert sum(t["misrouted"] for t in truths) >= 1
    stereo = [t for t in truths if t["channels"] == "stereo"]
    assert 0.5 <= len(stereo) / len(truths) <= 0.8 and {t["operator_channel"] for t in stereo} == {0, 1}
    durations = sorted(t["duration_s"] for t in truths)
    assert sum(40 <= d <= 100 for d in durations) >= len(durations) * 0.6
    failures = [v == "failed" for t in truths for v in t["checklist"].values() if v != "not_applicable"]
    assert 0.1 <= sum(failures) / len(failures) <= 0.35
    assert any(t["checklist"]["no_forbidden_phrases"] == "failed" for t in truths)
    assert {p["type"] for t in truths for p in t["pii"]} == set(PII_TYPES)
    assert set(manifest["voices"]) == {t["voice"] for tr in truths for t in tr["turns"]}


@pytest.mark.parametrize("call", CALLS, ids=[c.call_id for c in CALLS])
def test_committed_sidecar_parses(call):
    check_sidecar(call)


@pytest.mark.parametrize("call", CALLS, ids=[c.call_id for c in CALLS])
def test_committed_truth_is_consistent(call):
    check_truth(call.truth())


@pytest.mark.slow
@pytest.mark.parametrize("call", CALLS, ids=[c.call_id for c in CALLS])
def test_committed_audio_matches_truth(call):
    check_audio(call.audio, call.truth())


def test_repeat_calls_refer_to_an_earlier_call_of_the_same_caller():
    truths = {c.call_id: c.truth() for c in CALLS}
    started = {c.call_id: datetime.fromisoformat(c.sidecar_data()["started_at"]) for c in CALLS}
    for call_id, truth in truths.items():
        same_case_before = [
            other for other, t in truths.items()
            if t["caller_id"] == truth["caller_id"] and t["problem_id"] == truth["problem_id"]
            and started[other] < started[call_id]
        ]
        if truth["repeat_of"] is None:
            # a call about the same problem more than 7 days later is not a repeat
            assert all(started[call_id] - started[o] > timedelta(days=7) for o in same_case_before)
            continue
        earlier = truths[truth["repeat_of"]]
        assert earlier["caller_id"] == truth["caller_id"] and earlier["problem_id"] == truth["problem_id"]
        assert timedelta(0) < started[call_id] - started[truth["repeat_of"]] <= timedelta(days=7)
    by_caller = defaultdict(list)
    for truth in truths.values():
        by_caller[truth["caller_id"]].append(truth)
    returning = [calls for calls in by_caller.values() if len(calls) > 1]
    assert any(len({t["problem_id"] for t in calls}) > 1 for calls in returning), "a caller with a new problem"
    assert any(all(t["repeat_of"] is None for t in calls) and len({t["problem_id"] for t in calls}) == 1
               for calls in returning), "a caller back about the same problem after more than 7 days"
    for calls in returning:  # the same person sounds the same on every call
        assert len({t["voice"] for c in calls for t in c["turns"] if t["role"] == "caller"}) <= 1


def test_load_truth_accepts_the_audio_path():
    call = CALLS[0]
    assert load_truth(call.audio) == load_truth(call.truth_path) == call.truth()


# --- what the words say matches the verdicts (no audio needed) -------------------------------------------------

SCRIPTS = [s for seed in range(6) for s in write_calls(24, seed)]


def operator_words(script) -> str:
    return " ".join(line.text for line in script.lines if line.role == "operator")


@pytest.mark.parametrize("item, marks", [
    ("offer_help", ("помочь", "полез")),
    ("consent", ("записывается", "согласие")),
    ("survey_invite", ("оцените",)),
])
def test_a_failed_item_is_really_absent(item, marks):
    for script in SCRIPTS:
        words = operator_words(script).lower()
        found = any(mark in words for mark in marks)
        if script.checklist[item] == "failed":
            assert not found, (script.call_id, item, words)
        elif script.checklist[item] == "passed":
            assert found, (script.call_id, item, words)


def test_a_greeting_names_the_service_only_where_it_passes():
    hello = "|".join(["Здравствуйте"] + [g for _, _, g in script_lines.HELLO_BY_HOUR])
    services = "|".join(script_lines.SERVICE_NAMES + tuple(script_lines.SPECIALIST_LINES.values()))
    greets = re.compile(f"^({hello}), ({services})\\.")
    for script in SCRIPTS:
        intros = [script.lines[0]] + [
            line for line in script.lines
            if line.role == "operator" and line.speaker_id != script.operators[0].operator_id
        ][:1]
        for line in intros:
            assert bool(greets.match(line.text)) == (script.checklist["greeting"] == "passed"), line.text


def test_verdicts_match_what_operators_say():
    for script in SCRIPTS:
        words = operator_words(script)
        names = [OPERATOR_NAMES[op.operator_id] for op in script.operators]
        assert any(name in words for name in names) == (script.checklist["operator_name"] == "passed")
        forbidden = any(p.split("{")[0] in words for p in script_lines.FORBIDDEN_PHRASES)
        assert forbidden == (script.checklist["no_forbidden_phrases"] == "failed")
        request = script.request
        if script.checklist["request_registered"] == "passed":
            promised = script_lines.RESPONSE_TIMES[request.type]
            assert request.number in words and any(p in words for p in promised)
        if script.checklist["closing"] == "passed":
            assert any(c in words for c in script_lines.CLOSINGS)
        else:
            assert not any(c in words for c in script_lines.CLOSINGS)


def test_calls_are_planned_from_the_seed_alone():
    first, again = write_calls(24, 3), write_calls(24, 3)
    assert [(s.call_id, [l.text for l in s.lines]) for s in first] == [(s.call_id, [l.text for l in s.lines]) for s in again]
    assert [s.call_id for s in write_calls(24, 4)] != [s.call_id for s in first]


def test_a_plan_has_repeats_transfers_holds_and_both_recordings():
    specs = plan_calls(24, 0)
    assert sum(s.repeat_of is not None for s in specs) == 3
    assert sum(s.hold_count > 0 for s in specs) == 5
    assert sum(s.channels == "stereo" for s in specs) == 16
    assert sum(s.problem is None for s in specs) == 1
    assert len(plan_calls(2, 0)) == 2


def test_a_wrong_problem_entry_names_the_file_problem_and_field(tmp_path):
    text = problems_path().read_text(encoding="utf-8")
    cases = {
        "resolutions:\n    - solved\n": ("resolutions:\n    - solvd\n", "field 'resolutions'[0]"),
        "request_type: simple": ("request_type: urgent", "field 'request_type'"),
        "specialist_team: technical support specialists": ("specialist_team: nobody", "field 'specialist_team'"),
        "  restore_access.sms_code_missing:": ("  restore.sms_code_missing:", "problem 'restore.sms_code_missing'"),
    }
    for original, (broken, field) in cases.items():
        path = tmp_path / "problems.yaml"
        path.write_text(text.replace(original, broken, 1), encoding="utf-8")
        with pytest.raises(ProblemsError) as error:
            load_problems(path)
        assert str(path) in str(error.value) and field in str(error.value)
    path.write_text(text.replace("    restatements:", "    restatement:", 1), encoding="utf-8")
    with pytest.raises(ProblemsError, match="unknown field.*restatement"):
        load_problems(path)
    assert load_problems() == tuple(PROBLEMS_BY_ID.values())


def test_personal_data_is_valid():
    rng = random.Random(7)
    for _ in range(200):
        assert pii.snils_valid(pii.make_snils(rng))
        assert pii.inn_valid(pii.make_inn(rng, 77))
        assert pii.card_valid(pii.make_card(rng))
    assert pii.snils_valid("112-233-445 95") and not pii.snils_valid("112-233-445 96")
    assert pii.inn_valid("500100732259") and not pii.inn_valid("500100732258")
    assert pii.card_valid("4111 1111 1111 1111") and not pii.card_valid("4111 1111 1111 1112")
    assert pii.phone_spoken("+7 916 123-05-07", "by_digit") == "восемь девять один шесть один два три ноль пять ноль семь"
    assert pii.phone_spoken("+7 916 123-05-07", "groups") == "восемь девятьсот шестнадцать сто двадцать три ноль пять ноль семь"
    assert caller_id_for("+7 916 123-05-07") == caller_id_for("79161230507")


@pytest.mark.parametrize("audio_format", ["wav", "flac", "ogg"])
def test_recordings_keep_the_channels_apart(tmp_path, audio_format):
    t = np.arange(RATE * 2) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    samples = np.stack([np.concatenate([tone, np.zeros_like(tone)]), np.concatenate([np.zeros_like(tone), tone])])
    path, again = tmp_path / f"call.{audio_format}", tmp_path / f"again.{audio_format}"
    write_audio(path, samples, RATE, audio_format)
    write_audio(again, samples, RATE, audio_format)
    assert path.read_bytes() == again.read_bytes()  # the same seed gives the same files
    back = decode(path)
    assert back.shape[0] == 2 and abs(back.shape[1] - samples.shape[1]) < RATE * 0.02
    assert recorded_rate(path) == RATE
    half = RATE * 2
    leak = np.sqrt(np.mean(back[1, RATE // 2: half - RATE // 2] ** 2)) / np.sqrt(np.mean(back[0, RATE // 2: half - RATE // 2] ** 2))
    assert leak < 0.03  # -30 dB


def test_missing_rhvoice_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("RHVOICE_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RHVoiceMissing, match="install-rhvoice.sh"):
        find_rhvoice()


# --- rendering (needs RHVoice) --------------------------------------------------------------------------------

# seed whose first two calls are short ones, to keep the render quick
RENDER_SEED = 162


@pytest.mark.slow
@pytest.mark.skipif(not rhvoice_available(), reason="RHVoice is not installed (../shared/tools/install-rhvoice.sh)")
def test_generate_renders_calls_with_truth(tmp_path):
    seen = []
    paths = generate_calls(tmp_path, 2, seed=RENDER_SEED, progress=lambda done, total, call_id: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    assert [p.suffix for p in paths] == [".ogg", ".ogg"]
    calls = list(iter_calls(tmp_path))
    assert [c.audio for c in calls] == paths
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == RENDER_SEED and manifest["count"] == 2
    for call in calls:
        check_sidecar(call)
        check_truth(call.truth())
        check_audio(call.audio, call.truth())


@pytest.mark.slow
@pytest.mark.skipif(not rhvoice_available(), reason="RHVoice is not installed (../shared/tools/install-rhvoice.sh)")
def test_all_mono_records_the_same_calls_as_one_mix(tmp_path):
    scripts = write_calls(2, RENDER_SEED)
    assert any(s.channels == "stereo" for s in scripts)  # else this test shows nothing
    generate_calls(tmp_path, 2, seed=RENDER_SEED, all_mono=True)
    calls = list(iter_calls(tmp_path))
    for script, call in zip(scripts, calls):
        truth = call.truth()
        assert truth["channels"] == "mono" and call.sidecar_data().get("operator_channel") is None
        assert truth["checklist"] == script.checklist
        assert sorted(t["text"] for t in truth["turns"]) == sorted(line.text for line in script.lines)
        check_truth(truth)
        check_audio(call.audio, truth)
