"""Sign-in: every endpoint refuses a missing or wrong token (401) and the wrong role (403)."""

from __future__ import annotations

import pytest

from homerelay.server.services import homes
from homerelay.server.services.homes import create_home, list_tokens, revoke_token

# (method, path, role that may call it, a valid body)
V1_ENDPOINTS = [
    ("POST", "/api/v1/commands", "app", {"text": "turn on the tv"}),
    ("GET", "/api/v1/commands", "app", None),
    ("GET", "/api/v1/readings/latest", "app", None),
    ("GET", "/api/v1/readings", "app", None),
    ("GET", "/api/v1/devices", "app", None),
    ("GET", "/api/v1/automations/cooling", "app", None),
    ("PUT", "/api/v1/automations/cooling", "app", {"enabled": True, "threshold": 27}),
    ("GET", "/api/v1/agent/next", "agent", None),
    ("POST", "/api/v1/readings", "agent", {"temperature": 22, "humidity": 40}),
    ("PUT", "/api/v1/devices", "agent", {"devices": []}),
    ("PUT", "/api/v1/house", "agent", None),
]
LEGACY_ENDPOINTS = [
    ("POST", "/set_command", "app"),
    ("POST", "/set_threshold", "app"),
    ("GET", "/get_command", "agent"),
    ("POST", "/set_data", "agent"),
    ("POST", "/set_devices", "agent"),
]
PUBLIC = ["/healthz", "/api/v1/openapi.json", "/"]


def call(client, method, path, headers=None, body=None):
    return client.open(path, method=method, headers=headers or {}, json=body)


@pytest.mark.parametrize("method,path,role,body", V1_ENDPOINTS)
def test_v1_refuses_missing_and_wrong_token(client, home, method, path, role, body):
    missing = call(client, method, path, body=body)
    assert missing.status_code == 401
    assert missing.get_json()["error"] == "unauthorized"
    wrong = call(client, method, path, {"Authorization": "Bearer not-a-token"}, body)
    assert wrong.status_code == 401


@pytest.mark.parametrize("method,path,role,body", V1_ENDPOINTS)
def test_v1_refuses_the_wrong_role(client, home, method, path, role, body):
    other = home.agent_token if role == "app" else home.app_token
    response = call(client, method, path, {"Authorization": f"Bearer {other}"}, body)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


@pytest.mark.parametrize("method,path,role", LEGACY_ENDPOINTS)
def test_original_endpoints_refuse_missing_token_and_wrong_role(client, home, method, path, role):
    assert client.open(path, method=method, data="x").status_code == 401
    assert client.open(f"/t/wrong{path}", method=method, data="x").status_code == 401
    other = home.agent_token if role == "app" else home.app_token
    assert client.open(f"/t/{other}{path}", method=method, data="x").status_code == 403


@pytest.mark.parametrize("path", PUBLIC)
def test_public_paths_need_no_token(client, path):
    with client.get(path) as response:
        assert response.status_code == 200


def test_a_token_sees_only_its_own_home(client, app, home, app_headers):
    other = create_home(app, "neighbours")
    client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=app_headers)
    theirs = client.get("/api/v1/commands", headers={"Authorization": f"Bearer {other.app_token}"})
    assert theirs.get_json() == {"commands": []}
    mine = client.get("/api/v1/commands", headers=app_headers).get_json()["commands"]
    response = client.get(f"/api/v1/commands/{mine[0]['id']}", headers={"Authorization": f"Bearer {other.agent_token}"})
    assert response.status_code == 404


def test_revoked_token_stops_working_at_once(client, app, home, app_headers):
    assert client.get("/api/v1/commands", headers=app_headers).status_code == 200
    db = app.extensions["homerelay"].db
    app_token_id = next(t.id for t in list_tokens(db) if t.role == "app")
    revoke_token(db, app_token_id)
    assert client.get("/api/v1/commands", headers=app_headers).status_code == 401


def test_tokens_are_stored_hashed(app, home):
    db = app.extensions["homerelay"].db
    with db.engine.connect() as connection:
        stored = " ".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM tokens"))
    assert home.app_token not in stored and home.agent_token not in stored


def test_failed_sign_ins_are_throttled_per_address(make_app):
    app = make_app(SIGNIN_FAILURE_LIMIT="3 per minute")
    tokens = create_home(app, "h")
    client = app.test_client()
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(3):
        assert client.get("/api/v1/commands", headers={"Authorization": "Bearer guess"}, environ_base=attacker).status_code == 401
    blocked = client.get("/api/v1/commands", headers={"Authorization": f"Bearer {tokens.app_token}"}, environ_base=attacker)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert blocked.get_json()["error"] == "too_many_requests"
    elsewhere = client.get("/api/v1/commands", headers={"Authorization": f"Bearer {tokens.app_token}"}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert elsewhere.status_code == 200


def test_per_token_request_limit(make_app):
    app = make_app(LIMITS_ENABLED=True, RATE_LIMITS="5 per minute")
    tokens = create_home(app, "h")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens.app_token}"}
    statuses = [client.get("/api/v1/devices", headers=headers).status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    limited = client.get("/api/v1/devices", headers=headers)
    assert limited.get_json()["error"] == "too_many_requests"
    assert "Retry-After" in limited.headers
    # Another token has its own allowance.
    assert client.get("/api/v1/readings/latest", headers={"Authorization": f"Bearer {tokens.agent_token}"}).status_code == 403


def test_forwarded_for_is_ignored_without_trusted_proxies(make_app):
    app = make_app(SIGNIN_FAILURE_LIMIT="2 per minute")
    client = app.test_client()
    for n in range(2):
        client.get("/api/v1/devices", headers={"Authorization": "Bearer x", "X-Forwarded-For": f"10.0.0.{n}"})
    spoofed = client.get("/api/v1/devices", headers={"Authorization": "Bearer x", "X-Forwarded-For": "10.0.0.99"})
    assert spoofed.status_code == 429


def test_forwarded_for_is_used_behind_a_trusted_proxy(make_app):
    app = make_app(SIGNIN_FAILURE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    client = app.test_client()
    for _ in range(2):
        client.get("/api/v1/devices", headers={"Authorization": "Bearer x", "X-Forwarded-For": "192.0.2.1"})
    assert client.get("/api/v1/devices", headers={"Authorization": "Bearer x", "X-Forwarded-For": "192.0.2.1"}).status_code == 429
    assert client.get("/api/v1/devices", headers={"Authorization": "Bearer x", "X-Forwarded-For": "192.0.2.2"}).status_code == 401


def test_security_headers_on_every_response(client, app_headers):
    for response in (client.get("/healthz"), client.get("/api/v1/devices", headers=app_headers), client.get("/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_new_token_never_starts_with_a_dash(monkeypatch):
    # One that did would read as an option: `homerelay send --token -x…` would fail.
    drawn = iter(["-looks-like-an-option", "_a-fine-token"])
    monkeypatch.setattr(homes.secrets, "token_urlsafe", lambda size: next(drawn))
    assert homes.new_token() == "_a-fine-token"
