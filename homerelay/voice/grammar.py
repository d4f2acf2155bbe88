"""The JSGF grammar of one house: only sentences the command language understands can be heard."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources

from homerelay import const
from homerelay.house import House, spoken
from homerelay.language.vocabulary import VOCABULARY_FILE, default_vocabulary, plural

logger = logging.getLogger(__name__)

GRAMMAR_NAME = "homerelay"
# Verbs that take the direction after the device ("turn the kitchen light off"). Each must be a
# filler of the language, so the parser ignores it just as the recogniser allows it.
HOLDING_VERBS = ("turn", "switch", "power")
# Several actions in one breath are joined by "and" only: every other connector widens the search.
CONNECTOR = "and"
MAX_CLAUSES = 2
# Direction words that may follow the device ("garage door open", "lights out").
TRAILING = {const.ACTION_ON: ("on", "up", "open"), const.ACTION_OFF: ("off", "down", "out")}
# The confirmation step after a device that asks for one.
YES = ("yes", "yes please", "yeah", "confirm", "do it")
NO = ("no", "no thanks", "cancel", "stop", "nope")
# Spellings the parser forgives in typed text ("kitchen lite") that are never said differently.
WRITTEN_ONLY = frozenset({"lite", "tele", "t v", "televison", "telivision", "turn of", "switch of"})
# Bare direction words open a clause only after the device ("light on"): as the first word
# they would let the recogniser drop the verb it did not quite hear. Of the vocabulary's other
# verbs only the one-word ones and "turn on"-like ones are searched for: "fire up", "shut down",
# "turn up" (the volume) and the like each add a way to hear noise as a command.
BARE_DIRECTIONS = frozenset({"on", "off", "up", "down", "out"})
# Of the vocabulary's rarer words, those a recogniser most often heard in place of others
# (measured on the training set of `python -m bench.voice --calibrate`): not searched for.
UNHEARD = frozenset({"lift", "halt", "raise", "lower", "bulb", "lighting", "cooker", "ventilator",
                     "gate", "telly", "every device", "all the devices"})
# Of the vocabulary's names for "all the devices", the ones said as a whole phrase.
EVERYTHING = frozenset({"everything", "all devices", "all the devices", "every device"})
_SAFE_WORD = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Grammar:
    """A JSGF text and the words it uses (each must have a pronunciation)."""

    text: str
    words: frozenset[str]
    dropped: tuple[str, ...] = ()


def _alternatives(phrases: Iterable[str]) -> str:
    unique = sorted(dict.fromkeys(p for p in phrases if p))
    return "(" + " | ".join(unique) + ")"


def _speakable(phrases: Iterable[str], known: Callable[[str], bool], dropped: set[str]) -> list[str]:
    out = []
    for item in phrases:
        words = item.split()
        if words and item not in WRITTEN_ONLY and all(_SAFE_WORD.match(w) and known(w) for w in words):
            out.append(item)
        else:
            dropped.add(item)
    return out


@functools.lru_cache(maxsize=1)
def _raw_intents() -> dict[str, tuple[str, ...]]:
    """The special-intent sentences as written (the parsed vocabulary keeps them without fillers)."""
    import yaml  # noqa: PLC0415

    text = resources.files("homerelay.language").joinpath(VOCABULARY_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {str(intent): tuple(str(s) for s in sentences)
            for intent, sentences in (data.get("intents") or {}).items()}


def device_names(house: House) -> dict[str, list[str]]:
    """Spoken names of each device name in the house: its own, its aliases, the vocabulary's synonyms."""
    vocabulary = default_vocabulary()
    names: dict[str, list[str]] = {}
    for device in house.devices:
        said = names.setdefault(device.name, [])
        said.append(spoken(device.name))
        said.extend(device.aliases)
        said.extend(" ".join(words) for words in vocabulary.device_synonyms.get(device.name, ()))
    return {name: list(dict.fromkeys(said)) for name, said in names.items()}


def room_names(house: House) -> list[str]:
    """Spoken names of every room, its aliases included."""
    return [said for room in house.rooms for said in (spoken(room), *house.aliases_of_room(room))]


def _verbs(phrases: Iterable[tuple[str, ...]]) -> list[str]:
    """Action phrases that open a clause: one word, or a holding verb and on/off ("turn on")."""
    out = []
    for words in phrases:
        said = " ".join(words)
        if said in BARE_DIRECTIONS or said in WRITTEN_ONLY:
            continue
        if said in UNHEARD:
            continue
        if len(words) == 1 or (len(words) == 2 and words[0] in HOLDING_VERBS and words[1] in ("on", "off")):
            out.append(said)
    return out


