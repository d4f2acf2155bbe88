"""Deployment defaults that are safe as shipped: no trusted proxy unless nginx is there, private database files."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from homerelay.server.serving import warn_if_trusting_beyond_loopback

REPO = Path(__file__).resolve().parents[2]


def env_example(name: str) -> dict[str, str]:
    """The settings a deploy/*.env.example sets (commented-out lines are not set)."""
    lines = (REPO / "deploy" / name).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#") and "=" in line)


def test_the_server_example_trusts_no_proxy():
    assert env_example("server.env.example").get("HOMERELAY_TRUSTED_PROXIES", "0") == "0"


@pytest.mark.parametrize("host, trusted, warns", [
    ("0.0.0.0", 1, True), ("192.168.1.20", 2, True), ("::", 1, True),
    ("127.0.0.1", 1, False), ("::1", 1, False), ("localhost", 1, False), ("0.0.0.0", 0, False),
])
def test_serve_warns_when_it_trusts_a_proxy_header_beyond_loopback(caplog, host, trusted, warns):
    with caplog.at_level(logging.WARNING, logger="homerelay.server.serving"):
        warn_if_trusting_beyond_loopback(host, trusted)
    assert len(caplog.records) == (1 if warns else 0)
    if warns:
        assert "HOMERELAY_TRUSTED_PROXIES" in caplog.records[0].getMessage()


def test_sqlite_database_files_are_private(make_home, tmp_path):
    old_umask = os.umask(0o022)
    try:
        home = make_home(DATABASE_URL=f"sqlite:///{tmp_path / 'private' / 'relay.db'}")
        assert home.client.post("/api/v1/commands", json={"text": "turn on the tv"},
                                headers=home.app_headers).status_code == 201
    finally:
        os.umask(old_umask)
    files = sorted((tmp_path / "private").iterdir())
    assert [path.name for path in files] == ["relay.db", "relay.db-shm", "relay.db-wal"]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
