"""The original Pi script, byte for byte, against `homerelay serve`, with the test as the original phone app."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from homerelay.server.services.legacy_slot import READ_RESULT
from tests.support.polling import eventually
from tests.support.homes import home_in

PI_SCRIPT = Path("pi") / "smart_home_automation.py"
# The script as published (commit 1071e993f1dc): the test runs exactly this, never an edited copy.
PI_SCRIPT_SHA256 = "69fc55b8303e336138fa115630f673692fae3aa7b4d522f8cf844047b09e1d80"
STUBS = Path(__file__).parent / "stubs"
ROOM = (24, 55)  # what the stand-in DHT11 reads, as ints like the real one
# The script's pins (BCM) and levels: LEDs are active high, the relay board active low.
KITCHEN_LIGHT, TV, LIVING_ROOM_FAN, GARAGE_DOOR = 4, 16, 27, 13
HIGH, LOW = 1, 0
DOOR_OPEN, DOOR_CLOSED = 5, 10  # the MG995's duty cycles in the script
# The script polls every second and reads the sensor every 10 s; its terminate waits 3 s, then
# for the sensor thread's sleep to end.
STEP_TIMEOUT = 15
EXIT_TIMEOUT = 25


class PinLog:
    """The pin writes the stand-in RPi.GPIO recorded, one JSON object a line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> list[dict]:
        """Every record so far."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def last(self, pin: int, field: str):
        """The last `level` (or `duty`) written to a pin, or None."""
        values = [entry[field] for entry in self.entries() if entry.get("pin") == pin and field in entry]
        return values[-1] if values else None


class Phone:
    """The original phone app: its calls, under `/t/<app token>/`."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, text: str) -> requests.Response:
        """POST a raw text body, as the app does."""
        response = requests.post(f"{self.base}/{path}", data=text.encode("utf-8"), timeout=5)
        assert response.status_code == 200, response.text
        return response

    def get(self, path: str) -> str:
        """GET an endpoint's bare text."""
        response = requests.get(f"{self.base}/{path}", timeout=5)
        assert response.status_code == 200, response.text
        return response.text


def test_the_original_pi_script_runs_unchanged_against_homerelay(original, homerelay_serve, tmp_path):
    script = original / PI_SCRIPT
    assert hashlib.sha256(script.read_bytes()).hexdigest() == PI_SCRIPT_SHA256, "the original Pi script was changed"
    tokens = home_in(homerelay_serve.database_url, "original pi")
    pins = PinLog(tmp_path / "pins.jsonl")
    phone = Phone(f"{homerelay_serve.url}/t/{tokens.app_token}")
    env = {**os.environ, "PYTHONPATH": str(STUBS), "HOMERELAY_STUB_PINS": str(pins.path),
           "HOMERELAY_STUB_DHT": ",".join(map(str, ROOM)), "PYTHONUNBUFFERED": "1"}
    with open(tmp_path / "pi.log", "wb") as log:
        pi = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=log,
                              stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        # The script asks for the server's URL on its standard input.
        pi.stdin.write(f"{homerelay_serve.url}/t/{tokens.agent_token}\n".encode())
        pi.stdin.close()

        def level(pin, wanted):
            assert pi.poll() is None, (tmp_path / "pi.log").read_text()
            return pins.last(pin, "level") == wanted

        def door(wanted):
            return pins.last(GARAGE_DOOR, "duty") == wanted

        def step(condition):
            eventually(condition, timeout=STEP_TIMEOUT)

        # Its first reading arrives, printed as the original printed it.
        step(lambda: phone.get("get_data") == "temperature: 24°C  humidity: 55%")
        assert door(DOOR_CLOSED)

        # Cooling: a threshold below the room turns the fan on, one above turns it off.
        phone.post("set_threshold", "20")
        step(lambda: level(LIVING_ROOM_FAN, LOW))
        step(lambda: phone.get("get_devices") == "| living_room fan | ")
        assert phone.get("get_threshold") == "20"
        phone.post("set_threshold", "30")
        step(lambda: level(LIVING_ROOM_FAN, HIGH))
        step(lambda: phone.get("get_devices") == "null")

        # Typed commands switch the right pins.
        phone.post("set_command", "turn on the kitchen light")
        step(lambda: level(KITCHEN_LIGHT, HIGH))
        phone.post("set_command", "open the garage door")
        step(lambda: door(DOOR_OPEN))
        phone.post("set_command", "turn on the tv")
        step(lambda: level(TV, LOW))
        step(lambda: phone.get("get_devices") == "| kitchen light | garage door | living_room tv | ")
        assert phone.get("get_data") == "temperature: 24°C  humidity: 55%"

        # "turn off everything", then terminate: every pin off, and the script ends.
        phone.post("set_command", "turn off everything")
        step(lambda: level(KITCHEN_LIGHT, LOW) and level(TV, HIGH) and door(DOOR_CLOSED))
        step(lambda: phone.get("get_devices") == "null")
        phone.post("set_command", "terminate")
        assert pi.wait(EXIT_TIMEOUT) == 0, (tmp_path / "pi.log").read_text()
    finally:
        if pi.poll() is None:
            pi.kill()
            pi.wait(5)

    assert pins.last(KITCHEN_LIGHT, "level") == LOW
    assert pins.last(TV, "level") == pins.last(LIVING_ROOM_FAN, "level") == HIGH
    assert pins.last(GARAGE_DOOR, "duty") == DOOR_CLOSED
    assert pins.entries()[-1] == {"cleanup": True}
    # The terminate was answered once: the slot is empty again for the next start.
    assert phone.get("get_command") == "null"
    # Every command the script read counts as carried out (it cannot say); nothing is left waiting.
    commands = requests.get(f"{homerelay_serve.url}/api/v1/commands", timeout=5,
                            headers={"Authorization": f"Bearer {tokens.app_token}"}).json()["commands"]
    assert [c["text"] for c in reversed(commands)] == [
        "turn on the living room fan", "turn off the living room fan", "turn on the kitchen light",
        "open the garage door", "turn on the tv", "turn off everything", "terminate",
    ]
    assert {(c["status"], c["result"]) for c in commands} == {("done", READ_RESULT)}
