"""The voice satellite (`homerelay agent --listen`): wake phrase, one command, sent to the server.

A device that asks for confirmation (the server answers 409) is never switched from the
microphone without a spoken "yes", heard surely, within CONFIRM_SECONDS of the question. A yes
heard unsurely is asked for once more; anything else, or nothing, cancels.
"""

from __future__ import annotations

import enum
import itertools
import logging
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from homerelay.errors import RequestRejectedError, ServerUnavailableError

logger = logging.getLogger(__name__)

CHUNK_BYTES = 16000 * 2 // 10  # 0.1 s of 16 kHz 16-bit mono
CONFIRM_SECONDS = 5.0
ARECORD = ("arecord", "-q", "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", "16000")
# What reading the microphone needs, said where it is missing.
MICROPHONE_NEEDS = "needs arecord (sudo apt install alsa-utils) and a microphone"


class Phase(enum.Enum):
    """What the satellite waits for."""

    WAKE = "wake"
    COMMAND = "command"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class VoiceSettings:
    """The satellite's part of the agent's settings."""

    wake: str
    wake_threshold: float
    listen_from: str | None = None
    device: str = "default"  # ALSA capture device (arecord -D)
    indicator: tuple[str, str] | None = None  # (room, device) of an LED the house file names
    speak: bool = True
    profile: str | None = None  # a trained voice profile's folder (homerelay voice train)


def file_chunks(path: str) -> Iterator[bytes]:
    """A WAV file's samples at 16 kHz, in microphone-sized chunks."""
    from pathlib import Path  # noqa: PLC0415

    from homerelay.voice.audio import read_wav  # noqa: PLC0415

    pcm = read_wav(Path(path).read_bytes(), max_seconds=None).pcm
    for start in range(0, len(pcm), CHUNK_BYTES):
        yield pcm[start:start + CHUNK_BYTES]


def can_record() -> bool:
    """True when arecord, which reads the ALSA microphone, is installed."""
    return shutil.which(ARECORD[0]) is not None


def microphone_chunks(device: str, stop: threading.Event) -> Iterator[bytes]:
    """Samples from the ALSA microphone through arecord, until stopped."""
    if not can_record():
        raise RuntimeError(f"--listen {MICROPHONE_NEEDS}")
    process = subprocess.Popen([*ARECORD, "-D", device], stdout=subprocess.PIPE)
    try:
        while not stop.is_set():
            chunk = process.stdout.read(CHUNK_BYTES)
            if not chunk:
                raise RuntimeError(f"arecord stopped (exit {process.poll()}): is the microphone {device!r} there?")
            yield chunk
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


class Voice:
    """Says a sentence with espeak-ng where it is installed; logs it in any case."""

    def __init__(self, enabled: bool = True) -> None:
        self.program = shutil.which("espeak-ng") if enabled else None
        self.said: list[str] = []

    def say(self, text: str) -> None:
        """Say it aloud (waits until done, so the microphone does not hear it as a command)."""
        self.said.append(text)
        logger.info("Saying: %s", text)
        if self.program:
            subprocess.run([self.program, text], check=False, capture_output=True)


