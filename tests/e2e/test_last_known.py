"""The web app shows the last known state, marked, when the server cannot be reached; per home."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, PageProblems, homerelay, subprocess_env
from .helpers import CONNECTED, open_screen, snap

pytestmark = pytest.mark.browser

STORE_KEY = "homerelay.lastKnown"
CONTROLLED = """new Promise((resolve) => navigator.serviceWorker.controller
    ? resolve(true)
    : navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true)))"""
KITCHEN = ("kitchen", "light")


def report(server, token: str, on: set[tuple[str, str]], temperature: float) -> None:
    """What an agent would send: every device's state (those in `on` switched on) and a reading."""
    house = server.api("GET", "/house").json()
    devices = [
        {"room": d["room"], "device": d["name"], "kind": d["kind"], "state": "on" if (d["room"], d["name"]) in on else "off"}
        for d in house["devices"]
    ]
    assert server.api("PUT", "/devices", token=token, json={"devices": devices}).status_code in (200, 204)
    reply = server.api("POST", "/readings", token=token, json={"temperature": temperature, "humidity": 41})
    assert reply.status_code == 201


def past_readings(server, token: str) -> None:
    """An hour of history before the latest reading, as an agent sends a buffered batch."""
    now = datetime.now(timezone.utc)
    batch = [
        {"temperature": 21.0 + i * 0.5, "humidity": 45 - i, "at": (now - timedelta(minutes=60 - i * 12)).isoformat()}
        for i in range(5)
    ]
    assert server.api("POST", "/readings", token=token, json=batch).status_code == 201


def stored(page) -> dict | None:
    """The last-known record the page keeps in localStorage (None: nothing kept)."""
    text = page.evaluate(f"localStorage.getItem('{STORE_KEY}')")
    return json.loads(text) if text else None


def wait_until_kept(page, temperature: float) -> dict:
    """Wait until the page has kept a record with this reading; return it."""
    page.wait_for_function(
        f"""() => {{
            const record = JSON.parse(localStorage.getItem('{STORE_KEY}') || 'null');
            const latest = record && record.parts.dashboard && record.parts.dashboard.latest;
            return Boolean(latest && latest.temperature === {temperature} && record.parts.devices);
        }}"""
    )
    return stored(page)


