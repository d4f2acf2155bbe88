"""Fixtures shared by every test: a fresh app on a temporary SQLite file, clients, a live server."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from homerelay.server import create_app
from homerelay.server.homes import create_home


def app_config(tmp_path, **overrides) -> dict:
    """The test configuration: a real SQLite file in `tmp_path`, limits off unless asked."""
    return {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'homerelay.db'}",
        "LIMITS_ENABLED": False,
        **overrides,
    }


@pytest.fixture
def make_app(tmp_path):
    """Build apps on this test's database file, with settings overridden; all closed afterwards."""
    built = []

    def build(**overrides):
        application = create_app(app_config(tmp_path, **overrides))
        built.append(application)
        return application

    yield build
    for application in built:
        application.extensions["homerelay"].close()


@pytest.fixture
def app(make_app):
    """A fresh server app on its own database file."""
    return make_app()


@pytest.fixture
def home(app):
    """A home with its app and agent tokens."""
    return create_home(app, "test home")


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def app_headers(home):
    """Headers that sign in as the home's app."""
    return {"Authorization": f"Bearer {home.app_token}"}


@pytest.fixture
def agent_headers(home):
    """Headers that sign in as the home's agent."""
    return {"Authorization": f"Bearer {home.agent_token}"}


@dataclass
class LiveServer:
    """A server running in a thread on a free loopback port."""

    url: str
    app: object
    app_token: str
    agent_token: str
    _server: object = None
    _thread: threading.Thread | None = None

    def stop(self) -> None:
        """Stop serving (the database stays, so a new server can continue on it)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_live_server(application, tokens, port: int = 0) -> LiveServer:
    """Serve `application` with a threaded WSGI server on 127.0.0.1."""
    server = make_server("127.0.0.1", port, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(
        f"http://127.0.0.1:{server.server_port}", application, tokens.app_token, tokens.agent_token, server, thread
    )


@pytest.fixture
def live_server(app, home):
    """A real HTTP server for the app (agent and end-to-end tests)."""
    server = start_live_server(app, home)
    yield server
    server.stop()
