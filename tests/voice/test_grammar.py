"""The grammar follows the house: its devices can be heard, a device it lacks cannot."""

from __future__ import annotations

from homerelay.house import House
from homerelay.language import parse
from homerelay.voice.audio import Audio, read_wav, to_wav
from homerelay.voice.decoder import MIN_CONFIDENCE, Decoder
from homerelay.voice.grammar import build_grammar, confirmation_grammar, is_yes, wake_grammar
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
    grammar = build_grammar(House.default(), known=lambda word: word != "lamp")
    assert "lamp" not in grammar.text and "lamp" in grammar.dropped


def test_confirmation_grammar_says_yes_and_no():
    grammar = confirmation_grammar()
    assert "yes" in grammar.words and "no" in grammar.words
    assert is_yes("yes") and not is_yes("no") and not is_yes("")


def test_a_custom_house_device_is_heard(speak):
    decoder = Decoder()
    heard = decoder.hear_command(Audio(speak("turn on the kettle")), CUSTOM)
    assert [a.to_dict() for a in parse(heard.heard, CUSTOM).actions] == [
        {"room": "kitchen", "device": "kettle", "action": "on"}], heard
    # The default house has no kettle: whatever is heard, it is never the kettle.
    assert "kettle" not in decoder.hear_command(Audio(speak("turn on the kettle")), House.default()).heard


def test_wav_round_trip_and_resampling():
    pcm = b"\x10\x00" * 22050
    audio = read_wav(to_wav(pcm, 22050))
    assert abs(audio.seconds - 1.0) < 0.01


def test_speech_outside_the_grammar_is_not_heard(speak):
    decoder = Decoder()
    for text in ("I think the garden needs water", "play some music please"):
        heard = decoder.hear_command(Audio(speak(text)), House.default())
        assert not heard.heard or heard.confidence < MIN_CONFIDENCE, (text, heard)


def test_a_sentence_the_search_did_not_finish_is_not_heard():
    # Silence ends no sentence of the grammar: the partial best path is not an answer.
    heard = Decoder().hear_command(Audio(b"\0\0" * 16000), House.default())
    assert heard.heard == "" and heard.confidence == 0.0


def test_wake_grammar_is_the_phrase():
    assert "public <wake> = hey home;" in wake_grammar("Hey  Home").text
