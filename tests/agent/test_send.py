"""`homerelay send`: done, not understood, timed out, and its server/token arguments."""

from __future__ import annotations

import threading
import time

import pytest

from homerelay.cli import main


def send(*argv):
    return main(["send", *argv])


@pytest.fixture
def with_agent(relay_server, run_agent):
    runner = run_agent(relay_server.url, relay_server.home.agent_token)
    assert runner.agent.online.wait(5)
    return runner


def test_done(relay_server, with_agent, capsys):
    code = send("--server", relay_server.url, "--token", relay_server.home.app_token,
                "turn on the kitchen light")
    assert (code, capsys.readouterr().out) == (0, "done: kitchen light on\n")


def test_server_and_token_from_the_environment(relay_server, with_agent, capsys, monkeypatch):
    monkeypatch.setenv("HOMERELAY_SERVER", relay_server.url)
    monkeypatch.setenv("HOMERELAY_TOKEN", relay_server.home.app_token)
    assert send("what is on") == 0
    assert capsys.readouterr().out == "done: everything is off\n"


def test_not_understood(relay_server, capsys):
    code = send("--server", relay_server.url, "--token", relay_server.home.app_token,
                "turn on the fan")
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("not understood: Which fan?")
    assert '"turn on the living room fan"' in out and out.count("\n") == 1


def test_timed_out_without_an_agent(relay_server, capsys):
    code = send("--server", relay_server.url, "--token", relay_server.home.app_token,
                "--timeout", "0.3", "turn on the tv")
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("timed out: the agent has not carried it out yet (command ")
    assert out.endswith(" is pending)\n")


def test_a_command_that_expired_is_reported_at_once(start_relay_server, run_agent, capsys):
    server = start_relay_server(COMMAND_TTL_SECONDS=0.3)
    # The agent comes online only after the command's time to live: it is expired, never carried out.
    late_agent = threading.Timer(0.6, run_agent, (server.url, server.home.agent_token))
    late_agent.start()
    began = time.monotonic()
    try:
        code = send("--server", server.url, "--token", server.home.app_token, "--timeout", "10", "open the garage door")
    finally:
        late_agent.join()
    assert (code, capsys.readouterr().out) == (
        1, "expired: the agent did not take it in time, so it was not carried out\n")
    assert time.monotonic() - began < 8  # not after waiting out the whole timeout


def test_wrong_token_is_one_line_and_exit_2(relay_server, capsys):
    code = send("--server", relay_server.url, "--token", "nonsense", "turn on the tv")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "refused the token" in err


def test_missing_server(capsys, monkeypatch):
    monkeypatch.delenv("HOMERELAY_SERVER", raising=False)
    monkeypatch.delenv("HOMERELAY_TOKEN", raising=False)
    assert send("turn on the tv") == 2
    assert "--server and --token are needed" in capsys.readouterr().err


def test_unreachable_server(capsys, unused_port):
    code = send("--server", f"http://127.0.0.1:{unused_port}", "--token", "t", "turn on the tv")
    assert code == 2 and "unreachable" in capsys.readouterr().err

