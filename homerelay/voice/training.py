"""Voice training: the acoustic model adapted to the voices of one home from a few read sentences.

PocketSphinx's packaged model was trained on American speakers; a voice it fits badly (a British
accent, a child) is misheard far more often. Reading about thirty of the house's own commands
once is enough to adapt it: CMUSphinx's maximum a posteriori (MAP) adaptation moves the model's
Gaussians towards the recorded voice, with sphinxtrain's own programs (Debian packages
`sphinxtrain`, `sphinxbase-utils` and `pocketsphinx`). The result is a profile folder, a whole
acoustic model, that the decoder loads in place of the packaged one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from homerelay import const
from homerelay.errors import VoiceProfileError
from homerelay.house import House, spoken
from homerelay.voice.audio import Audio, to_wav

logger = logging.getLogger(__name__)

# The programs, and the Debian package each comes in. sphinxtrain installs its own out of PATH.
TOOLS = {"sphinx_fe": "sphinxbase-utils", "pocketsphinx_mdef_convert": "pocketsphinx",
         "bw": "sphinxtrain", "map_adapt": "sphinxtrain"}
TOOL_DIRS = ("/usr/lib/sphinxtrain", "/usr/local/lib/sphinxtrain")
INSTALL_HINT = "Voice training needs CMUSphinx's training tools: sudo apt install sphinxtrain sphinxbase-utils pocketsphinx"
DEFAULT_COUNT = 30
MAX_COUNT = 200
# Fewer recordings than this adapt too little, and too unevenly, to be worth a profile: one
# recording of "turn on the living room light" made "turn off the kitchen oven" heard as "on".
MIN_RECORDINGS = 20
# Nor is it one when many did not match: the alignment can force a short sentence ("yes") onto
# a second of noise, so a folder of wrong recordings still matches a few. Read espeak-ng voices
# matched 162 of 162; white noise 3 of 8.
MIN_ALIGNED_SHARE = 0.8
SENTENCES_FILE = "sentences.txt"
PROFILE_FILE = "profile.json"
# Where `homerelay voice train` writes the profile, in the data folder; the agent and the server
# hear with it from then on. HOMERELAY_VOICE_PROFILE names another.
PROFILE_NAME = "voice-profile"
ENV_PROFILE = "HOMERELAY_VOICE_PROFILE"
# The acoustic model's files that adaptation rewrites, and those it keeps.
ADAPTED_FILES = ("means", "variances", "mixture_weights", "transition_matrices")
KEPT_FILES = ("mdef", "feat.params", "noisedict")
# Verbs a household says, in turn, so that every common one is heard once in its voice.
VERBS = {const.ACTION_ON: ("turn on", "switch on", "start", "power on"),
         const.ACTION_OFF: ("turn off", "switch off", "stop", "power off")}
DOOR_VERBS = {const.ACTION_ON: ("open",), const.ACTION_OFF: ("close", "shut")}
# Besides commands: the wake phrase and the answers to "Say yes to confirm".
OTHER_SENTENCES = (const.DEFAULT_WAKE, "yes", "no", "yes please", "what is the temperature", "turn everything off")
# Takes out of step with their sentences: this many heard as the sentence so many lines away
# (one skipped, or one read twice, shifts all that follow).
MIN_OUT_OF_STEP = 3
OFFSETS = (1, -1, 2, -2)
# At least this share of the takes must be heard as their own line (by the packaged model, among
# the folder's sentences): silence, noise and one take copied thirty times are heard as none, or
# one; read espeak-ng voices in order, 20 to 30 of 30.
MIN_HEARD_SHARE = 1 / 3
# A take is one sentence of at most 10 s: about 30 words at a brisk 185 words a minute.
MAX_SENTENCE_WORDS = 30
# Files that are far larger than any profile's are not read (a link to /dev/zero, a sparse file).
MAX_PROFILE_FILE_BYTES = 100_000_000
MAX_ABOUT_BYTES = 1_000_000
PROFILE_ENTRIES = frozenset(ADAPTED_FILES + KEPT_FILES + (PROFILE_FILE,))
# Beside the profile while it is written, and the old one for the moment of the swap.
UNFINISHED_MARK = ".training-"
OLD_MARK = ".old-"
_PUNCTUATION = ".,!?;:\"()[]"


@dataclass(frozen=True)
class Profile:
    """A trained voice profile: its folder and what it was trained on."""

    path: Path
    recordings: int
    aligned: int
    created: str

    @classmethod
    def load(cls, path: str | Path) -> Profile:
        """Read a profile folder and check every file against the digest written with it;
        VoiceProfileError when it is not one or has been damaged (the speech engine would abort)."""
        folder = Path(path)
        try:
            about = _read_about(folder / PROFILE_FILE)
            digests = about["files"]
            profile = cls(folder, int(about["recordings"]), int(about["aligned"]), str(about["created"]))
        except PermissionError as error:
            raise VoiceProfileError(f"The voice profile {folder} cannot be read by this user ({error.strerror})") from error
        except (OSError, ValueError, TypeError, KeyError, OverflowError, RecursionError) as error:
            raise VoiceProfileError(f"{folder} is not a voice profile (make one with: homerelay voice train)") from error
        missing = [name for name in ADAPTED_FILES + KEPT_FILES if not (folder / name).is_file()]
        if missing:
            raise VoiceProfileError(f"The voice profile {folder} is incomplete: {', '.join(missing)} missing; train it again")
        changed = [name for name in ADAPTED_FILES + KEPT_FILES
                   if not isinstance(digests, dict) or digests.get(name) != _digest(folder / name)]
        if changed:
            raise VoiceProfileError(f"The voice profile {folder} is damaged (changed since it was trained: "
                                     f"{', '.join(changed)}); train it again")
        return profile


def default_profile_path() -> Path:
    """Where a trained profile is written and looked for: `$HOMERELAY_VOICE_PROFILE`, else the data folder's."""
    from homerelay.paths import data_dir  # noqa: PLC0415

    explicit = os.environ.get(ENV_PROFILE)
    return Path(explicit) if explicit else data_dir() / PROFILE_NAME


