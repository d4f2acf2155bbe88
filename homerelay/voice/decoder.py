"""PocketSphinx, kept small: a decoder that knows only the words of the grammars it is given."""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import re
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass

from homerelay.errors import VoiceUnavailableError
from homerelay.house import House
from homerelay.voice.audio import Audio, for_decoding
from homerelay.voice.grammar import Grammar, build_grammar, confirmation_grammar, meanings, wake_grammar

logger = logging.getLogger(__name__)

INSTALL_HINT = "Voice needs the speech engine: pip install 'homerelay[voice]'"
CONFIRM_SEARCH = "confirm"
# Grammars kept ready at once (the server hears many homes, most with the default house).
MAX_GRAMMARS = 16
# Search settings: narrower than PocketSphinx's defaults (tuned with `python -m bench.voice`).
# A higher silence probability lets the search end the sentence in the quiet after it rather
# than hear a short word ("and", "all") in it.
SEARCH_SETTINGS = {"beam": 1e-30, "wbeam": 1e-20, "pbeam": 1e-30, "silprob": 0.1}
# Confidence comes from two checks on each word that carries meaning. First, its acoustic
# log-likelihood per frame: speech the grammar forced onto other words fits them badly (0 or
# more is 1.0; RATIO_FLOOR or less is 0.0). (Scoring against an unconstrained phone loop was
# tried: the bindings report no acoustic score for its phones, and it cost more than the rest.)
RATIO_FLOOR = -10.0
# Words that carry no meaning of their own: a poor match of one changes no action.
FUNCTION_WORDS = frozenset({"the", "in", "and", "please", "turn", "switch", "put"})
# Second, against the nearest other meaning: each phrase that carries meaning (a room,
# a device, on or off) is aligned again with every phrase of its group that means something
# else in its place; the acoustic score the heard phrase wins by, per frame of it, is mapped
# onto 0..1 (MARGIN_FULL or more is 1.0). A "fan" that could as well be a "light" wins by
# little, and is refused rather than switched.
MARGIN_FULL = 5.0
ALIGN_SEARCH = "align"
# Below this confidence the server and the agent answer "not heard" rather than act. Chosen by
# `python -m bench.voice --calibrate` on the training set (sentences and voices the benchmark's
# test set does not use) as the lowest that left no wrong action there, clean or noisy. On
# espeak-ng's voices that refuses nearly everything; tune it on recorded human speech (env
# HOMERELAY_VOICE_MIN_CONFIDENCE, 0..1).
MIN_CONFIDENCE = float(os.environ.get("HOMERELAY_VOICE_MIN_CONFIDENCE", "0.7"))
_ENTRY = re.compile(r"^([^\s(]+)(?:\(\d+\))?\s+(.+)$")
_VARIANT = re.compile(r"\(\d+\)$")


@dataclass(frozen=True)
class Heard:
    """What the decoder heard and how sure it is (0..1); empty text when nothing was heard."""

    heard: str
    confidence: float
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """{"heard", "confidence"} as the API answers it."""
        return {"heard": self.heard, "confidence": round(self.confidence, 3)}


def _pocketsphinx():
    try:
        import pocketsphinx  # noqa: PLC0415 - the agent without --listen must not load it
    except ImportError as error:
        raise VoiceUnavailableError(INSTALL_HINT) from error
    return pocketsphinx


def available() -> bool:
    """True when the speech engine is installed (without loading it)."""
    import importlib.util  # noqa: PLC0415

    return importlib.util.find_spec("pocketsphinx") is not None


def _dictionary_path() -> str:
    return os.path.join(_pocketsphinx().get_model_path(), "en-us", "cmudict-en-us.dict")


def pronunciations(words) -> dict[str, tuple[str, ...]]:
    """The packaged CMU dictionary's pronunciations of these words (one pass; nothing else kept)."""
    wanted = set(words)
    found: dict[str, list[str]] = {}
    with open(_dictionary_path(), encoding="utf-8") as lines:
        for line in lines:
            head = line.split(" ", 1)[0].split("(", 1)[0]
            if head in wanted:
                match = _ENTRY.match(line)
                if match:
                    found.setdefault(head, []).append(match.group(2).strip())
    return {word: tuple(phones) for word, phones in found.items()}


def speakable_grammar(build) -> tuple[Grammar, dict[str, tuple[str, ...]]]:
    """Build a grammar twice: once to learn its words, then without those the dictionary lacks."""
    draft = build(lambda word: True)
    known = pronunciations(draft.words)
    return build(known.__contains__), known


