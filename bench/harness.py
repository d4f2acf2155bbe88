"""Processes the benchmarks run: the homerelay server, the simulated agent and the one-slot relay."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
# How long a process may take to answer its first request.
START_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def bench_env() -> dict:
    """The environment of every benchmarked process: limits off, as the design says for benchmarks."""
    env = dict(os.environ)
    env["HOMERELAY_LIMITS"] = "off"
    # The intake benchmark queues tens of thousands of commands with no agent to carry them out.
    env["HOMERELAY_MAX_UNFINISHED_COMMANDS"] = "100000000"
    env.pop("HOMERELAY_MAX_WAIT", None)
    return env


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (VmRSS of /proc/<pid>/status), None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used so far, None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of stat (utime, stime), counted after the ")" that ends the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (gunicorn's workers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
    """Wait until `url` answers; fail at once if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited with {process.returncode} before answering")
        try:
            requests.get(url, timeout=1.0)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen | None, signum: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stop a process we started: `signum` (SIGTERM), then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signum)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def _create_home(database_url: str) -> tuple[str, str]:
    """A home on a new database, as `homerelay home create` makes it; returns (app, agent) tokens.

    Done in this process: a second interpreter importing the server would add seconds to
    every start on a busy machine.
    """
    from homerelay.server.storage.db import Database   # noqa: PLC0415 - only the benchmark needs the server here
    from homerelay.server.storage.migrate import upgrade_schema
    from homerelay.server.services.homes import create_home  # noqa: PLC0415

    db = Database(database_url)
    try:
        upgrade_schema(db)
        tokens = create_home(db, "bench")
    finally:
        db.dispose()
    return tokens.app_token, tokens.agent_token


def _homerelay(*args: str) -> list[str]:
    return [sys.executable, "-m", "homerelay", *args]



def client_session() -> requests.Session:
    """A keep-alive HTTP session for the benchmarks' clients, on loopback only.

    It does not look for proxy settings in the environment: requests would scan it on every
    request, and that cost of the measuring client would count as the server's latency.
    """
    session = requests.Session()
    session.trust_env = False
    return session


@dataclass
class Server:
    """A `homerelay serve` subprocess on a fresh SQLite file, with one home."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    app_token: str = ""
    agent_token: str = ""

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://{HOST}:{self.port}"

    @property
    def database_url(self) -> str:
        """The server's SQLite database (a file: durable, as in production)."""
        return f"sqlite:///{self.workdir / 'homerelay.db'}"

    def start(self) -> "Server":
        """Create the home, start serving, wait for /healthz."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.app_token, self.agent_token = _create_home(self.database_url)
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            _homerelay("serve", "--host", HOST, "--port", str(self.port), "--db", self.database_url),
            env=bench_env(), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until_up(f"{self.url}/healthz", self.process)
        return self

    def worker_pid(self) -> int | None:
        """The gunicorn worker that serves requests (the child of the arbiter)."""
        workers = self.worker_pids()
        return workers[0] if workers else None

    def worker_pids(self) -> list[int]:
        """Every gunicorn worker (the children of the arbiter)."""
        return children(self.process.pid) if self.process is not None else []

    def stop(self) -> None:
        """Stop the server at once (SIGINT: gunicorn's quick shutdown, open long-polls dropped)."""
        stop(self.process, signal.SIGINT)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


@dataclass
class AgentProcess:
    """A `homerelay agent --simulate` subprocess."""

    server_url: str
    token: str
    workdir: Path
    process: subprocess.Popen | None = None

    def start(self, ready: "Server | None" = None) -> "AgentProcess":
        """Start the agent; with `ready`, wait until it has reported its devices to that server."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "agent.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            _homerelay("agent", "--server", self.server_url, "--token", self.token, "--simulate",
                       "--state-file", str(self.workdir / "agent-state.json")),
            env=bench_env(), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        if ready is not None:
            self.wait_connected(ready)
        return self

    def wait_connected(self, server: "Server", timeout: float = START_TIMEOUT) -> None:
        """Wait until the agent has uploaded its device states."""
        headers = {"Authorization": f"Bearer {server.app_token}"}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the agent exited with {self.process.returncode}")
            answer = requests.get(f"{server.url}/api/v1/devices", headers=headers, timeout=2.0)
            if answer.ok and answer.json().get("updated_at"):
                # Give it a moment to enter its long-poll.
                time.sleep(0.3)
                return
            time.sleep(0.1)
        raise RuntimeError("the agent did not connect in time")

    def stop(self) -> None:
        """Stop the agent."""
        stop(self.process)


@dataclass
class ComparedServer:
    """A server to compare homerelay with, started from this repository as a subprocess."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    health_path = "/"

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        """The command line that serves on `self.port`."""
        raise NotImplementedError

    def start(self):
        """Start it and wait until it answers."""
        self.process = subprocess.Popen(
            self.command(), env=bench_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parent.parent,
        )
        wait_until_up(f"{self.url}{self.health_path}", self.process)
        return self

    def stop(self) -> None:
        """Stop it (SIGINT: gunicorn's quick shutdown; Flask's server stops on it too)."""
        stop(self.process, signal.SIGINT)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class FloorProcess(ComparedServer):
    """`bench.floor` (Flask answering a constant) under gunicorn with one gevent worker."""

    health_path = "/healthz"

    def command(self) -> list[str]:
        """gunicorn as `homerelay serve` runs it: one gevent worker."""
        return [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
                "--worker-connections", "1000", "--bind", f"{HOST}:{self.port}", "--log-level", "warning",
                "bench.floor:app"]

    def worker_pids(self) -> list[int]:
        """The gunicorn worker."""
        return children(self.process.pid) if self.process is not None else []


class OneSlotProcess(ComparedServer):
    """The one-slot relay (bench.oneslot) under Flask's threaded development server."""

    health_path = "/get_command"

    def command(self) -> list[str]:
        """The one-slot relay's own `main`."""
        return [sys.executable, "-m", "bench.oneslot", "--port", str(self.port)]