def profile_in_use(explicit: str | Path | None = None) -> Profile | None:
    """The profile to hear with: the one named (it must be one), else the trained one, if any."""
    if explicit:
        return Profile.load(explicit)
    found = default_profile_path()
    if os.environ.get(ENV_PROFILE) or found.exists():
        return Profile.load(found)
    return None


def training_sentences(house: House, count: int = DEFAULT_COUNT) -> list[str]:
    """The `count` sentences to read for voice training: the house's own commands, every device
    switched both ways with the common verbs in turn, then the wake phrase and the answers."""
    commands: list[str] = []
    devices = _spoken_devices(house)
    wanted = max(0, count - len(OTHER_SENTENCES))
    # Turn after turn, each with other verbs, until there are enough different sentences.
    for turn in range(MAX_COUNT):
        if len(dict.fromkeys(commands)) >= wanted:
            break
        for index, (device, name) in enumerate(devices):
            for action in (const.ACTION_ON, const.ACTION_OFF):
                verbs = DOOR_VERBS[action] if device.kind == const.KIND_SERVO else VERBS[action]
                verb = verbs[(index + turn) % len(verbs)]
                # Every third one with the direction last, as people also say it.
                if (index + turn) % 3 == 2 and device.kind != const.KIND_SERVO:
                    commands.append(f"turn the {name} {action}")
                else:
                    commands.append(f"{verb} the {name}")
    distinct = list(dict.fromkeys(list(dict.fromkeys(commands))[:wanted] + list(OTHER_SENTENCES)))[:count]
    # A small house has fewer ways to say its commands than sentences are asked for: they are read
    # a second time (a sentence read again trains as well as another; too few takes train nothing).
    return [distinct[index % len(distinct)] for index in range(count)]