class Satellite:
    """Listens for the wake phrase, decodes one command and sends it to the server."""

    def __init__(self, settings: VoiceSettings, client, house, devices=None, voice: Voice | None = None) -> None:
        from homerelay.voice.decoder import Decoder  # noqa: PLC0415 - only --listen loads PocketSphinx
        from homerelay.voice.listener import UtteranceCutter, WakeSpotter  # noqa: PLC0415
        from homerelay.voice.training import Profile  # noqa: PLC0415

        self.settings = settings
        self.client = client
        self.house = house
        self.devices = devices
        self.voice = voice or Voice(settings.speak)
        self.decoder = Decoder(profile=Profile.load(settings.profile) if settings.profile else None)
        if settings.profile:
            logger.info("Hearing with the voice profile %s", settings.profile)
        self.decoder.use_house(house)
        self.spotter = WakeSpotter(self.decoder, house, settings.wake, settings.wake_threshold)
        self.cutter = UtteranceCutter()
        self.phase = Phase.WAKE
        self.pending: tuple[str, float] | None = None
        self.asked_again = False
        self.sent: list[dict] = []

    def run(self, chunks, stop: threading.Event | None = None) -> None:
        """Feed every chunk through the state machine until the source ends or `stop` is set."""
        from homerelay.voice.listener import END_SILENCE_SECONDS  # noqa: PLC0415

        # When the source ends (a file), the quiet a microphone would record next ends what was
        # being said.
        quiet = b"\0\0" * int((END_SILENCE_SECONDS + 0.2) * 16000)
        for chunk in itertools.chain(chunks, [quiet[i:i + CHUNK_BYTES] for i in range(0, len(quiet), CHUNK_BYTES)]):
            if stop is not None and stop.is_set():
                break
            try:
                self.feed(chunk)
            except ServerUnavailableError as error:
                logger.warning("Could not send what was heard: %s", error)
                self._signal(False, "The server cannot be reached.")
                self._back_to_wake()
        self.spotter.stop()

    def feed(self, chunk: bytes) -> None:
        """One chunk of microphone samples."""
        if self.phase is Phase.WAKE:
            wake = self.spotter.feed(chunk)
            if wake is None:
                return
            logger.info("Wake phrase heard (confidence %.2f)", wake.confidence)
            self._indicate(True)
            if wake.command is not None:
                # The command came in the same breath as the wake phrase.
                return self._heard(wake.command)
            self.phase = Phase.COMMAND
            self.cutter = self._cutter(None)
            return
        utterance = self.cutter.feed(chunk)
        if utterance is None:
            return
        if self.phase is Phase.COMMAND:
            self._command(utterance)
        else:
            self._confirmation(utterance)

    def _cutter(self, timeout: float | None):
        from homerelay.voice.listener import START_TIMEOUT_SECONDS, UtteranceCutter  # noqa: PLC0415

        return UtteranceCutter(timeout or START_TIMEOUT_SECONDS)

    def _command(self, utterance) -> None:
        from homerelay.voice.listener import hear_after_wake  # noqa: PLC0415

        self._heard(hear_after_wake(self.decoder, self.house, utterance))

    def _heard(self, heard) -> None:
        from homerelay.voice.decoder import MIN_CONFIDENCE  # noqa: PLC0415

        logger.info("Heard %r (confidence %.3f)", heard.heard, heard.confidence)
        if not heard.heard or heard.confidence < MIN_CONFIDENCE:
            self._signal(False, "Sorry, I didn't catch that.")
            return self._back_to_wake()
        self._send(heard.heard, heard.confidence, confirm=False)

    def _send(self, text: str, confidence: float, confirm: bool) -> None:
        try:
            command = self.client.post_heard(text, confidence, confirm=confirm)
        except RequestRejectedError as error:
            if error.status == 409 and error.body.get("error") == "confirmation_required" and not confirm:
                self.pending = (text, confidence)
                self.asked_again = False
                self._ask(f"{error.body.get('detail') or 'This needs confirmation.'} Say yes to confirm.")
                return
            self._signal(False, error.detail)
            return self._back_to_wake()
        self.sent.append(command)
        self._signal(True, f"OK, {text}.")
        self._back_to_wake()

    def _ask(self, question: str) -> None:
        self.voice.say(question)
        self.phase = Phase.CONFIRM
        self.cutter = self._cutter(CONFIRM_SECONDS)

    def _confirmation(self, utterance) -> None:
        from homerelay.voice.decoder import confirms, unsure_yes  # noqa: PLC0415

        answer = self.decoder.hear_answer(utterance.audio) if not utterance.timed_out else None
        text, confidence = self.pending
        if confirms(answer):
            logger.info("Confirmed by voice: %r", text)
            self.pending = None
            return self._send(text, confidence, confirm=True)
        if unsure_yes(answer) and not self.asked_again:
            # Once only: the second answer must be a sure yes too, so asking cannot make the
            # door easier to open, only a spoken yes less often lost.
            logger.info("A yes heard unsurely (confidence %.3f): asking again", answer.confidence)
            self.asked_again = True
            return self._ask("I'm not sure I heard you. Say yes again to confirm.")
        self.pending = None
        logger.info("Not confirmed (%s): %r cancelled", "no answer" if answer is None else repr(answer.heard), text)
        self._signal(False, "Cancelled.")
        self._back_to_wake()

    def _back_to_wake(self) -> None:
        self.spotter.stop()
        self.phase = Phase.WAKE
        self._indicate(False)

    def _signal(self, understood: bool, sentence: str) -> None:
        logger.info("%s: %s", "Understood" if understood else "Not understood", sentence)
        self.voice.say(sentence)

    def _indicate(self, listening: bool) -> None:
        # The indicator LED is lit while the satellite listens for a command or an answer.
        if self.devices is not None and self.settings.indicator is not None:
            room, name = self.settings.indicator
            self.devices.set(room, name, "on" if listening else "off")
