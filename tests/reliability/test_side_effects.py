"""Methods that must not change anything: HEAD on the long-poll and on the event stream."""

from __future__ import annotations

import pytest

from tests.support.homes import listeners

SIDE_EFFECT_GETS = ["/api/v1/agent/next", "/api/v1/events"]


@pytest.mark.parametrize("path", SIDE_EFFECT_GETS)
def test_head_is_refused_where_get_has_a_side_effect(make_home, path):
    home = make_home()
    posted = home.client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=home.app_headers).get_json()
    headers = home.agent_headers if path.endswith("/next") else home.app_headers
    hub = home.app.extensions["homerelay"].hub

    answer = home.client.head(path, headers=headers)

    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET"
    # Nothing was claimed and nobody stays subscribed.
    assert home.client.get(f"/api/v1/commands/{posted['id']}", headers=home.app_headers).get_json()["status"] == "pending"
    assert listeners(hub) == 0
