"""Private voice from the page: Chromium's fake microphone plays a sentence espeak-ng read, the page
records it (AudioWorklet, WAV made in the page), the home's own server hears it and the agent acts."""

from __future__ import annotations

import contextlib
import re
import importlib.util
import io
import math
import shutil
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.support.availability import missing
from tests.support.polling import poll

from .conftest import CHROMIUM_ARGS, PHONE, SCREENSHOTS, Agent, PageProblems, make_server
from .helpers import command_item, device_state, open_screen, snap

pytestmark = pytest.mark.browser

# Chromium's fake microphone: no permission prompt, and a WAV file in place of the device. The
# file starts again from its beginning whenever the page opens the microphone, and loops.
FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
# A quiet microphone's hiss around and between the words (digital silence is nothing a microphone
# records): far under the page's speech level (RMS 0.02, -34 dBFS).
HISS_LEVEL = 30  # RMS of 32767, about -60 dBFS
HISS_BEFORE_SECONDS = 1.0
# Long enough for tap-to-talk to hear the speech end (0.9 s of quiet) well before the file loops.
HISS_AFTER_SECONDS = 2.5
# A pause inside a sentence, longer than tap-to-talk's 0.9 s: only a held button records through it.
PAUSE_SECONDS = 1.5
# Tap-to-talk ends this long after the speech (private_voice.js END_SILENCE_SECONDS).
END_SILENCE_SECONDS = 0.9
RECORDINGS = SCREENSHOTS.parent / "recordings"
# The recording, then the decoding (its process starts on the first one): on a busy machine, more
# than the usual 10 s.
HEARD_MS = 20_000

# Keeps each recording the page sends, for the test to check (Playwright shows no Blob body).
KEEP_RECORDINGS = """
window.__recordings = [];
const pageFetch = window.fetch;
window.fetch = function (resource, options) {
  if (String(resource).includes("/api/v1/speech") && options && options.body instanceof Blob) {
    window.__recordings.push(options.body);
  }
  return pageFetch.apply(this, arguments);
};
"""
READ_RECORDINGS = """async () => Promise.all(window.__recordings.map(async (blob) =>
  Array.from(new Uint8Array(await blob.arrayBuffer()))))"""


def needs_voice() -> None:
    """espeak-ng speaks, pocketsphinx hears: without them skipped here, failed in CI."""
    if shutil.which("espeak-ng") is None:
        missing("espeak-ng", "apt-get install espeak-ng")
    if importlib.util.find_spec("pocketsphinx") is None:
        missing("pocketsphinx", "pip install '.[voice]'")


@dataclass(frozen=True)
class Spoken:
    """A WAV file for the fake microphone, and when in it the last word ends."""

    path: Path
    speech_ends: float


def spoken_wav(path: Path, *parts: str, voice: str = "en-us", speed: int = 160) -> Spoken:
    """espeak-ng reading `parts` one after the other, with a pause between them, in low hiss."""
    import numpy as np

    from bench.spoken import speak
    from homerelay.voice.audio import SAMPLE_RATE, to_wav

    rng = np.random.default_rng(1)

    def hiss(seconds: float):
        return rng.normal(0, HISS_LEVEL, int(seconds * SAMPLE_RATE))

    pieces = [hiss(HISS_BEFORE_SECONDS)]
    for index, part in enumerate(parts):
        if index:
            pieces.append(hiss(PAUSE_SECONDS))
        speech = np.frombuffer(speak(part, voice, speed, pad=0), dtype="<i2").astype(np.float64)
        pieces.append(speech + hiss(len(speech) / SAMPLE_RATE))
    speech_ends = sum(len(piece) for piece in pieces) / SAMPLE_RATE
    pieces.append(hiss(HISS_AFTER_SECONDS))
    path.write_bytes(to_wav(np.concatenate(pieces).clip(-32768, 32767).astype("<i2").tobytes()))
    return Spoken(path, speech_ends)