def _spoken_devices(house: House) -> list[tuple]:
    """Each device with a name for it the speech dictionary can say: its own, else an alias or a
    synonym ("reading light" for "lamp_2"); a device with none is left out, as voice cannot hear it."""
    from homerelay.voice.decoder import pronunciations  # noqa: PLC0415
    from homerelay.voice.grammar import device_names  # noqa: PLC0415

    names = device_names(house)
    choices = []
    for device in house.devices:
        rooms = [spoken(device.room), *house.aliases_of_room(device.room)] if device.room else [""]
        choices.append((device, [f"{room} {name}".strip() for room in rooms for name in names[device.name]]))
    known = set(pronunciations({word for _, said in choices for text in said for word in text.split()}))
    spoken_devices = []
    for device, said in choices:
        sayable = [text for text in said if all(word in known for word in text.split())]
        if sayable:
            spoken_devices.append((device, sayable[0]))
    return spoken_devices


def missing_tools() -> list[str]:
    """The training programs that are not installed."""
    return [tool for tool in TOOLS if _tool(tool) is None]


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in TOOL_DIRS:
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def words_of(sentence: str) -> list[str]:
    """A sentence's words as the dictionary spells them: lower case, punctuation around them gone.
    Nothing else is dropped ("2", "café"): the dictionary then names what it lacks."""
    return [word for word in (token.strip(_PUNCTUATION) for token in sentence.lower().split()) if word]


def train(recordings: Sequence[tuple[Audio, str]], profile: str | Path) -> Profile:
    """Adapt the acoustic model to these recordings of their sentences; write the profile folder.

    The profile is written beside its place and moved in whole, so a failed training leaves the
    old profile as it was."""
    from homerelay.voice.decoder import model_path, pronunciations  # noqa: PLC0415

    missing = missing_tools()
    if missing:
        raise VoiceProfileError(f"{INSTALL_HINT} (missing: {', '.join(missing)})")
    if len(recordings) < MIN_RECORDINGS:
        raise VoiceProfileError(f"{len(recordings)} recordings are too few to train on: read at least "
                                 f"{MIN_RECORDINGS} sentences (homerelay voice record makes {DEFAULT_COUNT})")
    sentence_words = [words_of(sentence) for _, sentence in recordings]
    for number, said in enumerate(sentence_words, start=1):
        if not said:
            raise VoiceProfileError(f"Sentence {number} has no words: each line is a sentence to read")
        if len(said) > MAX_SENTENCE_WORDS:
            raise VoiceProfileError(f"Sentence {number} has {len(said)} words: a take is one sentence of at most "
                                     f"{MAX_SENTENCE_WORDS} words (10 s)")
    words = {word for said in sentence_words for word in said}
    unknown = sorted(words - set(pronunciations(words)))
    if unknown:
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise VoiceProfileError(f"The sentences have words the speech dictionary lacks: {', '.join(unknown[:10])}{more}"
                                 " (write numbers as words)")
    # Checked before the minute of work that follows, which it would only throw away.
    target = _writable_target(Path(profile))
    _check_takes(recordings)
    with _one_training_at_a_time(target.parent), tempfile.TemporaryDirectory(prefix="homerelay-voice-") as work_dir:
        _tidy_after_a_killed_training(target)
        work = Path(work_dir)
        base = _trainable_model(Path(model_path()), work / "base")
        ids = _write_recordings(recordings, work / "audio")
        aligned = _accumulate(base, work / "audio", ids, work / "counts", _dictionary(words, work / "dict"))
        if aligned < max(MIN_RECORDINGS, math.ceil(MIN_ALIGNED_SHARE * len(recordings))):
            raise VoiceProfileError(
                f"Only {aligned} of {len(recordings)} recordings matched their sentences: record them again, "
                "each sentence as written, in a quiet room")
        fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}{UNFINISHED_MARK}", dir=target.parent))
        # mkdtemp makes it private; a profile is read by the agent's and the server's own users.
        umask = os.umask(0)
        os.umask(umask)
        fresh.chmod(0o777 & ~umask)
        try:
            _adapt(base, work / "counts", fresh)
            for name in KEPT_FILES:
                shutil.copyfile(base / name, fresh / name)
            created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            (fresh / PROFILE_FILE).write_text(json.dumps(
                {"recordings": len(recordings), "aligned": aligned, "created": created,
                 "files": {name: _digest(fresh / name) for name in ADAPTED_FILES + KEPT_FILES},
                 "sentences": [sentence for _, sentence in recordings]}, indent=1), encoding="utf-8")
            _swap_in(fresh, target)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
    logger.debug("Voice profile %s: %d of %d recordings used", target, aligned, len(recordings))
    return Profile(target, len(recordings), aligned, created)


