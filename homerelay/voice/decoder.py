"""PocketSphinx, kept small: a decoder that knows only the words of the grammars it is given."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from homerelay.errors import VoiceUnavailableError
from homerelay.house import House
from homerelay.voice.audio import Audio
from homerelay.voice.grammar import Grammar, build_grammar, confirmation_grammar

logger = logging.getLogger(__name__)

INSTALL_HINT = "Voice needs the speech engine: pip install 'homerelay[voice]'"
CONFIRM_SEARCH = "confirm"
WAKE_SEARCH = "wake"
# Grammars kept ready at once (the server hears many homes, most with the default house).
MAX_GRAMMARS = 16
# Search settings: narrower than PocketSphinx's defaults (tuned with `python -m bench.voice`:
# the same accuracy on the grammar at a third of the time).
# Below this posterior the server answers "not heard" rather than guess.
MIN_CONFIDENCE = 0.0
SEARCH_SETTINGS = {"beam": 1e-40, "wbeam": 1e-30, "pbeam": 1e-40, "maxhmmpf": 10000}
SLICE_BYTES = 16000 * 2 // 5
_ENTRY = re.compile(r"^([^\s(]+)(?:\(\d+\))?\s+(.+)$")


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


class Decoder:
    """One PocketSphinx decoder (not thread-safe: one per thread) with grammars added per house."""

    def __init__(self, threshold: float = 0.0, settings: dict | None = None) -> None:
        ps = _pocketsphinx()
        config = ps.Config(lm=None, dict=None, loglevel="FATAL", bestpath=True,
                           **(SEARCH_SETTINGS | (settings or {})))
        # The full dictionary costs 27 MB; words are added from it as grammars need them.
        config["dict"] = os.devnull
        self._decoder = ps.Decoder(config)
        self.threshold = threshold
        self._words: set[str] = set()
        self._active: str | None = None
        self._wake_added = False
        self._searches: OrderedDict[str, None] = OrderedDict()
        self._add_grammar(CONFIRM_SEARCH, *speakable_grammar(confirmation_grammar))

    def _add_words(self, known: dict[str, tuple[str, ...]]) -> None:
        missing = [w for w in sorted(known) if w not in self._words]
        for index, word in enumerate(missing):
            for variant, phones in enumerate(known[word]):
                name = word if variant == 0 else f"{word}({variant + 1})"
                # The search tables are rebuilt once, after the last word.
                last = index == len(missing) - 1 and variant == len(known[word]) - 1
                self._decoder.add_word(name, phones, last)
            self._words.add(word)

    def _add_grammar(self, name: str, grammar: Grammar, known: dict[str, tuple[str, ...]]) -> None:
        self._add_words({word: known[word] for word in grammar.words})
        self._decoder.add_jsgf_string(name, grammar.text)

    def use_house(self, house: House) -> str:
        """Make the house's command grammar ready (built once, kept among the latest few)."""
        name = "house_" + hashlib.sha1(repr(house).encode()).hexdigest()[:12]
        if name in self._searches:
            self._searches.move_to_end(name)
            return name
        self._add_grammar(name, *speakable_grammar(functools.partial(build_grammar, house)))
        self._searches[name] = None
        while len(self._searches) > MAX_GRAMMARS:
            old, _ = self._searches.popitem(last=False)
            if old == self._active:
                self._active = None
            self._decoder.remove_search(old)
        return name

    def add_wake(self, phrase: str, threshold: float) -> None:
        """Add the wake phrase (keyphrase search) with its detection threshold."""
        words = phrase.lower().split()
        known = pronunciations(words)
        unknown = [w for w in words if w not in known]
        if unknown or not words:
            raise ValueError("The wake phrase has words the speech dictionary lacks: "
                             f"{', '.join(unknown) or '(none given)'}")
        self._add_words(known)
        if self._wake_added:
            # Replacing the active search under the decoder crashes it: switch away first.
            self._activate(CONFIRM_SEARCH)
            self._decoder.remove_search(WAKE_SEARCH)
        self._wake_added = True
        self._decoder.config["kws_threshold"] = threshold
        self._decoder.add_keyphrase(WAKE_SEARCH, " ".join(words))

    def decode(self, audio: Audio, search: str) -> Heard:
        """Decode one utterance against a search; below the threshold the text is kept, confidence says it."""
        started = time.perf_counter()
        decoder = self._activate(search)
        decoder.start_utt()
        # PocketSphinx holds the GIL while it decodes: in slices, the server's other requests
        # (and gevent's hub) run in between instead of waiting for the whole utterance.
        for start in range(0, len(audio.pcm), SLICE_BYTES):
            decoder.process_raw(audio.pcm[start:start + SLICE_BYTES], False, False)
        decoder.end_utt()
        hyp = decoder.hyp()
        text = " ".join(hyp.hypstr.split()) if hyp is not None else ""
        confidence = float(hyp.prob) if hyp is not None and text else 0.0
        return Heard(text, max(0.0, min(1.0, confidence)), time.perf_counter() - started)

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

    # Streaming (the agent's microphone) --------------------------------------------------------

    def start_stream(self, search: str) -> None:
        """Begin listening continuously with one search."""
        self._activate(search).start_utt()

    def feed(self, pcm: bytes) -> str | None:
        """Feed microphone samples; the text of the hypothesis so far, if any."""
        self._decoder.process_raw(pcm, False, False)
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None and hyp.hypstr else None

    def in_speech(self) -> bool:
        """True while the voice activity detector hears speech."""
        return bool(self._decoder.get_in_speech())

    def end_stream(self) -> None:
        """Stop the current continuous search."""
        self._decoder.end_utt()
