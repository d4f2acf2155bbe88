"""The grammar follows the house: its devices can be heard, a device it lacks cannot."""

from __future__ import annotations

from homerelay.house import House
from homerelay.voice.audio import Audio, read_wav, to_wav
from homerelay.voice.decoder import Decoder
from homerelay.voice.grammar import build_grammar, confirmation_grammar, is_yes
from tests.language.conftest import CUSTOM_HOUSE_YAML

CUSTOM = House.from_yaml(CUSTOM_HOUSE_YAML)


def test_grammar_names_the_house_and_only_the_house():
    default = build_grammar(House.default()).text
    custom = build_grammar(CUSTOM).text
    assert "kettle" in custom and "boiler" in custom and "porch" in custom and "office" in custom
    assert "kettle" not in default and "porch" not in default
    assert "garage" in default and "garage" not in custom
    assert "television" in default and "television" not in custom  # no tv in the custom house


def test_words_without_a_pronunciation_are_left_out():
    grammar = build_grammar(House.default(), known=lambda word: word != "telly")
    assert "telly" not in grammar.text and "telly" in grammar.dropped


def test_confirmation_grammar_says_yes_and_no():
    grammar = confirmation_grammar()
    assert "yes" in grammar.words and "no" in grammar.words
    assert is_yes("yes") and not is_yes("no") and not is_yes("")


def test_a_custom_house_device_is_heard(speak):
    decoder = Decoder()
    heard = decoder.hear_command(Audio(speak("turn on the kettle")), CUSTOM)
    assert heard.heard == "turn on the kettle"
    # The default house has no kettle: whatever is heard, it is never the kettle.
    assert "kettle" not in decoder.hear_command(Audio(speak("turn on the kettle")), House.default()).heard


def test_wav_round_trip_and_resampling():
    pcm = b"\x10\x00" * 22050
    audio = read_wav(to_wav(pcm, 22050))
    assert abs(audio.seconds - 1.0) < 0.01
