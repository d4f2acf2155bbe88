"""The agent's HTTP client: proxy and credential settings from the environment."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from homerelay.http_client import RelayClient


class Recorder:
    """An HTTP server that answers every GET with `{}` and records request lines and headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                recorder.requests.append((self.requestline, self.headers.get("Authorization")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """Base URL of the recorder."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def asks_health(server: str) -> bool:
    """Ask the server's /healthz with a fresh client (it reads the environment when made)."""
    client = RelayClient(server, "secret-token")
    try:
        return client.healthy()
    finally:
        client.close()


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """No proxy settings from the machine running the tests, and a home folder of our own."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NETRC", raising=False)
    return tmp_path


def test_a_proxy_named_in_the_environment_is_used(clean_environment, monkeypatch, recorder):
    monkeypatch.setenv("HTTP_PROXY", recorder.url)
    assert asks_health("http://relay.example:5002")
    # A proxy is sent the whole URL of the server, with the token.
    assert recorder.requests == [("GET http://relay.example:5002/healthz HTTP/1.1", "Bearer secret-token")]


def test_no_proxy_for_a_server_listed_in_no_proxy(clean_environment, monkeypatch, recorder):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert asks_health(recorder.url)
    assert recorder.requests == [("GET /healthz HTTP/1.1", "Bearer secret-token")]


def test_a_netrc_entry_for_the_server_does_not_replace_the_token(clean_environment, recorder):
    netrc = clean_environment / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    netrc.chmod(0o600)
    assert asks_health(recorder.url)
    assert recorder.requests == [("GET /healthz HTTP/1.1", "Bearer secret-token")]
