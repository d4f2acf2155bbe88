"""The grammar follows the house: its devices can be heard; a device it lacks is never acted on."""

from __future__ import annotations

import pytest

from homerelay.house import House
from homerelay.language import parse
from homerelay.voice.audio import Audio, read_wav, to_wav
from homerelay.voice.decoder import MIN_CONFIDENCE, Decoder
from homerelay.voice.grammar import build_grammar, confirmation_grammar, is_yes, wake_grammar
from tests.language.conftest import CUSTOM_HOUSE_YAML

CUSTOM = House.from_yaml(CUSTOM_HOUSE_YAML)


def test_grammar_names_the_house_and_what_it_lacks_only_as_decoys():
    default = build_grammar(House.default())
    custom = build_grammar(CUSTOM)
    assert {"kettle", "boiler", "porch", "office", "desk", "den"} <= custom.words
    assert "desk" not in default.words and "den" not in default.words
    assert "garage" in default.words and "garage" not in custom.words
    assert "television" in default.words and "television" not in custom.words  # no tv in the custom house
    # A common thing the house lacks is searched for as a decoy: heard as said, then refused.
    assert "kettle" in default.words and not parse("turn on the kettle", House.default()).ok


def test_the_grammar_is_a_small_graph():
    # Every part exists once (JSGF copied nested rules into tens of thousands of states).
    start, final, transitions = build_grammar(House.default()).graph
    assert len(transitions) < 5000 and start != final


def test_words_without_a_pronunciation_are_left_out():
    grammar = build_grammar(House.default(), known=lambda word: word != "lamp")
    assert "lamp" not in grammar.words and "lamp" in grammar.dropped


def test_confirmation_grammar_says_yes_and_no():
    grammar = confirmation_grammar()
    assert "yes" in grammar.words and "no" in grammar.words
    assert is_yes("yes") and not is_yes("no") and not is_yes("")


def test_a_custom_house_device_is_heard(speak):
    decoder = Decoder()
    heard = decoder.hear_command(Audio(speak("turn on the kettle")), CUSTOM)
    assert [a.to_dict() for a in parse(heard.heard, CUSTOM).actions] == [
        {"room": "kitchen", "device": "kettle", "action": "on"}], heard
    # The default house has no kettle: whatever is heard, nothing is switched.
    heard = decoder.hear_command(Audio(speak("turn on the kettle")), House.default())
    assert not parse(heard.heard, House.default()).ok, heard


def test_a_device_the_house_names_is_heard_even_with_a_name_left_out_as_a_synonym(speak):
    # "gate" and "stove" are vocabulary synonyms not searched for (heard in place of other words);
    # a house that calls its devices so was deaf to them: "open the porch gate" had no "gate".
    house = House.from_yaml(CUSTOM_HOUSE_YAML.replace("aliases: [boiler]", "aliases: [stove]"))
    assert {"gate", "stove"} <= build_grammar(house).words
    assert "stove" not in build_grammar(House.default()).words
    heard = Decoder().hear_command(Audio(speak("open the porch gate")), house)
    assert [a.to_dict() for a in parse(heard.heard, house).actions] == [
        {"room": "porch", "device": "gate", "action": "on"}], heard


def test_the_product_name_is_heard_as_the_one_word_the_language_knows(speak):
    # Heard as the dictionary's "home relay", the sentence was refused ("relay" is no word of it).
    heard = Decoder().hear_command(Audio(speak("hey homerelay, turn off the bathroom light")), House.default())
    assert heard.heard.startswith("hey homerelay "), heard
    assert [a.to_dict() for a in parse(heard.heard, House.default()).actions] == [
        {"room": "bathroom", "device": "light", "action": "off"}], heard


def test_wav_round_trip_and_resampling():
    pcm = b"\x10\x00" * 22050
    audio = read_wav(to_wav(pcm, 22050))
    assert abs(audio.seconds - 1.0) < 0.01


def test_speech_outside_the_grammar_switches_nothing(speak):
    decoder = Decoder()
    for text in ("I think the garden needs water", "play some music please", "what a lovely day"):
        heard = decoder.hear_command(Audio(speak(text)), House.default())
        acted = heard.heard and heard.confidence >= MIN_CONFIDENCE and parse(heard.heard, House.default()).actions
        assert not acted, (text, heard)


def test_only_a_yes_said_alone_confirms(speak):
    decoder = Decoder()
    heard = decoder.hear_answer(Audio(speak("yes")))
    assert is_yes(heard.heard) and heard.confidence >= MIN_CONFIDENCE, heard
    # Talk after the question was forced onto an answer ("wait" was heard as "do it").
    for text in ("wait", "hang on, not now", "the weather is nice", "who is there", "no"):
        for voice in ("en-us", "en-gb"):
            heard = decoder.hear_answer(Audio(speak(text, voice)))
            assert not (is_yes(heard.heard) and heard.confidence >= MIN_CONFIDENCE), (text, voice, heard)