def _check_takes(recordings: Sequence[tuple[Audio, str]]) -> None:
    """Refuse takes that are out of step with their sentences (one skipped or read twice, files
    renamed), and takes that are mostly not heard as their sentences at all (silence, noise, the
    same take copied): the aligner in `bw` would force the sentences onto them."""
    from homerelay.voice.decoder import Decoder  # noqa: PLC0415

    # The sentence alignment in `bw` does not see this: it forces "turn on the light" onto a take
    # of "turn off the light" and trains "off" to sound like "on". Heard by the packaged model
    # against just these sentences, each take is told from its neighbours well enough.
    said = [" ".join(words_of(sentence)) for _, sentence in recordings]
    decoder = Decoder()
    search = decoder.use_sentences(said)
    heard = [decoder.score(audio, search).text for audio, _ in recordings]

    # From some take on (a sentence skipped there, or read twice), the takes read the line below
    # or above theirs. On espeak-ng voices in order, at most 2 of 30 were heard as a neighbour's.
    stretches = []
    for first in range(len(said) - MIN_OUT_OF_STEP + 1):
        own = sum(heard[index] == said[index] for index in range(first, len(said)))
        for offset in OFFSETS:
            shifted = sum(heard[index] == said[index + offset] for index in range(first, len(said))
                          if 0 <= index + offset < len(said))
            if shifted >= MIN_OUT_OF_STEP and shifted > own:
                stretches.append((shifted - own, first, offset, shifted))
    if stretches:
        # The stretch where the shift is plainest, from its first take heard as shifted: the
        # takes went out of step there.
        _, first, offset, shifted = max(stretches, key=lambda stretch: (stretch[0], -stretch[1]))
        first = next(index for index in range(first, len(said)) if 0 <= index + offset < len(said)
                     and heard[index] == said[index + offset])
        lines = "line" if abs(offset) == 1 else "lines"
        raise VoiceProfileError(
            f"The recordings are out of step with {SENTENCES_FILE} from take {first + 1} on: {shifted} of "
            f"{len(said) - first} sound like the sentence {abs(offset)} {lines} {'below' if offset > 0 else 'above'} "
            f"their own. Was a sentence skipped or read twice? Record them all again: homerelay voice record NEW_FOLDER")
    own = sum(text == sentence for text, sentence in zip(heard, said))
    if own < MIN_HEARD_SHARE * len(said):
        raise VoiceProfileError(
            f"Only {own} of {len(said)} recordings sound like their sentences: record them again, each sentence "
            "as written, in a quiet room")


