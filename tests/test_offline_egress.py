"""Nothing leaves the machine: the commands a deployment runs send no DNS query and open no connection that is
not loopback. They run in a user+network+mount namespace with only loopback, where /etc/resolv.conf points to
a DNS logger that answers (NXDOMAIN) and records every query, and where an audit hook in every Python process
records every connection and name lookup that is not local."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import eval_file

ROOT = Path(__file__).resolve().parents[1]
HQC = Path(sys.executable).with_name("hotline-qc")

_HOOK = textwrap.dedent("""
    import ipaddress, os, sys

    def _local(host):
        if host in (None, "", "localhost") or str(host).startswith("/"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _hook(event, args):
        if event == "socket.connect" or event == "socket.sendto":
            address = args[1] if event == "socket.connect" else args[-1]
            if isinstance(address, tuple) and not _local(address[0]):
                _log(f"{event} {address!r}")
        elif event == "socket.getaddrinfo" and not _local(args[0]):
            _log(f"getaddrinfo {args[0]!r}")

    def _log(line):
        with open(os.environ["EGRESS_LOG"], "a") as out:
            out.write(f"{os.getpid()} {line}\\n")

    sys.addaudithook(_hook)
""")

_RUNNER = textwrap.dedent("""
    import os, socket, struct, subprocess, sys, threading, time, urllib.request
    from pathlib import Path

    work, hqc = Path(sys.argv[1]), sys.argv[2]
    queries = []

    def dns():
        server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        server.bind(("127.0.0.1", 53))
        while True:
            data, peer = server.recvfrom(4096)
            labels, at = [], 12
            while at < len(data) and data[at]:
                labels.append(data[at + 1:at + 1 + data[at]].decode(errors="replace"))
                at += data[at] + 1
            queries.append(".".join(labels))
            # the same id and question, flags "response, recursion available, NXDOMAIN", no answers
            server.sendto(data[:2] + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0) + data[12:at + 5], peer)

    threading.Thread(target=dns, daemon=True).start()
    time.sleep(0.2)
    try:
        socket.getaddrinfo("dns-logger-self-check.invalid", 443)
    except OSError:
        pass
    assert queries, "the DNS logger saw no query: resolv.conf is not pointing at it"
    queries.clear()
    log = Path(os.environ["EGRESS_LOG"])
    assert "dns-logger-self-check" in log.read_text(), "the audit hook is not installed: connections go unseen"
    log.write_text("")

    def run(*args):
        done = subprocess.run([hqc, "--lang", "ru", *map(str, args)], capture_output=True, text=True, timeout=400)
        if done.returncode != 0:
            sys.exit(f"{args[0]} failed: {done.stderr[-3000:]}")
        return done.stdout

    db = work / "qc.duckdb"
    print(run("process", work / "inbox", "--db", db, "--keys", work / "keys", "--no-progress"))
    run("cluster-complaints", "--db", db)
    run("weekly-report", "--db", db, "--out", work / "report")
    dashboard = subprocess.Popen([hqc, "dashboard", "--db", db, "--port", "18765", "--keys", work / "keys"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                page = urllib.request.urlopen("http://127.0.0.1:18765/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        else:
            sys.exit("the dashboard did not answer")
        assert "Вход".encode() in page  # the sign-in page, in Russian by default
        time.sleep(2)  # what a library sends after start-up comes within seconds
    finally:
        dashboard.terminate()
        dashboard.wait(timeout=30)
    print("DNS QUERIES:", sorted(set(queries)))
""")


def _namespaces() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "-rmn", "true"], capture_output=True).returncode == 0


def test_the_cli_sets_every_phone_home_switch_before_any_library_loads():
    probe = ("import os, sys; from pipelines import cli; "
             "print(repr({k: os.environ.get(k) for k in sys.argv[1:]}))")
    names = ["ORT_DISABLE_TELEMETRY", "PREFECT_SERVER_ANALYTICS_ENABLED", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY",
             "TRANSFORMERS_OFFLINE", "PYANNOTE_METRICS_ENABLED", "DO_NOT_TRACK", "MPLCONFIGDIR"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": "/nonexistent"}
    done = subprocess.run([sys.executable, "-c", probe, *names], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    switches = ast.literal_eval(done.stdout)
    assert None not in switches.values(), switches
    assert Path(switches["MPLCONFIGDIR"]).is_dir() and os.access(switches["MPLCONFIGDIR"], os.W_OK)


@pytest.mark.model
@pytest.mark.skipif(not _namespaces(), reason="unshare -rmn (unprivileged user, mount and network namespaces) or "
                                              "ip is unavailable, so egress cannot be observed in isolation")
def test_process_clusters_report_and_dashboard_send_nothing_off_the_machine(tmp_path):
    from inbox import deliver, sidecar

    subprocess.run([HQC, "keys", "new", "--out", tmp_path / "keys"], check=True, capture_output=True)
    public = next((tmp_path / "keys").glob("*.pub.pem"))
    deliver(tmp_path / "inbox", "call-1", public, eval_file("audio_tts_ru/dialogue_rhv_8k.flac"),
            sidecar("call-1", language="ru"))
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_HOOK)
    (tmp_path / "runner.py").write_text(_RUNNER)
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
    log = tmp_path / "egress.log"
    log.touch()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "EGRESS_LOG": str(log),
           "PYTHONPATH": f"{hooks}:{ROOT}", "LANG": "C.UTF-8"}
    script = (f'ip link set lo up && mount --bind "{tmp_path / "resolv.conf"}" /etc/resolv.conf && '
              f'exec "{sys.executable}" "{tmp_path / "runner.py"}" "{tmp_path}" "{HQC}"')
    done = subprocess.run(["unshare", "-rmn", "sh", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=580)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    assert "обработано 1, с ошибкой 0" in done.stdout
    assert "DNS QUERIES: []" in done.stdout, done.stdout[-2000:]
    assert log.read_text() == "", log.read_text()
