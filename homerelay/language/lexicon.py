"""Every phrase the language knows for one house, and tagging of a sentence's words."""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass

from homerelay.house import House
from homerelay.language.vocabulary import Vocabulary, default_vocabulary, phrase, plural

# Kinds of words.
ACTION = "action"
ROOM = "room"
DEVICE = "device"
ALL = "all"
EVERYTHING = "everything"
HOUSE = "house"
READING = "reading"
CONNECTOR = "connector"
FILLER = "filler"
QUESTION = "question"
# A question word only when it opens the sentence ("is the light on").
QUESTION_OPENER = "opener"

# Fuzzy matching is only tried on unknown words this long, and must be this close
# (difflib ratio) to exactly one known word: "kitchn" -> "kitchen", never "fan" -> "fun".
FUZZY_MIN_LENGTH = 4
FUZZY_CUTOFF = 0.8
MAX_JOIN = 3
# Fuzzy matching costs about a millisecond a word; a sentence needing more repairs than
# this is not understood anyway, so stop early and keep the worst case short.
MAX_FUZZY_ATTEMPTS = 8


@dataclass(frozen=True)
class Meaning:
    """What a phrase means: a kind and a value (room name, device name, "on"...)."""

    kind: str
    value: str = ""
    plural: bool = False
    cooling: bool = False


@dataclass(frozen=True)
class Tagged:
    """One phrase of a sentence as said, with its meaning (None when unknown)."""

    text: str
    meaning: Meaning | None


class Lexicon:
    """The phrases of one house: vocabulary words plus its room and device names."""

    def __init__(self, house: House, vocabulary: Vocabulary) -> None:
        self.house = house
        self.vocabulary = vocabulary
        self.phrases: dict[tuple[str, ...], Meaning] = {}
        self._add_vocabulary()
        self._add_house()
        self.max_length = max(len(p) for p in self.phrases)
        self.words = frozenset(word for p in self.phrases for word in p)
        # A slip is never repaired into a word that widens a command to many devices: "loft"
        # is not "lot" ("turn off the lot" is everything), nor "hall" "all".
        widening = {word for words, meaning in self.phrases.items()
                    if meaning.kind in (ALL, EVERYTHING, HOUSE) for word in words}
        named = {word for words, meaning in self.phrases.items()
                 if meaning.kind in (ROOM, DEVICE) for word in words}
        self._fuzzy_words = sorted(w for w in self.words - (widening - named)
                                   if len(w) >= FUZZY_MIN_LENGTH - 1)

    def _add(self, words: tuple[str, ...], meaning: Meaning) -> None:
        if words:
            self.phrases[words] = meaning

    def _add_vocabulary(self) -> None:
        vocab = self.vocabulary
        for word in sorted(vocab.fillers):
            self._add((word,), Meaning(FILLER))
        for word in sorted(vocab.question_openers):
            self._add((word,), Meaning(QUESTION, QUESTION_OPENER))
        for word in sorted(vocab.questions):
            self._add((word,), Meaning(QUESTION))
        for words in vocab.connectors:
            self._add(words, Meaning(CONNECTOR))
        for words in vocab.all_words:
            self._add(words, Meaning(ALL))
        for words in vocab.everything:
            self._add(words, Meaning(EVERYTHING))
        for words in vocab.house_wide:
            self._add(words, Meaning(HOUSE))
        for reading, phrases in vocab.readings.items():
            for words in phrases:
                self._add(words, Meaning(READING, reading))
        for action, phrases in vocab.actions.items():
            for words in phrases:
                self._add(words, Meaning(ACTION, action))
        for words in vocab.cooling:
            self._add(words, Meaning(ACTION, "on", cooling=True))

    def _add_name(self, words: tuple[str, ...], kind: str, value: str) -> None:
        self._add(words, Meaning(kind, value))
        if len(words) > 1:
            # Speech recognition often runs the words together: "livingroom".
            self._add(("".join(words),), Meaning(kind, value))
        if kind == DEVICE:
            plural_words = words[:-1] + (plural(words[-1]),)
            self._add(plural_words, Meaning(kind, value, plural=True))
            if len(words) > 1:
                self._add(("".join(plural_words),), Meaning(kind, value, plural=True))

    def _add_house(self) -> None:
        house, vocab = self.house, self.vocabulary
        names = list(dict.fromkeys(device.name for device in house.devices))
        # Spoken synonyms first, so that any name the house gives itself wins.
        for name in names:
            for words in vocab.device_synonyms.get(name, ()):
                self._add_name(words, DEVICE, name)
        for plural_word, singular in vocab.irregular_plurals.items():
            meaning = self.phrases.get(phrase(singular))
            if meaning is not None and meaning.kind == DEVICE:
                self._add(phrase(plural_word), Meaning(DEVICE, meaning.value, plural=True))
        for device in house.devices:
            for words in (phrase(device.name), *map(phrase, device.aliases)):
                self._add_name(words, DEVICE, device.name)
        for room in house.rooms:
            for words in (phrase(room), *map(phrase, house.aliases_of_room(room))):
                self._add_name(words, ROOM, room)

    def correct(self, tokens: tuple[str, ...]) -> list[str]:
        """Repair speech slips word by word: "bed room", "kitchenlight", "kitchn"."""
        out: list[str] = []
        attempts = 0
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token in self.words:
                out.append(token)
                i += 1
                continue
            joined = self._join(tokens, i)
            if joined:
                out.append(joined[0])
                i += joined[1]
                continue
            split = self._split(token)
            if split is None and attempts < MAX_FUZZY_ATTEMPTS:
                attempts += 1
                split = [self._fuzzy(token) or token]
            out.extend(split or [token])
            i += 1
        return out

    def _join(self, tokens: tuple[str, ...], start: int) -> tuple[str, int] | None:
        for count in range(MAX_JOIN, 1, -1):
            if start + count <= len(tokens):
                joined = "".join(tokens[start:start + count])
                if joined in self.words:
                    return joined, count
        return None

    def _split(self, token: str) -> list[str] | None:
        splits = [[token[:k], token[k:]] for k in range(2, len(token) - 1)
                  if token[:k] in self.words and token[k:] in self.words]
        return splits[0] if len(splits) == 1 else None

    def _fuzzy(self, token: str) -> str | None:
        if len(token) < FUZZY_MIN_LENGTH or not token.isalpha():
            return None
        matches = difflib.get_close_matches(token, self._fuzzy_words, n=3, cutoff=FUZZY_CUTOFF)
        # Never guess between two candidates, unless they are the same word (light/lights).
        if matches and len({self.phrases.get((m,), Meaning(m)).value or m for m in matches}) == 1:
            return matches[0]
        return None

    def tag(self, words: list[str]) -> list[Tagged]:
        """Split (corrected) words into the longest known phrases, left to right."""
        tagged: list[Tagged] = []
        i = 0
        while i < len(words):
            for length in range(min(self.max_length, len(words) - i), 0, -1):
                meaning = self.phrases.get(tuple(words[i:i + length]))
                if meaning is not None:
                    tagged.append(Tagged(" ".join(words[i:i + length]), meaning))
                    i += length
                    break
            else:
                tagged.append(Tagged(words[i], None))
                i += 1
        return tagged


# About 50 kB each; the server parses for many homes, most of them with the default house.
@functools.lru_cache(maxsize=128)
def lexicon_for(house: House) -> Lexicon:
    """The lexicon of a house with the packaged vocabulary (cached per house)."""
    return Lexicon(house, default_vocabulary())
