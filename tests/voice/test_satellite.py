"""`homerelay agent --listen`: wake phrase, one command, and confirmation by voice for the door."""

from __future__ import annotations

import pytest

from homerelay.http_client import RelayClient
from homerelay.house import House
from homerelay.voice.audio import to_wav
from tests.agent.fakeserver import FakeRelay


@pytest.fixture
def relay():
    fake = FakeRelay().start()
    yield fake
    fake.stop()


class SpotterAt:
    """Stands in for keyphrase spotting, which espeak-ng's voice defeats: "hears" the wake
    phrase once the audio reaches the given second (bench.voice measures the real spotter)."""

    def __init__(self, seconds: float) -> None:
        self.remaining = int(seconds * 16000) * 2

    def feed(self, chunk: bytes) -> bool:
        before = self.remaining
        self.remaining -= len(chunk)
        return before > 0 >= self.remaining

    def stop(self) -> None:
        """Nothing to end."""


def listen(relay, tmp_path, pcm, wake_ends: float):
    from homerelay.agent.satellite import Satellite, Voice, VoiceSettings, file_chunks
    from homerelay.voice.listener import DEFAULT_WAKE, DEFAULT_WAKE_THRESHOLD

    path = tmp_path / "heard.wav"
    path.write_bytes(to_wav(pcm))
    client = RelayClient(relay.url, relay.token, 5.0)
    voice = Voice(enabled=False)
    satellite = Satellite(VoiceSettings(DEFAULT_WAKE, DEFAULT_WAKE_THRESHOLD, str(path), speak=False),
                          client, House.default(), voice=voice)
    satellite.spotter = SpotterAt(wake_ends)
    satellite.run(file_chunks(str(path)))
    client.close()
    return voice.said


def pause(seconds: float) -> bytes:
    return b"\0\0" * int(seconds * 16000)


def test_wake_then_command_then_other_talk_sends_exactly_the_command(relay, tmp_path, speak):
    before = speak("the weather is nice today") + pause(1.0) + speak("hey home")
    pcm = (before + speak("turn on the kitchen light") + pause(1.5)
           + speak("and then we went to the shops to buy some bread") + pause(1.0))
    said = listen(relay, tmp_path, pcm, len(before) / 32000)
    assert [body["text"] for body in relay.heard] == ["turn on the kitchen light"], said
    assert said == ["OK, turn on the kitchen light."]


@pytest.mark.parametrize("answer, confirmed", [("yes", True), ("no", False), (None, False)])
def test_the_door_needs_a_spoken_yes(relay, tmp_path, speak, answer, confirmed):
    wake = speak("hey home")
    pcm = wake + speak("open the garage door") + pause(1.5)
    if answer:
        pcm += speak(answer) + pause(1.0)
    else:
        pcm += pause(6.0)  # silence past the five seconds the question waits
    said = listen(relay, tmp_path, pcm, len(wake) / 32000)
    assert said[0] == "This will open the garage door. Say yes to confirm."
    sent = [(body["text"], body.get("confirm", False)) for body in relay.heard]
    if confirmed:
        assert sent == [("open the garage door", False), ("open the garage door", True)]
        assert said[-1] == "OK, open the garage door."
    else:
        assert sent == [("open the garage door", False)]
        assert said[-1] == "Cancelled."
