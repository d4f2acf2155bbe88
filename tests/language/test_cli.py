"""`homerelay parse`: one sentence or stdin, readable lines or JSON lines, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from homerelay.cli import main

from .conftest import CUSTOM_HOUSE_YAML

SENTENCES = ["turn on the kitchen light and the bedroom fan", "turn off the fan", "", "history"]


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_json_lines_from_stdin(monkeypatch, capsys) -> None:
    _stdin(monkeypatch, "\n".join(SENTENCES) + "\n")
    assert main(["parse", "--json", "-"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {"text": SENTENCES[0], "intent": "control", "error": None, "actions": [
            {"room": "kitchen", "device": "light", "action": "on"},
            {"room": "bedroom", "device": "fan", "action": "on"}]},
        {"text": SENTENCES[1], "intent": None, "actions": [],
         "error": "Which fan? There is one in the living room and the bedroom."},
        {"text": "", "intent": None, "actions": [],
         "error": 'Say what to do, for example "turn on the kitchen light".'},
        {"text": "history", "intent": "list", "actions": [], "error": None},
    ]


def test_a_file_and_its_answers_line_up(monkeypatch, capsys) -> None:
    lines = ["tv on", "", "   ", "turn off the fan", "", "open the door"]
    _stdin(monkeypatch, "\n".join(lines) + "\n")
    main(["parse", "--json", "-"])
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [answer["text"] for answer in answers] == lines
    assert [answer["error"] is None for answer in answers] == [True, False, False, False, False, True]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_is_told_what_to_type(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal("tv on\n"))
    assert main(["parse"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "type a sentence, Ctrl-D to end\n"
    assert captured.out == "living room tv on\n"


def test_a_pipe_gets_no_prompt(monkeypatch, capsys) -> None:
    _stdin(monkeypatch, "tv on\n")
    assert main(["parse", "-"]) == 0
    assert capsys.readouterr().err == ""


def test_readable_lines(monkeypatch, capsys) -> None:
    _stdin(monkeypatch, "turn on the kitchen light and turn off the bedroom fan\r\n"
                        "turn off the fan\nterminate\n")
    assert main(["parse", "-"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "kitchen light on; bedroom fan off",
        'rejected: Which fan? There is one in the living room and the bedroom. '
        '(try "turn off the living room fan" or "turn off the bedroom fan")',
        "terminate",
    ]


def test_every_sentence_understood_exits_0(monkeypatch, capsys) -> None:
    _stdin(monkeypatch, "tv on\nopen the door\n")
    assert main(["parse", "-"]) == 0
    assert capsys.readouterr().out.splitlines() == ["living room tv on", "garage door open"]


@pytest.mark.parametrize(("text", "code", "out"), [
    ("close the door", 0, "garage door closed"),
    ("is the garage door open", 0, "status: garage door"),
    ("how warm is it", 0, "status: temperature"),
    ("which fan is on", 0, "status: living room fan; bedroom fan"),
    ("turn off everything in the kitchen", 0, "kitchen light off; kitchen oven off"),
    ("what is on", 0, "list"),
    ("turn on the garden light", 1, "rejected: There is no garden light in this house."),
])
def test_single_text(text: str, code: int, out: str, capsys) -> None:
    assert main(["parse", text]) == code
    assert capsys.readouterr().out == out + "\n"


def test_all_off_shows_its_actions(capsys) -> None:
    assert main(["parse", "turn off everything"]) == 0
    assert capsys.readouterr().out.startswith("all_off: living room light off; ")


def test_custom_house_file(tmp_path, capsys) -> None:
    path = tmp_path / "house.yaml"
    path.write_text(CUSTOM_HOUSE_YAML)
    assert main(["parse", "--house", str(path), "--json", "turn on the heater"]) == 0
    assert json.loads(capsys.readouterr().out)["actions"] == [
        {"room": "porch", "device": "heater", "action": "on"}]


def test_bad_house_file_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    path = tmp_path / "house.yaml"
    path.write_text("rooms: [hall]\ndevices: [{room: hall, name: light, kind: lamp, pin: 2}]\n")
    assert main(["parse", "--house", str(path), "tv on"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"homerelay parse: {path}: devices[0].kind: 'lamp' is not a device kind "
        "(led, relay, servo)"]


def test_subprocess_reads_stdin() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "homerelay", "parse", "--json", "-"],
        input="turn on the bathroom lights\nwhat time is it\n", capture_output=True,
        text=True, timeout=60, check=False)
    assert completed.returncode == 1, completed.stderr
    first, second = (json.loads(line) for line in completed.stdout.splitlines())
    assert first["actions"] == [{"room": "bathroom", "device": "light", "action": "on"}]
    assert second["intent"] is None and second["error"].startswith("I don't understand")


def test_the_words_need_no_quotes(capsys) -> None:
    assert main(["parse", "--json", "open", "the", "garage", "door"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "open the garage door"
