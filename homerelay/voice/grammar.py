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
HOLDING_VERBS = ("turn", "switch", "put", "power")
OPENERS = ("please", "can you", "could you", "would you", "hey")
CLOSERS = ("please", "thanks", "thank you", "now")
CONNECTORS = ("and", "and then", "then", "and also")
# More clauses than this in one breath are rare, and every extra one widens the search.
MAX_CLAUSES = 2
# Direction words that may follow the device ("garage door open", "lights out").
TRAILING = {const.ACTION_ON: ("on", "up", "open"), const.ACTION_OFF: ("off", "down", "out")}
# The confirmation step after a device that asks for one.
YES = ("yes", "yes please", "yeah", "confirm", "do it")
NO = ("no", "no thanks", "cancel", "stop", "nope")
# Spellings the parser forgives in typed text ("kitchen lite") that are never said differently.
WRITTEN_ONLY = frozenset({"lite", "tele", "t v", "televison", "telivision", "turn of", "switch of"})
# Bare direction words open a clause only after the device ("light on"): as the first word
# they would let the recogniser drop the verb it did not quite hear.
BARE_DIRECTIONS = frozenset({"on", "off", "up", "down", "out"})
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


def build_grammar(house: House, known: Callable[[str], bool] = lambda word: True) -> Grammar:
    """The command grammar of a house; `known` says whether the dictionary can say a word."""
    vocabulary = default_vocabulary()
    dropped: set[str] = set()
    used = {"the", "in"}

    def say(phrases: Iterable[str]) -> str:
        kept = _speakable(phrases, known, dropped)
        used.update(word for item in kept for word in item.split())
        return _alternatives(kept) if kept else "<VOID>"

    singular = [said for names in device_names(house).values() for said in names
                if said not in WRITTEN_ONLY]
    plural_names = [" ".join([*said.split()[:-1], plural(said.split()[-1])]) for said in singular]
    on_words = [" ".join(p) for p in vocabulary.actions[const.ACTION_ON]]
    off_words = [" ".join(p) for p in vocabulary.actions[const.ACTION_OFF]]
    cooling = [" ".join(p) for p in vocabulary.cooling]
    # Of the many ways to say "everything", the short ones without "it" / "them": those are
    # what a recogniser inserts into any pause.
    everything = [" ".join(p) for p in vocabulary.everything
                  if p[0] != "the" and not {"it", "them", "anything"} & set(p)]
    all_words = [" ".join(p) for p in vocabulary.all_words if p[0] in ("all", "every", "both")]
    intents = [sentence for sentences in _raw_intents().values() for sentence in sentences]
    rules = {
        "opener": say(OPENERS),
        "closer": say(CLOSERS),
        "connector": say(CONNECTORS),
        "room": say(room_names(house)),
        "device": say(singular),
        "devices": say(plural_names),
        "act": say(p for p in on_words + off_words if p not in BARE_DIRECTIONS),
        "direction": say(TRAILING[const.ACTION_ON] + TRAILING[const.ACTION_OFF]),
        "hold": say(HOLDING_VERBS),
        "cool": say(cooling),
        "everything": say(everything),
        "all": say(all_words),
        "intent": say(intents),
    }
    body = [
        "#JSGF V1.0;",
        f"grammar {GRAMMAR_NAME};",
        "public <command> = [<opener>] (<intent> | <clauses>) [<closer>];",
        "<clauses> = <clause>" + "".join(" [<connector> <clause>" for _ in range(MAX_CLAUSES - 1))
        + "]" * (MAX_CLAUSES - 1) + ";",
        "<clause> = <act> <target> | (<hold> <target> | <target>) <direction> [in <place>]"
        " | <cool> <place> | <act> <place> <everything>;",
        "<place> = [the] <room> [and [the] <room>];",
        "<thing> = <device> | <devices>;",
        "<target> = [the] [<room> [and [the] <room>]] <thing> [in <place>] | <all> [the] <devices> [in <place>]"
        " | <everything> [in <place>] | <place> <everything>;",
    ]
    body += [f"<{name}> = {alternatives};" for name, alternatives in rules.items()]
    if dropped:
        logger.info("Not in the speech dictionary, so not heard: %s", ", ".join(sorted(dropped)))
    return Grammar("\n".join(body) + "\n", frozenset(used), tuple(sorted(dropped)))


def confirmation_grammar(known: Callable[[str], bool] = lambda word: True) -> Grammar:
    """The yes-or-no grammar of the confirmation step."""
    dropped: set[str] = set()
    answers = _speakable(YES + NO, known, dropped)
    text = f"#JSGF V1.0;\ngrammar confirm;\npublic <answer> = {_alternatives(answers)};\n"
    return Grammar(text, frozenset(w for a in answers for w in a.split()), tuple(sorted(dropped)))


def is_yes(text: str) -> bool:
    """True when a decoded confirmation answer says yes."""
    return text.strip() in YES
