"""`homerelay send`: done, not understood, timed out, and its server/token arguments."""

from __future__ import annotations

import io
import json
import re
import threading
import time

import pytest
import requests

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


def test_an_offline_pi_is_said_at_once_with_when_the_command_expires(relay_server, capsys):
    began = time.monotonic()
    code = send("--server", relay_server.url, "--token", relay_server.home.app_token, "turn on the tv")
    out = capsys.readouterr().out
    assert code == 1 and time.monotonic() - began < 5   # not after waiting out the timeout
    assert re.fullmatch(r"the Pi is offline; the command is queued and will run when it is back "
                        r"\(or expire at \d\d:\d\d\)\n", out), out


def test_timed_out_while_the_agent_is_online_but_busy(relay_server, capsys):
    # An agent that long-polls but never carries anything out (a hung Pi): online, not done.
    agent = {"Authorization": f"Bearer {relay_server.home.agent_token}"}
    poll = threading.Thread(target=requests.get, args=(f"{relay_server.url}/api/v1/agent/next?wait=3",),
                            kwargs={"headers": agent, "timeout": 10})
    poll.start()
    time.sleep(0.3)
    code = send("--server", relay_server.url, "--token", relay_server.home.app_token,
                "--timeout", "0.3", "turn on the tv")
    poll.join()
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("timed out: the agent has not carried it out yet (command ")
    assert out.endswith(" is delivered)\n")


def test_an_expired_command_is_described_as_such():
    from homerelay.cli.send import describe

    assert describe({"status": "expired", "id": 3}) == (
        "expired: the agent did not take it in time, so it was not carried out")


def test_what_needs_a_yes_is_refused_without_a_terminal_in_one_line(relay_server, with_agent, capsys):
    code = send("--server", relay_server.url, "--token", relay_server.home.app_token, "open the garage door")
    assert (code, capsys.readouterr().out) == (
        1, "needs a yes: This will open the garage door. Run it again with --yes to go ahead.\n")
    assert relay_server.app_session().get(f"{relay_server.url}/api/v1/commands").json()["commands"] == []


def test_yes_confirms_without_asking(relay_server, with_agent, capsys):
    code = send("--yes", "--server", relay_server.url, "--token", relay_server.home.app_token, "open the garage door")
    assert (code, capsys.readouterr().out) == (0, "done: garage door open\n")


class Terminal(io.StringIO):
    """Standard input that is a terminal, with the person's typed answer."""

    def isatty(self):
        return True


@pytest.mark.parametrize("typed,code,last_line", [("y\n", 0, "done: garage door open"), ("\n", 1, "not sent")])
def test_on_a_terminal_it_asks(relay_server, with_agent, capsys, monkeypatch, typed, code, last_line):
    monkeypatch.setattr("sys.stdin", Terminal(typed))
    result = send("--server", relay_server.url, "--token", relay_server.home.app_token, "open the garage door")
    out = capsys.readouterr().out
    assert result == code
    assert out.startswith("Open the garage door? [y/N] ") and out.rstrip("\n").endswith(last_line)


def test_terminate_asks_with_what_it_does(relay_server, with_agent, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    assert send("--server", relay_server.url, "--token", relay_server.home.app_token, "terminate") == 1
    out = capsys.readouterr().out
    assert out.startswith("This stops the Pi agent;") and "Go ahead? [y/N] " in out


def test_a_question_prints_the_answer(relay_server, capsys):
    code = send("--server", relay_server.url, "--token", relay_server.home.app_token, "how warm is it")
    assert (code, capsys.readouterr().out) == (
        0, "There is no reading yet: the Pi has not sent a temperature and humidity.\n")


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
    code = send("--yes", "--server", relay_server.url, "--token", relay_server.home.app_token,
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
    assert send("--yes", "open", "the", "door") == 0
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
