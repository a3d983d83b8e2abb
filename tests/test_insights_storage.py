"""The insights flow's steps against a real DuckDB file: stable cluster ids, topics, repeats and requests."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from asr.records import Segment, Transcript
from ingest.metadata import CallMetadata
from insights.records import Complaint
from pipelines.insights_steps import (analyse_new_calls, cluster_new_complaints, deadline_report, link_repeat_calls,
                                      problem_calls, recluster_all_complaints, relabel_call_topic, repeat_report,
                                      routing_report)
from storage import complaint_clusters as store
from storage.calls import save_call
from storage.db import Database
from storage.records import RecordingInfo

pytestmark = pytest.mark.slow  # clusters and classifies complaints with the sentence encoder

MSK = timezone(timedelta(hours=3))
START = datetime(2025, 3, 3, 10, tzinfo=MSK)
OPENING = "Здравствуйте, горячая линия госуслуг, оператор Анна, чем могу помочь?"


def store_call(db: Database, call_id: str, caller: str, days: float, branch: int, *lines: tuple[str, str]) -> None:
    metadata = CallMetadata(call_id, START + timedelta(days=days), "op-1", caller, branch, "Казань", "stereo", 0, "ru")
    segments = tuple(Segment(float(n * 5), float(n * 5 + 4), text, channel=0 if role == "operator" else 1, role=role)
                     for n, (role, text) in enumerate((("operator", OPENING), *lines)))
    save_call(db, "run", metadata, RecordingInfo(f"rec-{call_id}", f"/in/{call_id}.enc", 1),
              Transcript("ru", 1.0, 30.0, segments))


def test_periodic_steps_keep_cluster_ids_and_link_repeats(tmp_path):
    with Database(tmp_path / "hotline.duckdb") as db:
        store_call(db, "c1", "+7001", 0, 2, ("caller", "Не могу войти в личный кабинет, пишет ошибку авторизации."))
        store_call(db, "c2", "+7002", 0.2, 3, ("caller", "Мне не пересчитали пенсию после увольнения."),
                   ("operator", "Я зарегистрировала ваше обращение, номер 5512-0042."))
        store_call(db, "c3", "+7003", 0.4, 1, ("caller", "Пенсия пришла меньше, чем в прошлом месяце."))
        assert analyse_new_calls(db) == 3
        assert analyse_new_calls(db) == 0  # a re-run does not analyse a call twice
        first = cluster_new_complaints(db, now=START + timedelta(days=1))
        assert first.calls == 3
        before = {call_id: cid for call_id, cid in _call_clusters(db).items()}
        assert before["c2"] == before["c3"] != before["c1"]

        store_call(db, "c4", "+7001", 5, 2, ("caller", "Я уже звонил по этому поводу. Всё так же не получается "
                                                       "зайти в кабинет, ошибка авторизации."))
        assert analyse_new_calls(db) == 1
        cluster_new_complaints(db, now=START + timedelta(days=6))
        after = _call_clusters(db)
        assert {k: after[k] for k in before} == before and after["c4"] == before["c1"]

        recluster_all_complaints(db, now=START + timedelta(days=6))
        assert _call_clusters(db) == after  # the same grouping keeps the same ids

        assert link_repeat_calls(db) == 1
        with db.read() as cur:
            assert cur.execute("SELECT call_id, repeat_of FROM repeat_calls").fetchall() == [("c4", "c1")]
            topics = dict(cur.execute("SELECT call_id, topic FROM call_topics").fetchall())
        assert topics == {"c1": "restore_access", "c2": "benefits_pensions", "c3": "benefits_pensions",
                          "c4": "restore_access"}
        routing = {r.ivr_branch: (r.calls, r.misrouted) for r in routing_report(db)}
        assert routing == {1: (1, 1), 2: (2, 0), 3: (1, 0)}
        by_topic = {r.group: r for r in repeat_report(db, "topic", as_of=START + timedelta(days=30))}
        assert by_topic["restore_access"].repeat_rate == 0.5

        (request,) = store.load_requests(db)
        assert request.number == "55120042" and request.request_type == "documents"
        assert request.registered_at.utcoffset() == timedelta(hours=3)
        due_soon, overdue = deadline_report(db, now=START + timedelta(days=30))
        assert not due_soon and [r.call_id for r in overdue] == ["c2"]
        store.update_request(db, replace(request, closed_at=START + timedelta(days=31)))
        assert deadline_report(db, now=START + timedelta(days=32)) == ([], [])
        labels = store.load_cluster_labels(db)
        assert all(label.keywords and label.quote for label, _, _ in labels.values())
        exported = store.export_fields(db, ["c1", "c2", "c4", "unknown"])
        assert set(exported) == {"c1", "c2", "c4"}
        assert exported["c4"]["repeat_of"] == "c1" and exported["c1"]["repeat_of"] is None
        assert exported["c4"]["complaint_cluster"] == exported["c1"]["complaint_cluster"]
        assert exported["c1"]["complaint_cluster"]["id"] == after["c1"]
        assert exported["c1"]["complaint_cluster"]["quote"] and exported["c1"]["complaint_cluster"]["keywords"]
        assert "ошибку авторизации" in exported["c1"]["complaint"] and exported["c1"]["topic"] == "restore_access"
        assert exported["c1"]["misrouted"] is False and exported["c1"]["request"] is None
        assert exported["c2"]["request"] == {
            "number": "55120042", "type": "documents", "registered_at": (START + timedelta(days=0.2)).isoformat(),
            "due_at": request.due_at.isoformat(), "extended": False,
            "closed_at": (START + timedelta(days=31)).isoformat()}


VOUCHER = "Как получить льготную путёвку в санаторий для ветерана через портал?"


def test_an_analysts_relabel_is_the_calls_topic_and_teaches_the_classifier(tmp_path):
    with Database(tmp_path / "hotline.duckdb") as db:
        store_call(db, "c1", "+7001", 0, 1, ("caller", VOUCHER))
        analyse_new_calls(db)
        automatic, _ = store.call_topic(db, "c1")
        assert automatic != "benefits_pensions"
        relabel_call_topic(db, "c1", "benefits_pensions", "qa-1", reason="путёвки ветеранам ведёт соцфонд")
        assert store.call_topic(db, "c1") == ("benefits_pensions", 1)
        # a benefits question on branch 1 (general questions) is misrouted under the analyst's topic
        assert {r.ivr_branch: (r.calls, r.misrouted) for r in routing_report(db)} == {1: (1, 1)}
        analyse_new_calls(db, only_new=False)  # analysing it again keeps the analyst's topic
        assert store.call_topic(db, "c1")[0] == "benefits_pensions"
        with db.read() as cur:
            assert cur.execute("SELECT automatic_topic, analyst FROM topic_relabels").fetchall() == [(automatic, "qa-1")]

        store_call(db, "c2", "+7002", 1, 3,
                   ("caller", "Где на госуслугах оформить бесплатную путёвку в санаторий ветерану труда?"))
        analyse_new_calls(db)
        assert store.call_topic(db, "c2") == ("benefits_pensions", 3)

        with pytest.raises(ValueError, match="no topic 'pensions'"):
            relabel_call_topic(db, "c1", "pensions", "qa-1")
        with pytest.raises(KeyError):
            relabel_call_topic(db, "never-analysed", "benefits_pensions", "qa-1")


def test_a_caller_quoting_their_request_number_is_linked_from_the_stored_calls(tmp_path):
    with Database(tmp_path / "hotline.duckdb") as db:
        store_call(db, "first", "+7002", 0, 3, ("caller", "Мне не пересчитали пенсию после увольнения."),
                   ("operator", "Я зарегистрировала ваше обращение, номер 5512-0042."))
        store_call(db, "rings_back", "+7002", 3, 3, ("caller", "Здравствуйте, мне дали номер 5512-004."),
                   ("caller", "Скажите, что там с моим вопросом, до сих пор никто не ответил."))
        analyse_new_calls(db)
        first, rings_back = problem_calls(db)
        assert first.request_number == "55120042" and rings_back.request_number is None
        assert rings_back.numbers_said == ("5512004",) and not rings_back.refers_to_earlier_call
        assert link_repeat_calls(db) == 1
        with db.read() as cur:
            assert cur.execute("SELECT call_id, repeat_of FROM repeat_calls").fetchall() == [("rings_back", "first")]


def test_complaint_vectors_come_back_exactly_and_in_call_order(tmp_path):
    vectors = np.random.default_rng(5).standard_normal((3, 512)).astype(np.float32)
    complaints = [Complaint("b", "второй", True), Complaint("a", "первый", False), Complaint("c", "", False)]
    with Database(tmp_path / "hotline.duckdb") as db:
        for call_id, days in (("a", 0), ("b", 1), ("c", 2)):
            store_call(db, call_id, "+7001", days, 2, ("caller", "Не могу войти."))
        store.save_complaints(db, complaints, vectors, "test-encoder")
        loaded, loaded_vectors = store.load_complaints(db)
        assert loaded == [complaints[1], complaints[0], complaints[2]]
        assert np.array_equal(loaded_vectors, vectors[[1, 0, 2]])
        problem_calls = store.load_problem_calls(db)
        assert [p.call_id for p in problem_calls] == ["a", "b", "c"]
        assert np.array_equal(np.stack([p.vector for p in problem_calls]), vectors[[1, 0, 2]])
        assert problem_calls[1].refers_to_earlier_call and not problem_calls[0].refers_to_earlier_call


def test_on_a_stereo_call_without_roles_the_channel_tells_the_caller(tmp_path):
    metadata = CallMetadata("s1", START, "op-1", "+7009", 2, "Казань", "stereo", 1, "ru")
    segments = (Segment(0.0, 4.0, OPENING, channel=1), Segment(5.0, 9.0, "Не могу войти в личный кабинет.", channel=0),
                Segment(10.0, 14.0, "Назовите, пожалуйста, ваш номер заявления.", channel=1))
    with Database(tmp_path / "hotline.duckdb") as db:
        save_call(db, "run", metadata, RecordingInfo("rec-s1", "/in/s1.enc", 1), Transcript("ru", 1.0, 15.0, segments))
        (call,) = store.calls_for_insights(db)
    assert [u.role for u in call.utterances] == ["operator", "caller", "operator"]


def _call_clusters(db: Database) -> dict[str, int]:
    with db.read() as cur:
        return dict(cur.execute("SELECT call_id, cluster_id FROM call_clusters").fetchall())
