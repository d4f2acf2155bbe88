"""`python -m bench.voice`: private voice accuracy, speed and memory on espeak-ng speech.

Sentences come from the language tests (their expected meaning included); each is read by all
six voices, at one of three speeds in turn, clean and with pink noise mixed in by sox at 15 dB SNR.
A sentence's verdict: right (the parse of what was heard means what was said), wrong action (it
would switch a different device, or the other way: the worst failure), refused (not heard, below
the confidence threshold, or not understood: safe), or misheard (understood as something harmless
that was not said, such as "what is on").

Synthesis and decoding run in one worker process per CPU (each with its own decoder); decode
times are measured inside the workers, one utterance at a time. `--calibrate` measures the
TRAINING set instead (bench/voice_training.py: other sentences, other voices, other speeds) and
prints the confidences of right and wrong results, from which the thresholds are chosen.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from concurrent.futures import ProcessPoolExecutor

from bench import spoken

RIGHT_CLEAN_TARGET = 0.90
RIGHT_NOISY_TARGET = 0.80
DECODE_TARGET_MS = 300.0
WAKE_TARGET = 0.95
FALSE_WAKES_TARGET = 1.0
NOISE_SNR_DB = 15.0
# Typing slips the language forgives that are different words when said.
SPOKEN_DIFFERENTLY = ("turn of", "switch of")
DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
# Read aloud for the false-wake count: ordinary prose about the product, never the wake phrase.
PROSE_MINUTES = 10.0


@dataclass
class Tally:
    """Verdicts and decode times of one condition (clean or noisy)."""

    name: str
    right: int = 0
    wrong: int = 0
    refused: int = 0
    misheard: int = 0
    times_ms: list[float] = field(default_factory=list)
    wrong_examples: list[str] = field(default_factory=list)
    confidences: list[tuple[str, float]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Utterances counted."""
        return self.right + self.wrong + self.refused + self.misheard

    def p95(self) -> float:
        """95th percentile decode time."""
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0


def test_sentences() -> list[tuple[str, str]]:
    """(sentence, expected) pairs from the language tests: actions, @intent or !reject."""
    table = importlib.import_module("tests.language.test_sentences")
    cases = list(dict.fromkeys((text, expected) for text, expected in table.SHARED + table.OWN))
    # Sentences only a keyboard can say ("kitchn", "livingroom") are read as espeak reads them,
    # but not those whose meaning rests on a typing slip that changes the word said: "turn of
    # the kitchen light" means off when typed, and read aloud it is another sentence.
    return [(text, expected) for text, expected in cases
            if not any(f" {slip} " in f" {text.lower()} " for slip in SPOKEN_DIFFERENTLY)]


def expected_of(expected: str) -> str:
    """An expected meaning in a comparable form (actions in any order)."""
    return ";".join(sorted(expected.split(";")))


def verdict(heard, expected: str, house, threshold: float) -> str:
    """right / wrong / refused / misheard for one decoded utterance."""
    from homerelay.language import parse  # noqa: PLC0415

    must_refuse = expected.startswith("!reject")  # "!reject" or "!reject:<part of the reason>"
    if not heard.heard or heard.confidence < threshold:
        return "right" if must_refuse else "refused"
    result = parse(heard.heard, house)
    if not result.ok:
        return "right" if must_refuse else "refused"
    if result.intent == "control" or result.intent == "all_off":
        said = ";".join(sorted(f"{a.room}:{a.device}:{a.action}" for a in result.actions))
        if result.intent == "all_off" and expected == "@all_off":
            return "right"
        return "right" if said == expected_of(expected) else "wrong"
    return "right" if f"@{result.intent}" == expected else "misheard"


_worker: dict = {}


def _decoder(profile: str | None = None):
    """The worker process's own decoder for a voice profile (or none) and the house (made once per process)."""
    if profile not in _worker:
        from homerelay.house import House  # noqa: PLC0415
        from homerelay.voice.decoder import Decoder  # noqa: PLC0415
        from homerelay.voice.training import Profile  # noqa: PLC0415

        _worker["house"] = House.default()
        _worker[profile] = Decoder(profile=Profile.load(profile) if profile else None)
    return _worker[profile], _worker["house"]


