"""The language on the default house, sentence by sentence (a table, not copied tests)."""

from __future__ import annotations

import pytest

from homerelay.language import parse

from .conftest import SHARED_EXAMPLES, describe, matches

ALL_LIGHTS_OFF = ("living_room:light:off;kitchen:light:off;bedroom:light:off;"
                  "bathroom:light:off;garage:light:off")
EVERYTHING_ON = ("living_room:light:on;living_room:fan:on;living_room:tv:on;kitchen:light:on;"
                 "kitchen:oven:on;bedroom:light:on;bedroom:fan:on;bathroom:light:on;"
                 "garage:light:on;garage:door:on")

# The examples agreed in the design (also read from shared/commands-examples.tsv when present).
SHARED = [
    ("turn on the living room light", "living_room:light:on"),
    ("Turn Off The Garage Light", "garage:light:off"),
    ("lights on in the bathroom", "bathroom:light:on"),
    ("switch off the bedroom fan", "bedroom:fan:off"),
    ("turn the kitchen light off please", "kitchen:light:off"),
    ("cool down the living room", "living_room:fan:on"),
    ("put the television on", "living_room:tv:on"),
    ("open the garage door", "garage:door:on"),
    ("close the door", "garage:door:off"),
    ("switch on the oven", "kitchen:oven:on"),
    ("turn on the livingroom fan", "living_room:fan:on"),
    ("turn on the bathroom lights", "bathroom:light:on"),
    ("turn on the garage light and open the garage door", "garage:light:on;garage:door:on"),
    ("turn off the bedroom light and the bedroom fan", "bedroom:light:off;bedroom:fan:off"),
    ("turn off all lights", ALL_LIGHTS_OFF),
    ("turn off all the fans", "living_room:fan:off;bedroom:fan:off"),
    ("turn everything off in the living room",
     "living_room:light:off;living_room:fan:off;living_room:tv:off"),
    ("turn off everything", "@all_off"),
    ("history", "@list"),
    ("terminate", "@terminate"),
    ("turn off the fan", "!reject"),
    ("turn on the kitchen fan", "!reject"),
    ("turn on the garden light", "!reject"),
    ("what time is it", "!reject"),
    ("the bedroom light", "!reject"),
]

