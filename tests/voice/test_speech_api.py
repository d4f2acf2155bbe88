"""POST /api/v1/speech and /api/v1/agent/heard: a spoken command becomes a queued command."""

from __future__ import annotations

import io
import struct
import wave

import pytest

from homerelay.voice.audio import SAMPLE_RATE, to_wav
from homerelay.server.services.homes import list_tokens, revoke_token
from tests.support.homes import add_home, relay_of
from tests.support.polling import eventually

WAV = {"Content-Type": "audio/wav"}


def post_speech(client, headers, body, query=""):
    return client.post(f"/api/v1/speech{query}", data=body, headers={**headers, **WAV})


def test_spoken_command_is_queued_with_what_was_heard(client, app_headers, speak, trusting):
    response = post_speech(client, app_headers, to_wav(speak("turn on the kitchen light")))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["source"] == "voice"
    assert body["heard"] == "turn on the kitchen light"
    assert 0.0 <= body["confidence"] <= 1.0
    assert body["actions"] == [{"room": "kitchen", "device": "light", "action": "on"}]
    assert stored_heard(client, body["id"]) == (body["heard"], body["confidence"])


def stored_heard(client, command_id: int) -> tuple:
    import sqlalchemy as sa

    db = relay_of(client.application).db
    with db.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT heard, confidence FROM commands WHERE id = :id"),
                                 {"id": command_id}).one()
    return tuple(row)


def noise(seconds: float) -> bytes:
    import numpy as np

    samples = np.random.default_rng(7).normal(0, 3000, int(seconds * SAMPLE_RATE))
    return to_wav(np.clip(samples, -32768, 32767).astype("<i2").tobytes())


def truncated() -> bytes:
    whole = to_wav(b"\x01\x00" * SAMPLE_RATE)
    return whole[: len(whole) // 2]


def chunk_past_the_end() -> bytes:
    # The wave module raised a bare RuntimeError for it: a 500 from the server.
    return b"RIFF" + struct.pack("<I", 100) + b"WAVE" + b"fmt " + struct.pack("<I", 0x7FFFFFFF) + b"\x01\x00" * 8


def stereo() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(b"\0\0\0\0" * 1600)
    return buffer.getvalue()


@pytest.mark.parametrize("name, body, status, error", [
    ("silence", to_wav(b"\0\0" * SAMPLE_RATE * 2), 422, "not_heard"),
    ("noise only", noise(2.0), 422, "not_heard"),
    ("30 seconds", to_wav(b"\0\0" * 8000 * 30, 8000), 413, "too_large"),
    ("truncated", truncated(), 400, "bad_audio"),
    ("not a WAV", b"ID3\x03\x00 an mp3, say", 400, "bad_audio"),
    ("stereo", stereo(), 400, "bad_audio"),
    ("a chunk past its end", chunk_past_the_end(), 400, "bad_audio"),
    ("over a megabyte", to_wav(b"\0\0" * 48000 * 11, 48000), 413, "too_large"),
])
def test_bad_recordings_get_a_clear_4xx(client, app_headers, name, body, status, error):
    response = post_speech(client, app_headers, body)
    assert response.status_code == status, (name, response.get_json())
    assert response.get_json()["error"] == error
    assert response.get_json()["detail"]


def test_wrong_role_and_wrong_type_are_refused(client, agent_headers, app_headers):
    assert post_speech(client, agent_headers, to_wav(b"\0\0" * 1600)).status_code == 403
    response = client.post("/api/v1/speech", data=b"{}", headers={**app_headers, "Content-Type": "application/json"})
    assert response.status_code == 415
    assert client.post("/api/v1/agent/heard", json={"text": "turn on the tv", "confidence": 0.9},
                       headers=app_headers).status_code == 403


@pytest.mark.parametrize("method", ["HEAD", "GET", "PUT", "DELETE"])
def test_other_methods_on_the_voice_endpoints_are_405(client, app_headers, agent_headers, method):
    for path, headers in (("/api/v1/speech", app_headers), ("/api/v1/agent/heard", agent_headers)):
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 405, (path, method)


def test_wrong_revoked_and_other_homes_tokens_hear_nothing(client, app, agent_headers, app_headers):
    recording = to_wav(b"\0\0" * SAMPLE_RATE)
    for token in ("wrong", "", "x" * 5000):
        assert post_speech(client, {"Authorization": f"Bearer {token}"}, recording).status_code == 401
    # Another home's agent queues into its own home, never into this one.
    other = add_home(app, "neighbours")
    theirs = client.post("/api/v1/agent/heard", json={"text": "turn on the tv", "confidence": 1.0},
                         headers={"Authorization": f"Bearer {other.agent_token}"})
    assert theirs.status_code == 201
    assert client.get("/api/v1/commands", headers=app_headers).get_json() == {"commands": []}
    db = relay_of(app).db
    for token in list_tokens(db):
        revoke_token(db, token.id)
    assert post_speech(client, app_headers, recording).status_code == 401
    assert client.post("/api/v1/agent/heard", json={"text": "turn on the tv", "confidence": 1.0},
                       headers=agent_headers).status_code == 401


def test_agent_heard_queues_a_voice_command(client, agent_headers):
    response = client.post("/api/v1/agent/heard", json={"text": "turn on the tv", "confidence": 0.95},
                           headers=agent_headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["source"] == "voice" and body["heard"] == "turn on the tv" and body["confidence"] == 0.95
    assert stored_heard(client, body["id"]) == ("turn on the tv", 0.95)
    refused = client.post("/api/v1/agent/heard", json={"text": "turn on the kitchen fan", "confidence": 1.0},
                          headers=agent_headers)
    assert refused.status_code == 422 and refused.get_json()["error"] == "not_understood"


def test_a_spoken_question_is_answered_as_documented(client, agent_headers, app_headers):
    answer = client.post("/api/v1/agent/heard", json={"text": "how warm is it", "confidence": 1.0},
                         headers=agent_headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["intent"] == "status" and body["answer"].startswith("There is no reading yet")
    assert body["heard"] == "how warm is it" and body["confidence"] == 1.0
    assert client.get("/api/v1/commands", headers=app_headers).get_json()["commands"] == []
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/agent/heard", "/api/v1/speech"):
        assert "200" in paths[path]["post"]["responses"], path


def test_openapi_describes_speech(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "audio/wav" in paths["/api/v1/speech"]["post"]["requestBody"]["content"]
    assert "/api/v1/agent/heard" in paths


def test_recording_switches_the_simulated_agent(live_server, tmp_path, speak, trusting):
    import requests

    from tests.agent.harness import AgentThread, fast_settings
    from homerelay.agent.agent import Agent

    agent = AgentThread(Agent(fast_settings(live_server.url, live_server.agent_token, tmp_path / "state.json")))
    agent.start()
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {live_server.app_token}"
        response = session.post(f"{live_server.url}/api/v1/speech", data=to_wav(speak("turn on the kitchen light")),
                                headers=WAV)
        assert response.status_code == 201, response.text

        def kitchen_light_on():
            devices = session.get(f"{live_server.url}/api/v1/devices").json()["devices"]
            return any(d["room"] == "kitchen" and d["device"] == "light" and d["state"] == "on" for d in devices)

        eventually(kitchen_light_on, timeout=10)
    finally:
        agent.stop()


def test_an_unsure_recording_is_refused_not_acted_on(client, app_headers, speak):
    # At the calibrated threshold an espeak-ng sentence is refused: never a wrong action.
    response = post_speech(client, app_headers, to_wav(speak("turn on the garden light")))
    assert response.status_code == 422 and response.get_json()["error"] in ("not_heard", "not_understood")
