"""`homerelay agent --listen`: wake phrase, one command, and confirmation by voice for the door."""

from __future__ import annotations

import pytest

from homerelay.http_client import RelayClient
from homerelay.house import House
from homerelay.voice.audio import to_wav
from tests.agent.fakeserver import FakeRelay


@pytest.fixture
def relay(trusting):
    fake = FakeRelay().start()
    yield fake
    fake.stop()


def listen(relay, tmp_path, pcm):
    from homerelay.agent.satellite import Satellite, Voice, VoiceSettings, file_chunks
    from homerelay.const import DEFAULT_WAKE
    from homerelay.voice.listener import DEFAULT_WAKE_THRESHOLD

    path = tmp_path / "heard.wav"
    path.write_bytes(to_wav(pcm))
    client = RelayClient(relay.url, relay.token, 5.0)
    voice = Voice(enabled=False)
    satellite = Satellite(VoiceSettings(DEFAULT_WAKE, DEFAULT_WAKE_THRESHOLD, str(path), speak=False),
                          client, House.default(), voice=voice)
    satellite.run(file_chunks(str(path)))
    client.close()
    return voice.said


def pause(seconds: float) -> bytes:
    return b"\0\0" * int(seconds * 16000)


def test_wake_then_command_then_other_talk_sends_exactly_the_command(relay, tmp_path, speak):
    pcm = (speak("the weather is nice today") + pause(1.0) + speak("hey home") + pause(1.0)
           + speak("turn on the kitchen light") + pause(1.5)
           + speak("and then we went to the shops to buy some bread") + pause(1.0))
    said = listen(relay, tmp_path, pcm)
    assert [body["text"] for body in relay.heard] == ["turn on the kitchen light"], said
    assert said == ["OK, turn on the kitchen light."]


@pytest.mark.parametrize("answer, confirmed", [
    ("yes", True), ("no", False), (None, False), ("wait, not now", False), ("what did you say", False)])
def test_the_door_needs_a_spoken_yes(relay, tmp_path, speak, answer, confirmed):
    pcm = speak("hey home") + pause(1.0) + speak("open the garage door") + pause(1.5)
    if answer:
        pcm += speak(answer) + pause(1.0)
    else:
        pcm += pause(6.0)  # silence past the five seconds the question waits
    said = listen(relay, tmp_path, pcm)
    assert said[0] == "This will open the garage door. Say yes to confirm."
    sent = [(body["text"], body.get("confirm", False)) for body in relay.heard]
    if confirmed:
        assert sent == [("open the garage door", False), ("open the garage door", True)]
        assert said[-1] == "OK, open the garage door."
    else:
        assert sent == [("open the garage door", False)]
        assert said[-1] == "Cancelled." and AGAIN not in said


AGAIN = "I'm not sure I heard you. Say yes again to confirm."


@pytest.mark.parametrize("agreeing, confirmed", [
    ((3,), True), ((2, 3), True), ((2, 2), False), ((1, 3), True), ((2, None), False)])
def test_a_yes_confirms_only_when_every_decode_heard_it(relay, tmp_path, speak, monkeypatch,
                                                        agreeing, confirmed):
    """`agreeing`: how many of the three decodes heard each yes said (None: nothing more is said)."""
    from homerelay.voice import decoder

    answers = iter(agreeing)
    monkeypatch.setattr(decoder, "MIN_CONFIDENCE", 0.9)
    monkeypatch.setattr(decoder.Decoder, "hear_command",
                        lambda self, audio, house: decoder.Heard("open the garage door", 1.0))
    monkeypatch.setattr(decoder.Decoder, "hear_answer",
                        lambda self, audio: decoder.Heard("yes", next(answers) / 3))
    pcm = speak("hey home") + pause(1.0) + speak("open the garage door") + pause(1.5)
    for count in agreeing:
        pcm += speak("yes") + pause(1.0) if count is not None else pause(6.0)
    said = listen(relay, tmp_path, pcm)
    assert [body.get("confirm", False) for body in relay.heard] == [False, True][:1 + confirmed]
    assert said[-1] == ("OK, open the garage door." if confirmed else "Cancelled.")
    # A yes heard unsurely is asked for once more, never twice.
    assert said.count(AGAIN) == (agreeing[0] < 3)


def test_an_answer_that_is_no_yes_is_not_asked_for_again(relay, tmp_path, speak, monkeypatch):
    from homerelay.voice import decoder

    monkeypatch.setattr(decoder.Decoder, "hear_answer", lambda self, audio: decoder.Heard("no", 2 / 3))
    pcm = speak("hey home") + pause(1.0) + speak("open the garage door") + pause(1.5)
    said = listen(relay, tmp_path, pcm + speak("no") + pause(1.0) + speak("yes") + pause(1.0))
    assert AGAIN not in said and said[-1] == "Cancelled."
    assert [body.get("confirm", False) for body in relay.heard] == [False]


def test_wake_and_command_in_one_breath(relay, tmp_path, speak):
    pcm = speak("hey home, turn on the kitchen light") + pause(1.0)
    said = listen(relay, tmp_path, pcm)
    assert [body["text"] for body in relay.heard] == ["turn on the kitchen light"], said


def test_talk_without_the_wake_phrase_sends_nothing(relay, tmp_path, speak):
    pcm = (speak("turn on the kitchen light") + pause(1.0)
           + speak("we could go home and turn the oven on later") + pause(1.0))
    said = listen(relay, tmp_path, pcm)
    assert relay.heard == [] and said == []


@pytest.mark.parametrize("given, kept", [(None, "default"), ("0", 0.0), ("0.8", 0.8)])
def test_the_wake_threshold_given_is_the_one_used(given, kept):
    from homerelay.cli import build_parser
    from homerelay.cli.agent import _voice_settings
    from homerelay.voice.listener import DEFAULT_WAKE_THRESHOLD

    argv = ["agent", "--server", "http://127.0.0.1:1", "--token", "t", "--listen"]
    args = build_parser().parse_args(argv + (["--wake-threshold", given] if given else []))
    # 0 was taken for "not given" and became the default.
    assert _voice_settings(args).wake_threshold == (DEFAULT_WAKE_THRESHOLD if kept == "default" else kept)


@pytest.mark.parametrize("given, line", [
    ("55", "argument --wake-threshold: 55 is outside 0..1"),
    ("nan", "argument --wake-threshold: nan is outside 0..1"),
    ("high", "argument --wake-threshold: 'high' is not a number")])
def test_a_wake_threshold_outside_0_to_1_is_one_clear_line(capsys, given, line):
    from homerelay.cli import build_parser

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["agent", "--listen", "--wake-threshold", given])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"homerelay agent: error: {line}"