def _recording(text: str, voice: str, speed: int, noisy: bool):
    """A sentence read by espeak-ng, with the benchmark's noise mixed in when `noisy`."""
    from homerelay.voice.audio import Audio  # noqa: PLC0415

    pcm = spoken.speak(text, voice, speed)
    return Audio(spoken.with_noise(pcm, NOISE_SNR_DB) if noisy else pcm)


def _hear_command(job: tuple, needed: float, profiles: dict | None = None) -> tuple:
    """In a worker: speak one sentence and decode it as one acting at confidence `needed` would
    (with the voice's trained profile, when `profiles` has one); (job, heard)."""
    text, expected, voice, speed, noisy = job
    decoder, house = _decoder((profiles or {}).get(voice))
    return job, decoder.hear_command(_recording(text, voice, speed, noisy), house, needed)


def _pool(workers: int | None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers or os.cpu_count() or 1)


def command_jobs(cases, noisy: bool, voices=spoken.VOICES, speeds=spoken.SPEEDS) -> list[tuple]:
    """Every voice reads every case, at each speed in turn (every voice-speed pair occurs)."""
    return [(text, expected, voice, speeds[(index + number) % len(speeds)], noisy)
            for index, (text, expected) in enumerate(cases) for number, voice in enumerate(voices)]


def measure_commands(jobs, threshold: float, name: str, workers: int | None = None,
                     profiles: dict | None = None) -> Tally:
    """Speak every job's sentence and tally the verdicts (each voice with its profile, if given)."""
    from homerelay.house import House  # noqa: PLC0415

    house = House.default()
    tally = Tally(name)
    with _pool(workers) as pool:
        for (text, expected, voice, speed, _noisy), heard in pool.map(functools.partial(_hear_command, needed=threshold, profiles=profiles),
                                                                        jobs, chunksize=4):
            tally.times_ms.append(heard.seconds * 1000)
            outcome = verdict(heard, expected, house, threshold)
            setattr(tally, outcome, getattr(tally, outcome) + 1)
            tally.confidences.append((outcome, heard.confidence))
            if outcome == "wrong":
                tally.wrong_examples.append(f"{text!r} [{voice} {speed}] heard {heard.heard!r} "
                                            f"({heard.confidence:.2f})")
    return tally


def _spot(job: tuple, profiles: dict | None = None) -> tuple[int, float, list[float]]:
    """In a worker: feed one recording to a fresh wake spotter; (wakes, seconds, wake confidences)."""
    from homerelay.voice.listener import WakeSpotter  # noqa: PLC0415

    text, voice, speed, noisy, phrase, threshold = job
    decoder, house = _decoder((profiles or {}).get(voice))
    spotter = WakeSpotter(decoder, house, phrase, threshold)
    # A microphone goes on recording after the sentence: a second of quiet ends the stretch.
    pcm = spoken.speak(text, voice, speed) + spoken.silence(1.0)
    if noisy:
        pcm = spoken.with_noise(pcm, NOISE_SNR_DB)
    wakes, confidences = 0, []
    for start in range(0, len(pcm), 3200):
        wake = spotter.feed(pcm[start:start + 3200])
        if wake is not None:
            wakes += 1
            confidences.append(wake.confidence)
    return wakes, len(pcm) / 2 / spoken.SAMPLE_RATE, confidences


