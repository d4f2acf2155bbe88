"""The grammar of one house: the sentences of the command language, over its rooms and devices and decoys."""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources

from homerelay import const
from homerelay.house import House, spoken
from homerelay.language.vocabulary import VOCABULARY_FILE, default_vocabulary, plural

logger = logging.getLogger(__name__)

# Verbs that take the direction after the device ("turn the kitchen light off"). Each must be a
# filler of the language, so the parser ignores it just as the recogniser allows it.
HOLDING_VERBS = ("turn", "switch", "power", "put")
# Words that join several actions in one breath.
CONNECTORS = ("and", "then", "and then")
# Direction words that may follow the device ("garage door open", "lights out").
# ("up" and "down" are not: as the last word they were heard in the breath after a sentence
# that had no direction, "kitchen lite" as "kitchen light up".)
TRAILING = {const.ACTION_ON: ("on", "open"), const.ACTION_OFF: ("off", "out")}
# The confirmation step after a device that asks for one.
YES = ("yes", "yes please", "yeah", "confirm", "do it")
NO = ("no", "no thanks", "cancel", "stop", "nope")
# Spellings the parser forgives in typed text ("kitchen lite") that are never said differently.
WRITTEN_ONLY = frozenset({"lite", "tele", "t v", "televison", "telivision", "turn of", "switch of"})
# Bare direction words open a clause only after the device ("light on"): as the first word
# they would let the recogniser drop the verb it did not quite hear.
BARE_DIRECTIONS = frozenset({"on", "off", "up", "down", "out"})
# Of the vocabulary's rarer words, those a recogniser most often heard in place of others
# (measured on the training set of `python -m bench.voice --calibrate`): not searched for.
UNHEARD = frozenset({"lift", "halt", "boot up", "fire up", "bulb", "lighting", "cooker", "ventilator",
                     "gate", "telly", "stove",
                     # (Not "start" and "stop", though each was heard for the other: left out, a
                     # spoken "start" was forced onto "cut off" or "lower" just as often.)
                     # Two short words for "everything off" that were heard in other speech.
                     "all off", "everything off"})
# Of the vocabulary's names for "all the devices", the ones said as a whole phrase.
EVERYTHING = frozenset({"everything", "all devices", "all the devices", "every device"})
# Politeness around a command ("could you ... for me", "please ... thanks"): the language
# ignores these words, and a recogniser that knows them hears them as said rather than forcing
# them onto words that matter.
OPENINGS = ("please", "can you", "could you", "would you", "can you please", "could you please",
            "hey home", "hey homerelay", "homerelay", "okay", "i want", "i would like")
CLOSINGS = ("please", "thanks", "thank you", "for me", "for me please", "now", "right now")
# Rooms and things a house commonly has that this one may not. They are searched for beside the
# house's own, so "turn on the garden light" or "turn on the heater" is heard as said and then
# refused by the language, instead of being forced onto a room or device the house has: the
# recogniser can only hear what its grammar holds.
DECOY_ROOMS = ("garden", "front garden", "back garden", "hallway", "hall", "office", "study", "attic",
               "basement", "cellar", "dining room", "porch", "patio", "nursery", "laundry", "guest room",
               "upstairs", "downstairs", "loft", "landing", "toilet", "shed", "driveway")
DECOY_THINGS = ("heater", "heating", "radio", "speaker", "speakers", "music", "volume", "temperature",
                "blinds", "curtains", "kettle", "dishwasher", "fridge", "freezer", "microwave", "toaster",
                "computer", "printer", "alarm", "camera", "lock", "sprinkler", "vacuum", "washing machine",
                "dryer", "fireplace", "window", "water",
                "air conditioning", "humidifier", "coffee machine", "router", "doorbell", "boiler")
# ("it", "them" and "that" are not decoys: such short words fit a pause or a stray syllable anywhere.)
# Words that read the sensor in a question ("how warm is it").
READING_WORDS = ("warm", "hot", "cold", "humid")
READINGS = ("temperature", "humidity")
# Other everyday questions, heard as said so that they are answered (or refused), never acted on.
OTHER_TALK = ("what time is it", "how are you", "what is it", "play some music", "turn up the volume",
              "turn down the volume", "what is the weather", "good morning", "good night", "thank you")
