"""Readings (latest, history, batches, staleness) and device states and the house layout."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from homerelay.house import House
from tests.support.homes import relay_of
from homerelay.server.services.readings import INSERT_READING


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def test_latest_reading_and_staleness(client, app_headers, agent_headers):
    empty = client.get("/api/v1/readings/latest", headers=app_headers).get_json()
    assert empty == {"temperature": None, "humidity": None, "at": None, "stale": True}
    assert client.post("/api/v1/readings", json={"temperature": 23.5, "humidity": 41}, headers=agent_headers).status_code == 201
    latest = client.get("/api/v1/readings/latest", headers=app_headers).get_json()
    assert latest["temperature"] == 23.5 and latest["humidity"] == 41 and latest["stale"] is False


def test_old_reading_is_stale(client, app_headers, agent_headers):
    old = datetime.now(timezone.utc) - timedelta(minutes=5)
    client.post("/api/v1/readings", json={"temperature": 20, "humidity": 40, "at": iso(old)}, headers=agent_headers)
    assert client.get("/api/v1/readings/latest", headers=app_headers).get_json()["stale"] is True


def test_batch_buffered_offline_is_stored_in_time_order(client, app_headers, agent_headers):
    now = datetime.now(timezone.utc)
    batch = [{"temperature": 20 + i, "humidity": 40, "at": iso(now - timedelta(seconds=10 * (5 - i)))} for i in range(5)]
    response = client.post("/api/v1/readings", json=list(reversed(batch)), headers=agent_headers)
    assert response.get_json() == {"stored": 5}
    history = client.get("/api/v1/readings", headers=app_headers).get_json()["readings"]
    assert [r["temperature"] for r in history] == [20, 21, 22, 23, 24]


def test_history_since_and_limit(client, app_headers, agent_headers):
    now = datetime.now(timezone.utc)
    batch = [{"temperature": 10 + i, "humidity": 50, "at": iso(now - timedelta(minutes=10 - i))} for i in range(10)]
    client.post("/api/v1/readings", json=batch, headers=agent_headers)
    since = iso(now - timedelta(minutes=4, seconds=30))
    recent = client.get(f"/api/v1/readings?since={since}", headers=app_headers).get_json()["readings"]
    assert [r["temperature"] for r in recent] == [16, 17, 18, 19]
    newest_two = client.get("/api/v1/readings?limit=2", headers=app_headers).get_json()["readings"]
    assert [r["temperature"] for r in newest_two] == [18, 19]


def test_old_readings_are_pruned_after_the_retention(app, home, client, app_headers, agent_headers):
    long_ago = datetime.now(timezone.utc) - timedelta(days=60)
    # The API refuses a reading that old; one stored before the retention was shortened is like it.
    with app.extensions["homerelay"].db.writing() as connection:
        connection.execute(INSERT_READING, [{"home_id": home.home_id, "temperature": 1, "humidity": 1, "at": long_ago}])
    client.post("/api/v1/readings", json={"temperature": 2, "humidity": 2}, headers=agent_headers)
    assert relay_of(app).readings.prune() == 1
    assert [r["temperature"] for r in client.get("/api/v1/readings", headers=app_headers).get_json()["readings"]] == [2]


DEVICES = [
    {"room": "living_room", "device": "fan", "kind": "relay", "state": "on"},
    {"room": "kitchen", "device": "light", "kind": "led", "state": "off"},
]


def test_device_states_are_replaced_whole(client, app_headers, agent_headers):
    assert client.get("/api/v1/devices", headers=app_headers).get_json() == {"devices": [], "updated_at": None}
    client.put("/api/v1/devices", json={"devices": DEVICES}, headers=agent_headers)
    got = client.get("/api/v1/devices", headers=app_headers).get_json()
    assert sorted(got["devices"], key=lambda d: d["room"]) == sorted(DEVICES, key=lambda d: d["room"])
    assert got["updated_at"].endswith("Z")
    client.put("/api/v1/devices", json={"devices": DEVICES[:1]}, headers=agent_headers)
    assert client.get("/api/v1/devices", headers=app_headers).get_json()["devices"] == DEVICES[:1]


def test_duplicate_device_in_state_is_refused(client, agent_headers):
    response = client.put("/api/v1/devices", json={"devices": DEVICES + DEVICES[:1]}, headers=agent_headers)
    assert response.status_code == 400


def test_house_defaults_and_upload_changes_the_language(client, app_headers, agent_headers):
    default = client.get("/api/v1/house", headers=app_headers).get_json()
    assert House.from_mapping(default) == House.default()
    layout = House.default().to_mapping()
    assert client.post("/api/v1/commands", json={"text": "turn on the porch light"}, headers=app_headers).status_code == 422
    porch = House.from_mapping(_with_porch(layout))
    assert client.put("/api/v1/house", json=porch.to_mapping(), headers=agent_headers).status_code == 200
    response = client.post("/api/v1/commands", json={"text": "turn on the porch light"}, headers=app_headers)
    assert response.status_code == 201
    assert response.get_json()["actions"] == [{"room": "porch", "device": "light", "action": "on"}]


def _with_porch(layout: dict) -> dict:
    """The default house plus a porch with a light on a free pin."""
    house = House.default()
    used = {d.pin for d in house.devices} | ({house.sensor.pin} if house.sensor else set())
    free_pin = next(p for p in range(2, 28) if p not in used)
    return {
        **layout,
        "rooms": [*layout["rooms"], "porch"],
        "devices": [*layout["devices"], {"room": "porch", "name": "light", "kind": "led", "pin": free_pin}],
    }