OWN = [
    # word order and synonyms
    ("light up the bathroom", "bathroom:light:on"),
    ("bathroom light up", "bathroom:light:on"),
    ("the kitchen light, turn it on", "kitchen:light:on"),
    ("kitchen light on", "kitchen:light:on"),
    ("tv on", "living_room:tv:on"),
    ("turn on the tv", "living_room:tv:on"),
    ("turn on the television", "living_room:tv:on"),
    ("power on the telly", "living_room:tv:on"),
    ("power off the television", "living_room:tv:off"),
    ("kill the tv", "living_room:tv:off"),
    ("start the fan in the bedroom", "bedroom:fan:on"),
    ("stop the living room fan", "living_room:fan:off"),
    ("enable the bedroom fan", "bedroom:fan:on"),
    ("disable the living room fan", "living_room:fan:off"),
    ("activate the oven", "kitchen:oven:on"),
    ("deactivate the oven", "kitchen:oven:off"),
    ("shut the garage door", "garage:door:off"),
    ("lower the door", "garage:door:off"),
    ("raise the garage door", "garage:door:on"),
    ("open the door", "garage:door:on"),
    ("garage door open", "garage:door:on"),
    ("turn down the bedroom fan", "bedroom:fan:off"),
    ("switch the kitchen lamp on", "kitchen:light:on"),
    ("lights out in the bathroom", "bathroom:light:off"),
    ("turn of the kitchen light", "kitchen:light:off"),
    ("shut down the tv", "living_room:tv:off"),
    ("put on the tv", "living_room:tv:on"),
    ("switch on the stove", "kitchen:oven:on"),
    # politeness and fillers
    ("please turn on the kitchen light thanks", "kitchen:light:on"),
    ("can you open the garage door please", "garage:door:on"),
    ("hey homerelay, turn off the bathroom light", "bathroom:light:off"),
    ("could you switch the bedroom light off for me", "bedroom:light:off"),
    ("I want the living room light on now", "living_room:light:on"),
    ("TURN ON THE KITCHEN LIGHT!", "kitchen:light:on"),
    # cooling
    ("cool down the bedroom", "bedroom:fan:on"),
    ("cool the living room", "living_room:fan:on"),
    ("cool down the living room and the bedroom", "living_room:fan:on;bedroom:fan:on"),
    ("turn on the kitchen light and cool down the bedroom", "kitchen:light:on;bedroom:fan:on"),
    ("cool down the kitchen", "!reject"),
    ("cool down", "!reject"),
    # speech slips
    ("turn on the kitchen lite", "kitchen:light:on"),
    ("turn on the bed room light", "bedroom:light:on"),
    ("turn on the living-room light", "living_room:light:on"),
    ("turn on the living_room light", "living_room:light:on"),
    ("turn on the kitchn light", "kitchen:light:on"),
    ("turn on the bedrom fan", "bedroom:fan:on"),
    ("turn on the kitchenlight", "kitchen:light:on"),
    ("livng room light on", "living_room:light:on"),
    ("turn on the bath room lights", "bathroom:light:on"),
    ("turn off the livingroom tv", "living_room:tv:off"),
    ("open the garagedoor", "garage:door:on"),
    # several actions
    ("turn on the kitchen light and the bedroom fan", "kitchen:light:on;bedroom:fan:on"),
    ("turn on the light and turn off the fan in the bedroom", "bedroom:light:on;bedroom:fan:off"),
    ("in the bedroom turn on the light and turn off the fan", "bedroom:light:on;bedroom:fan:off"),
    ("turn on the light and turn off the fan, in the bedroom", "bedroom:light:on;bedroom:fan:off"),
    ("turn the living room fan on and the bedroom fan off", "living_room:fan:on;bedroom:fan:off"),
    ("turn off the lights in the kitchen and the bedroom", "kitchen:light:off;bedroom:light:off"),
    ("turn off the kitchen and bedroom lights", "kitchen:light:off;bedroom:light:off"),
    ("turn on the kitchen light and the tv", "kitchen:light:on;living_room:tv:on"),
    ("switch on the kitchen oven and the living room tv and open the door",
     "kitchen:oven:on;living_room:tv:on;garage:door:on"),
    ("turn on the kitchen light, then the bathroom light", "kitchen:light:on;bathroom:light:on"),
    ("close the door and turn off the garage light", "garage:door:off;garage:light:off"),
    ("turn off everything and open the door",
     EVERYTHING_ON.replace(":on", ":off").replace("garage:door:off", "garage:door:on")),
    # room-wide and house-wide
    ("turn off everything in the kitchen", "kitchen:light:off;kitchen:oven:off"),
    ("in the kitchen, turn off everything", "kitchen:light:off;kitchen:oven:off"),
    ("switch off all devices in the bedroom", "bedroom:light:off;bedroom:fan:off"),
    ("turn off the whole garage", "garage:light:off;garage:door:off"),
    ("turn off all the lights", ALL_LIGHTS_OFF),
    ("turn off the lights", ALL_LIGHTS_OFF),
    ("turn off the light everywhere", ALL_LIGHTS_OFF),
    ("fans off", "living_room:fan:off;bedroom:fan:off"),
    ("turn off both fans", "living_room:fan:off;bedroom:fan:off"),
    ("turn off all the lights in the kitchen", "kitchen:light:off"),
    ("turn on everything", EVERYTHING_ON),
    ("turn off the whole house", "@all_off"),
    ("is everything off", "@status"),
    # special intents
    ("turn off all devices", "@all_off"),
    ("everything off", "@all_off"),
    ("switch everything off please", "@all_off"),
    ("all off", "@all_off"),
    ("what is on", "@list"),
    ("what's on?", "@list"),
    ("status", "@list"),
    ("show history", "@list"),
    ("Terminate.", "@terminate"),
    # refused, never guessed
    ("", "!reject"),
    ("   ", "!reject"),
    ("...", "!reject"),
    ("turn on the light", "!reject:Which light?"),
    ("turn on the kitchen light and the fan", "!reject:Which fan?"),
    ("turn on the bathroom fan", "!reject:no fan in the bathroom"),
    ("turn on the kitchen tv", "!reject:no tv in the kitchen"),
    ("open the kitchen door", "!reject:no door in the kitchen"),
    ("turn on the front garden light", "!reject:no front garden light"),
    ("turn on the heater", "!reject"),
    ("turn on light 2", "!reject"),
    ("kitchen lite", "!reject:on or off"),
    ("switch the light", "!reject:on or off"),
    ("turn it off", "!reject"),
    ("turn off the kitchen", "!reject:What should I turn off in the kitchen"),
    ("turn on and off the light", "!reject"),
    ("turn the light on off", "!reject:on and off"),
    ("is the kitchen light on and turn off the tv", "!reject:not both at once"),
    ("turn on the temperature", "!reject:not change it"),
    ("what's the temperature in the kitchen", "!reject:one sensor"),
    ("is the kitchen fan on", "!reject:no fan in the kitchen"),
    ("how are you", "!reject"),
    ("what is it", "!reject"),
    ("play some music", "!reject"),
    ("turn up the volume", "!reject"),
    ("the", "!reject"),
    ("123", "!reject"),
    ("terminate the kitchen light", "!reject"),
]