EVERYDAY_WORDS_FILE = "everyday_words.txt"
# Odds of other talk against an answer, as the confirmation step's first word. Measured with
# `python -m bench.voice` (a yes by 6 voices, clean and noisy; "no" and the 137 test sentences
# as other talk): at 1e-10 a yes confirmed 28 of 60 and other talk 0 of 334; at 1e-15, 38 and 1
# (a noisy "no"); at 1e-20, 48 and 2. A yes not taken cancels, which is safe; talk taken as a
# yes opens the door.
TALK_ODDS = 1e-10
_SAFE_WORD = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Grammar:
    """A finite-state word graph, its listing as text, the words it uses and those it left out."""

    text: str
    words: frozenset[str]
    dropped: tuple[str, ...]
    # (start state, final state, transitions (from, to, probability, word or None: an empty step)).
    graph: tuple[int, int, tuple[tuple[int, int, float, str | None], ...]]


class _Graph:
    """A word graph under construction: numbered states, phrases between them, empty steps."""

    def __init__(self) -> None:
        # (from, to, word or None for an empty step, odds against the state's other ways out)
        self.transitions: list[tuple[int, int, str | None, float]] = []
        self.states = 0
        # Ways out of each state: a list of phrases counts once, as does an empty step.
        self.choices: dict[int, int] = {}

    def state(self) -> int:
        """A new state."""
        self.states += 1
        return self.states - 1

    def say(self, source: int, target: int, phrases: Iterable[str], odds: float = 1.0) -> None:
        """Any one of the phrases leads from source to target (a chain of states per phrase); `odds`
        below 1 makes them less likely than the state's other ways out."""
        phrases = sorted(set(phrases))
        if phrases:
            self.choices[source] = self.choices.get(source, 0) + 1
        for phrase in phrases:
            words = phrase.split()
            here, first = source, odds
            for word in words[:-1]:
                step = self.state()
                self.transitions.append((here, step, word, first))
                here, first = step, 1.0
            self.transitions.append((here, target, words[-1], first))

    def skip(self, source: int, target: int) -> None:
        """An empty step: what lies between source and target may be left out."""
        self.choices[source] = self.choices.get(source, 0) + 1
        self.transitions.append((source, target, None, 1.0))

    def closed(self) -> tuple[tuple[int, int, float, str | None], ...]:
        """(from, to, probability, word or None) with each state's ways out equally likely, and every
        chain of empty steps also made one empty step."""
        # Equal odds per way out: without them a short word costs nothing and the search strews
        # "the" and "and" into every pause. A list counts as one way, whatever its length, so
        # that the decoys do not make the house's own devices less likely.
        ways = {state: self.choices.get(state, 1) for state in range(self.states)}
        words = [(a, b, odds / ways[a], word) for a, b, word, odds in self.transitions if word is not None]
        skips: dict[int, list[tuple[int, float]]] = {}
        for a, b, word, odds in self.transitions:
            if word is None:
                skips.setdefault(a, []).append((b, odds / ways[a]))
        # PocketSphinx follows one empty step at a time (its JSGF reader closes the chains
        # itself; a graph handed over directly must arrive closed): the likeliest chain counts.
        closure: list[tuple[int, int, float, None]] = []
        for origin in sorted(skips):
            best: dict[int, float] = {}
            todo = [(origin, 1.0)]
            while todo:
                state, odds = todo.pop()
                for target, step in skips.get(state, ()):
                    if target != origin and odds * step > best.get(target, 0.0):
                        best[target] = odds * step
                        todo.append((target, odds * step))
            closure += [(origin, target, odds, None) for target, odds in sorted(best.items())]
        return tuple(words + closure)

    def grammar(self, start: int, final: int, dropped: Iterable[str] = ()) -> Grammar:
        """The finished graph as a Grammar: its closed transitions, their words, and a listing
        of the graph as text (a transition a line, for logs)."""
        transitions = self.closed()
        lines = [f"{a} {b} {word or '-'}" for a, b, word, _ in self.transitions]
        return Grammar("\n".join([*lines, f"final {final}"]) + "\n",
                       frozenset(word for *_, word in transitions if word), tuple(sorted(dropped)),
                       (start, final, transitions))


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
    """Spoken names of each device name in the house that are searched for: its own, its aliases,
    and the vocabulary's synonyms but those often heard in place of other words (UNHEARD)."""
    vocabulary = default_vocabulary()
    names: dict[str, list[str]] = {}
    for device in house.devices:
        said = names.setdefault(device.name, [])
        # What the house file calls a device is always searched for, even a word of UNHEARD:
        # a device named "gate" could not be heard at all.
        said.append(spoken(device.name))
        said.extend(device.aliases)
        said.extend(synonym for synonym in (" ".join(words) for words in vocabulary.device_synonyms.get(device.name, ()))
                    if synonym not in UNHEARD)
    return {name: list(dict.fromkeys(said)) for name, said in names.items()}