def _writable_target(target: Path) -> Path:
    """The profile folder to write: refused when it is something else (a file, a folder of other
    things, the recordings), since writing the profile replaces it whole."""
    if target.is_symlink():
        if not target.exists():
            raise VoiceProfileError(f"{target} is a link to nothing ({os.readlink(target)}): name a folder for the profile")
        target = target.resolve()  # the profile is written where the link points, the link kept
    target = target.absolute()
    if not target.name or target.name in (".", ".."):
        raise VoiceProfileError(f"{target}: name a folder for the profile, such as {target / PROFILE_NAME}")
    if target.exists() and not _holds_only_a_profile(target):
        raise VoiceProfileError(f"{target} exists and is not a voice profile: choose another folder "
                                 "(a profile is written in a folder of its own)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise VoiceProfileError(f"{target.parent}: cannot be written ({error.strerror})") from None
    if not os.access(target.parent, os.W_OK):
        raise VoiceProfileError(f"{target.parent}: cannot be written (permission denied or read-only)")
    return target


def _holds_only_a_profile(folder: Path) -> bool:
    """True for a folder of a profile's files and nothing else: only such a folder is replaced."""
    # Not merely a folder with a profile.json in it: the recordings kept inside a profile's folder,
    # or a folder of the user's that happens to have one, would be deleted with it.
    try:
        return _holds_only_profile_files(folder) and "files" in _read_about(folder / PROFILE_FILE)
    except (OSError, ValueError, TypeError, RecursionError):
        return False


def _holds_only_profile_files(folder: Path) -> bool:
    """True when every entry of the folder is one of a profile's files (or there is none)."""
    return {entry.name for entry in folder.iterdir()} <= PROFILE_ENTRIES


def _read_about(path: Path) -> dict:
    """A profile's profile.json, read only when it is a file of a sensible size."""
    if not path.is_file() or path.stat().st_size > MAX_ABOUT_BYTES:
        raise ValueError(f"{path} is not a profile's description")
    about = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(about, dict):
        raise ValueError(f"{path} is not a profile's description")
    return about


@contextlib.contextmanager
def _one_training_at_a_time(folder: Path):
    """A lock on the folder that holds the profile, for the whole training."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _tidy_after_a_killed_training(target: Path) -> None:
    """Remove what a training killed outright (SIGKILL, power cut) left beside the profile; put
    back an old profile a swap had moved aside. Called under the training lock, so nothing of
    this name is being written."""
    for entry in target.parent.iterdir():
        if entry.is_symlink() or not entry.is_dir():
            continue
        unfinished = entry.name.startswith(f".{target.name}{UNFINISHED_MARK}")
        old = entry.name.startswith(f".{target.name}{OLD_MARK}")
        if not (unfinished or old) or not _holds_only_profile_files(entry):
            continue
        if old and not target.exists() and _holds_only_a_profile(entry):
            entry.rename(target)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _swap_in(fresh: Path, target: Path) -> None:
    """Put the new profile in the old one's place, the old moved aside only for the moment of the swap."""
    if not target.exists():
        fresh.rename(target)
        return
    # A name of its own: a folder of the user's beside the profile is never taken for the old one.
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}{OLD_MARK}", dir=target.parent))
    target.rename(old)  # onto the empty folder just made
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _digest(path: Path) -> str:
    try:
        if not path.is_file() or path.stat().st_size > MAX_PROFILE_FILE_BYTES:
            return ""
        with open(path, "rb") as data:
            return hashlib.file_digest(data, "sha256").hexdigest()
    except OSError:
        return ""


def _run(*command: str) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if "ERROR" in line or "FATAL" in line][-1:]
        raise VoiceProfileError(f"{os.path.basename(command[0])} failed: {(last or ['exit %d' % done.returncode])[0]}")
    return done


def _trainable_model(packaged: Path, folder: Path) -> Path:
    """A copy of the packaged model in the form sphinxtrain reads: the model definition as text and
    the mixture weights unpacked (the package ships them only compressed, as "sendump")."""
    folder.mkdir(parents=True)
    for name in ("means", "variances", "transition_matrices") + KEPT_FILES:
        shutil.copyfile(packaged / name, folder / name)
    _run(_tool("pocketsphinx_mdef_convert"), "-text", str(packaged / "mdef"), str(folder / "mdef.txt"))
    write_mixture_weights(read_sendump(packaged / "sendump"), folder / "mixture_weights")
    return folder


