"""Turns: the transcript as it is stored, shown and exported."""
from asr.records import Segment, Transcript, Word
from diarization.turns import TURN_PAUSE_S, as_turns


def said(channel, speaker, role, *timed_words, text=None):
    words = tuple(Word(a, b, t, 0.9, channel, speaker) for a, b, t in timed_words)
    return Segment(words[0].start, words[-1].end, text or " ".join(w.text for w in words), channel, words, speaker, role)


def test_a_segment_that_runs_across_the_other_partys_replies_becomes_one_turn_per_reply():
    # Whisper's one segment on the caller's channel holds three utterances; the operator answers in between
    caller = said(1, "channel 1", "caller", (6.7, 7.2, "Алло,"), (7.3, 8.0, "здравствуйте."),
                  (20.0, 21.0, "Не могу"), (21.1, 22.0, "войти."), (50.0, 50.5, "Спасибо."))
    operator = [said(0, "channel 0", "operator", (9.0, 9.5, "Госуслуги,"), (9.6, 10.2, "слушаю.")),
                said(0, "channel 0", "operator", (30.0, 31.0, "Сбросьте"), (31.1, 32.0, "пароль."))]
    turns = as_turns(Transcript("ru", 1.0, 60.0, (caller, *operator))).segments
    assert [(t.role, t.text) for t in turns] == [
        ("caller", "Алло, здравствуйте."), ("operator", "Госуслуги, слушаю."), ("caller", "Не могу войти."),
        ("operator", "Сбросьте пароль."), ("caller", "Спасибо.")]
    assert [(t.start, t.end) for t in turns] == [(6.7, 8.0), (9.0, 10.2), (20.0, 22.0), (30.0, 32.0), (50.0, 50.5)]
    assert all(w.speaker == t.speaker and w.channel == t.channel for t in turns for w in t.words)


def test_segments_of_one_speaker_join_and_a_long_pause_cuts():
    first = said(0, "A", "operator", (1.0, 1.5, "Минуту,"), (1.6, 2.0, "проверяю."))
    second = said(0, "A", "operator", (2.5, 3.0, "Вижу"), (3.1, 3.6, "заявление."))
    after_pause = said(0, "A", "operator", (3.6 + TURN_PAUSE_S + 0.1, 6.0, "Готово."))
    turns = as_turns(Transcript("ru", 1.0, 8.0, (first, second, after_pause))).segments
    assert [t.text for t in turns] == ["Минуту, проверяю. Вижу заявление.", "Готово."]


def test_overlapping_speech_stays_overlapping():
    operator = said(0, "A", "operator", (1.0, 1.5, "Назовите,"), (1.5, 2.0, "пожалуйста,"), (2.0, 2.6, "номер."))
    caller = said(1, "B", "caller", (1.2, 1.4, "Да,"), (1.4, 1.9, "сейчас."))
    turns = as_turns(Transcript("ru", 1.0, 3.0, (operator, caller))).segments
    assert [(t.speaker, t.start, t.end) for t in turns] == [("A", 1.0, 2.6), ("B", 1.2, 1.9)]


def test_a_number_whisper_split_into_two_words_stays_written_as_one():
    segment = said(0, "A", "operator", (1.0, 1.4, "Сумма"), (1.4, 1.6, "1"), (1.6, 2.0, ",970"), (2.0, 2.4, "рублей."),
                   text="Сумма 1,970 рублей.")
    assert as_turns(Transcript("ru", 1.0, 3.0, (segment,))).segments[0].text == "Сумма 1,970 рублей."


def test_a_segment_without_word_times_is_kept_as_it_is():
    bare = Segment(0.0, 2.0, "Добрый день.", 0, (), "A", "operator")
    assert as_turns(Transcript("ru", 1.0, 2.0, (bare,))).segments == (bare,)