def second_home(server) -> dict:
    """Another home on the same server (same origin, same browser storage): its tokens."""
    created = subprocess.run(
        homerelay("home", "create", "other", "--db", server.db_url, "--json"),
        env=subprocess_env(), cwd=server.workdir, capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(created.stdout.strip().splitlines()[-1])


@pytest.fixture
def phone(browser):
    """A fresh phone-sized browser profile and page; fails the test on page errors or CSP breaks."""
    context = browser.new_context(viewport=PHONE, color_scheme="light", has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = PageProblems(page)
    yield page
    context.close()
    assert problems.errors == []


def test_server_down_shows_the_last_known_state_marked_and_live_data_replaces_it(phone, server_factory, tmp_path, screenshots):
    server = server_factory(tmp_path / "known")
    page = phone
    try:
        past_readings(server, server.agent_token)
        report(server, server.agent_token, {KITCHEN}, 23.5)
        page.goto(f"{server.url}/#token={server.app_token}")
        expect(page.locator("#live")).to_have_text(CONNECTED)
        assert page.evaluate(CONTROLLED)  # the shell can be served without the server
        open_screen(page, "Devices")
        kitchen = page.get_by_role("switch", name="kitchen light")
        expect(kitchen).to_be_checked()
        expect(kitchen).to_be_enabled()
        record = wait_until_kept(page, 23.5)
        assert server.app_token not in json.dumps(record), "the token must not be copied into the record"
        assert len(record["parts"]["dashboard"]["points"]) == 6, "the history drawn is kept with the reading"

        server.stop()
        banner = page.locator("#offline-banner")
        # The open page keeps what it has, and says it is no longer live.
        expect(banner).to_contain_text("The server cannot be reached — showing what was known at")
        expect(kitchen).to_be_disabled()

        response = page.reload()
        assert response is not None and response.from_service_worker
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("The server cannot be reached — showing what was known at")
        expect(page.locator("#live")).to_have_text("Retrying…")
        kitchen = page.get_by_role("switch", name="kitchen light")
        expect(kitchen).to_be_checked()
        expect(kitchen).to_be_disabled()
        expect(page.get_by_role("switch", name="garage door")).not_to_be_checked()
        expect(page.locator("#devices-readonly")).to_contain_text("not live. Switching waits until the server answers again.")
        snap(page, screenshots / "offline-last-known-devices.png")

        open_screen(page, "Dashboard")
        expect(page.locator("#temperature-value")).to_have_text("23.5")
        expect(page.locator("#humidity-value")).to_have_text("41")
        expect(page.get_by_text("Last known, not live")).to_be_visible()
        expect(page.locator("#chart-empty")).to_be_hidden()  # the kept history is drawn
        assert page.evaluate("document.querySelector('#chart canvas') !== null")
        snap(page, screenshots / "offline-last-known-dashboard.png")

        server.start()
        report(server, server.agent_token, set(), 24.0)  # changed while the page was away
        expect(page.locator("#live")).to_have_text(CONNECTED, timeout=20_000)
        expect(banner).to_be_hidden()
        expect(page.locator("#temperature-value")).to_have_text("24.0")
        expect(page.get_by_text("Last known, not live")).to_be_hidden()
        open_screen(page, "Devices")
        kitchen = page.get_by_role("switch", name="kitchen light")
        expect(kitchen).not_to_be_checked()
        expect(kitchen).to_be_enabled()
        expect(page.locator("#devices-readonly")).to_be_hidden()
    finally:
        server.stop()


def test_offline_reload_shows_the_last_known_state_until_the_network_returns(signed_in, server):
    page = signed_in
    assert page.evaluate(CONTROLLED)
    open_screen(page, "Devices")
    expect(page.get_by_role("switch", name="kitchen light")).to_be_enabled()
    page.wait_for_function(f"() => localStorage.getItem('{STORE_KEY}') !== null")

    page.context.set_offline(True)
    page.reload()
    banner = page.locator("#offline-banner")
    expect(banner).to_contain_text("You are offline — showing what was known at")
    expect(page.get_by_role("switch", name="kitchen light")).to_be_disabled()
    expect(page.locator("#devices-empty")).to_be_hidden()

    page.context.set_offline(False)
    expect(banner).to_be_hidden()
    expect(page.locator("#live")).to_have_text("Live")
    expect(page.get_by_role("switch", name="kitchen light")).to_be_enabled()


def test_another_home_never_sees_the_first_homes_state(phone, server_factory, tmp_path):
    server = server_factory(tmp_path / "homes")
    other = second_home(server)
    page = phone
    try:
        report(server, server.agent_token, {KITCHEN}, 23.5)
        report(server, other["agent_token"], set(), 18.0)
        page.goto(f"{server.url}/#token={server.app_token}")
        expect(page.locator("#live")).to_have_text(CONNECTED)
        assert page.evaluate(CONTROLLED)
        first = wait_until_kept(page, 23.5)

        # The other home signs in while nothing can be fetched: only what was kept could show.
        server.stop()
        page.evaluate(f"window.location.hash = '#token={other['app_token']}'")
        banner = page.locator("#offline-banner")
        expect(banner).to_have_text("The server cannot be reached. Commands cannot be sent until the connection is back.")
        open_screen(page, "Dashboard")
        expect(page.locator("#temperature-value")).to_have_text("–")
        expect(page.locator("#reading-age")).to_have_text("Not loaded yet: waiting for the server.")
        open_screen(page, "Devices")
        expect(page.locator("#devices-empty")).to_be_visible()
        expect(page.get_by_role("switch")).to_have_count(0)
        assert stored(page) is None, "the first home's record is dropped when another home signs in"

        page.reload()  # from the service worker, with the other home's token
        expect(banner).to_be_visible()
        expect(page.get_by_role("switch")).to_have_count(0)
        expect(page.locator("#temperature-value")).to_have_text("–")

        server.start()
        expect(page.locator("#live")).to_have_text(CONNECTED, timeout=20_000)
        expect(page.get_by_role("switch", name="kitchen light")).not_to_be_checked()
        open_screen(page, "Dashboard")
        expect(page.locator("#temperature-value")).to_have_text("18.0")
        second = wait_until_kept(page, 18.0)
        assert second["home"] != first["home"]

        # Sign-out forgets the home's state with its token.
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        assert stored(page) is None
        assert page.evaluate("localStorage.getItem('homerelay.token')") is None
    finally:
        server.stop()