TABLE = SHARED + OWN


def _shared_examples() -> list[tuple[str, str]]:
    """The shared examples file when it is there, else the copy above (never skipped)."""
    if not SHARED_EXAMPLES.exists():
        return SHARED
    rows = []
    for line in SHARED_EXAMPLES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, expected = line.split("\t")
            rows.append((text, expected))
    return rows


@pytest.mark.parametrize(("text", "expected"), TABLE, ids=[t or "<empty>" for t, _ in TABLE])
def test_sentence(text: str, expected: str, house) -> None:
    result = parse(text, house)
    assert matches(result, expected), f"{text!r} -> {describe(result)} ({result.error})"
    if expected.startswith("!reject:"):
        assert expected.split(":", 1)[1] in result.error


@pytest.mark.parametrize(("text", "expected"), _shared_examples())
def test_shared_example(text: str, expected: str, house) -> None:
    result = parse(text, house)
    assert matches(result, expected), f"{text!r} -> {describe(result)} ({result.error})"


def test_table_is_large_enough() -> None:
    assert len(TABLE) >= 80
    assert sum(expected.startswith("!reject") for _, expected in TABLE) >= 20


@pytest.mark.parametrize("text", [t for t, e in TABLE if e.startswith("!reject")])
def test_refusal_is_one_sentence_without_actions(text: str, house) -> None:
    result = parse(text, house)
    assert result.intent is None and result.actions == ()
    assert result.error and "\n" not in result.error
    assert result.error[0].isupper() and result.error.rstrip('"').endswith((".", "?"))


def test_ambiguity_names_the_choices_and_suggests_sentences(house) -> None:
    result = parse("turn off the fan", house)
    assert result.error == "Which fan? There is one in the living room and the bedroom."
    assert result.suggestions == ("turn off the living room fan", "turn off the bedroom fan")
    for suggestion in result.suggestions:
        assert parse(suggestion, house).ok


def test_ambiguity_suggestions_keep_the_rest_of_the_sentence(house) -> None:
    result = parse("turn on the kitchen light and the fan", house)
    assert result.suggestions == ("turn on the kitchen light and the living room fan",
                                  "turn on the kitchen light and the bedroom fan")
    assert [describe(parse(s, house)) for s in result.suggestions] == [
        "kitchen:light:on;living_room:fan:on", "kitchen:light:on;bedroom:fan:on"]


def test_door_suggestions_use_door_words(house) -> None:
    result = parse("the garage door", house)
    assert result.suggestions == ("open the garage door", "close the garage door")


def test_all_off_lists_every_device(house) -> None:
    result = parse("turn off everything", house)
    assert result.intent == "all_off"
    assert {(a.room, a.device) for a in result.actions} == {(d.room, d.name) for d in house.devices}
    assert {a.action for a in result.actions} == {"off"}


@pytest.mark.parametrize("text", ["history", "what is on", "terminate"])
def test_list_and_terminate_carry_no_actions(text: str, house) -> None:
    assert parse(text, house).actions == ()


def test_to_dict_shape(house) -> None:
    assert parse("tv on", house).to_dict() == {
        "text": "tv on", "intent": "control",
        "actions": [{"room": "living_room", "device": "tv", "action": "on"}], "error": None}
    refused = parse("turn off the fan", house).to_dict()
    assert set(refused) == {"text", "intent", "actions", "error"}
    assert refused["intent"] is None and refused["actions"] == [] and refused["error"]


def test_default_house_is_used_without_one() -> None:
    assert describe(parse("open the door")) == "garage:door:on"


@pytest.mark.parametrize("value", [None, 42, b"turn on the tv", ["tv on"]])
def test_non_text_is_refused_not_raised(value) -> None:
    result = parse(value)  # type: ignore[arg-type]
    assert not result.ok and result.actions == ()


def test_too_long_text_is_refused(house) -> None:
    assert not parse("turn on the kitchen light " * 100, house).ok