def wake_jobs(cases, phrase: str, threshold: float, count: int = 100) -> list[tuple]:
    """`count` recordings of the wake phrase and a command, voices and speeds in turn, half noisy."""
    commands = [text for text, expected in cases if expected != "!reject"]
    jobs = []
    for index in range(count):
        voice = spoken.VOICES[index % len(spoken.VOICES)]
        speed = spoken.SPEEDS[(index // len(spoken.VOICES)) % len(spoken.SPEEDS)]
        # Noise by round of voices, not by recording: by recording each voice was always clean
        # or always noisy (six voices), and a voice's wake rate was its noise condition's.
        noisy = bool((index // len(spoken.VOICES)) % 2)
        jobs.append((f"{phrase}, {commands[index % len(commands)]}", voice, speed, noisy, phrase, threshold))
    return jobs


def measure_wake(jobs, workers: int | None = None, profiles: dict | None = None) -> tuple[int, int]:
    """How many of the wake recordings wake the listener."""
    with _pool(workers) as pool:
        results = list(pool.map(functools.partial(_spot, profiles=profiles), jobs))
    return sum(1 for wakes, _, _ in results if wakes), len(jobs)


def prose(minutes: float) -> list[str]:
    """Paragraphs of the project's docs, enough to read for about `minutes` at 170 words a minute."""
    words_needed = int(minutes * 170)
    paragraphs: list[str] = []
    for path in sorted(DOCS_DIR.glob("*.md")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            text = " ".join(line for line in block.splitlines()
                            if line.strip() and not line.startswith(("|", "```", "    ")))
            text = "".join(c for c in text if c.isalnum() or c in " .,;:'-").strip()
            if len(text.split()) >= 8 and "wake" not in text.lower():
                paragraphs.append(text)
    chosen, total = [], 0
    while total < words_needed and paragraphs:
        paragraph = paragraphs[len(chosen) % len(paragraphs)]
        chosen.append(paragraph)
        total += len(paragraph.split())
    return chosen


def measure_false_wakes(phrase: str, threshold: float, minutes: float,
                        workers: int | None = None, profiles: dict | None = None) -> tuple[int, float]:
    """False wakes while ordinary prose is read aloud; returns (wakes, audio hours)."""
    jobs = [(paragraph, spoken.VOICES[index % len(spoken.VOICES)], 170, False, phrase, threshold)
            for index, paragraph in enumerate(prose(minutes))]
    with _pool(workers) as pool:
        results = list(pool.map(functools.partial(_spot, profiles=profiles), jobs))
    return sum(wakes for wakes, _, _ in results), sum(seconds for _, seconds, _ in results) / 3600


def _confirms(job: tuple, profiles: dict | None = None) -> tuple[bool, bool]:
    """In a worker: speak one answer to "Say yes to confirm" and decode it as the satellite does;
    (confirmed, confirmed at the first answer)."""
    from homerelay.voice.decoder import confirms, unsure_yes  # noqa: PLC0415

    text, voice, speed, noisy = job
    decoder, _ = _decoder((profiles or {}).get(voice))
    answer = decoder.hear_answer(_recording(text, voice, speed, noisy))
    if confirms(answer):
        return True, True
    if not unsure_yes(answer):
        return False, False
    # Asked again, the speaker says the same once more, never quite alike: the next speed.
    again = spoken.SPEEDS[(spoken.SPEEDS.index(speed) + 1) % len(spoken.SPEEDS)]
    return confirms(decoder.hear_answer(_recording(text, voice, again, noisy))), False


def confirmation_jobs(cases, quick: bool = False) -> tuple[list[tuple], list[tuple]]:
    """(every yes answer by every voice, clean and noisy; "no" answers and the test sentences, each
    by one voice in turn, as other talk heard after the question)."""
    from homerelay.voice.grammar import NO, YES  # noqa: PLC0415

    def said(texts):
        return [(text, spoken.VOICES[index % len(spoken.VOICES)],
                 spoken.SPEEDS[index // len(spoken.VOICES) % len(spoken.SPEEDS)], noisy)
                for index, text in enumerate(texts) for noisy in (False, True)]

    yes = said(text for text in YES for _ in spoken.VOICES)
    other = said([*(text for text in NO for _ in spoken.VOICES), *(text for text, _ in cases)])
    return (yes[::6], other[::6]) if quick else (yes, other)


def measure_confirmation(cases, quick: bool = False, workers: int | None = None,
                         profiles: dict | None = None) -> dict:
    """How often a spoken yes confirms, and how often anything else does (the door would open)."""
    yes, other = confirmation_jobs(cases, quick)
    confirm = functools.partial(_confirms, profiles=profiles)
    with _pool(workers) as pool:
        said_yes = list(pool.map(confirm, yes, chunksize=4))
        said_other = list(pool.map(confirm, other, chunksize=4))
    return {"yes": sum(confirmed for confirmed, _ in said_yes),
            "yes_at_first": sum(first for _, first in said_yes), "yes_tries": len(yes),
            "false": sum(confirmed for confirmed, _ in said_other), "other_tries": len(other)}


def rss_mb() -> float:
    """This process's resident memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(cases, quick: bool, phrase: str, prose_minutes: float, profiles: dict | None = None) -> dict:
    """Every measurement of one condition: the packaged model, or each voice with its trained profile."""
    from homerelay.voice.decoder import MIN_CONFIDENCE  # noqa: PLC0415
    from homerelay.voice.listener import DEFAULT_WAKE_THRESHOLD  # noqa: PLC0415

    tallies = []
    for noisy in (False, True):
        jobs = command_jobs(cases, noisy)
        if quick:
            jobs = jobs[::18]
        tallies.append(measure_commands(jobs, MIN_CONFIDENCE, "noise 15 dB" if noisy else "clean",
                                        profiles=profiles))
    woke, tried = measure_wake(wake_jobs(cases, phrase, DEFAULT_WAKE_THRESHOLD, 10 if quick else 100),
                               profiles=profiles)
    false_wakes, hours = measure_false_wakes(phrase, DEFAULT_WAKE_THRESHOLD, 1.0 if quick else prose_minutes,
                                             profiles=profiles)
    return {"tallies": tallies, "woke": woke, "wake_tries": tried,
            "confirmation": measure_confirmation(cases, quick, profiles=profiles),
            "false_wakes": false_wakes, "prose_hours": hours}


def _train(job: tuple) -> tuple[str, int, int, float]:
    """In a worker: one voice reads the training sentences (the training speeds, half of them
    noisy) and a profile is trained on them; (voice, recordings, aligned, seconds)."""
    from bench import voice_training  # noqa: PLC0415
    from homerelay.voice.audio import Audio  # noqa: PLC0415
    from homerelay.voice.training import train  # noqa: PLC0415

    voice, sentences, folder = job
    # The sentences come in pairs (a device on, then off): speed by pair, and noise on one of each
    # pair in turn, so that neither direction is always the noisy or the fast one.
    recordings = [(_recording(text, voice, voice_training.SPEEDS[index // 2 % 2], bool((index // 2 + index) % 2)), text)
                  for index, text in enumerate(sentences)]
    started = time.monotonic()
    profile = train([(Audio(audio.pcm), text) for audio, text in recordings], Path(folder) / voice)
    return voice, profile.recordings, profile.aligned, time.monotonic() - started


def train_profiles(cases, folder: Path, workers: int | None = None) -> tuple[dict, list[tuple]]:
    """A trained profile for each benchmark voice, from the product's training sentences for the
    default house less any that is also a test sentence; ({voice: profile folder}, per-voice figures)."""
    from homerelay.house import House  # noqa: PLC0415
    from homerelay.voice.training import training_sentences  # noqa: PLC0415

    tested = {text.lower().strip(" .?!") for text, _ in cases}
    sentences = [text for text in training_sentences(House.default()) if text not in tested]
    with _pool(workers) as pool:
        trained = list(pool.map(_train, [(voice, sentences, str(folder)) for voice in spoken.VOICES]))
    return {voice: str(folder / voice) for voice in spoken.VOICES}, trained


def run(quick: bool = False, wake: str | None = None, prose_minutes: float = PROSE_MINUTES) -> dict:
    """Every voice measurement, untrained and (where sphinxtrain is installed) with trained voices;
    a dict of figures (see format_report)."""
    import tempfile  # noqa: PLC0415

    from homerelay.voice.decoder import MIN_CONFIDENCE  # noqa: PLC0415
    from homerelay.const import DEFAULT_WAKE  # noqa: PLC0415
    from homerelay.voice.training import missing_tools  # noqa: PLC0415

    cases = test_sentences()
    started = time.monotonic()
    phrase = wake or DEFAULT_WAKE
    result = {"cases": len(cases), "untrained": measure(cases, quick, phrase, prose_minutes),
              "threshold": MIN_CONFIDENCE, "phrase": phrase, "rss_mb": _worker_rss()}
    result["trained"] = None
    result["training_missing"] = missing_tools()
    if not result["training_missing"]:
        with tempfile.TemporaryDirectory(prefix="bench-voice-profiles-") as folder:
            profiles, result["training"] = train_profiles(cases, Path(folder))
            result["trained"] = measure(cases, quick, phrase, prose_minutes, profiles)
            result["trained_rss_mb"] = _worker_rss(profiles[spoken.VOICES[0]])
    result["seconds"] = time.monotonic() - started
    return result


def _rss(profile: str | None) -> float:
    _decoder(profile)
    return rss_mb()


def _worker_rss(profile: str | None = None) -> float:
    """Resident memory of a worker process holding a decoder (and numpy)."""
    with _pool(1) as pool:
        return pool.submit(_rss, profile).result()


def calibrate(workers: int | None = None) -> None:
    """Print the confidences of right and wrong results on the training set, and the thresholds they allow."""
    from bench import voice_training  # noqa: PLC0415

    lines = []
    for noisy in (False, True):
        # Each sentence by half the training voices (others for the noisy half).
        jobs = command_jobs(voice_training.sentences(), noisy, voice_training.VOICES, voice_training.SPEEDS)
        jobs = jobs[int(noisy)::2]
        tally = measure_commands(jobs, 0.0, "training, " + ("noisy" if noisy else "clean"), workers)
        lines.append(_confidence_table(tally))
        print(lines[-1], flush=True)
    wake = list(voice_training.wake_jobs())
    with _pool(workers) as pool:
        woken = list(pool.map(_spot, wake))
        talk = list(pool.map(_spot, voice_training.talk_jobs()))
    said = sorted(max(c) for _, _, c in woken if c)
    imagined = sorted(c for _, _, cs in talk for c in cs)
    lines.append(f"wake phrase: {len(said)} of {len(wake)} recordings found at threshold 0; their "
                 f"confidences {_quantiles(said)}")
    lines.append(f"talk ({sum(s for _, s, _ in talk) / 60:.1f} min): {len(imagined)} false wakes at "
                 f"threshold 0; highest {[round(c, 3) for c in imagined[-5:]]}")
    print("\n".join(lines[-2:]), flush=True)


def _quantiles(values: list[float]) -> str:
    if not values:
        return "none"
    return ", ".join(f"p{q}={values[min(len(values) - 1, len(values) * q // 100)]:.2f}" for q in (0, 5, 10, 50))


def _confidence_table(tally: Tally) -> str:
    right = sorted(c for outcome, c in tally.confidences if outcome == "right" and c > 0)
    wrong = sorted(c for outcome, c in tally.confidences if outcome in ("wrong", "misheard"))
    lines = [f"{tally.name}: {tally.total} utterances, right {tally.right}, wrong {tally.wrong}, "
             f"misheard {tally.misheard}, refused {tally.refused}"]
    lines.append(f"  heard right: {_quantiles(right)}")
    lines.append(f"  wrong or misheard, highest: {[round(c, 3) for c in wrong[-8:]]}")
    for threshold in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
        kept = sum(1 for c in right if c >= threshold)
        bad = sum(1 for c in wrong if c >= threshold)
        lines.append(f"  threshold {threshold:.2f}: right kept {kept}/{tally.right}, wrong left {bad}")
    lines += [f"  wrong: {example}" for example in tally.wrong_examples[:12]]
    return "\n".join(lines)


def summary_rows(result: dict) -> list[tuple[str, str, str, bool]]:
    """(name, measured, target, met) rows for bench's summary: untrained voices, then trained."""
    rows = _condition_rows(result["untrained"], "")
    if result["trained"] is not None:
        rows += _condition_rows(result["trained"], ", trained voice")
    return rows


def _condition_rows(figures: dict, suffix: str) -> list[tuple[str, str, str, bool]]:
    clean, noisy = figures["tallies"]
    rows = []
    for tally, target in ((clean, RIGHT_CLEAN_TARGET), (noisy, RIGHT_NOISY_TARGET)):
        share = tally.right / tally.total if tally.total else 0.0
        rows.append((f"voice right, {tally.name}{suffix}", f"{share:.1%} of {tally.total}", f">= {target:.0%}",
                     share >= target))
    wrong = clean.wrong + noisy.wrong
    rows.append((f"voice wrong actions{suffix}", str(wrong), "0", wrong == 0))
    times = clean.times_ms + noisy.times_ms
    mean = statistics.fmean(times) if times else 0.0
    rows.append((f"voice decode time{suffix}", f"mean {mean:.0f} ms, p95 {max(clean.p95(), noisy.p95()):.0f} ms",
                 f"<= {DECODE_TARGET_MS:.0f} ms", mean <= DECODE_TARGET_MS))
    rate = figures["woke"] / figures["wake_tries"] if figures["wake_tries"] else 0.0
    rows.append((f"wake detection{suffix}", f"{rate:.0%} of {figures['wake_tries']}", f">= {WAKE_TARGET:.0%}",
                 rate >= WAKE_TARGET))
    per_hour = figures["false_wakes"] / figures["prose_hours"] if figures["prose_hours"] else 0.0
    rows.append((f"false wakes{suffix}", f"{figures['false_wakes']} in {figures['prose_hours'] * 60:.1f} min "
                 f"= {per_hour:.1f}/h", f"<= {FALSE_WAKES_TARGET:g}/h", per_hour <= FALSE_WAKES_TARGET))
    confirmation = figures["confirmation"]
    rows.append((f"false confirmations{suffix}", f"{confirmation['false']} of {confirmation['other_tries']}", "0",
                 confirmation["false"] == 0))
    return rows


def format_report(result: dict) -> str:
    """The table of verdicts, decode times and memory, untrained and with trained voices."""
    lines = [f"{result['cases']} sentences from the language tests, voices {', '.join(spoken.VOICES)}, "
             f"speeds {', '.join(map(str, spoken.SPEEDS))} wpm; confidence threshold "
             f"{result['threshold']:g}; wake phrase {result['phrase']!r}"]
    lines += _condition_report("packaged model (no voice training)", result["untrained"])
    lines.append(f"resident memory of a decoding worker: {result['rss_mb']:.0f} MB (two decoders, grammars, numpy)")
    if result["trained"] is None:
        lines.append(f"trained voices: not measured, {', '.join(result['training_missing'])} missing "
                     "(sudo apt install sphinxtrain sphinxbase-utils pocketsphinx)")
    else:
        recordings = sum(count for _, count, _, _ in result["training"])
        aligned = sum(used for _, _, used, _ in result["training"])
        slowest = max(seconds for *_, seconds in result["training"])
        lines.append(f"voice training: each voice read {result['training'][0][1]} of the product's training "
                     f"sentences (none of them a test sentence; speeds 155/185 wpm, half of them noisy); "
                     f"{aligned} of {recordings} recordings used; training took at most {slowest:.1f} s a voice")
        lines += _condition_report("each voice with its trained profile", result["trained"])
        lines.append(f"resident memory of a decoding worker with a profile: {result['trained_rss_mb']:.0f} MB")
    lines.append(f"took {result['seconds']:.0f} s")
    return "\n".join(lines)


def _condition_report(title: str, figures: dict) -> list[str]:
    lines = [f"{title}:", f"{'condition':<14}{'right':>8}{'wrong':>8}{'refused':>9}{'misheard':>10}"
             f"{'mean ms':>9}{'p95 ms':>8}"]
    for tally in figures["tallies"]:
        mean = statistics.fmean(tally.times_ms) if tally.times_ms else 0.0
        lines.append(f"{tally.name:<14}{tally.right:>8}{tally.wrong:>8}{tally.refused:>9}"
                     f"{tally.misheard:>10}{mean:>9.0f}{tally.p95():>8.0f}")
        lines += [f"  wrong: {example}" for example in tally.wrong_examples]
    confirmation = figures["confirmation"]
    lines.append(f"confirmation step: a spoken yes confirmed {confirmation['yes']} of "
                 f"{confirmation['yes_tries']} ({confirmation['yes_at_first']} at the first answer, the "
                 f"rest when asked again); other talk and no confirmed {confirmation['false']} of "
                 f"{confirmation['other_tries']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run alone: print the report and the summary."""
    parser = argparse.ArgumentParser(prog="python -m bench.voice", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="an eighth of the sentences, 1 minute of prose")
    parser.add_argument("--wake", help="wake phrase to measure (default: the agent's)")
    parser.add_argument("--prose-minutes", type=float, default=PROSE_MINUTES)
    parser.add_argument("--calibrate", action="store_true",
                        help="measure the training set (not the test set) and print confidences")
    args = parser.parse_args(argv)
    missing = spoken.tools_missing()
    if missing:
        print(f"voice benchmark skipped: {', '.join(missing)} not installed")
        return 0
    if args.calibrate:
        calibrate()
        return 0
    result = run(args.quick, args.wake, args.prose_minutes)
    print(format_report(result))
    rows = summary_rows(result)
    width = max(len(name) for name, *_ in rows)
    for name, measured, target, ok in rows:
        print(f"{name:<{width}}  {measured:<36} target {target:<12} {'met' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
