"""Teach the speech recogniser your voice: `homerelay voice record FOLDER`, then `homerelay voice train FOLDER`."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from homerelay.errors import HomerelayError

# 10 s of 48 kHz 16-bit stereo, with room for a header: the largest take read_wav may accept.
MAX_TAKE_BYTES = 2_000_000
# 200 sentences of 30 words, generously.
MAX_SENTENCES_BYTES = 200_000


def configure(parser):
    """Add this subcommand's arguments."""
    from homerelay.voice.training import DEFAULT_COUNT, SENTENCES_FILE, default_profile_path  # noqa: PLC0415

    actions = parser.add_subparsers(dest="voice_action", metavar="ACTION", required=True)

    def house_and_count(sub):
        sub.add_argument("--house", metavar="FILE", help="house layout (YAML); default: built in")
        sub.add_argument("--count", type=_count, default=DEFAULT_COUNT, metavar="N",
                         help=f"how many sentences (default {DEFAULT_COUNT})")

    sentences = actions.add_parser("sentences", help="print the sentences to read, one a line")
    house_and_count(sentences)
    record = actions.add_parser("record", help="read each sentence into the microphone; writes FOLDER")
    record.add_argument("folder", metavar="FOLDER", help=f"where the recordings and {SENTENCES_FILE} go")
    house_and_count(record)
    record.add_argument("--mic", default="default", metavar="ALSA_DEVICE",
                        help="capture device for arecord -D (default: default)")
    train = actions.add_parser("train", help="train a voice profile on a FOLDER of recordings",
                               description="Train a voice profile on a FOLDER of recordings (needs CMUSphinx's "
                                           "training tools: sudo apt install sphinxtrain sphinxbase-utils pocketsphinx).")
    train.add_argument("folder", metavar="FOLDER",
                       help=f"{SENTENCES_FILE} (one sentence a line, at least 20) and 01.wav, 02.wav, ...: "
                            "one take of each line")
    train.add_argument("--out", metavar="PROFILE", help=f"profile folder (default {default_profile_path()})")


def _count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    from homerelay.voice.training import MAX_COUNT, MIN_RECORDINGS  # noqa: PLC0415

    if not MIN_RECORDINGS <= count <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"choose between {MIN_RECORDINGS} and {MAX_COUNT} sentences")
    return count


def run(args):
    """Print the sentences, record them, or train a profile on them."""
    return {"sentences": _sentences, "record": _record, "train": _train}[args.voice_action](args)


def _house(args):
    from homerelay.house import House  # noqa: PLC0415

    return House.from_file(args.house) if args.house else House.default()


def _sentences(args) -> int:
    from homerelay.voice.training import training_sentences  # noqa: PLC0415

    print("\n".join(training_sentences(_house(args), args.count)))
    return 0


def recording_name(index: int) -> str:
    """The file of the index-th sentence (from 0): 01.wav, 02.wav, ..."""
    return f"{index + 1:02d}.wav"


