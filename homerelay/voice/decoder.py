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

from homerelay.errors import VoiceProfileError, VoiceUnavailableError
from homerelay.house import House
from homerelay.voice.audio import SAMPLE_RATE, Audio, change_tempo, for_decoding
from homerelay.voice.grammar import (Grammar, build_grammar, confirmation_grammar, is_yes, sentences_grammar,
                                     wake_grammar)

logger = logging.getLogger(__name__)

INSTALL_HINT = "Voice needs the speech engine: pip install 'homerelay[voice]'"
CONFIRM_SEARCH = "confirm"
# Grammars kept ready at once (the server hears many homes, most with the default house).
MAX_GRAMMARS = 16
# Search settings: PocketSphinx's default beams (narrower ones lost the right sentence in a
# graph of this size: "turn on the tv" came back as nothing). No best-path pass over the
# lattice: in a grammar search it may end in a state that is not final ("turn on both the
# every" for "turn on the tv") where the first pass had found the whole sentence. A higher
# silence probability lets the search end the sentence in the quiet after it rather than hear
# a short word ("and", "all") in it.
SEARCH_SETTINGS = {"beam": 1e-48, "wbeam": 7e-29, "pbeam": 1e-48, "silprob": 0.1, "bestpath": False}
# Confidence: the recording is decoded three times, as recorded and read 3 % faster and 3 %
# slower (resampled), and the confidence is the share of the three that mean the same (the
# same actions, the same answer). A sentence the recording really holds survives a small change
# of tempo; one the search forced onto the grammar (the house lacks what was said, or a word was
# unclear) falls apart into different sentences. Measured with `python -m bench.voice`, this
# kept more right commands and fewer wrong ones than the acoustic scores of the words against
# rival words or against a free phone loop, which overlap on synthetic speech.
TEMPO_CHANGES = (1.03, 0.97)
# The wake grammar (the phrase, then any of the house's words) takes whatever is said, so what
# tells the phrase from other speech is how well its sound fits: a log-likelihood per frame of
# RATIO_FLOOR or less is a fit of 0.0.
RATIO_FLOOR = -10.0
# Below this confidence the server and the agent answer "not heard" rather than act: by
# default all three decodes must agree. (Env HOMERELAY_VOICE_MIN_CONFIDENCE, 0..1; 0 acts on
# whatever the first decode heard.)
MIN_CONFIDENCE = float(os.environ.get("HOMERELAY_VOICE_MIN_CONFIDENCE", "0.9"))
# Words the CMU dictionary lacks, with their pronunciations: the product's name, said as "home
# relay" (the language knows it as one word; as two, "relay" would not be understood).
OWN_WORDS = {"homerelay": ("HH OW M R IY L EY", "HH OW M R IH L EY")}
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


def model_path() -> str:
    """The folder of the packaged US-English acoustic model."""
    return os.path.join(_pocketsphinx().get_model_path(), "en-us", "en-us")


def pronunciations(words) -> dict[str, tuple[str, ...]]:
    """The packaged CMU dictionary's pronunciations of these words (one pass; nothing else kept),
    and the product's own name, which the dictionary lacks."""
    wanted = set(words)
    found: dict[str, list[str]] = {word: list(phones) for word, phones in OWN_WORDS.items() if word in wanted}
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
    """A complete sentence of the grammar (or nothing), each word's acoustic log-likelihood and
    length in frames, and where it ended."""

    text: str
    seconds: float
    words: tuple[tuple[str, float, int], ...] = ()
    # The sample (of the audio given) just after each word.
    ends: tuple[int, ...] = ()

    def fit(self, count: int | None = None) -> float:
        """How well the first `count` words fit the sound, 0..1: their acoustic log-likelihood per
        frame over all their frames, from RATIO_FLOOR (0.0) to 0 (1.0). Speech forced onto words
        it does not hold fits badly."""
        # All the phrase's frames, not its worst word: a British "home" (the dictionary's is
        # American) fitted worse than the best-fitting talk forced into "hey home", so nearly
        # every British wake was missed; over the whole phrase a clear "hey" carries some of them.
        words = self.words[:count]
        frames = sum(length for *_, length in words)
        if not frames:
            return 0.0
        per_frame = sum(score for _, score, _ in words) / frames
        return max(0.0, min(1.0, 1.0 - per_frame / RATIO_FLOOR))