def room_names(house: House) -> list[str]:
    """Spoken names of every room, its aliases included."""
    return [said for room in house.rooms for said in (spoken(room), *house.aliases_of_room(room))]


def _verbs(phrases: Iterable[tuple[str, ...]]) -> list[str]:
    """Action phrases that open a clause ("turn on", "open", "shut down"); bare directions never do."""
    return [" ".join(words) for words in phrases
            if " ".join(words) not in BARE_DIRECTIONS | WRITTEN_ONLY | UNHEARD]


def build_grammar(house: House, known: Callable[[str], bool] = lambda word: True) -> Grammar:
    """The command grammar of a house; `known` says whether the dictionary can say a word."""
    # A graph, not JSGF: JSGF copies a rule at every place it is used, and the clauses, targets
    # and places nest, so its graph grew into tens of thousands of states (seconds per decode).
    # Here every part exists once and later clauses loop back to the first: the search is
    # small, and the graph may allow a little more than the language (the parser then refuses
    # it: "turn the light" without on or off).
    #
    # The shapes: [politeness] then an intent, a question, everyday talk, or clauses joined by
    # "and" / "then": [verb] target [direction] [place], or a cooling word and rooms. A target
    # is [the | all | both] [room] device(s), "the kitchen and bedroom lights", "the whole
    # room", "everything". A place is "in the room [and the room]" or "everywhere". Beside the
    # house's rooms and devices, decoys (DECOY_ROOMS, DECOY_THINGS) are searched for, so that
    # what the house lacks is heard as said and refused, never forced onto something it has.
    vocabulary = default_vocabulary()
    dropped: set[str] = set()

    def said(phrases: Iterable[str]) -> list[str]:
        return _speakable(phrases, known, dropped)

    own_rooms = room_names(house)
    own_things = [name for names in device_names(house).values() for name in names]
    rooms = said(own_rooms + [room for room in DECOY_ROOMS if room not in own_rooms])
    things = said(own_things + [thing for thing in DECOY_THINGS if thing not in own_things])
    counts = Counter(device.name for device in house.devices)

    def plurals_of(how_many: Callable[[int], bool]) -> list[str]:
        """The plural names of the devices whose number in the house passes `how_many`."""
        return said({" ".join([*name.split()[:-1], plural(name.split()[-1])])
                     for device, names in device_names(house).items() if how_many(counts[device])
                     for name in names if name not in WRITTEN_ONLY})

    # Plurals of the names of devices the house has more than one of only ("lights", "fans"):
    # "both doors" in a house with one door was heard for "switch on the stove".
    plurals = plurals_of(lambda count: count > 1)
    # "both" only before the devices the house has exactly two of: "turn on and off the light"
    # was heard as "turn on both the lights" in a house with five.
    pairs = plurals_of(lambda count: count == 2)
    everything = said(" ".join(p) for p in vocabulary.everything if " ".join(p) in EVERYTHING)
    quantifiers_of_many = said(" ".join(p) for p in vocabulary.all_words if p[0] == "all")
    whole = said(" ".join(p) for p in vocabulary.all_words if p[0] in ("whole", "entire"))
    verbs = said(_verbs(vocabulary.actions[const.ACTION_ON]) + _verbs(vocabulary.actions[const.ACTION_OFF]))
    directions = said(TRAILING[const.ACTION_ON] + TRAILING[const.ACTION_OFF])
    cooling = said(" ".join(p) for p in vocabulary.cooling)
    intents = said(sentence for sentences in _raw_intents().values() for sentence in sentences
                   if sentence not in UNHEARD)

    graph = _Graph()
    start, opened, sentence, final, end = (graph.state() for _ in range(5))
    graph.say(start, opened, said(OPENINGS))
    graph.skip(start, opened)
    # An intent is a sentence of its own: never joined to a clause ("all off and the living room").
    graph.say(opened, final, intents)
    graph.say(start, end, said(OTHER_TALK))

    # A room list: "the kitchen [and the bedroom]".
    def room_list(source: int, target: int) -> None:
        first, more, second = graph.state(), graph.state(), graph.state()
        graph.say(source, first, ["the"])
        graph.say(first, target, rooms)
        graph.say(target, more, ["and"])
        graph.say(more, second, ["the"])
        graph.say(second, target, rooms)

    def place(source: int, target: int) -> None:
        inside = graph.state()
        graph.say(source, inside, ["in"])
        room_list(inside, target)
        graph.say(source, target, ["everywhere"])

    def rooms_after(source: int) -> int:
        """"kitchen" or "kitchen and [the] bedroom" after source; the state after it."""
        first, joined, again, done = (graph.state() for _ in range(4))
        graph.say(source, first, rooms)
        graph.skip(first, done)
        graph.say(first, joined, ["and"])
        graph.say(joined, again, ["the"])
        graph.skip(joined, again)
        graph.say(again, done, rooms)
        return done

    def target(source: int, goal: int) -> None:
        """What a verb acts on: the [room] device, the room(s) devices, all [the] [room] devices,
        both [the] devices (of a pair), every [room] device, the whole room, everything."""
        # A plural needs a room or a quantifier ("the kitchen lights", "all the lights"): a bare
        # "the lights" means every light, and a final "s" is the sound most easily heard or
        # lost, so "turn on the light" (which light?) would be heard as every light.
        article, many, many_the, every, whole_of = (graph.state() for _ in range(5))
        graph.say(source, article, ["the"])
        graph.say(article, goal, things)
        graph.say(rooms_after(article), goal, things + plurals + everything)
        graph.say(article, whole_of, whole)
        graph.say(whole_of, goal, rooms + ["house"])
        graph.say(source, many, quantifiers_of_many)
        graph.say(many, many_the, ["the"])
        graph.skip(many, many_the)
        graph.say(many_the, goal, plurals)
        graph.say(rooms_after(many_the), goal, plurals)
        if pairs:
            both, both_the = graph.state(), graph.state()
            graph.say(source, both, ["both"])
            graph.say(both, both_the, ["the"])
            graph.skip(both, both_the)
            graph.say(both_the, goal, pairs)
        graph.say(source, every, ["every"])
        graph.say(every, goal, things)
        graph.say(rooms_after(every), goal, things)
        graph.say(source, goal, everything)

    # Clauses: a verb and its target ("turn on the kitchen light", "open the door"), a holding
    # verb with the direction after ("turn the kitchen light off", "turn it off"), or cooling
    # ("cool down the bedroom"). A later clause may share the verb of the one before ("... and
    # the bedroom fan", "turn the fan on and the light off"). A clause without a verb ("kitchen
    # light on") is not searched for: a device name and a direction were heard in a verb that was
    # not quite clear ("turn on" as "stove on") and in the breath after a sentence ("the bedroom
    # light" as "bedroom light out").
    clause, aimed, targeted, held, held_target, directed = (graph.state() for _ in range(6))
    before = graph.state()
    place(opened, before)
    graph.skip(before, clause)
    graph.skip(opened, clause)
    graph.say(clause, aimed, verbs)
    target(aimed, targeted)
    graph.skip(targeted, directed)
    graph.say(clause, held, said(HOLDING_VERBS))
    target(held, held_target)
    it = graph.state()
    graph.say(held, it, ["it"])  # "turn it off": heard as said, and refused (it is not named)
    graph.say(it, sentence, directions)
    held_directed, held_end = graph.state(), graph.state()
    graph.say(held_target, held_directed, directions)
    place(held_directed, held_end)
    graph.skip(held_directed, held_end)
    # "turn the living room fan on and the bedroom fan off": a later clause shares the holding
    # verb and says its own direction (only after a clause that said one after its device: after
    # "turn on the light and the fan", the breath would be heard as "off").
    graph.say(held_end, held, ["and"])
    # "switch the light" without a direction: heard as said, and refused (on or off?), where
    # the search had to hear one ("switch on all lights").
    graph.skip(held_target, directed)
    clause_end = graph.state()
    graph.skip(held_end, clause_end)
    place(directed, clause_end)
    graph.skip(directed, clause_end)
    graph.skip(clause_end, sentence)
    graph.say(clause_end, aimed, ["and"])  # "... and the bedroom fan": the same verb
    cooled = graph.state()
    graph.say(clause, cooled, cooling)
    room_list(cooled, sentence)
    graph.skip(cooled, sentence)
    graph.say(sentence, clause, CONNECTORS)

    # Questions: "is the kitchen light on", "is everything off", "how warm is it", "what is the
    # temperature in the kitchen".
    asked, subject = graph.state(), graph.state()
    graph.say(opened, asked, ["is", "are"])
    graph.say(asked, subject, everything)
    question_room, question_thing = graph.state(), graph.state()
    graph.say(asked, question_room, ["the"])
    graph.skip(asked, question_room)
    graph.say(question_room, question_thing, rooms)
    graph.skip(question_room, question_thing)
    graph.say(question_thing, subject, things + plurals)
    states = said(TRAILING[const.ACTION_ON] + TRAILING[const.ACTION_OFF] + ("closed", "shut"))
    asked_state = graph.state()
    graph.say(subject, asked_state, states)
    place(asked_state, sentence)
    graph.skip(asked_state, sentence)
    how, reading = graph.state(), graph.state()
    graph.say(opened, how, ["how"])
    graph.say(how, reading, said(READING_WORDS))
    graph.say(reading, asked_state, ["is it"])
    graph.say(reading, sentence, [f"is the {room}" for room in rooms])
    what = graph.state()
    graph.say(opened, what, ["what is the"])
    graph.say(what, asked_state, said(READINGS))

    graph.skip(sentence, final)
    graph.say(final, end, said(CLOSINGS))
    graph.skip(final, end)
    if dropped:
        logger.info("Not in the speech dictionary, so not heard: %s", ", ".join(sorted(dropped)))
    return graph.grammar(start, end, dropped)


