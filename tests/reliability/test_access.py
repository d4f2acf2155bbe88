"""Access: tokens never reach a log, CORS stays closed unless configured, security headers on every answer."""

from __future__ import annotations

import secrets
import signal
import socket
import subprocess
import sys

import pytest
import requests

from tests.support.homes import add_home, home_in

from .conftest import AppSession, eventually


def leaked(text: str, *secrets_: str) -> list[str]:
    """Which secrets (whole, or their last 16 characters) appear in `text`."""
    return [secret for secret in secrets_ if secret in text or secret[-16:] in text]


def raw_request(port: int, payload: bytes) -> bytes:
    """Send bytes as they are (malformed requests a client library would refuse to send)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError:
            pass
    return b"".join(chunks)


@pytest.mark.slow
def test_tokens_never_appear_in_the_server_or_agent_logs(server_process, database_url, tmp_path):
    tokens = home_in(database_url, "reliability")
    wrong = secrets.token_urlsafe(32)
    server = server_process(verbose=True)
    app, agent, base = tokens.app_token, tokens.agent_token, server.url
    statuses = []

    def get(path, **kwargs):
        response = requests.get(base + path, timeout=5, **kwargs)
        statuses.append(response.status_code)
        return response

    bearer = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    get("/api/v1/commands", headers=bearer(app))
    get("/api/v1/commands", headers=bearer(wrong))
    get("/api/v1/agent/next", headers=bearer(app))
    get("/api/v1/commands?token=" + app)
    get(f"/t/{app}/get_data")
    get(f"/t/{wrong}/get_data")
    get(f"/t/{agent}/get_threshold")
    get(f"/t/{app}/no_such_endpoint")
    get(f"/api/v1/events?token={wrong}")
    with requests.get(f"{base}/api/v1/events?token={app}", stream=True, timeout=5) as stream:
        statuses.append(stream.status_code)
        next(stream.iter_lines())
    for body in ("{not json", '{"text": "make me a sandwich"}', '{"text": "turn on the tv"}', '{"text": "' + "x" * 70000 + '"}'):
        statuses.append(requests.post(f"{base}/api/v1/commands", data=body, timeout=5,
                                      headers={**bearer(app), "Content-Type": "application/json"}).status_code)
    statuses.append(requests.post(f"{base}/t/{agent}/set_command", data="turn on the tv", timeout=5).status_code)
    statuses.append(requests.post(f"{base}/t/{app}/set_command", data="turn on the tv", timeout=5).status_code)
    # Requests gunicorn itself refuses: a request line too long, a broken header line.
    raw_request(server.port, f"GET /t/{app}/{'x' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    raw_request(server.port, f"GET /t/{app}/get_data HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n".encode())
    raw_request(server.port, f"GET /api/v1/commands HTTP/1.1\r\nAuthorization: Bearer {app}\x00\r\n\r\n".encode())

    with open(tmp_path / "agent.log", "wb") as log:
        run = subprocess.Popen(
            [sys.executable, "-m", "homerelay", "-v", "agent", "--server", base, "--token", agent, "--simulate",
             "--state-file", str(tmp_path / "state.json"), "--reading-interval", "0.5"],
            stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        with AppSession(base, app) as session:
            command_id = session.post("/api/v1/commands", json={"confirm": True, "text": "open the garage door"}).json()["id"]
            eventually(lambda: session.command(command_id)["status"] == "done", timeout=30)
            eventually(lambda: session.get("/api/v1/readings/latest").json()["at"], timeout=10)
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(15)
    refused = subprocess.run(
        [sys.executable, "-m", "homerelay", "-v", "agent", "--server", base, "--token", wrong, "--simulate",
         "--state-file", str(tmp_path / "state2.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2
    # Last (it refuses this address for a minute): enough guesses to trip the sign-in throttle, which logs the address it refuses.
    for guess in range(12):
        get("/api/v1/devices", headers=bearer(f"{wrong}{guess}"))
    assert {200, 201, 400, 401, 403, 404, 413, 422, 429} <= set(statuses)
    server.stop()

    server_log = server.log()
    agent_log = (tmp_path / "agent.log").read_text() + refused.stdout + refused.stderr
    assert "refused an unknown or revoked token" in server_log  # the log was really written
    assert "carried out" in agent_log or "garage door open" in agent_log
    assert not leaked(server_log, app, agent, wrong), server_log[-3000:]
    assert not leaked(agent_log, app, agent, wrong), agent_log[-3000:]


# -- CORS ----------------------------------------------------------------------------------------------

ORIGIN = "https://phone.example"


def test_cors_is_closed_by_default(client, app_headers):
    answer = client.get("/api/v1/commands", headers={**app_headers, "Origin": ORIGIN})
    assert answer.status_code == 200
    assert "Access-Control-Allow-Origin" not in answer.headers
    preflight = client.options("/api/v1/commands", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Headers" not in preflight.headers


@pytest.fixture
def cors_app(make_app, monkeypatch):
    """An app configured, through the environment, to allow one web origin."""
    monkeypatch.setenv("HOMERELAY_CORS_ORIGINS", f"{ORIGIN}/, https://other.example")
    app = make_app()
    return app, add_home(app, "cors")


def test_cors_allows_only_the_configured_origins(cors_app):
    app, tokens = cors_app
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens.app_token}"}
    allowed = client.get("/api/v1/commands", headers={**headers, "Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in allowed.headers["Vary"]
    refusal = client.get("/api/v1/commands", headers={"Origin": ORIGIN})
    assert refusal.status_code == 401
    assert refusal.headers["Access-Control-Allow-Origin"] == ORIGIN  # the page can read why
    stranger = client.get("/api/v1/commands", headers={**headers, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers

    preflight = client.options("/api/v1/commands", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    evil = client.options("/api/v1/commands", headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_cors_setting_in_the_app_config(make_app):
    app = make_app(CORS_ORIGINS=["https://a.example"])
    response = app.test_client().get("/healthz", headers={"Origin": "https://a.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.example"


# -- Security headers --------------------------------------------------------------------------------

def _boom():
    raise RuntimeError("a bug")


@pytest.fixture
def headers_app(make_app):
    """An app with a route that fails, and a throttle that trips after two bad tokens."""
    app = make_app(SIGNIN_FAILURE_LIMIT="2 per minute", PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/boom", "boom", _boom)
    return app, add_home(app, "headers")


# (name, method, path, token role or "bad"/None, body, expected status)
REQUESTS = [
    ("v1 ok", "GET", "/api/v1/commands", "app", None, 200),
    ("v1 created", "POST", "/api/v1/commands", "app", {"text": "turn on the tv"}, 201),
    ("v1 not understood", "POST", "/api/v1/commands", "app", {"text": "fly me to the moon"}, 422),
    ("v1 invalid", "POST", "/api/v1/commands", "app", {"txt": 1}, 400),
    ("v1 no token", "GET", "/api/v1/commands", None, None, 401),
    ("v1 wrong role", "GET", "/api/v1/agent/next", "app", None, 403),
    ("v1 not found", "GET", "/api/v1/commands/999", "app", None, 404),
    ("v1 no such path", "GET", "/api/v1/nothing", "app", None, 404),
    ("v1 wrong method", "DELETE", "/api/v1/commands", "app", None, 405),
    ("v1 too large", "POST", "/api/v1/commands", "app", {"text": "x" * 70000}, 413),
    ("v1 long-poll 204", "GET", "/api/v1/agent/next", "agent", None, 204),
    ("original ok", "GET", "/t/{agent}/get_command", "agent", None, 200),
    ("original ok header", "GET", "/get_data", "app", None, 200),
    ("original no token", "POST", "/set_command", None, "turn on the tv", 401),
    ("original bad token", "GET", "/t/not-a-token/get_data", None, None, 401),
    ("original bad body", "POST", "/set_data", "agent", "nonsense", 400),
    ("web app", "GET", "/", None, None, 200),
    ("asset missing", "GET", "/assets/nothing.js", None, None, 404),
    ("openapi", "GET", "/api/v1/openapi.json", None, None, 200),
    ("health", "GET", "/healthz", None, None, 200),
    ("options", "OPTIONS", "/api/v1/commands", None, None, 200),
    ("server error", "GET", "/boom", None, None, 500),
]


@pytest.mark.parametrize("name,method,path,role,body,status", REQUESTS, ids=[r[0] for r in REQUESTS])
def test_security_headers_on_every_answer(headers_app, name, method, path, role, body, status):
    app, tokens = headers_app
    client = app.test_client()
    token = {"app": tokens.app_token, "agent": tokens.agent_token}.get(role)
    path = path.format(agent=tokens.agent_token)
    headers = {"Authorization": f"Bearer {token}"} if token and not path.startswith("/t/") else {}
    kwargs = {"json": body} if isinstance(body, dict) else {"data": body}
    with client.open(path, method=method, headers=headers, **kwargs) as response:
        assert response.status_code == status, response.get_data(as_text=True)
        check_security_headers(response)


def test_security_headers_on_the_throttle_refusal(headers_app):
    app, _ = headers_app
    client = app.test_client()
    for guess in range(3):
        response = client.get("/api/v1/commands", headers={"Authorization": f"Bearer nope-{guess}"})
    assert response.status_code == 429 and response.headers["Retry-After"]
    check_security_headers(response)


def check_security_headers(response) -> None:
    """nosniff, a CSP that forbids framing, and the legacy frame header."""
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if response.status_code >= 400:
        payload = response.json() if isinstance(response, requests.Response) else response.get_json()
        assert set(payload) >= {"error", "detail"}


@pytest.mark.slow
def test_production_server_sends_security_headers_and_refuses_oversized_streams(server_process, database_url):
    tokens = home_in(database_url, "reliability")
    server = server_process()
    app = {"Authorization": f"Bearer {tokens.app_token}"}
    for path, headers in (("/api/v1/commands", app), ("/api/v1/commands", {}),
                          (f"/t/{tokens.agent_token}/get_command", {}), ("/", {})):
        check_security_headers(requests.get(server.url + path, headers=headers, timeout=5))

    def chunks():
        # Sent chunked, without a Content-Length the server could refuse up front.
        for _ in range(80):
            yield b"x" * 1024

    for path in ("/set_command", "/api/v1/commands"):
        response = requests.post(server.url + path, data=chunks(), timeout=10,
                                 headers={**app, "Content-Type": "application/json"})
        assert response.status_code == 413, response.text
        check_security_headers(response)
    # A small chunked body still gets through whole.
    small = requests.post(server.url + "/set_command", data=iter([b"turn on ", b"the tv"]), headers=app, timeout=10)
    assert small.json() == ["turn on the tv"]
    with AppSession(server.url, tokens.app_token) as session:
        assert [c["text"] for c in session.get("/api/v1/commands").json()["commands"]] == ["turn on the tv"]


# -- Every route of the app, found in its URL map --------------------------------------------------

PUBLIC_ENDPOINTS = {"webapp.index", "webapp.service_worker", "webapp.manifest", "webapp.asset", "openapi_document",
                    "healthz"}
# The contract: which role may call each endpoint ("both": app and agent).
ROLE_OF = {
    "submit_command": "app", "list_commands": "app", "get_command": "both", "ack_command": "agent",
    "next_command": "agent", "put_devices": "agent", "get_devices": "both", "put_house": "agent",
    "get_house": "both", "events": "app", "add_readings": "agent", "latest_reading": "app",
    "reading_history": "app", "get_cooling": "app", "put_cooling": "app", "resume_cooling": "app",
    "agent_presence": "app", "submit_speech": "app", "agent_heard": "agent",
    # the original endpoints: one URL for the phone and the Pi, so either token (v1's get_devices
    # is app only: see V1_ROLE_OF)
    "set_command": "both", "set_data": "both", "get_data": "both", "set_threshold": "both",
    "get_threshold": "both", "set_devices": "both", "set_inf": "both",
}
V1_ROLE_OF = {"get_devices": "app"}


def _routes(app):
    """(endpoint, method, path with `{token}` where the token goes) for every signed-in route."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = rule.rule.replace("<int:command_id>", "1").replace("<token>", "{token}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def _role(endpoint: str) -> str:
    blueprint, name = endpoint.split(".")
    return (V1_ROLE_OF if blueprint == "v1" else {}).get(name, ROLE_OF[name])


