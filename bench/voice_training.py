"""The voice TRAINING set: sentences, voices and speeds the thresholds are calibrated on."""

# None of it is the benchmark's test set (the language tests' sentences, read by bench.spoken's
# six voices at 140/170/200 words a minute): the commands here are made from the house and the
# vocabulary by a fixed random draw, the voices are other espeak-ng variants and accents, the
# speeds others, and the out-of-grammar talk is written here, not taken from the docs.

from __future__ import annotations

import random

from homerelay.house import House, spoken

VOICES = ("en-us+f2", "en-us+m1", "en-gb+m2", "en-gb-scotland", "en-029", "en-us-nyc")
SPEEDS = (155, 185)
SEED = 20240611
COMMANDS = 60
VERBS_ON = ("turn on", "switch on", "power on", "start", "enable", "activate", "open")
VERBS_OFF = ("turn off", "switch off", "power off", "stop", "disable", "shut", "close", "kill")
# What a house does not have, said the way its commands are: these must be refused.
NEAR_MISSES = ("turn on the porch light", "switch off the heater", "turn on the radio",
               "open the window", "turn off the office lamp", "start the dishwasher",
               "switch on the kettle", "close the blinds", "turn on the hall light",
               "turn off the computer", "open the fridge", "turn on the shower")
# Talk a microphone overhears: questions, remarks, requests for other things.
TALK = ("I think it will rain later this afternoon", "did you remember to buy some milk",
        "the train was late again this morning", "can you pass me the salt please",
        "we should paint the fence before the summer", "my sister is coming over on sunday",
        "how long does it take to bake a cake", "put the book back on the shelf",
        "the football match starts at eight", "let us go for a walk in the park",
        "who left the umbrella in the car", "read me a story before bed",
        "the dog needs to go to the vet", "turn the page and keep reading",
        "switch to the other channel", "open the letter from the bank")


def _commands(house: House, rng: random.Random) -> list[str]:
    """Commands of the house in its canonical spoken forms, drawn at random."""
    pairs = [(spoken(d.room), spoken(d.name)) for d in house.devices]
    out = []
    for _ in range(COMMANDS):
        room, device = rng.choice(pairs)
        on = rng.random() < 0.5
        verb = rng.choice(VERBS_ON if on else VERBS_OFF)
        form = rng.randrange(4)
        if form == 0:
            out.append(f"{verb} the {room} {device}")
        elif form == 1:
            out.append(f"turn the {room} {device} {'on' if on else 'off'}")
        elif form == 2:
            out.append(f"{room} {device} {'on' if on else 'off'}")
        else:
            other_room, other = rng.choice(pairs)
            out.append(f"{verb} the {room} {device} and the {other_room} {other}")
    return out


def sentences() -> list[tuple[str, str]]:
    """(sentence, expected) pairs, expected as the parser reads the sentence as written."""
    from homerelay.language import parse  # noqa: PLC0415

    house = House.default()
    texts = _commands(house, random.Random(SEED)) + list(NEAR_MISSES) + list(TALK)
    cases = []
    for text in dict.fromkeys(texts):
        result = parse(text, house)
        if not result.ok:
            expected = "!reject"
        elif result.intent in ("control",):
            expected = ";".join(f"{a.room}:{a.device}:{a.action}" for a in result.actions)
        else:
            expected = f"@{result.intent}"
        cases.append((text, expected))
    return cases


def wake_jobs(phrase: str = "hey home") -> list[tuple]:
    """Wake phrase recordings (alone and before a command), every training voice, half noisy."""
    commands = [text for text, expected in sentences() if expected != "!reject"]
    jobs = []
    for index, voice in enumerate(VOICES * 8):
        text = phrase if index % 3 == 0 else f"{phrase}, {commands[index % len(commands)]}"
        jobs.append((text, voice, SPEEDS[index % 2], bool(index % 2), phrase, 0.0))
    return jobs


def talk_jobs(phrase: str = "hey home") -> list[tuple]:
    """The talk read aloud, several times over, for false wakes at threshold 0."""
    return [(text, voice, SPEEDS[index % 2], False, phrase, 0.0)
            for index, (text, voice) in enumerate((t, v) for v in VOICES for t in TALK)]
