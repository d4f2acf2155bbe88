"""The original server's `main.py` and homerelay side by side: the same requests, the same answers."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import pytest
import requests

from tests.support.homes import home_in

# Serves the original `main.py` as it is (its `app.run` sits under `__main__`, so it is imported
# and served with werkzeug), on a free loopback port it prints; it exits by itself after a while.
SERVE_ORIGINAL = """
import importlib.util, os, sys, threading
from werkzeug.serving import make_server
spec = importlib.util.spec_from_file_location("original_main", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
server = make_server("127.0.0.1", 0, module.app)
threading.Timer(float(sys.argv[2]), os._exit, args=(3,)).start()
print(server.server_port, flush=True)
server.serve_forever()
"""
ORIGINAL_LIFETIME_SECONDS = 120
# The one documented change of Content-Type: bare text is plain text, never HTML.
CONTENT_TYPES = {"text/html; charset=utf-8": "text/plain; charset=utf-8"}
PI_HEADERS = {"Content-Type": "application/json"}  # the Pi script sends it with every request


@dataclass(frozen=True)
class Call:
    """One request of the original phone app (`phone`) or Pi script (`pi`)."""

    caller: str
    method: str
    path: str
    text: str | None = None  # a raw text body, as the phone sends it
    data: object = None  # a JSON body, double-encoded as the Pi script sends it
    # homerelay's documented answer where it differs from the original's (the decimal threshold).
    homerelay_body: bytes | None = None


def phone(method, path, text=None, **kwargs):
    """A call of the phone app."""
    return Call("phone", method, path, text=text, **kwargs)


def pi(method, path, data=None):
    """A call of the Pi script."""
    return Call("pi", method, path, data=data)


def command(text):
    """The phone sends a command, the Pi reads the slot."""
    return [phone("POST", "/set_command", text), pi("GET", "/get_command")]


def threshold(text, homerelay_body=None):
    """The phone sets a threshold and reads it back."""
    return [phone("POST", "/set_threshold", text), phone("GET", "/get_threshold", homerelay_body=homerelay_body)]


def reading(temperature, humidity):
    """The Pi uploads a reading, the phone's dashboard shows it."""
    return [pi("POST", "/set_data", {"temperature": temperature, "humidity": humidity}), phone("GET", "/get_data")]


def devices(listing):
    """The Pi uploads its device list, the phone's devices screen shows it."""
    return [pi("POST", "/set_devices", {"devices": listing}), phone("GET", "/get_devices")]


SEQUENCE = [
    # A fresh home: every endpoint's empty answer.
    pi("GET", "/get_command"), phone("GET", "/get_data"), phone("GET", "/get_threshold"), phone("GET", "/get_devices"),
    *command("turn on the kitchen light"), pi("GET", "/get_command"),
    *command("  Turn ON the Living Room LIGHT  "),
    *command("make me a sandwich"),  # not understood by either house: kept all the same
    *command(""),
    *command("allume la lumière de la cuisine ☀ – 25 °C"),
    phone("POST", "/set_command", "turn on the tv   "), *command("turn off the tv"),  # the first replaced unread
    *command("terminate"), pi("GET", "/get_command"),  # answered once, then null
    *command("Terminate"), pi("GET", "/get_command"), phone("GET", "/get_command"),
    *reading(24, 55), *reading(23.0, 41.5), *reading(0.0, 0.0),
    # Thresholds above the room: the original's cooling runs only on the next reading, and that
    # comes only once the threshold is no number again (homerelay cools at once; see server.md).
    *threshold("30"), *threshold("025"), *threshold("hot"), *threshold("25.5", homerelay_body=b"25.5"),
    *threshold(""), *threshold("-3"),
    *reading(22, 50), pi("GET", "/get_command"),
    *devices("| kitchen light | living_room fan | "), *devices("null"), *devices("| garage door | bathroom door | "),
    pi("POST", "/set_inf", {"information": "the Pi started"}),
    pi("POST", "/set_inf", {"information": {"b": [1, 2.5], "a": "é"}}),
    *command("turn off everything   "),
]


def send(base: str, call: Call, headers: dict) -> requests.Response:
    """Make the call as the original app or script makes it."""
    if call.caller == "pi":
        headers = {**headers, **PI_HEADERS}
    if call.data is not None:
        return requests.request(call.method, base + call.path, json=json.dumps(call.data), headers=headers, timeout=5)
    body = call.text.encode("utf-8") if call.text is not None else None
    return requests.request(call.method, base + call.path, data=body, headers=headers, timeout=5)


@pytest.fixture
def original_server(original):
    """The original `main.py`, fresh, in a subprocess of the venv's Python; its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_ORIGINAL, str(original / "server" / "main.py"), str(ORIGINAL_LIFETIME_SECONDS)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(5)
        process.stdout.close()


# How homerelay is reached: the token in the header at the root, or in the URL; either token.
WAYS = {
    "bearer header": lambda tokens, caller: ("", {"Authorization": f"Bearer {tokens[caller]}"}),
    "/t/<token>/ URL": lambda tokens, caller: (f"/t/{tokens[caller]}", {}),
    "one URL for phone and Pi": lambda tokens, caller: (f"/t/{tokens['phone']}", {}),
}


@pytest.mark.parametrize("way", WAYS)
def test_homerelay_answers_the_original_requests_as_the_original_did(original_server, homerelay_serve, way):
    made = home_in(homerelay_serve.database_url, way)
    tokens = {"phone": made.app_token, "pi": made.agent_token}
    for number, call in enumerate(SEQUENCE):
        theirs = send(original_server, call, {})
        prefix, headers = WAYS[way](tokens, call.caller)
        ours = send(homerelay_serve.url + prefix, call, headers)
        where = f"step {number}: {call}"
        assert ours.status_code == theirs.status_code == 200, where
        assert ours.headers["Content-Type"] == CONTENT_TYPES.get(theirs.headers["Content-Type"], theirs.headers["Content-Type"]), where
        if call.homerelay_body is None:
            assert ours.content == theirs.content, where
        else:
            assert ours.content == call.homerelay_body and theirs.content == b"null", where
