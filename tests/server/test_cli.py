"""The server's commands: `home create`, `token list/revoke`, and `serve` under the production WSGI server."""

from __future__ import annotations

import json
import os
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
        posted = requests.post(f"{base}/api/v1/commands", json={"confirm": True, "text": "open the garage door"},
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


def _db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_a_second_home_of_the_same_name_needs_force(tmp_path, capsys):
    db = _db(tmp_path)
    assert main(["home", "create", "flat", "--db", db, "--json"]) == 0
    capsys.readouterr()
    assert main(["home", "create", "flat", "--db", db]) == 2
    err = capsys.readouterr().err
    assert err == "homerelay home: a home named 'flat' exists; use --force to create another\n"
    assert main(["home", "create", "--force", "flat", "--db", db, "--json"]) == 0
    capsys.readouterr()
    assert main(["home", "list", "--db", db, "--json"]) == 0
    homes = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(h["id"], h["name"], h["app_tokens"], h["agent_tokens"]) for h in homes] == [
        (1, "flat", 1, 1), (2, "flat", 1, 1)]


def test_home_list_reads_like_a_table(tmp_path, capsys):
    db = _db(tmp_path)
    assert main(["home", "list", "--db", db]) == 0
    assert capsys.readouterr().out == "No homes yet: homerelay home create NAME\n"
    main(["home", "create", "flat", "--db", db, "--json"])
    capsys.readouterr()
    assert main(["home", "--db", db, "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("   1  flat") and "1 app, 1 agent token(s)" in out


@pytest.mark.parametrize("argv", [
    ["token", "list", "--db", "{db}"],
    ["token", "--db", "{db}", "list"],
    ["token", "list", "--json", "--db", "{db}"],
    ["token", "--json", "list", "--db", "{db}"],
    ["home", "list", "--db", "{db}"],
    ["home", "--db", "{db}", "list", "--json"],
    ["home", "create", "--db", "{db}", "other"],
    ["home", "--db", "{db}", "create", "other", "--json"],
    ["token", "create", "flat", "--role", "app", "--db", "{db}"],
    ["token", "--db", "{db}", "create", "--role", "agent", "flat", "--json"],
])
def test_db_and_json_go_before_or_after_the_action(tmp_path, capsys, argv):
    db = _db(tmp_path)
    main(["home", "create", "flat", "--db", db, "--json"])
    capsys.readouterr()
    assert main([part.format(db=db) for part in argv]) == 0
    out = capsys.readouterr().out
    if "--json" in argv:
        for line in out.splitlines():
            json.loads(line)
    # The database given is the one used: the home made above is there.
    assert "flat" in out or "other" in out or "Home 'other'" in out
    assert not (tmp_path / "data").exists()


def test_token_create_issues_named_tokens_that_work(tmp_path, capsys):
    db = _db(tmp_path)
    main(["home", "create", "flat", "--db", db, "--json"])
    capsys.readouterr()
    assert main(["token", "create", "flat", "--role", "app", "--name", "anna's phone",
                 "--db", db, "--json"]) == 0
    issued = json.loads(capsys.readouterr().out)
    assert (issued["home"], issued["role"], issued["name"]) == ("flat", "app", "anna's phone")
    assert main(["token", "create", "1", "--role", "app", "--name", "ben's phone", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "New app token 4 (ben's phone) for 'flat'" in out
    second = out.splitlines()[1].strip()
    assert main(["token", "list", "--db", db]) == 0
    listing = capsys.readouterr().out
    assert "anna's phone" in listing and "ben's phone" in listing
    assert issued["token"] not in listing and second not in listing
    # Each one signs in to the home.
    from homerelay.server.storage.db import Database
    from homerelay.server.services.homes import identify

    database = Database(db)
    try:
        assert identify(database, issued["token"]).role == "app"
        assert identify(database, second).home_id == 1
    finally:
        database.dispose()


@pytest.mark.parametrize(("argv", "message"), [
    (["token", "create", "nowhere", "--role", "app"], "no home named 'nowhere'"),
    (["token", "create", "flat", "--role", "app", "--name", " "], "a token name needs 1 to 100"),
])
def test_token_create_refusals_are_one_line(tmp_path, capsys, argv, message):
    db = _db(tmp_path)
    main(["home", "create", "flat", "--db", db, "--json"])
    capsys.readouterr()
    assert main([*argv, "--db", db]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_token_create_needs_a_role(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["token", "create", "flat", "--db", _db(tmp_path)])
    assert stop.value.code == 2 and "--role" in capsys.readouterr().err


def test_two_homes_of_one_name_are_told_apart_by_id(tmp_path, capsys):
    db = _db(tmp_path)
    main(["home", "create", "flat", "--db", db, "--json"])
    main(["home", "create", "flat", "--force", "--db", db, "--json"])
    capsys.readouterr()
    assert main(["token", "create", "flat", "--role", "app", "--db", db]) == 2
    assert "2 homes are named 'flat' (ids 1, 2); give the id instead" in capsys.readouterr().err
    assert main(["token", "create", "2", "--role", "app", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["home"] == "flat"


@pytest.mark.parametrize(("argv", "line"), [
    (["sevre"], "homerelay: unknown command 'sevre'; did you mean 'serve'?"),
    (["snd", "tv on"], "homerelay: unknown command 'snd'; did you mean 'send'?"),
    (["home", "craete", "x"], "homerelay home: unknown command 'craete'; did you mean 'create'?"),
    (["token", "lst"], "homerelay token: unknown command 'lst'; did you mean 'list'?"),
])
def test_a_mistyped_command_gets_did_you_mean(capsys, argv, line):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert capsys.readouterr().err == line + "\n"


def test_help_opens_with_what_homerelay_is(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first.startswith("homerelay: a voice- and text-controlled smart home")
    assert "homerelay demo" in second and "homerelay send" in second


def test_ctrl_c_stops_serve_without_a_traceback(tmp_path):
    server = ServeProcess(f"sqlite:///{tmp_path / 'serve.db'}", tmp_path / "serve.log").start()
    try:
        # As a terminal does: SIGINT to the whole process group (gunicorn's master and its worker).
        os.killpg(server.process.pid, signal.SIGINT)
        returncode = server.process.wait(timeout=20)
    finally:
        server.kill()
    log = server.log()
    assert returncode == 0
    assert "Traceback" not in log and "KeyboardInterrupt" not in log and "failed with" not in log