def read_sendump(path: Path):
    """The mixture weights of a PocketSphinx "sendump" file, as an array (senone, stream, density)
    of probabilities: each weight is stored as one byte of a negated log (base 1.0001) shifted down."""
    import numpy as np  # noqa: PLC0415

    data = path.read_bytes()
    offset, header = 0, {}
    while True:
        (size,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if size == 0:
            break
        words = data[offset:offset + size - 1].decode("ascii", "replace").split()
        offset += size
        if len(words) == 2 and words[1].isdigit():
            header[words[0]] = int(words[1])
    if header.get("cluster_count", 0) != 0:
        raise VoiceProfileError(f"{path}: clustered mixture weights are not supported")
    densities, senones = struct.unpack_from("<II", data, offset)
    offset += 8
    streams = header["feature_count"]
    shift = header.get("mixw_shift", 10)
    quantised = np.frombuffer(data, dtype=np.uint8, count=streams * densities * senones, offset=offset)
    logs = quantised.reshape(streams, densities, senones).transpose(2, 0, 1).astype(np.float64)
    weights = np.power(1.0001, -(logs * (1 << shift)))
    return weights / weights.sum(axis=2, keepdims=True)


def write_mixture_weights(weights, path: Path) -> None:
    """Write mixture weights (senone, stream, density) as a Sphinx-III binary parameter file."""
    import numpy as np  # noqa: PLC0415

    head = b"s3\nversion 1.0\n"
    # The numbers start on a four-byte boundary, after "endhdr" and the byte-order mark.
    pad = (-(len(head) + len(b"endhdr\n"))) % 4
    senones, streams, densities = weights.shape
    with open(path, "wb") as out:
        out.write(head + b" " * pad + b"endhdr\n" + struct.pack("<i", 0x11223344))
        out.write(struct.pack("<IIII", senones, streams, densities, weights.size))
        out.write(np.ascontiguousarray(weights, dtype="<f4").tobytes())


def _write_recordings(recordings: Sequence[tuple[Audio, str]], folder: Path) -> list[str]:
    """Each recording as a WAV file, with the control and transcription files sphinxtrain reads."""
    folder.mkdir(parents=True)
    ids = [f"r{index:03d}" for index in range(len(recordings))]
    with open(folder / "transcription", "w", encoding="utf-8") as lines:
        for fid, (audio, sentence) in zip(ids, recordings):
            (folder / f"{fid}.wav").write_bytes(to_wav(audio.pcm))
            lines.write(f"<s> {' '.join(words_of(sentence))} </s> ({fid})\n")
    (folder / "ids").write_text("\n".join(ids) + "\n", encoding="utf-8")
    return ids


def _dictionary(words, path: Path) -> Path:
    from homerelay.voice.decoder import pronunciations  # noqa: PLC0415

    with open(path, "w", encoding="utf-8") as lines:
        for word, variants in sorted(pronunciations(words).items()):
            for number, phones in enumerate(variants, start=1):
                lines.write(f"{word if number == 1 else f'{word}({number})'} {phones}\n")
    return path


def _accumulate(base: Path, audio: Path, ids: list[str], counts: Path, dictionary: Path) -> int:
    """Features of every recording, then the model's statistics over them (sphinxtrain's `bw`);
    returns how many recordings could be aligned with their sentences."""
    counts.mkdir()
    params = _feature_params(base / "feat.params")
    _run(_tool("sphinx_fe"), "-argfile", str(base / "feat.params"), "-samprate", "16000",
         "-c", str(audio / "ids"), "-di", str(audio), "-do", str(audio), "-ei", "wav", "-eo", "mfc", "-mswav", "yes")
    done = _run(_tool("bw"), "-hmmdir", str(base), "-moddeffn", str(base / "mdef.txt"), "-ts2cbfn", ".ptm.",
                "-feat", params["-feat"], "-svspec", params["-svspec"], "-cmn", params.get("-cmn", "batch"),
                "-agc", params.get("-agc", "none"), "-dictfn", str(dictionary), "-fdictfn", str(base / "noisedict"),
                "-ctlfn", str(audio / "ids"), "-lsnfn", str(audio / "transcription"),
                "-accumdir", str(counts), "-cepdir", str(audio))
    # bw skips a recording it cannot align with its sentence ("r007 ignored") or that is too short
    # to hold it ("utt r007 too short"), and goes on.
    skipped = set(re.findall(r"\b(r\d{3}) (?:ignored|too short)", done.stderr))
    return len(ids) - len(skipped)


def _adapt(base: Path, counts: Path, out: Path) -> None:
    args = []
    for name, flag in (("means", "mean"), ("variances", "var"), ("mixture_weights", "mixw"),
                       ("transition_matrices", "tmat")):
        args += [f"-{flag}fn", str(base / name), f"-map{flag}fn", str(out / name)]
    _run(_tool("map_adapt"), "-moddeffn", str(base / "mdef.txt"), "-ts2cbfn", ".ptm.", "-accumdir", str(counts), *args)


def _feature_params(path: Path) -> dict[str, str]:
    words = path.read_text(encoding="utf-8").split()
    return dict(zip(words[::2], words[1::2]))
