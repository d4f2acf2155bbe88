"""The real processes: `homerelay serve` hears speech off its event loop, `homerelay agent --listen-from` acts on it."""

from __future__ import annotations

import subprocess
import threading
import time

import requests

from homerelay.voice.audio import to_wav
from tests.e2e.conftest import homerelay, make_server, stop, subprocess_env, wait_until

WAV = {"Content-Type": "audio/wav"}


def test_a_long_decode_does_not_hold_up_other_requests(tmp_path, speak):
    server = make_server(tmp_path / "server")
    try:
        long_talk = to_wav(speak("please could you turn on the light in the kitchen and then the one in "
                                 "the bedroom and after that open the garage door for me", speed=140)[:16000 * 2 * 10])
        answers = []

        def post():
            answers.append(requests.post(f"{server.url}/api/v1/speech", data=long_talk, timeout=60,
                                         headers={"Authorization": f"Bearer {server.app_token}", **WAV}))

        # The first recording starts the decoder process; the second is heard by a warm one.
        for _ in range(2):
            poster = threading.Thread(target=post)
            poster.start()
            waits = []
            while poster.is_alive():
                started = time.perf_counter()
                assert requests.get(f"{server.url}/healthz", timeout=5).ok
                waits.append(time.perf_counter() - started)
                time.sleep(0.02)
            poster.join()
            waits.sort()
            assert len(waits) >= 3, (waits, [(a.status_code, a.text[:300]) for a in answers])
            assert waits[len(waits) // 2] < 0.05 and waits[-1] < 0.1, waits
        assert all(answer.status_code in (201, 409, 422) for answer in answers), [a.text for a in answers]
    finally:
        server.stop()


def test_the_agent_listening_to_a_file_carries_out_exactly_the_command(tmp_path, speak, trusting):
    server = make_server(tmp_path / "server")
    recording = tmp_path / "heard.wav"
    pause = b"\0\0" * 16000
    recording.write_bytes(to_wav(speak("the weather is nice today") + pause + speak("hey home") + pause
                                 + speak("turn on the kitchen light") + pause
                                 + speak("and then we went home to have some bread") + pause))
    agent = subprocess.Popen(
        homerelay("agent", "--server", server.url, "--token", server.agent_token, "--simulate", "--quiet",
                  "--state-file", str(tmp_path / "state.json"), "--listen", "--listen-from", str(recording)),
        env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def carried_out():
            commands = server.api("GET", "/commands").json()["commands"]
            return commands if commands and all(c["status"] == "done" for c in commands) else None

        commands = wait_until(carried_out, 60, "the spoken command carried out", agent)
        time.sleep(3.0)  # long enough for a second, wrong command to arrive
        commands = server.api("GET", "/commands").json()["commands"]
        assert [(c["text"], c["source"], c["actions"]) for c in commands] == [
            ("turn on the kitchen light", "voice", [{"room": "kitchen", "device": "light", "action": "on"}])]
        devices = server.api("GET", "/devices").json()["devices"]
        assert {(d["room"], d["device"]): d["state"] for d in devices}[("kitchen", "light")] == "on"
    finally:
        stop(agent)
        server.stop()


def test_a_decoder_process_that_dies_is_replaced(speak):
    import pytest

    from homerelay.errors import VoiceUnavailableError
    from homerelay.house import House
    from homerelay.voice.audio import Audio
    from homerelay.voice.worker import DecoderProcess

    process, audio, house = DecoderProcess(), Audio(speak("turn on the tv")), House.default()
    try:
        assert process.hear(audio, house).seconds > 0
        process._process.kill()
        with pytest.raises(VoiceUnavailableError):
            process.hear(audio, house)  # the request that met the dead process: 503
        assert process.hear(audio, house).seconds > 0  # a new process answers the next one
    finally:
        process.close()