def wake_grammar(phrase: str, after: Iterable[str] = ()) -> Grammar:
    """The wake phrase, then any of the words `after` in any order (the start of a command said
    in the same breath, which the listener then decodes against the house)."""
    # Without the words after it, a window that holds "hey home, turn" has no way to end in
    # the grammar's final state, and half the wake phrases were not found at all.
    graph = _Graph()
    start, woke, tail, end = (graph.state() for _ in range(4))
    graph.say(start, woke, [" ".join(phrase.lower().split())])
    graph.skip(woke, end)
    words = sorted(set(after) - set(phrase.lower().split()))
    graph.say(woke, tail, words)
    graph.say(tail, tail, words)
    graph.skip(tail, end)
    return graph.grammar(start, end)


def sentences_grammar(sentences: Iterable[str], known: Callable[[str], bool] = lambda word: True) -> Grammar:
    """A grammar of exactly these sentences, one of them a recording (the training's check that
    each take reads its own line)."""
    dropped: set[str] = set()
    graph = _Graph()
    start, end = graph.state(), graph.state()
    graph.say(start, end, _speakable(sentences, known, dropped))
    return graph.grammar(start, end, dropped)


def confirmation_grammar(known: Callable[[str], bool] = lambda word: True) -> Grammar:
    """The grammar of the confirmation step: a yes-or-no answer alone, or any other talk."""
    # Other talk must be searchable: with the answers alone, whatever was said after the question
    # was forced onto one of them ("wait" was heard as "do it", "the weather is nice" as "yes
    # please"; 84 of 200 such utterances were a yes) and opened the door. Everyday words are
    # heard as themselves, and only an answer said alone counts.
    dropped: set[str] = set()
    answers = _speakable(YES + NO, known, dropped)
    answer_words = {word for answer in answers for word in answer.split()}
    talk = [word for word in _speakable(everyday_words(), known, set()) if word not in answer_words]
    graph = _Graph()
    start, talking, end = (graph.state() for _ in range(3))
    graph.say(start, end, answers)
    graph.say(start, talking, talk, TALK_ODDS)
    graph.say(talking, talking, talk)  # once it is talk, its length costs nothing more
    graph.skip(talking, end)
    return graph.grammar(start, end, dropped)


@functools.lru_cache(maxsize=1)
def everyday_words() -> tuple[str, ...]:
    """Common words of conversation (a packaged list), heard as themselves in the confirmation step."""
    text = resources.files("homerelay.voice").joinpath(EVERYDAY_WORDS_FILE).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_yes(text: str) -> bool:
    """True when a decoded confirmation answer says yes."""
    return text.strip() in YES
