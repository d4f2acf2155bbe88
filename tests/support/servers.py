"""Servers for tests: the app under werkzeug in a thread of the test process, or `homerelay serve` as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from tests.support.ports import free_port

# A `homerelay serve` process gets this long to answer /healthz (it migrates the database first).
STARTUP_SECONDS = 30.0


def homerelay_command(*args: str) -> list[str]:
    """The command line that runs `homerelay ARGS` with this interpreter."""
    return [sys.executable, "-m", "homerelay", *args]


class ThreadServer:
    """An app under werkzeug's threaded server in this process, on loopback: fast to start, easy to inspect."""

    def __init__(self, app, tokens=None, port: int = 0) -> None:
        self.app = app
        self.tokens = tokens
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="thread-server", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def app_token(self) -> str:
        """The app token of the home it was started with."""
        return self.tokens.app_token

    @property
    def agent_token(self) -> str:
        """The agent token of the home it was started with."""
        return self.tokens.agent_token

    def stop(self) -> None:
        """Stop serving (the database stays, so a new server can continue on it)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class ServeProcess:
    """`homerelay serve` as a child process in its own process group: start, stop, kill, start again
    on the same port and database."""

    def __init__(self, database_url: str, log_path: Path, env: dict | None = None, *, workers: int = 1,
                 verbose: bool = False, cwd: Path | None = None, stop_signal: int = signal.SIGINT) -> None:
        self.database_url = database_url
        self.log_path = Path(log_path)
        # A None value takes the variable out of the environment the server inherits.
        self.env = {name: value for name, value in {**os.environ, **(env or {})}.items() if value is not None}
        self.workers = workers
        self.verbose = verbose
        self.cwd = cwd
        # SIGINT is gunicorn's quick shutdown, SIGTERM its graceful one.
        self.stop_signal = stop_signal
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = STARTUP_SECONDS) -> ServeProcess:
        """Start (again) and return once /healthz answers; fails with the server's log if it does not."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                homerelay_command(*(["-v"] if self.verbose else []), "serve", "--host", "127.0.0.1",
                                  "--port", str(self.port), "--db", self.database_url, "--workers", str(self.workers)),
                stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd, start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"homerelay serve exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"homerelay serve did not answer within {timeout} s:\n{self.log()[-3000:]}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the whole server (master and workers) with its stop signal, killing it if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, self.stop_signal)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole server (master and workers), as a crash or a power cut would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self) -> str:
        """Everything the server wrote, over all its runs."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