def test_a_sentence_the_search_did_not_finish_is_not_heard():
    # Silence ends no sentence of the grammar: the partial best path is not an answer.
    heard = Decoder().hear_command(Audio(b"\0\0" * 16000), House.default())
    assert heard.heard == "" and heard.confidence == 0.0


def test_wake_grammar_is_the_phrase_and_then_the_house_words():
    alone = wake_grammar("Hey  Home")
    assert alone.words == {"hey", "home"}
    start, final, transitions = wake_grammar("hey home", ["turn", "on", "home"]).graph
    assert {word for *_, word in transitions if word} == {"hey", "home", "turn", "on"}


def test_every_decoy_is_refused_by_the_language():
    # Decoys are searched for so that they are heard as said and refused; one the language
    # repaired into a word of its own ("loft" as "lot": everything) would act.
    from homerelay.voice.grammar import DECOY_ROOMS, DECOY_THINGS

    house = House.default()
    sentences = [shape.format(room) for room in DECOY_ROOMS for shape in (
        "turn off the {} lights", "turn on the light in the {}", "turn on the {} fan", "open the {} door")]
    sentences += [shape.format(thing) for thing in DECOY_THINGS for shape in (
        "turn on the {}", "turn off the kitchen {}", "turn on every {}")]
    acting = [text for text in sentences if parse(text, house).actions]
    assert acting == []


def _accepts(grammar, text: str) -> bool:
    """Whether the grammar's word graph holds the sentence (its empty steps are already closed)."""
    start, final, transitions = grammar.graph
    empty = {}
    for a, b, _, word in transitions:
        if word is None:
            empty.setdefault(a, set()).add(b)
    here = {start} | empty.get(start, set())
    for said in text.split():
        here = {b for a, b, _, word in transitions if a in here and word == said}
        here |= {b for state in here for b in empty.get(state, ())}
    return final in here


def test_both_is_heard_only_before_the_devices_of_a_pair():
    # "turn on and off the light" was heard as "turn on both the lights" in a house of five lights.
    default = build_grammar(House.default())
    assert _accepts(default, "turn off both fans") and _accepts(default, "turn off both the fans")
    assert not _accepts(default, "turn on both the lights") and not _accepts(default, "turn on both lights")
    assert _accepts(default, "turn on all the lights")
    two_lights = House.from_yaml(
        "rooms: [hall, porch]\n"
        "devices:\n"
        "  - {room: hall, name: light, kind: led, pin: 5}\n"
        "  - {room: porch, name: light, kind: led, pin: 6}\n")
    assert _accepts(build_grammar(two_lights), "turn on both lights")


def test_a_holding_verb_without_a_direction_is_heard_as_said_and_refused():
    # Without it "switch the light" had to be heard with a direction ("switch on all lights").
    grammar = build_grammar(House.default())
    assert _accepts(grammar, "switch the kitchen light") and _accepts(grammar, "switch the kitchen light off")
    assert not parse("switch the kitchen light", House.default()).ok


def test_the_wake_fit_is_taken_over_the_whole_phrase():
    from homerelay.voice.decoder import RATIO_FLOOR, Scored

    # A clear "hey" (30 frames) and a "home" said unlike the dictionary's (10 frames): the worst
    # word alone (-6) fitted worse than talk forced into the phrase, and the wake was missed.
    scored = Scored("hey home turn", 0.0,
                    (("hey", -1.0 * 30, 30), ("home", -6.0 * 10, 10), ("turn", -9.0 * 20, 20)))
    assert scored.fit(2) == pytest.approx(1.0 - (-1.0 * 30 - 6.0 * 10) / 40 / RATIO_FLOOR)
    assert scored.fit(2) > scored.fit(3)  # words after the phrase count only when asked for
    assert Scored("", 0.0).fit(2) == 0.0


def test_a_later_clause_shares_the_holding_verb_with_its_own_direction(speak):
    # Not in the grammar before: the whole sentence came back as nothing heard.
    house = House.default()
    grammar = build_grammar(house)
    said = "turn the living room fan on and the bedroom fan off"
    assert _accepts(grammar, said)
    # Only after a clause that put its direction after the device: after "turn on the kitchen
    # light and the bedroom fan" the breath would be heard as a direction.
    assert not _accepts(grammar, "turn on the kitchen light and the bedroom fan off")
    heard = Decoder().hear_command(Audio(speak(said)), house)
    assert sorted((a.room, a.device, a.action) for a in parse(heard.heard, house).actions) == [
        ("bedroom", "fan", "off"), ("living_room", "fan", "on")], heard
