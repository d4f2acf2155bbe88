"""Storage faults are visible and recover: /healthz says 503, writes are refused with 503, nothing is lost."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import event, make_url

from homerelay.server import create_app
from homerelay.server.services.health import CHECK_EVERY_SECONDS

from tests.support.homes import add_home, stored_readings
from tests.support import polling
from tests.conftest import app_config


def assert_storage_unavailable(answer) -> None:
    """A 503 that says the database is unavailable and when to try again."""
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.get_json()["error"] == "storage_unavailable"
    assert answer.get_json()["detail"]
    assert int(answer.headers["Retry-After"]) > 0


def after_the_health_cache() -> None:
    time.sleep(CHECK_EVERY_SECONDS + 0.1)


def sqlite_connections_while(app, pragma: str):
    """Open every SQLite connection with `pragma` while the returned switch is on; opened anew now."""
    db = app.extensions["homerelay"].db
    switch = {"on": True}

    @event.listens_for(db.engine, "connect")
    def _degrade(dbapi_connection, _record):
        if switch["on"]:
            dbapi_connection.execute(pragma)

    db.engine.dispose()
    return switch


def test_a_read_only_sqlite_file_is_a_503_and_writable_again_without_a_restart(make_home):
    home = make_home()
    # `query_only` fails writes exactly as a file opened read-only does (root ignores file modes).
    read_only = sqlite_connections_while(home.app, "PRAGMA query_only = ON")
    health = home.client.get("/healthz")
    assert_storage_unavailable(health)
    assert "readonly" in health.get_json()["detail"]
    assert_storage_unavailable(home.client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=home.app_headers))

    read_only["on"] = False
    after_the_health_cache()
    assert home.client.get("/healthz").status_code == 200
    accepted = home.client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=home.app_headers)
    assert accepted.status_code == 201
    commands = home.client.get("/api/v1/commands", headers=home.app_headers).get_json()["commands"]
    assert [command["id"] for command in commands] == [accepted.get_json()["id"]]


def test_a_full_sqlite_database_refuses_with_503_and_keeps_nothing_half_written(make_home):
    home = make_home()
    db = home.app.extensions["homerelay"].db
    with db.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
    full = sqlite_connections_while(home.app, f"PRAGMA max_page_count = {pages}")
    batch = json.dumps([{"temperature": 21, "humidity": 40}] * 1500, separators=(",", ":"))
    post = lambda: home.client.post("/api/v1/readings", data=batch, content_type="application/json",  # noqa: E731
                                    headers=home.agent_headers)
    assert_storage_unavailable(post())

    # Room again (a connection opened meanwhile would keep the simulated limit, not a real disk).
    full["on"] = False
    assert stored_readings(home.app, 1) == 0
    assert post().status_code == 201
    assert stored_readings(home.app, 1) == 1500


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_down_is_a_503_and_the_server_recovers_when_it_is_back(database_url, link_proxy, tmp_path):
    url = make_url(database_url)
    proxy = link_proxy(url.port or 5432)
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(app_config(tmp_path, through_proxy))
    try:
        tokens = add_home(app, "outage")
        client = app.test_client()
        phone = {"Authorization": f"Bearer {tokens.app_token}"}
        assert client.get("/healthz").status_code == 200
        first = client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=phone)
        assert first.status_code == 201

        proxy.cut()
        after_the_health_cache()
        assert_storage_unavailable(client.get("/healthz"))
        assert_storage_unavailable(client.post("/api/v1/commands", json={"text": "turn off the tv"}, headers=phone))

        proxy.restore()
        polling.eventually(lambda: client.get("/healthz").status_code == 200, timeout=10, step=0.3)
        second = client.post("/api/v1/commands", json={"text": "turn off the tv"}, headers=phone)
        assert second.status_code == 201
        commands = client.get("/api/v1/commands", headers=phone).get_json()["commands"]
        assert [command["id"] for command in commands] == [second.get_json()["id"], first.get_json()["id"]]
    finally:
        app.extensions["homerelay"].close()