class Decoder:
    """A PocketSphinx decoder that knows only the words of the grammars it was given; one per thread.

    With a voice profile (`homerelay voice train`), its acoustic model replaces the packaged one."""

    def __init__(self, settings: dict | None = None, profile=None) -> None:
        ps = _pocketsphinx()
        model = {"hmm": str(profile.path)} if profile is not None else {}
        config = ps.Config(lm=None, dict=None, loglevel="FATAL", **(SEARCH_SETTINGS | model | (settings or {})))
        # The full dictionary costs 27 MB; words are added from it as grammars need them.
        config["dict"] = os.devnull
        try:
            self._decoder = ps.Decoder(config)
        except RuntimeError as error:
            if profile is None:
                raise
            raise VoiceProfileError(f"The voice profile {profile.path} cannot be loaded ({error}); train it again") from error
        self._words: set[str] = set()
        self._active: str | None = None
        self._searches: OrderedDict[str, None] = OrderedDict()
        self._add_grammar(CONFIRM_SEARCH, *speakable_grammar(confirmation_grammar))

    @property
    def acoustic_model(self) -> str:
        """The folder of the acoustic model it hears with: the packaged one, or a voice profile."""
        return self._decoder.config["hmm"]

    def _add_words(self, known: dict[str, tuple[str, ...]]) -> None:
        missing = [(word, variant, phones) for word in sorted(known) if word not in self._words
                   for variant, phones in enumerate(known[word])]
        for index, (word, variant, phones) in enumerate(missing):
            # The search tables are rebuilt once, after the last word.
            self._decoder.add_word(word if variant == 0 else f"{word}({variant + 1})", phones,
                                   index == len(missing) - 1)
            self._words.add(word)

    def _add_grammar(self, name: str, grammar: Grammar, known: dict[str, tuple[str, ...]]) -> None:
        self._add_words({word: known[word] for word in grammar.words})
        start, final, transitions = grammar.graph
        steps = [(a, b, odds, word) if word else (a, b, odds) for a, b, odds, word in transitions]
        self._decoder.add_fsg(name, self._decoder.create_fsg(name, start, final, steps))

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
        return self._keep("house_" + _digest(house), functools.partial(build_grammar, house))

    def use_wake(self, phrase: str, house: House | None = None) -> str:
        """Make ready the grammar of the wake phrase (followed by words of the house's commands)."""
        words = phrase.lower().split()
        known = pronunciations(words)
        unknown = [w for w in words if w not in known]
        if unknown or not words:
            raise ValueError("The wake phrase has words the speech dictionary lacks: "
                             f"{', '.join(unknown) or '(none given)'}")
        after = build_grammar(house).words if house is not None else frozenset()
        return self._keep("wake_" + _digest((" ".join(words), house)),
                          lambda known_word: wake_grammar(" ".join(words), filter(known_word, after)))

    def use_sentences(self, sentences) -> str:
        """Make ready a grammar of exactly these sentences."""
        sentences = tuple(sorted(set(sentences)))
        return self._keep("sentences_" + _digest(sentences), functools.partial(sentences_grammar, sentences))

    def score(self, audio: Audio, search: str) -> Scored:
        """Decode one utterance against a search: the sentence of the grammar heard, if any."""
        started = time.perf_counter()
        decoder = self._activate(search)
        pcm, offset = for_decoding(audio.pcm)
        _decode(decoder, pcm)
        hyp = decoder.hyp()
        text = " ".join(_VARIANT.sub("", word) for word in hyp.hypstr.split()) if hyp is not None else ""
        # A search that did not reach the grammar's end gives back the best partial sentence
        # ("turn on the" for "I think the garden needs water"): that is not a sentence heard.
        fsg = decoder.get_fsg()
        if not text or fsg is None or not fsg.accept(text):
            return Scored("", time.perf_counter() - started)
        segments = [s for s in decoder.seg() if not s.word.startswith(("<", "[", "("))]
        words = tuple((_VARIANT.sub("", s.word), _log(s.ascore), s.end_frame - s.start_frame + 1)
                      for s in segments)
        # Frames are 10 ms of the padded sound.
        ends = tuple((s.end_frame + 1) * SAMPLE_RATE // 100 + offset for s in segments)
        return Scored(text, time.perf_counter() - started, words, ends)

    def decode(self, audio: Audio, search: str, meaning=lambda text: text, needed: float | None = None) -> Heard:
        """Decode one utterance: the sentence heard, and the share of tempo changes that mean the same.

        `needed` is the confidence the caller acts on (MIN_CONFIDENCE unless given): the tempo
        changes stop once it is out of reach, and the decodes not made then count as disagreeing
        (the confidence is a lower bound, still below `needed`)."""
        started = time.perf_counter()
        needed = MIN_CONFIDENCE if needed is None else needed
        first = self.score(audio, search)
        if not first.text:
            return Heard("", 0.0, time.perf_counter() - started)
        said = meaning(first.text)
        decodes = 1 + len(TEMPO_CHANGES)
        agreeing = 1
        for done, tempo in enumerate(TEMPO_CHANGES, start=1):
            # Most refusals and mishearings fall apart at the first tempo change: the second
            # decode would only say how badly, and it is a third of the time spent.
            if (agreeing + len(TEMPO_CHANGES) - done + 1) / decodes < needed:
                break
            other = self.score(Audio(change_tempo(audio.pcm, tempo)), search)
            agreeing += other.text != "" and meaning(other.text) == said
        return Heard(first.text, agreeing / decodes, time.perf_counter() - started)

    def _activate(self, search: str):
        # Activating a grammar search rebuilds its tables (tens of milliseconds): only on change.
        if self._active != search:
            self._decoder.activate_search(search)
            self._active = search
        return self._decoder

    def hear_command(self, audio: Audio, house: House, needed: float | None = None) -> Heard:
        """Decode one spoken command against the house's grammar (`needed` as for `decode`)."""
        return self.decode(audio, self.use_house(house), functools.partial(_meaning, house=house), needed)

    def hear_answer(self, audio: Audio) -> Heard:
        """Decode a yes-or-no answer."""
        return self.decode(audio, CONFIRM_SEARCH, is_yes)


def confirms(answer: Heard | None) -> bool:
    """True when an answer to a confirmation question is a yes heard surely enough to act on."""
    # As sure as a command must be heard to be sent: every decode heard the yes.
    return answer is not None and is_yes(answer.heard) and answer.confidence >= MIN_CONFIDENCE


def unsure_yes(answer: Heard | None) -> bool:
    """True when an answer was heard as a yes, but not surely enough to act on: worth asking again."""
    # On the benchmark's recordings other talk was never heard as a yes at all (0 of 334), while a
    # sixth of the spoken yeses were heard so by some decodes and not all.
    return answer is not None and is_yes(answer.heard) and not confirms(answer)


def _meaning(text: str, house: House):
    """What a sentence would do in the house: its intent and actions, or None when it is refused."""
    from homerelay.language import parse  # noqa: PLC0415 - the language is loaded with the voice

    result = parse(text, house)
    if not result.ok:
        return None
    return result.intent, frozenset((a.room, a.device, a.action) for a in result.actions)


def _log(probability: float) -> float:
    """A segment's acoustic score as a log-likelihood: the bindings give it as a probability of
    the score scaled down by 2^10 (PocketSphinx's fixed-point shift), which is undone here."""
    return math.log(max(probability, sys.float_info.min)) * 1024


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
