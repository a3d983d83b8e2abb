"""`hotline-qc demo`: what a new user sees first — the packaged demo calls encrypted, processed and searched."""
from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from rich.console import Console

from ingest.envelope import encrypt_file
from ingest.keys import generate_key_pair
import language
from language import gettext as _
from pipelines.cli_insights import cluster_table
from pipelines.flows import process_calls
from pipelines.insights_flows import cluster_complaints
from storage.complaint_clusters import clustered_calls
from storage.db import Database
from storage.export import export_calls
from storage.search import search

MARKER = ".hotline-qc-demo"
EXAMPLE_QUERY = "ошибка авторизации"


def demo_recordings() -> list[Path]:
    data = Path(str(resources.files("demo_calls") / "data"))
    return sorted(p for p in data.iterdir() if p.suffix in (".ogg", ".wav", ".flac"))


def _fresh_folder(out: Path) -> None:
    if out.exists():
        if not (out / MARKER).exists():
            raise FileExistsError(_("%(path)s exists and is not a demo folder; choose another --out") % {"path": out})
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).touch()


def run_demo(out: Path, limit: int | None = None) -> int:
    _fresh_folder(out)
    recordings = demo_recordings()[:limit]
    pair = generate_key_pair(out / "keys")
    inbox = out / "inbox"
    inbox.mkdir()
    for audio in recordings:
        encrypt_file(pair.public, audio, inbox / f"{audio.stem}.enc")
        shutil.copy(audio.with_suffix(".json"), inbox / f"{audio.stem}.json")
    print(language.ngettext("encrypted %(num)d demo call for key %(key)s into %(path)s",
                            "encrypted %(num)d demo calls for key %(key)s into %(path)s", len(recordings))
          % {"num": len(recordings), "key": pair.key_id, "path": inbox})

    db_path = out / "hotline.duckdb"
    summary = process_calls(inbox=inbox, db_path=db_path, key_paths=[out / "keys"])
    print(_("%(done)s done, %(failed)s failed of %(total)s calls (%(audio)s of audio in %(time)s)")
          % {"done": summary.done, "failed": summary.failed, "total": summary.total,
             "audio": language.current().duration(summary.audio_seconds),
             "time": language.current().duration(summary.wall_seconds)})

    insights = cluster_complaints(db_path=db_path)
    print("\n" + _("complaint clusters: %(clusters)s; repeat calls: %(repeats)s")
          % {"clusters": insights.clustering.clusters, "repeats": insights.repeat_calls})

    export = out / "calls.jsonl"
    with Database(db_path) as db:
        # the demo calls are dated in the past: weekly trends are shown as of the latest of them, not today
        latest = max((started for _, started in clustered_calls(db)), default=None)
        Console().print(cluster_table(db, as_of=latest))
        export_calls(db, export)
        hits = search(db, EXAMPLE_QUERY, limit=3)
    print("\n" + (_('search "%(query)s":') if hits else _('search "%(query)s": no call mentions it'))
          % {"query": EXAMPLE_QUERY})
    for hit in hits:
        print(f"  {hit.call_id}: {hit.segments[0].text if hit.segments else ''}")
    rows = [(_("database"), str(db_path)), (_("export"), str(export)), (_("quarantine"), str(inbox / "quarantine")),
            (_("try"), f"hotline-qc search --db {db_path} \"не могу войти\""),
            ("", f"hotline-qc insights repeats --db {db_path}"),
            (_("dashboard"), f"hotline-qc users add --db {db_path} --name you --role analyst"),
            ("", f"hotline-qc dashboard --db {db_path} --keys {out / 'keys'}   # http://127.0.0.1:8080")]
    width = max(len(label) for label, _text in rows) + 2
    print()
    for label, text in rows:
        print(f"{label + ':' if label else '':<{width}}{text}")
    return 0 if summary.failed == 0 else 1