# Quantifiers qualify the noun they stand before, and nothing else:
# (sentence, what it switches, devices it must leave alone).
NO_DOOR, NO_OVEN, NO_FAN, NO_TV = "garage:door", "kitchen:oven", "fan", "living_room:tv"
ALL_LIGHTS_ON = ALL_LIGHTS_OFF.replace(":off", ":on")
QUANTIFIED = [
    ("switch on each and every light", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN, NO_TV)),
    ("switch on each and every light in the kitchen", "kitchen:light:on",
     (NO_DOOR, NO_OVEN, NO_FAN, "living_room:light")),
    ("activate each and every light everywhere", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("turn on all the lights", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("turn on every light", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("turn on each light", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("turn on the light in every room", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("turn on every light in the house", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("lights on everywhere", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("lights out everywhere", ALL_LIGHTS_OFF, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("all and every light off in the bedroom", "bedroom:light:off", (NO_DOOR, NO_FAN)),
    ("turn off each and every fan", "living_room:fan:off;bedroom:fan:off",
     (NO_DOOR, NO_OVEN, "light", NO_TV)),
    ("switch on all the lights in the whole house", ALL_LIGHTS_ON, (NO_DOOR, NO_OVEN, NO_FAN)),
    ("turn on every light and open the door", ALL_LIGHTS_ON + ";garage:door:on",
     (NO_OVEN, NO_FAN)),
    ("turn on the whole kitchen", "kitchen:light:on;kitchen:oven:on", (NO_DOOR, NO_FAN)),
    ("turn on everything", EVERYTHING_ON, ()),
    ("turn everything on", EVERYTHING_ON, ()),
    ("turn on the whole house", EVERYTHING_ON, ()),
    ("switch everything on everywhere", EVERYTHING_ON, ()),
    ("turn on the whole house and the garage light", EVERYTHING_ON, ()),
]


@pytest.mark.parametrize(("text", "expected", "untouched"), QUANTIFIED,
                         ids=[t for t, _, _ in QUANTIFIED])
def test_a_quantifier_binds_to_its_noun(text: str, expected: str, untouched, house) -> None:
    result = parse(text, house)
    assert matches(result, expected), f"{text!r} -> {describe(result)} ({result.error})"
    switched = [f"{a.room}:{a.device}" for a in result.actions]
    for device in untouched:
        assert not any(device in name for name in switched), f"{text!r} switched {device}"


# Questions: intent "status", the asked-about devices and readings, nothing switched.
STATUS = [
    ("how warm is it", "temperature"),
    ("what's the temperature", "temperature"),
    ("what is the temperature", "temperature"),
    ("how hot is it in here", "temperature"),
    ("temperature?", "temperature"),
    ("how humid is it", "humidity"),
    ("what is the humidity", "humidity"),
    ("what are the temperature and the humidity", "temperature;humidity"),
    ("is the kitchen light on", "kitchen:light"),
    ("is the kitchen light off", "kitchen:light"),
    ("is the garage door open", "garage:door"),
    ("is the door closed", "garage:door"),
    ("is the oven on", "kitchen:oven"),
    ("are the lights on in the kitchen and the bedroom", "kitchen:light;bedroom:light"),
    ("which fan is on", "living_room:fan;bedroom:fan"),
    ("is the light on", "living_room:light;kitchen:light;bedroom:light;bathroom:light;"
                        "garage:light"),
    ("what is on in the kitchen", "kitchen:light;kitchen:oven"),
    ("kitchen light status", "kitchen:light"),
    ("how warm is it and is the garage door open", "temperature;garage:door"),
    ("is the tv on and how humid is it", "living_room:tv;humidity"),
    ("are any lights on in the kitchen", "kitchen:light"),
    ("are there any fans on", "living_room:fan;bedroom:fan"),
]


@pytest.mark.parametrize(("text", "expected"), STATUS, ids=[t for t, _ in STATUS])
def test_a_question_names_what_it_asks_about(text: str, expected: str, house) -> None:
    result = parse(text, house)
    assert result.ok and result.intent == "status", f"{text!r}: {result.error}"
    assert {a.action for a in result.actions} == {"status"}
    assert ";".join(a.device if a.room is None else f"{a.room}:{a.device}"
                    for a in result.actions) == expected


def test_a_question_about_a_reading_has_no_room(house) -> None:
    assert parse("how warm is it", house).to_dict() == {
        "text": "how warm is it", "intent": "status", "error": None,
        "actions": [{"room": None, "device": "temperature", "action": "status"}]}


def test_a_house_without_a_sensor_cannot_be_asked_for_readings() -> None:
    from homerelay.house import House

    bare = House.from_yaml("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 2}]")
    assert parse("how warm is it", bare).error == "This house has no sensor for the temperature."
    assert parse("is the light on", bare).actions[0].device == "light"


@pytest.mark.parametrize("text", ["is everything off", "is the door open", "are all lights off"])
def test_a_question_never_switches(text: str, house) -> None:
    result = parse(text, house)
    assert result.intent == "status" and all(a.action == "status" for a in result.actions)


@pytest.mark.parametrize("text", ["turn off the loft lights", "turn on the light in the hall",
                                  "open the hall door", "turn off the lof", "switch off the eech light"])
def test_a_slip_is_never_repaired_into_every_device(text: str, house) -> None:
    # "loft" is one letter from "lot" ("turn off the lot" is everything), "hall" from "all".
    assert not parse(text, house).actions, text
