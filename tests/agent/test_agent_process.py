"""`homerelay agent` as a process: light imports, resident memory, SIGTERM, a refused token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from homerelay.cli import main

SERVER_MODULES = ("flask", "sqlalchemy", "pydantic", "werkzeug", "gevent", "gunicorn")
RSS_LIMIT_MB = 50


def agent_process(server_url: str, token: str, tmp_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMERELAY_")}
    return subprocess.Popen(
        [sys.executable, "-m", "homerelay", "agent", "--simulate", "--server", server_url,
         "--token", token, "--state-file", str(tmp_path / "state.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_agent_never_imports_the_server_stack():
    code = (
        "import sys; from homerelay.cli import build_parser; build_parser(); "
        "import homerelay.agent.agent, homerelay.cli.send, homerelay.house; "
        "homerelay.house.House.default(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_MODULES!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_running_agent_memory_and_sigterm(relay_server, tmp_path):
    process = agent_process(relay_server.url, relay_server.home.agent_token, tmp_path)
    try:
        with relay_server.app_session() as session:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                devices = session.get(f"{relay_server.url}/api/v1/devices").json()["devices"]
                if devices:
                    break
                time.sleep(0.1)
            assert devices, "the agent did not connect"
            response = session.post(f"{relay_server.url}/api/v1/commands",
                                    json={"text": "turn on the kitchen light"})
            command_id = response.json()["id"]
            while session.get(f"{relay_server.url}/api/v1/commands/{command_id}"
                              ).json()["status"] != "done":
                assert time.monotonic() < deadline
                time.sleep(0.05)
        memory = rss_mb(process.pid)
        assert memory <= RSS_LIMIT_MB, f"agent resident memory {memory:.1f} MB"
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert "Devices left safe" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_refused_token_is_one_line_and_exit_2(relay_server, tmp_path):
    process = agent_process(relay_server.url, "not-a-token", tmp_path)
    try:
        assert process.wait(20) == 2
        errors = [line for line in process.stderr.read().splitlines() if " ERROR " in line]
        assert len(errors) == 1 and "refused the token" in errors[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_agent_needs_server_and_token(capsys, monkeypatch):
    monkeypatch.delenv("HOMERELAY_SERVER", raising=False)
    monkeypatch.delenv("HOMERELAY_TOKEN", raising=False)
    assert main(["agent", "--simulate"]) == 2
    assert "--server and --token are needed" in capsys.readouterr().err


def test_bad_house_file_is_one_line(capsys, tmp_path):
    house = tmp_path / "house.yaml"
    house.write_text("rooms: [kitchen]\ndevices:\n  - {room: kitchen, name: light, kind: led, pin: 99}\n")
    code = main(["agent", "--simulate", "--server", "http://127.0.0.1:9", "--token", "t",
                 "--house", str(house), "--state-file", str(tmp_path / "s.json")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "99" in err