@pytest.fixture
def routes_app(make_app):
    """An app whose sign-in throttle stays out of the way of many refusals."""
    app = make_app(SIGNIN_FAILURE_LIMIT="1000000 per minute")
    return app, add_home(app, "routes")


def _call(client, method, path, token):
    if "{token}" in path:
        return client.open(path.format(token=token or "none"), method=method, data="x")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(path, method=method, data="x", headers=headers)


def test_every_route_refuses_a_missing_or_wrong_token(routes_app):
    app, _ = routes_app
    client = app.test_client()
    routes = list(_routes(app))
    assert {endpoint.split(".")[1] for endpoint, _, _ in routes} == set(ROLE_OF), "a route has no access rule here"
    for endpoint, method, path in routes:
        for token in (None, "not-a-token"):
            if token is None and "{token}" in path:
                continue
            response = _call(client, method, path, token)
            assert response.status_code == 401, (endpoint, method, path, token)
            assert response.get_json()["error"] == "unauthorized"


def test_every_route_refuses_the_wrong_role(routes_app):
    app, tokens = routes_app
    client = app.test_client()
    checked = 0
    for endpoint, method, path in _routes(app):
        role = _role(endpoint)
        if role == "both":
            continue
        other = tokens.agent_token if role == "app" else tokens.app_token
        response = _call(client, method, path, other)
        assert response.status_code == 403, (endpoint, method, path)
        checked += 1
    assert checked == 17  # in v1; the original endpoints take either token
