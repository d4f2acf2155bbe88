"""`homerelay demo` end to end, as a user runs it: a subprocess on a free port, then Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from homerelay.cli import demo, main
from homerelay.errors import HomerelayError

LINK = re.compile(r"(http://127\.0\.0\.1:\d+)/#token=(\S+)")
TRY = re.compile(r"Try:\s+(.+)$")


def test_demo_starts_everything_and_stops_cleanly(tmp_path, unused_port):
    env = {**os.environ, "HOMERELAY_DATA": str(tmp_path / "data")}
    env.pop("HOMERELAY_SERVER", None)
    with open(tmp_path / "demo.log", "wb") as log:
        # Started as a script starts a background job, with SIGINT ignored: Ctrl-C must still stop it.
        demo = subprocess.Popen(
            [sys.executable, "-m", "homerelay", "demo", "--port", str(unused_port)],
            stdout=subprocess.PIPE, stderr=log, cwd=tmp_path, env=env, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
        try:
            lines = _lines_until(demo, TRY, timeout=60)
            base, token = next(LINK.search(line).groups() for line in lines if LINK.search(line))
            try_line = TRY.search(lines[-1]).group(1)
            assert base == f"http://127.0.0.1:{unused_port}"
            assert requests.get(f"{base}/healthz", timeout=5).ok
            headers = {"Authorization": f"Bearer {token}"}
            deadline = time.monotonic() + 30
            devices = []
            while not devices and time.monotonic() < deadline:
                devices = requests.get(f"{base}/api/v1/devices", headers=headers,
                                       timeout=5).json()["devices"]
                time.sleep(0.2)
            assert len(devices) == 10, "the simulated agent uploaded its devices"
            agent_token = json.loads((tmp_path / "data" / "demo-home.json").read_text())["agent_token"]
            command_lines = _command_lines()
            assert any("agent" in line and "--simulate" in line for line in command_lines)
            assert not any(agent_token in line for line in command_lines), "token visible in ps"
            # The printed example works as it stands, from the folder the demo was started in
            # (where `homerelay` is not on PATH).
            shell_env = {**env, "PATH": "/usr/bin:/bin"}
            tried = subprocess.run(["sh", "-c", try_line], cwd=tmp_path, env=shell_env,
                                   capture_output=True, text=True, timeout=30)
            assert (tried.returncode, tried.stdout) == (0, "done: kitchen light on\n"), tried.stderr
            demo.send_signal(signal.SIGINT)
            started = time.monotonic()
            assert demo.wait(15) == 0
            took = time.monotonic() - started
            assert took < 8, f"the demo took {took:.1f} s to stop"
        finally:
            # A failed test still stops the demo's server and agent (SIGTERM: the demo stops
            # them): left behind, they would hold the output pipe open, and the thread reading
            # it, and this close, would wait forever.
            if demo.poll() is None:
                demo.terminate()
                try:
                    demo.wait(15)
                except subprocess.TimeoutExpired:
                    demo.kill()
                    demo.wait()
            _kill_processes_mentioning(str(tmp_path))
            demo.stdout.close()
    log_text = (tmp_path / "demo.log").read_text()
    assert "Devices left safe" in log_text
    with_requests_refused(base)
    # The home is kept for the next run.
    assert (tmp_path / "data" / "demo-home.json").exists()


def with_requests_refused(base):
    try:
        requests.get(f"{base}/healthz", timeout=2)
    except requests.ConnectionError:
        return
    raise AssertionError("the server still answers after the demo stopped")


def _kill_processes_mentioning(text: str) -> None:
    """Kill every other process whose command line holds `text` (this test's own folder)."""
    for pid, line in _processes().items():
        if text in line and pid != os.getpid():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _command_lines() -> list[str]:
    """Every process's command line, as `ps` shows them."""
    return list(_processes().values())


def _processes() -> dict[int, str]:
    """Every process's id and command line."""
    lines = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    lines[int(entry)] = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                pass  # the process ended meanwhile
    return lines


def _lines_until(process, pattern, timeout):
    """The lines the process printed, up to and including the first that matches."""
    lines: queue.Queue = queue.Queue()

    def pump():
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=deadline - time.monotonic())
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line.rstrip("\n"))
        if pattern.search(line):
            return seen
    raise AssertionError(f"no line like {pattern.pattern!r} printed; output was: {seen!r}")


def test_demo_refuses_a_busy_port(capsys, tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("HOMERELAY_DATA", str(tmp_path))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code = main(["demo", "--port", str(busy.getsockname()[1])])
    assert code == 2 and "is not free" in capsys.readouterr().err


def test_a_port_just_left_by_a_stopped_demo_is_free_but_one_listened_on_is_not():
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(HomerelayError, match=f"port {port} is not free"):
            demo._check_port_free("127.0.0.1", port)
        client = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()  # the server side closes first: its end of the connection stays in TIME_WAIT
        client.close()
    demo._check_port_free("127.0.0.1", port)  # a demo restarted at once may take the port again
