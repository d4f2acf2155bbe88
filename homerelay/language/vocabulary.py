"""The language's vocabulary (action words, fillers, intents...), loaded from YAML data."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from homerelay import const

VOCABULARY_FILE = "vocabulary.yaml"
_WORD_RE = re.compile(r"[^\W_]+|[,;.&]")


def tokenize(text: str) -> tuple[str, ...]:
    """Lower-case words of a text; apostrophes vanish ("what's" -> "whats"), ",;.&" stay."""
    text = text.casefold().replace("'", "").replace("\u2019", "")
    return tuple(_WORD_RE.findall(text))


def phrase(text: str) -> tuple[str, ...]:
    """A vocabulary entry or a name ("living_room") as a tuple of words."""
    if not isinstance(text, str):
        # YAML 1.1 reads a bare on/off/yes/no as a boolean: the data must quote them.
        raise ValueError(f"vocabulary: {text!r} is not text (quote it in the YAML file)")
    return tokenize(text.replace("_", " "))


@dataclass(frozen=True)
class Vocabulary:
    """Word lists of the language; every phrase is a tuple of words."""

    actions: dict[str, tuple[tuple[str, ...], ...]]
    cooling: tuple[tuple[str, ...], ...]
    cooling_devices: tuple[str, ...]
    all_words: tuple[tuple[str, ...], ...]
    everything: tuple[tuple[str, ...], ...]
    house_wide: tuple[tuple[str, ...], ...]
    connectors: tuple[tuple[str, ...], ...]
    fillers: frozenset[str]
    questions: frozenset[str]
    question_openers: frozenset[str]
    readings: dict[str, tuple[tuple[str, ...], ...]]
    device_synonyms: dict[str, tuple[tuple[str, ...], ...]]
    irregular_plurals: dict[str, str]
    device_verbs: dict[str, dict[str, str]]
    kind_verbs: dict[str, dict[str, str]]
    intents: dict[tuple[str, ...], str]

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Vocabulary:
        """Build from the parsed YAML mapping."""
        def phrases(items: Any) -> tuple[tuple[str, ...], ...]:
            return tuple(p for p in (phrase(item) for item in items or ()) if p)

        fillers = frozenset(w for p in phrases(data.get("fillers")) for w in p)
        openers = frozenset(w for p in phrases(data.get("question_openers")) for w in p)
        intents: dict[tuple[str, ...], str] = {}
        for intent, sentences in (data.get("intents") or {}).items():
            if intent not in const.INTENTS:
                raise ValueError(f"vocabulary: unknown intent {intent!r}")
            for sentence in phrases(sentences):
                key = _key(sentence, fillers)
                if not key:
                    # It would match every sentence made only of fillers ("the").
                    raise ValueError(f"vocabulary: intent sentence {' '.join(sentence)!r} "
                                     "has only filler words")
                intents[key] = intent
        return cls(
            actions={str(a): phrases(words) for a, words in data["actions"].items()},
            cooling=phrases(data.get("cooling")),
            cooling_devices=tuple(data.get("cooling_devices") or ()),
            all_words=phrases(data.get("all")),
            everything=phrases(data.get("everything")),
            house_wide=phrases(data.get("house_wide")),
            connectors=phrases(data.get("connectors")),
            fillers=fillers,
            questions=frozenset(w for p in phrases(data.get("questions")) for w in p),
            question_openers=openers,
            readings=_readings(data.get("readings"), phrases),
            device_synonyms={str(k): phrases(v)
                             for k, v in (data.get("device_synonyms") or {}).items()},
            irregular_plurals={str(k): str(v)
                               for k, v in (data.get("irregular_plurals") or {}).items()},
            device_verbs={str(k): {str(a): str(w) for a, w in v.items()}
                          for k, v in (data.get("device_verbs") or {}).items()},
            kind_verbs={str(k): {str(a): str(w) for a, w in v.items()}
                        for k, v in (data.get("kind_verbs") or {}).items()},
            intents=intents,
        )

    def intent_of(self, words: tuple[str, ...]) -> str | None:
        """The special intent a whole sentence names, if any (fillers ignored)."""
        intent = self.intents.get(_key(words, self.fillers))
        opener = next((w for w in words if w not in self.fillers or w in self.question_openers),
                      None)
        if intent != const.INTENT_LIST and opener in self.question_openers:
            return None   # "is everything off" asks; only "everything off" switches
        return intent


def _key(words: tuple[str, ...], fillers: frozenset[str]) -> tuple[str, ...]:
    """The words of a whole sentence that decide its intent (fillers and marks left out)."""
    return tuple(w for w in words if w not in fillers and w[0].isalnum())


def _readings(data: Any, phrases) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The words for each sensor reading; a reading the sensor does not measure is an error."""
    readings = {str(name): phrases(words) for name, words in (data or {}).items()}
    for name in readings:
        if name not in const.READINGS:
            raise ValueError(f"vocabulary: unknown reading {name!r} "
                             f"(expected one of {', '.join(const.READINGS)})")
    return readings


def plural(word: str) -> str:
    """The regular English plural of a word (light -> lights, box -> boxes, story -> stories)."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if len(word) > 1 and word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


@functools.lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The packaged vocabulary (loaded once)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = resources.files(__package__).joinpath(VOCABULARY_FILE).read_text(encoding="utf-8")
    return Vocabulary.from_mapping(yaml.load(text, Loader=loader))  # noqa: S506 - safe loader
