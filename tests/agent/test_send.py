"""`homerelay send`: done, not understood, timed out, and its server/token arguments."""

from __future__ import annotations

import json
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



def test_the_words_need_no_quotes(relay_server, with_agent, capsys):
    code = send("--server", relay_server.url, "--token", relay_server.home.app_token,
                "open", "the", "garage", "door")
    assert (code, capsys.readouterr().out) == (0, "done: garage door open\n")


def test_options_may_follow_the_words(relay_server, with_agent, capsys):
    code = send("turn", "on", "the", "tv", "--server", relay_server.url,
                "--token", relay_server.home.app_token)
    assert (code, capsys.readouterr().out) == (0, "done: living room tv on\n")


def test_a_server_without_a_scheme_is_http(relay_server, with_agent, capsys):
    bare = relay_server.url.removeprefix("http://")
    assert "://" not in bare
    code = send("--server", bare, "--token", relay_server.home.app_token, "turn on the tv")
    assert (code, capsys.readouterr().out) == (0, "done: living room tv on\n")


def test_a_server_from_the_environment_without_a_scheme_is_http(relay_server, with_agent, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("HOMERELAY_SERVER", relay_server.url.removeprefix("http://"))
    monkeypatch.setenv("HOMERELAY_TOKEN", relay_server.home.app_token)
    assert send("open", "the", "door") == 0
    assert capsys.readouterr().out == "done: garage door open\n"


def test_help_says_http_is_assumed(capsys):
    with pytest.raises(SystemExit):
        main(["send", "--help"])
    assert "http:// is assumed" in " ".join(capsys.readouterr().out.split())


def test_json_prints_the_finished_command(relay_server, with_agent, capsys):
    code = send("--json", "--server", relay_server.url, "--token", relay_server.home.app_token,
                "close the door")
    command = json.loads(capsys.readouterr().out)
    assert code == 0 and command["status"] == "done" and command["result"] == "garage door closed"
    assert command["actions"] == [{"room": "garage", "device": "door", "action": "off"}]


def test_a_done_command_without_a_result_names_a_door_open():
    from homerelay.cli.send import describe

    command = {"status": "done", "result": None, "intent": "control",
               "actions": [{"room": "garage", "device": "door", "action": "on"},
                           {"room": "living_room", "device": "tv", "action": "off"}]}
    assert describe(command, {("garage", "door"): "servo"}) == (
        "done: garage door open, living room tv off")
