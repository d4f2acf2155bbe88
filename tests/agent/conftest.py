"""Fixtures for the agent's tests: simulated pins, the default house, a fake relay server."""

from __future__ import annotations

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPWMPin

from homerelay.agent.agent import Agent
from homerelay.house import House
from tests.support.ports import free_port
from tests.support.servers import ThreadServer
from .fakeserver import FakeRelay
from .harness import AgentThread, FixedSensor, fast_settings


@pytest.fixture
def pin_factory():
    """gpiozero's mock pins (with PWM for the servo) as the default factory, reset afterwards."""
    previous = Device.pin_factory
    factory = MockFactory(pin_class=MockPWMPin)
    Device.pin_factory = factory
    yield factory
    factory.reset()
    Device.pin_factory = previous


@pytest.fixture
def house():
    """The contract's default house."""
    return House.default()


@pytest.fixture
def fake_relay():
    """A fake relay server on a free loopback port."""
    relay = FakeRelay().start()
    yield relay
    relay.stop()


@pytest.fixture
def run_agent(pin_factory, house, tmp_path):
    """Start agents against a server; every one is stopped at the end of the test."""
    started: list[AgentThread] = []

    def start(server: str, token: str, sensor=None, **changes) -> AgentThread:
        settings = fast_settings(server, token, tmp_path / "agent-state.json", **changes)
        agent = Agent(settings, house=house, pin_factory=pin_factory,
                      sensor=sensor if sensor is not None else FixedSensor())
        runner = AgentThread(agent).start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        if runner.thread.is_alive():
            runner.stop()


class RelayServer:
    """The real relay server (create_app) under werkzeug in a thread; can stop and come back."""

    def __init__(self, make_app, home, **config):
        self._make_app = make_app
        self._config = config
        self.home = home
        self.port = 0
        self.app = None
        self._server: ThreadServer | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RelayServer:
        """Serve (again) on the same database file and, after a stop, the same port."""
        self.app = self._make_app(**self._config)
        self._server = ThreadServer(self.app, self.home, self.port)
        self.port = self._server.port
        return self

    def stop(self) -> None:
        """Stop serving; the database stays."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def app_session(self):
        """A requests session signed in as the home's app."""
        import requests

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.home.app_token}"
        return session


@pytest.fixture
def start_relay_server(make_app, home):
    """Start real relay servers with the given config; all stopped at the end of the test."""
    started: list[RelayServer] = []

    def start(**config) -> RelayServer:
        server = RelayServer(make_app, home, **config).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def relay_server(start_relay_server):
    """The real relay server with short leases and long-polls, for agent tests."""
    return start_relay_server(LEASE_SECONDS=0.5, MAX_WAIT_SECONDS=60)


@pytest.fixture
def unused_port() -> int:
    """A loopback port nobody listens on (free a moment ago)."""
    return free_port()
