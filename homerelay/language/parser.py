"""Turn a sentence into actions for one house: clauses, inherited words, resolved targets."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from homerelay import const
from homerelay.house import House, label, spoken
from homerelay.language.lexicon import (
    ACTION, ALL, CONNECTOR, DEVICE, EVERYTHING, FILLER, HOUSE, QUESTION, QUESTION_OPENER,
    READING, ROOM, Lexicon, Meaning, Tagged, lexicon_for,
)
from homerelay.language.phrasing import and_list, quote, sentence, the_rooms
from homerelay.language.result import Action, ParseResult
from homerelay.language.vocabulary import tokenize

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 1000
CONTENT_KINDS = (ACTION, ROOM, DEVICE, ALL, EVERYTHING, HOUSE, READING)
# What a question can be about: a device (its state) or a reading.
QUESTION_EXAMPLE = "is the kitchen light on"
EXAMPLE = "turn on the kitchen light"
# "There is no front garden light": at most this many unknown words make a device name.
MAX_UNKNOWN_NAME = 3


class Refusal(Exception):
    """Raised inside the parser to refuse a sentence with one human sentence."""

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions


@dataclass
class Clause:
    """One part of a sentence between connectors ("turn on the light", "and the fan")."""

    actions: list[Meaning] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    devices: list[Meaning] = field(default_factory=list)
    all: bool = False
    everything: bool = False
    house: bool = False   # "everywhere", "the whole house": every room
    first: str = ""  # kind of the first content word
    last: str = ""   # kind of the last content word

    @property
    def empty(self) -> bool:
        """No content word at all."""
        return not self.first

    @property
    def room_only(self) -> bool:
        """Names rooms but nothing to switch in them."""
        return (bool(self.rooms) and not self.devices and not self.all and not self.everything
                and not self.house)

    @property
    def wide(self) -> bool:
        """Means every device (of its rooms, or of the house)."""
        return self.everything or ((self.all or self.house) and not self.devices)

    @property
    def bare_quantifier(self) -> bool:
        """Says "each", "all"... and no noun for it to qualify ("each" of "each and every")."""
        return (self.all and not self.devices and not self.rooms and not self.everything
                and not self.house)

    def add(self, meaning: Meaning) -> None:
        """Record one content word."""
        if meaning.kind == ACTION:
            self.actions.append(meaning)
        elif meaning.kind == ROOM and meaning.value not in self.rooms:
            self.rooms.append(meaning.value)
        elif meaning.kind == DEVICE:
            self.devices.append(meaning)
        elif meaning.kind == ALL:
            self.all = True
        elif meaning.kind == EVERYTHING:
            self.everything = True
        elif meaning.kind == HOUSE:
            self.house = True
        self.first = self.first or meaning.kind
        self.last = meaning.kind


def parse_sentence(text: str, house: House) -> ParseResult:
    """Parse one sentence; refusals become a ParseResult with an error."""
    try:
        intent, actions = _understand(text, lexicon_for(house))
    except Refusal as refusal:
        return ParseResult(text, None, (), refusal.message, refusal.suggestions)
    return ParseResult(text, intent, tuple(actions), None)


def _understand(text: str, lexicon: Lexicon) -> tuple[str, list[Action]]:
    if not text.strip():
        raise Refusal(f'Say what to do, for example "{EXAMPLE}".')
    if len(text) > MAX_TEXT_LENGTH:
        raise Refusal(f"That is too long for one command (at most {MAX_TEXT_LENGTH} characters).")
    tokens = tokenize(text)
    vocabulary, house = lexicon.vocabulary, lexicon.house
    words = lexicon.correct(tokens)
    intent = vocabulary.intent_of(tokens) or vocabulary.intent_of(tuple(words))
    if intent == const.INTENT_ALL_OFF:
        return intent, _everything_off(house)
    if intent:
        return intent, []
    tagged = lexicon.tag(words)
    _check_words(text, tagged)
    if _is_question(tagged) or any(t.meaning.kind == READING for t in tagged):
        return _status(tagged, lexicon)
    clauses = _clauses(tagged)
    default_rooms = _default_rooms(clauses)
    _inherit_actions(clauses)
    if not any(clause.actions for clause in clauses):
        raise _no_action(clauses, default_rooms, lexicon)
    if all(clause.wide and not clause.rooms and clause.actions[0].value == const.ACTION_OFF
           for clause in clauses) and not default_rooms:
        return const.INTENT_ALL_OFF, _everything_off(house)
    return const.INTENT_CONTROL, _resolve(clauses, default_rooms, lexicon)


def _everything_off(house: House) -> list[Action]:
    return [Action(d.room, d.name, const.ACTION_OFF) for d in house.devices]


def _check_words(text: str, tagged: list[Tagged]) -> None:
    """Refuse text with nothing to act on, or with unknown words."""
    content = [t for t in tagged if t.meaning and t.meaning.kind in CONTENT_KINDS]
    if not content:
        raise Refusal(f"I don't understand {quote(text)}; try \"{EXAMPLE}\".")
    for index, item in enumerate(tagged):
        if item.meaning is not None:
            continue
        unknown = [item.text]
        for following in tagged[index + 1:]:
            if following.meaning is not None:
                if following.meaning.kind == DEVICE and len(unknown) <= MAX_UNKNOWN_NAME:
                    raise Refusal(f"There is no {' '.join(unknown)} {following.text} "
                                  "in this house.")
                break
            unknown.append(following.text)
        raise Refusal(f"I don't understand {quote(' '.join(unknown))}.")


def _is_question(tagged: list[Tagged]) -> bool:
    """A question word anywhere, or an opener ("is", "are") before anything else."""
    opener = next((t for t in tagged if t.meaning.kind != FILLER), tagged[0])
    return opener.meaning.kind == QUESTION or any(
        t.meaning.kind == QUESTION and t.meaning.value != QUESTION_OPENER for t in tagged)


def _status(tagged: list[Tagged], lexicon: Lexicon) -> tuple[str, list[Action]]:
    """What a question asks about: devices (their state) and readings; nothing is switched."""
    house = lexicon.house
    readings = list(dict.fromkeys(t.meaning.value for t in tagged if t.meaning.kind == READING))
    _refuse_commands_in_questions(tagged, readings)
    if readings and house.sensor is None:
        raise Refusal(f"This house has no sensor for the {and_list(readings)}.")
    # On/off/open words only say which state is asked about: the answer gives the state anyway.
    clauses = _clauses([t for t in tagged if t.meaning.kind not in (ACTION, READING)])
    if readings and any(clause.room_only for clause in clauses):
        raise Refusal(f"The house has one sensor, not one in each room; ask "
                      f"\"what is the {readings[0]}\".")
    default_rooms = _default_rooms(clauses)
    named = any(clause.devices for clause in clauses)
    targets: list[tuple[str, str]] = []
    for clause in clauses:
        clause.actions = [Meaning(ACTION, const.ACTION_STATUS)]
        if clause.room_only and not named:
            clause.everything = True   # "what is on in the kitchen": all of the kitchen
        # No ambiguity in a question: "is the light on" is answered for every light.
        targets.extend(_targets(clause, default_rooms, lexicon, clauses, every=True))
    if not targets and not readings:
        if any(t.meaning.kind == ACTION for t in tagged):
            return const.INTENT_LIST, []   # "what is off", "what are on": the list of what is on
        raise Refusal(f'Ask about a device or the temperature, for example "{QUESTION_EXAMPLE}".')
    devices = [Action(room, device, const.ACTION_STATUS) for room, device in targets]
    asked = [Action(None, reading, const.ACTION_STATUS) for reading in readings]
    first = next((t.meaning.kind for t in tagged if t.meaning.kind in (
        READING, DEVICE, ROOM, ALL, EVERYTHING, HOUSE)), DEVICE)
    return const.INTENT_STATUS, _dedupe(asked + devices if first == READING else devices + asked)


def _refuse_commands_in_questions(tagged: list[Tagged], readings: list[str]) -> None:
    """A part that opens with an action ("and turn off the tv") is a command, not a question."""
    opens_with_action = False
    fresh = True
    for item in tagged:
        kind = item.meaning.kind
        if kind == CONNECTOR:
            fresh = True
        elif kind != FILLER and fresh:
            opens_with_action = opens_with_action or kind == ACTION
            fresh = False
    if not opens_with_action:
        return
    if readings and not _is_question(tagged):
        raise Refusal(f"I can tell you the {and_list(readings)}, not change it; ask "
                      f'"what is the {readings[0]}".')
    raise Refusal("I can answer a question or carry out a command, not both at once.")


def _prepositions(tagged: list[Tagged]) -> list[Tagged]:
    """Drop an "on" that is a place ("everything on the porch") when another action is said."""
    content = [t for t in tagged if t.meaning.kind not in (FILLER, QUESTION)]
    actions = [t for t in content if t.meaning.kind == ACTION]
    drop: set[int] = set()
    for index, item in enumerate(content[:-1]):
        following = content[index + 1:index + 3]
        if (item.text == "on" and len(actions) > 1 and following[0].meaning.kind == ROOM
                and (len(following) < 2 or following[1].meaning.kind != DEVICE)):
            drop.add(id(item))
    return [t for t in tagged if id(t) not in drop]


def _clauses(tagged: list[Tagged]) -> list[Clause]:
    """Split at connectors; a leading clause that only names rooms joins the next one."""
    clauses = [Clause()]
    for item in _prepositions(tagged):
        meaning = item.meaning
        if meaning.kind == CONNECTOR:
            if not clauses[-1].empty:
                clauses.append(Clause())
        elif meaning.kind in CONTENT_KINDS:
            clauses[-1].add(meaning)
    clauses = [clause for clause in clauses if not clause.empty]
    # "each and every light": a quantifier without a noun qualifies the next clause's noun.
    index = 0
    while index < len(clauses) - 1:
        if clauses[index].bare_quantifier and clauses[index + 1].first == ALL:
            head = clauses.pop(index)
            clauses[index].actions[:0] = head.actions
            clauses[index].first = head.first
        else:
            index += 1
    # "in the kitchen, turn off everything": the rooms belong to the following clause.
    while len(clauses) > 1 and clauses[0].room_only and not clauses[0].actions:
        head = clauses.pop(0)
        clauses[0].rooms[:0] = [r for r in head.rooms if r not in clauses[0].rooms]
        clauses[0].first = ROOM
    # "the kitchen light, turn it on": a bare action belongs to a neighbour that has none.
    index = 0
    while index < len(clauses):
        clause = clauses[index]
        neighbours = [c for c in clauses[max(index - 1, 0):index + 2] if c is not clause]
        target = next((c for c in neighbours if not c.actions), None)
        if clause.actions and not (clause.rooms or clause.devices or clause.wide) and target:
            target.actions = clause.actions
            del clauses[index]
        else:
            index += 1
    return clauses


def _default_rooms(clauses: list[Clause]) -> list[str]:
    """Rooms said at the very start or end of a sentence apply to clauses without a room."""
    if len(clauses) < 2:
        return []
    last, previous = clauses[-1], clauses[-2]
    trailing: list[str] = []
    if last.room_only and not last.actions and not previous.rooms:
        # "turn on the light and turn off the fan, in the bedroom"
        clauses.pop()
        trailing = last.rooms
    elif last.last == ROOM and (last.devices or last.wide):
        trailing = last.rooms
    leading = clauses[0].rooms if clauses[0].first == ROOM else []
    if leading and trailing and leading != trailing:
        return []
    return list(leading or trailing)


def _inherit_actions(clauses: list[Clause]) -> None:
    """A clause without an action takes the one before it, else the one after it."""
    for clause in clauses:
        if len({meaning.value for meaning in clause.actions}) > 1:
            raise Refusal("I can't switch something on and off at the same time.")
    for index, clause in enumerate(clauses):
        if not clause.actions:
            before = [c for c in clauses[:index] if c.actions]
            after = [c for c in clauses[index + 1:] if c.actions]
            source = before[-1] if before else (after[0] if after else None)
            if source is not None:
                # "cool down the living room and the bedroom": cooling carries over too.
                clause.actions = [source.actions[0]]


def _no_action(clauses: list[Clause], default_rooms: list[str], lexicon: Lexicon) -> Refusal:
    """The refusal for a sentence that names things but says nothing to do."""
    try:
        targets = [(room, device) for clause in clauses
                   for room, device in _targets(clause, default_rooms, lexicon, clauses)]
    except Refusal:
        targets = []
    if not targets:
        said = list(dict.fromkeys(spoken(d.value) for c in clauses for d in c.devices))
        if said:
            return Refusal(f"Should I turn the {and_list(said)} on or off?")
        return Refusal("What should I do? Say on or off, for example "
                       f"\"{EXAMPLE}\".")
    names = and_list([f"the {label(room, device)}" for room, device in targets])
    if len(targets) == 1:
        room, device = targets[0]
        actions = ([Action(room, device, a)] for a in const.ACTIONS)
        return Refusal(f"Should I turn {names} on or off?",
                       tuple(sentence(a, lexicon.vocabulary, lexicon.house) for a in actions))
    return Refusal(f"Should I turn {names} on or off?")


def _devices_of(clause: Clause, clauses: list[Clause], lexicon: Lexicon) -> list[Meaning]:
    """The devices a clause means, borrowing them when it only names rooms."""
    cooling = any(meaning.cooling for meaning in clause.actions)
    if cooling and not clause.devices and not clause.rooms:
        # "cool down" alone: the cooling device, which may need a room ("Which fan?").
        return [Meaning(DEVICE, name) for name in lexicon.vocabulary.cooling_devices
                if lexicon.house.rooms_with(name)]
    if not clause.room_only:
        return clause.devices
    if cooling:
        return [Meaning(DEVICE, name, plural=True) for name in lexicon.vocabulary.cooling_devices]
    index = clauses.index(clause)
    # "turn off the light in the kitchen and the bedroom" / "the kitchen and bedroom lights"
    for other in [*reversed(clauses[:index]), *clauses[index + 1:]]:
        if other.devices:
            clause.all = clause.all or other.all
            return other.devices
    return []


def _targets(clause: Clause, default_rooms: list[str], lexicon: Lexicon,
             clauses: list[Clause], every: bool = False) -> list[tuple[str, str]]:
    """(room, device) pairs of one clause; Refusal when one cannot be found or is ambiguous.

    `every`: a device named without a room means it in every room that has one.
    """
    house = lexicon.house
    rooms = clause.rooms or default_rooms
    inherited = not clause.rooms
    if clause.wide:
        chosen = [d for d in house.devices if not rooms or d.room in rooms]
        return [(d.room, d.name) for d in chosen]
    devices = _devices_of(clause, clauses, lexicon)
    if not devices:
        if rooms:
            verb = f"turn {clause.actions[0].value}" if clause.actions else "switch"
            raise Refusal(f"What should I {verb} in {the_rooms(rooms)}?",
                          _room_suggestions(clause, rooms, lexicon))
        verb = f"turn {clause.actions[0].value}" if clause.actions else "switch"
        raise Refusal(f"What should I {verb}? Name a device, for example \"{EXAMPLE}\".")
    targets: list[tuple[str, str]] = []
    for meaning in devices:
        name, holders = meaning.value, house.rooms_with(meaning.value)
        if rooms:
            found = [room for room in rooms if room in holders]
            if inherited and not found and len(holders) == 1:
                found = list(holders)   # "turn on the kitchen light and the tv"
            missing = [room for room in rooms if room not in found]
            # "all the fans in the kitchen and the bedroom" skips the fanless kitchen.
            if missing and not (clause.all and found) and not (inherited and found):
                raise Refusal(f"There is no {spoken(name)} in the {spoken(missing[0])}.")
            targets.extend((room, name) for room in found)
        elif meaning.plural or clause.all or clause.house or every or len(holders) == 1:
            targets.extend((room, name) for room in holders)
        else:
            raise Ambiguity(name, holders)
    return targets


def _room_suggestions(clause: Clause, rooms: list[str], lexicon: Lexicon) -> tuple[str, ...]:
    if not clause.actions:
        return ()
    action = clause.actions[0].value
    return tuple(sentence([Action(d.room, d.name, action)], lexicon.vocabulary, lexicon.house)
                 for d in lexicon.house.devices if d.room in rooms)


class Ambiguity(Refusal):
    """A device named without a room, found in several rooms."""

    def __init__(self, name: str, rooms: tuple[str, ...]) -> None:
        super().__init__(f"Which {spoken(name)}? There is one in {the_rooms(rooms)}.")
        self.name = name
        self.rooms = rooms


def _resolve(clauses: list[Clause], default_rooms: list[str], lexicon: Lexicon) -> list[Action]:
    """All actions of the sentence; one ambiguity is refused with a suggestion per choice."""
    parts: list[list[Action] | tuple[Ambiguity, str]] = []
    for clause in clauses:
        action = clause.actions[0].value
        try:
            parts.append([Action(room, device, action)
                          for room, device in _targets(clause, default_rooms, lexicon, clauses)])
        except Ambiguity as ambiguity:
            parts.append((ambiguity, action))
    ambiguous = [part for part in parts if isinstance(part, tuple)]
    if ambiguous:
        ambiguity, action = ambiguous[0]
        suggestions: tuple[str, ...] = ()
        if len(ambiguous) == 1:
            suggestions = tuple(
                sentence(_dedupe([a for part in parts for a in (
                    part if isinstance(part, list) else [Action(room, ambiguity.name, action)])]),
                    lexicon.vocabulary, lexicon.house)
                for room in ambiguity.rooms)
        raise Refusal(ambiguity.message, suggestions)
    return _dedupe([action for part in parts if isinstance(part, list) for action in part])


def _dedupe(actions: list[Action]) -> list[Action]:
    """One action per device: a later mention wins ("everything off and open the door")."""
    last = {(a.room, a.device): index for index, a in enumerate(actions)}
    return [a for index, a in enumerate(actions) if last[(a.room, a.device)] == index]