@dataclass(frozen=True)
class Scored:
    """A complete sentence of the grammar (or nothing), each word's acoustic score per frame, the margins."""

    text: str
    words: tuple[tuple[str, float], ...]
    seconds: float
    # (first word, last word + 1, margin per frame) of each phrase that carries meaning.
    margins: tuple[tuple[int, int, float], ...] = ()
    # The last frame of the last word (of the padded audio), -1 when nothing was heard.
    end_frame: int = -1

    def confidence(self, start: int = 0, stop: int | None = None) -> float:
        """How sure the words start..stop are: the worse of the acoustic score and the margin, 0..1."""
        stop = len(self.words) if stop is None else stop
        ratios = [ratio for word, ratio in self.words[start:stop] if word not in FUNCTION_WORDS]
        if not self.text or not ratios:
            return 0.0
        margins = [margin for first, _, margin in self.margins if start <= first < stop]
        by_ratio = 1.0 - min(ratios) / RATIO_FLOOR
        by_margin = min(margins) / MARGIN_FULL if margins else 1.0
        return max(0.0, min(1.0, by_ratio, by_margin))


class Decoder:
    """Two PocketSphinx decoders (the grammars, and the realignments that check them); one per thread."""

    def __init__(self, settings: dict | None = None) -> None:
        ps = _pocketsphinx()
        config = ps.Config(lm=None, dict=None, loglevel="FATAL", **(SEARCH_SETTINGS | (settings or {})))
        # The full dictionary costs 27 MB; words are added from it as grammars need them.
        config["dict"] = os.devnull
        self._decoder = ps.Decoder(config)
        # Realignments with one phrase replaced, on a decoder of their own (switching the main
        # decoder's search would rebuild the house grammar's tables each time).
        self._aligner = ps.Decoder(ps.Config(lm=None, dict=os.devnull, loglevel="FATAL",
                                             **(SEARCH_SETTINGS | (settings or {}))))
        self._meanings: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {}
        self._words: set[str] = set()
        self._active: str | None = None
        self._searches: OrderedDict[str, None] = OrderedDict()
        self._add_grammar(CONFIRM_SEARCH, *speakable_grammar(confirmation_grammar))

    def _add_words(self, known: dict[str, tuple[str, ...]]) -> None:
        missing = [(word, variant, phones) for word in sorted(known) if word not in self._words
                   for variant, phones in enumerate(known[word])]
        for index, (word, variant, phones) in enumerate(missing):
            # The search tables are rebuilt once, after the last word.
            for decoder in (self._decoder, self._aligner):
                decoder.add_word(word if variant == 0 else f"{word}({variant + 1})", phones,
                                 index == len(missing) - 1)
            self._words.add(word)

    def _add_grammar(self, name: str, grammar: Grammar, known: dict[str, tuple[str, ...]]) -> None:
        self._add_words({word: known[word] for word in grammar.words})
        self._decoder.add_jsgf_string(name, grammar.text)

    def _keep(self, name: str, build) -> str:
        """Add a grammar search once, keeping only the latest MAX_GRAMMARS."""
        if name in self._searches:
            self._searches.move_to_end(name)
            return name
        self._add_grammar(name, *speakable_grammar(build))
        self._searches[name] = None
        while len(self._searches) > MAX_GRAMMARS:
            old, _ = self._searches.popitem(last=False)
            if old == self._active:
                self._activate(CONFIRM_SEARCH)
            self._decoder.remove_search(old)
        return name

    def use_house(self, house: House) -> str:
        """Make the house's command grammar ready (built once, kept among the latest few)."""
        name = "house_" + _digest(house)
        self._meanings.setdefault(name, _phrase_table(house))
        return self._keep(name, functools.partial(build_grammar, house))

    def use_wake(self, phrase: str) -> str:
        """Make ready the grammar of the wake phrase."""
        words = phrase.lower().split()
        known = pronunciations(words)
        unknown = [w for w in words if w not in known]
        if unknown or not words:
            raise ValueError("The wake phrase has words the speech dictionary lacks: "
                             f"{', '.join(unknown) or '(none given)'}")
        return self._keep("wake_" + _digest(" ".join(words)), lambda known_word: wake_grammar(" ".join(words)))

    def score(self, audio: Audio, search: str) -> Scored:
        """Decode one utterance against a search and score each word against the phone loop."""
        started = time.perf_counter()
        pcm = for_decoding(audio.pcm)
        decoder = self._activate(search)
        _decode(decoder, pcm)
        hyp = decoder.hyp()
        text = " ".join(hyp.hypstr.split()) if hyp is not None else ""
        # A search that did not reach the grammar's end gives back the best partial sentence
        # ("turn on the" for "I think the garden needs water"): that is not a sentence heard.
        fsg = decoder.get_fsg()
        if not text or fsg is None or not fsg.accept(text):
            return Scored("", (), time.perf_counter() - started)
        segments = [(_VARIANT.sub("", s.word), s.start_frame, s.end_frame, _ln(s.ascore))
                    for s in decoder.seg() if not s.word.startswith(("<", "["))]
        words = tuple((word, ascore / (last - first + 1)) for word, first, last, ascore in segments)
        margins = self._margins(pcm, text, segments, self._meanings.get(search, ()))
        return Scored(text, words, time.perf_counter() - started, margins, segments[-1][2] if segments else -1)

    def _margins(self, pcm: bytes, text: str, segments, table) -> tuple[tuple[int, int, float], ...]:
        """For each meaningful phrase heard: how much better it fits than any phrase meaning otherwise."""
        said = text.split()
        if len(segments) != len(said):
            return ()
        margins = []
        # The sentence heard, aligned by the same decoder as its rivals, so that scores compare.
        heard_score = self._align(pcm, f"#JSGF V1.0;\ngrammar align;\npublic <s> = {text};\n")
        if heard_score is None:
            return ()
        for first, last, rival in _rivals(said, table, self._words.__contains__):
            other = self._align(pcm, f"#JSGF V1.0;\ngrammar align;\npublic <s> = {rival};\n")
            frames = segments[last - 1][2] - segments[first][1] + 1
            margins.append((first, last, (heard_score - other) / frames if other is not None else MARGIN_FULL))
        return tuple(margins)

    def _align(self, pcm: bytes, jsgf: str) -> float | None:
        """The acoustic score of the best sentence of a small grammar over the audio (None: none fits)."""
        self._aligner.add_jsgf_string(ALIGN_SEARCH, jsgf)
        self._aligner.activate_search(ALIGN_SEARCH)
        _decode(self._aligner, pcm)
        hyp = self._aligner.hyp()
        if hyp is None or not hyp.hypstr or not self._aligner.get_fsg().accept(hyp.hypstr):
            return None
        return sum(_ln(s.ascore) for s in self._aligner.seg() if not s.word.startswith(("<", "[")))

    def decode(self, audio: Audio, search: str) -> Heard:
        """Decode one utterance: the sentence heard and its confidence (0 when none was heard)."""
        scored = self.score(audio, search)
        return Heard(scored.text, scored.confidence(), scored.seconds)

    def _activate(self, search: str):
        # Activating a grammar search rebuilds its tables (tens of milliseconds): only on change.
        if self._active != search:
            self._decoder.activate_search(search)
            self._active = search
        return self._decoder

    def hear_command(self, audio: Audio, house: House) -> Heard:
        """Decode one spoken command against the house's grammar."""
        return self.decode(audio, self.use_house(house))

    def hear_answer(self, audio: Audio) -> Heard:
        """Decode a yes-or-no answer."""
        return self.decode(audio, CONFIRM_SEARCH)


