"""The server's commands: `home create`, `token list/revoke`, and `serve` under the production WSGI server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
import requests

from homerelay.cli import main
from tests.support.ports import free_port
from tests.support.servers import ServeProcess


def test_home_create_json_prints_one_line(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["home", "create", "flat", "--db", db, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    created = json.loads(out)
    assert set(created) == {"home", "app_token", "agent_token"}
    assert created["home"] == "flat" and len(created["app_token"]) >= 40


def test_token_list_and_revoke(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    main(["home", "create", "flat", "--db", db, "--json"])
    tokens = json.loads(capsys.readouterr().out)
    assert main(["token", "--db", db, "list"]) == 0
    listing = capsys.readouterr().out
    assert "flat" in listing and "active" in listing
    assert tokens["app_token"] not in listing and tokens["agent_token"] not in listing
    assert main(["token", "--db", db, "revoke", "1"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["token", "--db", db, "revoke", "99"]) == 2
    assert "no token with id 99" in capsys.readouterr().err


def test_serve_runs_gunicorn_and_answers(tmp_path):
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    tokens = json.loads(subprocess.check_output([sys.executable, "-m", "homerelay", "home", "create", "h", "--db", db, "--json"]))
    server = ServeProcess(db, tmp_path / "serve.log", {"HOMERELAY_LIMITS": "off"}, stop_signal=signal.SIGTERM)
    try:
        base = server.start().url
        health = requests.get(f"{base}/healthz", timeout=5)
        assert health.json()["status"] == "ok"
        assert health.headers["Server"] == "gunicorn"
        posted = requests.post(f"{base}/api/v1/commands", json={"text": "open the garage door"},
                               headers={"Authorization": f"Bearer {tokens['app_token']}"}, timeout=5)
        assert posted.status_code == 201
        delivered = requests.get(f"{base}/api/v1/agent/next?wait=5",
                                 headers={"Authorization": f"Bearer {tokens['agent_token']}"}, timeout=10)
        assert delivered.json()["id"] == posted.json()["id"]
    finally:
        server.stop()
    output = server.log()
    assert "gevent" in output
    assert tokens["app_token"] not in output


@pytest.mark.parametrize(("workers", "why"), [
    ("0", "--workers must be at least 1"),
    ("2", "use PostgreSQL (--db postgresql://...) for several processes"),
])
def test_serve_refuses_a_worker_count_it_cannot_run(tmp_path, workers, why):
    result = subprocess.run(
        [sys.executable, "-m", "homerelay", "serve", "--workers", workers, "--db", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and why in result.stderr
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


def test_serve_with_an_unreachable_database_says_so_in_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "homerelay", "serve", "--port", str(free_port()), "--db", "postgresql://nobody:x@127.0.0.1:1/none"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("homerelay serve: cannot prepare the database")
    assert "password" not in result.stderr and ":x@" not in result.stderr


def test_a_port_out_of_range_is_refused_by_the_argument_parser(capsys):
    try:
        main(["serve", "--port", "99999"])
    except SystemExit as stop:
        assert stop.code == 2
    else:
        raise AssertionError("serve accepted port 99999")
    assert "99999 is outside 1..65535" in capsys.readouterr().err


def test_a_library_error_is_one_line_without_a_traceback(capsys):
    assert main(["home", "create", "flat", "--db", "nosuch://x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("homerelay home: ") and "nosuch" in err
