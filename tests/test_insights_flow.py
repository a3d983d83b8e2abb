"""The `cluster_complaints` flow, the insights commands and the export, on a real DuckDB file."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from pipelines.cli import main
from pipelines.insights_flows import cluster_complaints
from storage.db import Database
from test_insights_storage import START, store_call

pytestmark = pytest.mark.slow  # runs the insights flows on scored calls

ACCESS = "Не могу войти в личный кабинет, пишет ошибку авторизации."
PENSION = "Мне не пересчитали пенсию после увольнения."


def first_calls(path) -> None:
    with Database(path) as db:
        store_call(db, "c1", "+7001", 0, 2, ("caller", ACCESS))
        store_call(db, "c2", "+7002", 0.2, 3, ("caller", PENSION),
                   ("operator", "Я зарегистрировала ваше обращение, номер 5512-0042."))
        store_call(db, "c3", "+7003", 0.4, 1, ("caller", "Пенсия пришла меньше, чем в прошлом месяце."))


def later_calls(path) -> None:
    with Database(path) as db:
        store_call(db, "c4", "+7001", 3, 2, ("caller", "Я уже звонил по этому поводу. Всё так же не получается "
                                                       "зайти в кабинет, ошибка авторизации."))
        store_call(db, "c5", "+7005", 3.5, 3, ("caller", "Почему пенсию не пересчитали, я же больше не работаю?"))


def call_clusters(path) -> dict[str, int]:
    with Database(path) as db, db.read() as cur:
        return dict(cur.execute("SELECT call_id, cluster_id FROM call_clusters").fetchall())


def test_the_flow_keeps_cluster_ids_and_new_calls_join_existing_clusters(tmp_path):
    path = tmp_path / "hotline.duckdb"
    first_calls(path)
    first = cluster_complaints(path)
    assert first.analysed == 3 and first.clustering.kind == "assign" and first.repeat_calls == 0
    before = call_clusters(path)
    assert before["c2"] == before["c3"] != before["c1"]

    later_calls(path)
    second = cluster_complaints(path)
    assert second.analysed == 2 and second.clustering.calls == 2 and second.repeat_calls == 1
    after = call_clusters(path)
    assert {k: after[k] for k in before} == before
    assert after["c4"] == before["c1"] and after["c5"] == before["c2"]
    assert second.clustering.clusters == first.clustering.clusters == 2

    again = cluster_complaints(path)  # nothing new: nothing analysed or moved twice
    assert again.analysed == 0 and again.clustering.calls == 0 and call_clusters(path) == after

    full = cluster_complaints(path, full_recluster=True)
    assert full.clustering.kind == "recluster" and full.clustering.calls == 5 and call_clusters(path) == after


def test_commands_print_the_reports_and_the_export_carries_the_insights(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # the commands' Russian, whatever the machine's
    path = tmp_path / "hotline.duckdb"
    first_calls(path)
    later_calls(path)
    assert main(["cluster-complaints", "--db", str(path)]) == 0
    assert "проанализировано новых звонков: 5; кластеризовано жалоб: 5; кластеров: 2" in capsys.readouterr().out

    as_of = (START + timedelta(days=30)).isoformat()
    for report in ("clusters", "repeats", "routing", "deadlines"):
        assert main(["insights", report, "--db", str(path), "--as-of", as_of]) == 0
    out = capsys.readouterr().out
    assert "Кластеры жалоб" in out and "пенсия" in out and "авторизация" in out
    titles = " ".join(out.split())  # rich wraps a long title over lines
    assert "(FCR) по: тема" in titles and "(FCR) по: оператор" in titles and "(FCR) по: неделя" in titles
    assert "restore_access" in out and "50.0%" in out  # c4 repeats c1: half of the access calls
    assert "2 личный кабинет" in out and "1 общие вопросы" in out
    assert "Просроченные обращения" in out and "c2" in out and "55120042" in out

    assert main(["cluster-complaints", "--db", str(path), "--full-recluster"]) == 0
    assert "перекластеризовано жалоб: 5" in capsys.readouterr().out

    export = tmp_path / "calls.jsonl"
    assert main(["export", "--db", str(path), "--out", str(export)]) == 0
    calls = {c["call_id"]: c for c in map(json.loads, export.read_text(encoding="utf-8").splitlines())}
    assert calls["c4"]["repeat_of"] == "c1" and calls["c4"]["topic"] == "restore_access"
    assert calls["c4"]["complaint_cluster"] == calls["c1"]["complaint_cluster"] != calls["c2"]["complaint_cluster"]
    assert calls["c1"]["complaint"] == ACCESS and calls["c1"]["misrouted"] is False
    assert calls["c3"]["misrouted"] is True  # a pension question on branch 1 (general questions)
    assert calls["c2"]["request"]["number"] == "55120042" and calls["c2"]["request"]["type"] == "documents"


def test_an_analyst_relabels_a_calls_topic_from_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # the commands' Russian, whatever the machine's
    path = tmp_path / "hotline.duckdb"
    first_calls(path)
    assert main(["cluster-complaints", "--db", str(path)]) == 0
    capsys.readouterr()
    relabel = ["insights", "relabel", "--db", str(path), "--call-id", "c3"]
    assert main([*relabel, "--topic", "taxes_fines", "--analyst", "qa-1", "--reason", "про налоговый вычет"]) == 0
    assert "звонок c3: тема taxes_fines (налоги и штрафы)" in capsys.readouterr().out
    with Database(path) as db, db.read() as cur:
        assert cur.execute("SELECT topic FROM call_topics WHERE call_id = 'c3'").fetchone() == ("taxes_fines",)

    assert main([*relabel, "--topic", "taxes", "--analyst", "qa-1"]) == 2
    assert main([*relabel, "--topic", "taxes_fines"]) == 2
    assert main(["insights", "relabel", "--db", str(path), "--call-id", "c9", "--topic", "taxes_fines",
                 "--analyst", "qa-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("ошибка: no topic 'taxes' in the catalogue; known: restore_access,")  # the catalogue's
    assert err[1:] == ["ошибка: для insights relabel нужны --analyst",
                       "ошибка: у звонка c9 ещё нет темы; сначала запустите `hotline-qc cluster-complaints`"]


def test_a_missing_database_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # the commands' Russian, whatever the machine's
    missing = tmp_path / "none.duckdb"
    assert main(["cluster-complaints", "--db", str(missing)]) == 2
    assert main(["insights", "clusters", "--db", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"ошибка: базы данных {missing} нет; сначала запустите `hotline-qc process`"] * 2
    assert not missing.exists()