def _phrase_table(house: House) -> list[tuple[int, frozenset[str], frozenset[str]]]:
    """(group, phrases of one meaning, the phrases of its group that mean otherwise) of a house."""
    table = []
    for kind, group in enumerate(meanings(house, pronunciations_known())):
        everything = frozenset().union(*group)
        table += [(kind, same, everything - same) for same in group]
    return table


@functools.lru_cache(maxsize=1)
def pronunciations_known():
    """Whether the dictionary can say a word (a set's membership test, read once)."""
    words = set()
    with open(_dictionary_path(), encoding="utf-8") as lines:
        for line in lines:
            words.add(line.split(" ", 1)[0].split("(", 1)[0])
    return words.__contains__


def _phrases(said: list[str], table) -> list[tuple[int, int, int, frozenset[str]]]:
    """(group, first, last + 1, other-meaning phrases) of each meaningful phrase, longest match first."""
    found, index = [], 0
    longest = max((len(p.split()) for _, same, _ in table for p in same), default=1)
    while index < len(said):
        for size in range(min(longest, len(said) - index), 0, -1):
            phrase = " ".join(said[index:index + size])
            match = next(((kind, others) for kind, same, others in table if phrase in same), None)
            if match is not None:
                found.append((match[0], index, index + size, match[1]))
                index += size
                break
        else:
            index += 1
    return found


def _rivals(said: list[str], table, known) -> list[tuple[int, int, str]]:
    """(first, last + 1, rival sentence): each meaningful phrase replaced by every phrase of another meaning."""
    # Only substitutions (a room, a device, on or off): rivals that leave words out or put words
    # in do not compare, as the silence model fits any stretch better per frame than words do.
    phrases = _phrases(said, table)
    out = []
    for _, first, last, others in phrases:
        # Only what the decoders can say (they know the grammars' words, no others).
        others = frozenset(p for p in others if all(map(known, p.split())))
        if others:
            out.append((first, last, " ".join([*said[:first], _choice(others), *said[last:]])))
    return [(first, last, rival) for first, last, rival in out if rival]


def _choice(phrases) -> str:
    return "(" + " | ".join(sorted(phrases)) + ")"


def _ln(probability: float) -> float:
    """A segment's acoustic score (the bindings give it as a probability) as a natural log."""
    return math.log(max(probability, sys.float_info.min * sys.float_info.epsilon))


def _digest(value) -> str:
    return hashlib.sha1(repr(value).encode()).hexdigest()[:12]


def _decode(decoder, pcm: bytes) -> None:
    """One whole utterance in one call (the decoder runs in a process of its own on the server)."""
    # The front end's noise estimate would otherwise carry over from the last utterance, and
    # the same recording would be heard differently depending on what came before it.
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(pcm, False, True)
    decoder.end_utt()