def build_grammar(house: House, known: Callable[[str], bool] = lambda word: True) -> Grammar:
    """The command grammar of a house; `known` says whether the dictionary can say a word."""
    # Only the canonical spoken forms: verb the [room] device, "turn the room device on", room
    # device and a direction (a device alone and a direction, "lights off", is too easily heard in
    # a short noise), "in the room" after either, a room after a cooling word, all /
    # everything, two clauses joined by "and", and the special intents. Politeness ("please",
    # "could you") is not searched for: each optional word is a place the recogniser can insert
    # one into a pause, and a tight grammar hears the words that matter more surely.
    vocabulary = default_vocabulary()
    dropped: set[str] = set()
    used = {"the", "in", CONNECTOR, "everywhere"}

    def say(phrases: Iterable[str]) -> str:
        kept = _speakable(phrases, known, dropped)
        used.update(word for item in kept for word in item.split())
        return _alternatives(kept) if kept else "<VOID>"

    # A device's own name, the house's aliases and the vocabulary's one-word synonyms; plurals of
    # the names only ("lights", "fans"): every extra name is one more word to mistake another for.
    singular = [said for names in device_names(house).values() for said in names
                if said not in WRITTEN_ONLY and said not in UNHEARD and " " not in said]
    plural_names = sorted({plural(spoken(device.name).split()[-1]) for device in house.devices})
    everything = [" ".join(p) for p in vocabulary.everything if " ".join(p) in EVERYTHING - UNHEARD]
    all_words = [" ".join(p) for p in vocabulary.all_words if p[0] in ("all", "both")]
    whole = [" ".join(p) for p in vocabulary.all_words if p[0] in ("whole", "entire")]
    intents = [sentence for sentences in _raw_intents().values() for sentence in sentences]
    rules = {
        "room": say(room_names(house)),
        "device": say(singular),
        "devices": say(plural_names),
        "act": say(_verbs(vocabulary.actions[const.ACTION_ON]) + _verbs(vocabulary.actions[const.ACTION_OFF])),
        "direction": say(TRAILING[const.ACTION_ON] + TRAILING[const.ACTION_OFF]),
        "hold": say(HOLDING_VERBS),
        "cool": say(" ".join(p) for p in vocabulary.cooling),
        "everything": say(everything),
        "all": say(all_words),
        "whole": say(whole),
        "intent": say(intents),
    }
    more = f" [{CONNECTOR} <clause>" * (MAX_CLAUSES - 1) + "]" * (MAX_CLAUSES - 1)
    body = [
        "#JSGF V1.0;",
        f"grammar {GRAMMAR_NAME};",
        f"public <command> = <intent> | [<place>] <clause>{more};",
        "<clause> = <act> <target> [<place>] | <hold> <target> <direction> [<place>]"
        " | <room> <thing> <direction> [<place>] | <cool> <rooms>;",
        "<place> = in <rooms> | everywhere;",
        "<rooms> = the <room> [and the <room>];",
        "<thing> = <device> | <devices>;",
        "<target> = the [<room>] <thing> | <all> [the] <devices> | the <whole> <room> | <everything>"
        " | the <room> <everything>;",
    ]
    body += [f"<{name}> = {alternatives};" for name, alternatives in rules.items()]
    if dropped:
        logger.info("Not in the speech dictionary, so not heard: %s", ", ".join(sorted(dropped)))
    return Grammar("\n".join(body) + "\n", frozenset(used), tuple(sorted(dropped)))


def meanings(house: House, known: Callable[[str], bool] = lambda word: True) -> list[list[frozenset[str]]]:
    """Rooms, devices and on/off: each a list of sets of phrases that mean the same ("light", "lamp")."""
    # The decoder checks a heard phrase against the other sets of its group before anything is
    # switched: one heard for another changes the command's meaning.
    vocabulary = default_vocabulary()
    dropped: set[str] = set()

    def said(phrases: Iterable[str]) -> frozenset[str]:
        return frozenset(_speakable(phrases, known, dropped))

    rooms = [said([spoken(room), *house.aliases_of_room(room)]) for room in house.rooms]
    devices = []
    for name, names in device_names(house).items():
        names = [n for n in names if n not in WRITTEN_ONLY]
        devices.append(said(names + [" ".join([*n.split()[:-1], plural(n.split()[-1])]) for n in names]))
    actions = [said(_verbs(vocabulary.actions[action]) + list(TRAILING[action]))
               for action in (const.ACTION_ON, const.ACTION_OFF)]
    return [rooms, devices, actions]


def wake_grammar(phrase: str) -> Grammar:
    """The wake phrase alone (whatever follows it in the same breath is decoded as a command)."""
    words = phrase.lower().split()
    text = f"#JSGF V1.0;\ngrammar wake;\npublic <wake> = {' '.join(words)};\n"
    return Grammar(text, frozenset(words))


def confirmation_grammar(known: Callable[[str], bool] = lambda word: True) -> Grammar:
    """The yes-or-no grammar of the confirmation step."""
    dropped: set[str] = set()
    answers = _speakable(YES + NO, known, dropped)
    text = f"#JSGF V1.0;\ngrammar confirm;\npublic <answer> = {_alternatives(answers)};\n"
    return Grammar(text, frozenset(w for a in answers for w in a.split()), tuple(sorted(dropped)))


def is_yes(text: str) -> bool:
    """True when a decoded confirmation answer says yes."""
    return text.strip() in YES
