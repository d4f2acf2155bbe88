"""Fixtures for load and fault tests: server processes, in-process agents that record, a cuttable link."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
import requests
from gpiozero.pins.mock import MockFactory, MockPWMPin

from homerelay.agent import agent as agent_module
from homerelay.agent.agent import Agent
from homerelay.agent.executor import Executor
from homerelay.house import House
from homerelay.server import create_app
from homerelay.server.services.homes import create_home

from tests import polling
from tests.agent.harness import AgentThread, FixedSensor, fast_settings

# A little slower than the agent tests' timings: these tests run beside servers killed and restarted.
RELIABILITY_TIMINGS = dict(wait=1.0, reading_interval=0.2, backoff_max=0.3, servo_move_seconds=0.0)

# A request to a server process gets this long before the test counts the server as down.
REQUEST_TIMEOUT = 3.0
FINISHED = ("done", "failed", "expired")
# Servers and agents restart under load here: wait longer than elsewhere before failing.
eventually = partial(polling.eventually, timeout=20.0)


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Tokens:
    """A home's two tokens."""

    app_token: str
    agent_token: str


def make_home(database_url: str, name: str = "reliability", **config) -> Tokens:
    """Create a home on a database file (as `homerelay home create` would)."""
    app = create_app({"DATABASE_URL": database_url, "LIMITS_ENABLED": False, **config})
    try:
        tokens = create_home(app, name)
    finally:
        app.extensions["homerelay"].close()
    return Tokens(tokens.app_token, tokens.agent_token)


class ServerProcess:
    """`homerelay serve` as a child process (its own process group) that can be killed and restarted."""

    def __init__(self, database_url: str, log_path: Path, env: dict | None = None, verbose: bool = False) -> None:
        self.database_url = database_url
        self.verbose = verbose
        self.log_path = log_path
        self.port = free_port()
        self.env = {**os.environ, "HOMERELAY_LIMITS": "off", **(env or {})}
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> ServerProcess:
        """Start (again) on the same port and database; returns once /healthz answers."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "homerelay", *(["-v"] if self.verbose else []), "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--db", self.database_url],
                stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
            )
        self.starts += 1

        def healthy():
            assert self.process.poll() is None, f"server exited early:\n{self.log_path.read_text()[-3000:]}"
            try:
                return requests.get(f"{self.url}/healthz", timeout=0.5).status_code == 200
            except requests.RequestException:
                return False

        eventually(healthy, timeout=timeout)
        return self

    def kill(self) -> None:
        """SIGKILL the whole server (master and worker), as a crash or a power cut would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), killing it if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        """Everything the server wrote, over all its runs."""
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A SQLite database file of this test, or the PostgreSQL test database where parametrized."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'relay.db'}"


@pytest.fixture
def server_process(tmp_path, database_url):
    """Start `homerelay serve` child processes; every one is stopped at the end."""
    started: list[ServerProcess] = []

    def start(env: dict | None = None, verbose: bool = False) -> ServerProcess:
        server = ServerProcess(database_url, tmp_path / f"server-{len(started)}.log", env, verbose)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()


class RecordingExecutor(Executor):
    """The real executor, also writing down every command it carries out (shared across agent runs)."""

    carried_out: list[int] = []
    lock = threading.Lock()

    def carry_out(self, command):
        with self.lock:
            self.carried_out.append(command["id"])
        return super().carry_out(command)


@pytest.fixture
def recorded():
    """The ids every in-process agent of this test carried out, in order."""
    RecordingExecutor.carried_out = []
    yield RecordingExecutor.carried_out


@pytest.fixture
def run_agent(tmp_path, monkeypatch, recorded):
    """Start in-process agents that record what they carry out; all stopped at the end."""
    monkeypatch.setattr(agent_module, "Executor", RecordingExecutor)
    runs: list[AgentThread] = []

    def start(server: str, token: str, sensor=None, client_class=None, **changes) -> AgentThread:
        if client_class is not None:
            monkeypatch.setattr(agent_module, "RelayClient", client_class)
        settings = fast_settings(server, token, tmp_path / "agent-state.json", **{**RELIABILITY_TIMINGS, **changes})
        agent = Agent(settings, house=House.default(), pin_factory=MockFactory(pin_class=MockPWMPin),
                      sensor=sensor or FixedSensor(22.0, 45.0))
        run = AgentThread(agent).start()
        runs.append(run)
        return run

    yield start
    for run in runs:
        if run.thread.is_alive():
            run.stop()


class AppSession(requests.Session):
    """A requests session signed in as a home's app, aimed at one server."""

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, url, *args, **kwargs):
        """Resolve paths against the server and never wait forever."""
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        return super().request(method, self.base_url + url, *args, **kwargs)

    def command(self, command_id: int) -> dict:
        """One command as the server knows it."""
        return self.get(f"/api/v1/commands/{command_id}").json()

    def all_commands(self) -> list[dict]:
        """Every command of the home, oldest first."""
        return list(reversed(self.get("/api/v1/commands?limit=500").json()["commands"]))


class LinkProxy:
    """A loopback TCP proxy in front of the server: the test cuts and restores the agent's network."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        # Requests starting with this prefix are swallowed (never forwarded): a lost message.
        self.swallow: bytes | None = None
        self.swallowed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The address the agent is given."""
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until `restore`."""
        self._up.clear()
        with self._lock:
            for sock in list(self._sockets):
                _close(sock)
            self._sockets.clear()

    def restore(self) -> None:
        """Let connections through again."""
        self._up.set()

    def close(self) -> None:
        """Stop the proxy."""
        self._closed.set()
        self.cut()
        self._listener.close()
        self._thread.join(2)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if not self._up.is_set():
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink, outgoing in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pipe, args=(source, sink, outgoing), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, outgoing: bool) -> None:
        swallowing = False
        try:
            while self._up.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if outgoing and self.swallow is not None and data.startswith(self.swallow):
                    # Drop this request and whatever follows on its connection.
                    swallowing = True
                    self.swallowed.set()
                if not swallowing:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def link_proxy():
    """Make cuttable links to a server port; all closed at the end."""
    proxies: list[LinkProxy] = []

    def make(target_port: int) -> LinkProxy:
        proxy = LinkProxy(target_port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


class ThreadedServer:
    """The relay app under werkzeug's threaded server in this process (fast to start, easy to inspect)."""

    def __init__(self, app, tokens) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self.tokens = tokens
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def threaded_server(make_app):
    """Start the relay in-process with settings overridden; stopped at the end."""
    servers: list[ThreadedServer] = []

    def start(**config) -> ThreadedServer:
        app = make_app(**config)
        server = ThreadedServer(app, create_home(app, "reliability"))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