def _record(args) -> int:
    import contextlib  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from homerelay.agent.satellite import MICROPHONE_NEEDS, can_record, microphone_chunks  # noqa: PLC0415
    from homerelay.voice.audio import to_wav  # noqa: PLC0415
    from homerelay.voice.listener import UtteranceCutter  # noqa: PLC0415
    from homerelay.voice.training import SENTENCES_FILE, training_sentences  # noqa: PLC0415

    sentences = training_sentences(_house(args), args.count)
    folder = Path(args.folder)
    if not can_record():
        raise HomerelayError(f"Recording {MICROPHONE_NEEDS}; or record with any recorder, one WAV file a line "
                             "of: homerelay voice sentences (docs/voice.md)")
    if folder.is_dir() and any(folder.iterdir()):
        raise HomerelayError(f"{folder} is not empty: record into a new folder (the takes in it are kept)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SENTENCES_FILE).write_text("\n".join(sentences) + "\n", encoding="utf-8")
    except OSError as error:
        raise HomerelayError(f"{folder}: cannot be written ({error.strerror})") from None
    print(f"Read each sentence aloud when it is shown, as you would say it to the house; "
          f"a pause ends it. {len(sentences)} sentences.")
    for index, sentence in enumerate(sentences):
        print(f"{index + 1:>3}/{len(sentences)}  Say: {sentence}", flush=True)
        while True:
            cutter, stop, utterance = UtteranceCutter(), threading.Event(), None
            try:
                # Closed at once: arecord is stopped before the next sentence is shown.
                with contextlib.closing(microphone_chunks(args.mic, stop)) as chunks:
                    for chunk in chunks:
                        utterance = cutter.feed(chunk)
                        if utterance is not None:
                            break
            except RuntimeError as error:
                raise HomerelayError(str(error)) from None
            if utterance is not None and not utterance.timed_out:
                break
            print("         Nothing heard; say it again.", flush=True)
        (folder / recording_name(index)).write_bytes(to_wav(utterance.audio.pcm))
    print(f"Recorded {len(sentences)} sentences in {folder}. Now: homerelay voice train {folder}")
    return 0


def _stopped(signum, _frame):
    """SIGTERM as an exit, so that the training's work folders are removed on the way out."""
    raise SystemExit(128 + signum)


def _train(args) -> int:
    import shlex  # noqa: PLC0415

    from homerelay.errors import AudioFormatError  # noqa: PLC0415
    from homerelay.voice.audio import read_wav  # noqa: PLC0415
    from homerelay.voice.training import SENTENCES_FILE, default_profile_path, train  # noqa: PLC0415

    folder = Path(args.folder)
    try:
        text = _read_limited(folder / SENTENCES_FILE, MAX_SENTENCES_BYTES, "is no list of sentences").decode("utf-8")
        sentences = [line.strip() for line in text.splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise HomerelayError(f"{folder / SENTENCES_FILE}: cannot be read ({getattr(error, 'strerror', None) or error}); "
                             f"make the folder with: homerelay voice record {folder}") from None
    recordings = []
    for index, sentence in enumerate(sentences):
        path = folder / recording_name(index)
        try:
            recordings.append((read_wav(_read_limited(path, MAX_TAKE_BYTES, "is no recording of one sentence "
                                                                             "(at most 10 s)")), sentence))
        except FileNotFoundError:
            raise HomerelayError(f"{path} is missing: {SENTENCES_FILE} has {len(sentences)} sentences, "
                                 f"each needs its recording") from None
        except AudioFormatError as error:
            raise HomerelayError(f"{path}: {error}") from None
        except OSError as error:
            raise HomerelayError(f"{path}: cannot be read ({error.strerror})") from None
    if args.out is not None and not args.out.strip():
        raise HomerelayError("--out needs a folder for the profile")
    out = Path(args.out) if args.out is not None else default_profile_path()
    # Stopped by a service manager, `kill` or a closed terminal: as after Ctrl-C, the work
    # folders are removed and the old profile stays as it was.
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _stopped)
    profile = train(recordings, out)
    print(f"Voice profile written to {profile.path}: {profile.aligned} of {profile.recordings} recordings used.")
    if args.out is None:
        print("homerelay agent --listen and homerelay serve hear with it once they are started again.")
    else:
        print(f"Use it with: homerelay agent --listen --voice-profile {shlex.quote(str(profile.path))}")
    return 0


def _read_limited(path: Path, limit: int, too_large: str) -> bytes:
    """A regular file's bytes, refused when larger than `limit` (a device, a pipe or a huge file
    would otherwise be read until memory runs out, or for ever)."""
    if path.exists() and not path.is_file():
        raise HomerelayError(f"{path}: not a regular file")
    with open(path, "rb") as data:
        content = data.read(limit + 1)
    if len(content) > limit:
        raise HomerelayError(f"{path}: {too_large}")
    return content