def speech_level(wav: bytes) -> float:
    """How loud the speech in a WAV file is, in dBFS: the RMS of its 10 ms stretches louder than
    -34 dBFS (the page's speech level), so that neither the hiss nor its length counts."""
    import numpy as np

    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2") / 32768
    step = rate // 100
    stretches = samples[: len(samples) // step * step].reshape(-1, step)
    levels = np.sqrt(np.mean(stretches ** 2, axis=1))
    loud = levels[levels > 0.02]
    return float(20 * np.log10(np.sqrt(np.mean(loud ** 2)))) if len(loud) else -math.inf


@dataclass(frozen=True)
class Recording:
    """One WAV file the page sent to POST /api/v1/speech."""

    wav: bytes
    rate: int
    channels: int
    seconds: float


def recordings(page) -> list[Recording]:
    """The recordings the page has sent, oldest first."""
    found = []
    for data in page.evaluate(READ_RECORDINGS):
        with wave.open(io.BytesIO(bytes(data))) as reader:
            found.append(Recording(bytes(data), reader.getframerate(), reader.getnchannels(),
                                   reader.getnframes() / reader.getframerate()))
    return found


@pytest.fixture(scope="module")
def voice_server(tmp_path_factory, chromium_path):
    """A server that acts on whatever it hears: its confidence threshold refuses nearly every
    espeak-ng sentence (docs/voice.md), and these tests check the page's recording, not accuracy."""
    needs_voice()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOMERELAY_VOICE_MIN_CONFIDENCE", "0")
        instance = make_server(tmp_path_factory.mktemp("e2e-voice-server"))
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def voice_agent(voice_server):
    """The voice server's simulated agent."""
    instance = Agent(voice_server)
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def microphone(browser, chromium_path, tmp_path, request):
    """microphone(*parts) -> (page, Spoken): a phone-sized page in a Chromium of its own whose
    microphone says the parts. The page's recordings are left in test-artifacts/recordings/
    (listen to them when a test fails); the test fails if the page threw, alerted or broke the CSP."""
    opened = []

    def open_page(*parts: str):
        spoken = spoken_wav(tmp_path / "spoken.wav", *parts)
        # The session's browser stays as it is: the fake microphone is a launch option.
        instance = browser.browser_type.launch(
            executable_path=str(chromium_path), headless=True,
            args=[*CHROMIUM_ARGS, *FAKE_MICROPHONE, f"--use-file-for-fake-audio-capture={spoken.path}"],
        )
        context = instance.new_context(viewport=PHONE, color_scheme="light", has_touch=True)
        context.set_default_timeout(10_000)
        context.add_init_script(KEEP_RECORDINGS)
        page = context.new_page()
        opened.append((instance, PageProblems(page)))
        return page, spoken

    yield open_page
    RECORDINGS.mkdir(parents=True, exist_ok=True)
    for instance, _ in opened:
        with contextlib.suppress(PlaywrightError):  # a page that crashed has none to give
            for number, recording in enumerate(recordings(instance.contexts[0].pages[0]), 1):
                (RECORDINGS / f"{request.node.name}-{number}.wav").write_bytes(recording.wav)
        instance.close()
    for _, problems in opened:
        assert problems.errors == []


def sign_in_with_private_voice(page, server) -> None:
    """Sign in, open the Command screen and turn "Private voice" on in the voice settings."""
    page.goto(f"{server.url}/#token={server.app_token}")
    open_screen(page, "Command")
    private = page.locator("#private-voice")
    if not private.is_checked():  # Chromium has a recogniser of its own: private voice is a choice
        page.get_by_text("Voice settings").click()
        private.click()
    expect(private).to_be_checked()
    expect(page.locator("#live")).to_have_text("Live")


def test_tap_to_talk_records_until_the_speech_ends_and_the_light_goes_on(
        microphone, voice_server, voice_agent, screenshots):
    page, spoken = microphone("turn on the kitchen light")
    sign_in_with_private_voice(page, voice_server)
    assert device_state(voice_server, "kitchen", "light") != "on"
    mic = page.get_by_role("button", name="Speak a command")
    hint = page.locator("#mic-hint")

    mic.tap()
    expect(hint).to_contain_text("Listening (private)")
    expect(mic).to_have_attribute("aria-pressed", "true")
    # Nothing more is done: the recording ends by itself once the speech is over.
    expect(hint).to_contain_text("heard: “turn on the kitchen light”", timeout=HEARD_MS)
    expect(mic).to_have_attribute("aria-pressed", "false")
    assert poll(lambda: device_state(voice_server, "kitchen", "light") == "on")
    expect(command_item(page, "turn on the kitchen light")).to_contain_text("Carried out")
    # The hint leaves the progress to the card: it said "Queued" long after the light was on.
    expect(hint).not_to_contain_text("Queued")
    snap(page, screenshots / "private-voice.png")

    [sent] = recordings(page)
    assert (sent.rate, sent.channels) == (16000, 1)
    # Ended by the quiet after the speech: not cut short, not running on into the loop or to 10 s.
    assert spoken.speech_ends - 0.5 < sent.seconds < spoken.speech_ends + END_SILENCE_SECONDS + 0.6
    # The speech as loud as the microphone gave it: the browser's automatic gain, on unless the
    # page refuses it, made it about 6 dB louder, most at its start, and the recogniser missed
    # about half of the commands it hears right without it.
    recorded, said = speech_level(sent.wav), speech_level(spoken.path.read_bytes())
    assert abs(recorded - said) < 3.0, f"speech at {recorded:.1f} dBFS, the microphone gave {said:.1f} dBFS"


def test_hold_to_talk_records_through_a_pause_until_let_go(microphone, voice_server, voice_agent):
    # Held, the button records until it is let go (docs/voice.md), even across a pause that
    # would end a tap's recording.
    page, spoken = microphone("turn on the", "bedroom light")
    sign_in_with_private_voice(page, voice_server)
    assert device_state(voice_server, "bedroom", "light") != "on"
    mic = page.get_by_role("button", name="Speak a command")
    hint = page.locator("#mic-hint")
    box = mic.bounding_box()
    finger = [{"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}]
    touch = page.context.new_cdp_session(page)

    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": finger})
    expect(hint).to_contain_text("Listening (private)")
    # The microphone's file started when the page opened it, a moment before "Listening".
    time.sleep(spoken.speech_ends + 0.5)
    assert mic.get_attribute("aria-pressed") == "true", f"stopped while held: {hint.text_content()}"
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    expect(hint).to_contain_text("heard: “turn on the bedroom light”", timeout=HEARD_MS)
    assert poll(lambda: device_state(voice_server, "bedroom", "light") == "on")
    [sent] = recordings(page)
    # All of it, pause included, and no more than was held (the file would loop on).
    assert spoken.speech_ends - 0.5 < sent.seconds < spoken.speech_ends + HISS_AFTER_SECONDS


def test_private_voice_switches_at_once_and_keeps_what_was_typed(page, voice_server):
    # It reloaded the page: the typed sentence was lost and the settings folded shut, unsaid.
    page.goto(f"{voice_server.url}/#token={voice_server.app_token}")
    open_screen(page, "Command")
    page.evaluate("window.__notReloaded = true")
    box = page.get_by_role("textbox", name="Command")
    box.fill("turn on the bedroom fan")
    page.get_by_text("Voice settings").click()
    private, hint = page.locator("#private-voice"), page.locator("#mic-hint")
    expect(private).not_to_be_checked()  # Chromium has a recogniser of its own
    private.click()
    expect(hint).to_have_text("Private voice is on: this home's server hears what you say.")
    private.click()
    expect(hint).to_have_text("Private voice is off: the browser's own speech service hears what you say.")
    assert page.evaluate("window.__notReloaded") is True
    expect(box).to_have_value("turn on the bedroom fan")
    expect(page.locator("details.settings")).to_have_attribute("open", "")
    # The choice is kept for the next visit.
    private.click()
    page.reload()
    expect(page.locator("#private-voice")).to_be_checked()


def test_the_browser_recogniser_s_failure_is_said_in_words(microphone, voice_server):
    # Headless Chromium's recogniser, given a microphone, has no speech service to reach: the
    # page said "Voice input stopped: audio-capture."
    page, _ = microphone("turn on the kitchen light")
    page.goto(f"{voice_server.url}/#token={voice_server.app_token}")
    open_screen(page, "Command")
    page.get_by_role("button", name="Speak a command").click()
    hint = page.locator("#mic-hint")
    expect(hint).to_have_text(re.compile(r"^Voice input stopped: (no microphone was found|the browser's speech "
                                         r"service cannot be reached|this browser does not allow)"))
    expect(hint).not_to_have_text(re.compile(r"audio-capture|network\.$|not-allowed"))


def test_over_plain_http_on_the_network_the_page_says_the_microphone_needs_https(browser, chromium_path,
                                                                                 voice_server):
    # A phone opening http://<the Pi's name>:5002 is not a secure page: no microphone at all,
    # and the page said so only after a tap, and only in private mode.
    instance = browser.browser_type.launch(executable_path=str(chromium_path), headless=True, args=[
        *CHROMIUM_ARGS, "--host-resolver-rules=MAP homeserver.test 127.0.0.1"])
    try:
        page = instance.new_context(viewport=PHONE).new_page()
        port = voice_server.url.rsplit(":", 1)[1]
        page.goto(f"http://homeserver.test:{port}/#token={voice_server.app_token}")
        open_screen(page, "Command")
        expect(page.locator("#mic-hint")).to_have_text(
            "The microphone needs HTTPS (or localhost): open the app over https://.")
    finally:
        instance.close()


def test_a_spoken_door_command_says_what_was_heard_and_asks_first(microphone, voice_server, voice_agent):
    page, _ = microphone("open the garage door")
    sign_in_with_private_voice(page, voice_server)
    voice_server.api("POST", "/commands", json={"text": "close the garage door", "confirm": True})
    assert poll(lambda: device_state(voice_server, "garage", "door") == "off")
    page.get_by_role("button", name="Speak a command").tap()
    dialog = page.get_by_role("dialog", name="Open the garage door?")
    expect(dialog).to_be_visible(timeout=HEARD_MS)
    # Behind the dialog the hint said "Working out what you said…" and never what was heard.
    expect(page.locator("#mic-hint")).to_have_text("heard: “open the garage door” — asks you to confirm first.")
    assert device_state(voice_server, "garage", "door") == "off"
    dialog.get_by_role("button", name="Open", exact=True).click()
    card = command_item(page, "open the garage door")
    expect(card).to_contain_text("Carried out")
    expect(card.locator(".command-meta")).to_contain_text("spoken")
    assert poll(lambda: device_state(voice_server, "garage", "door") == "on")
