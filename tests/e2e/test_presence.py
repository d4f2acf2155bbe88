"""The Pi's presence where people look: the top bar, queued commands, waiting switches, unknown states."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.support.polling import poll

from .conftest import Agent
from .helpers import command_item, device_state, open_screen, send, snap

pytestmark = pytest.mark.browser

PI_OFFLINE = re.compile(r"^Pi offline since \d{1,2}:\d\d( [AP]M)?$")


@pytest.fixture
def agent_back(agent):
    """The session's agent, started again after the test whatever happens."""
    yield agent
    if not agent.running:
        agent.start()


def test_top_bar_commands_and_switches_say_when_the_pi_is_away(signed_in, server, agent_back, screenshots):
    page = signed_in
    live = page.locator("#live")
    expect(live).to_have_text("Live")
    agent_back.stop()
    expect(live).to_have_text(PI_OFFLINE)
    expect(live).to_have_attribute("data-state", "pi-offline")
    # The server is still there: no offline banner, and commands can still be queued.
    expect(page.locator("#offline-banner")).to_be_hidden()
    send(page, "turn on the bathroom light")
    expect(command_item(page, "turn on the bathroom light")).to_contain_text("Waiting for the Pi")
    snap(page, screenshots / "pi-offline-command.png")

    open_screen(page, "Devices")
    light = page.get_by_role("switch", name="kitchen light", exact=True)
    before = light.is_checked()
    light.click()
    note = page.locator(".device").filter(has=light).locator(".device-note")
    expect(note).to_have_text("The Pi is offline; it will switch when the Pi is back.", timeout=15_000)
    expect(light).to_have_accessible_description("The Pi is offline; it will switch when the Pi is back.")
    snap(page, screenshots / "pi-offline-devices.png")

    agent_back.start()
    expect(live).to_have_text("Live", timeout=20_000)
    # Queued while it was away, carried out when it came back; the switch settles on its own.
    expect(note).to_be_hidden(timeout=20_000)
    expect(light).to_be_checked(checked=not before)
    assert poll(lambda: device_state(server, "kitchen", "light") == ("off" if before else "on"), timeout=20)
    open_screen(page, "Command")
    expect(command_item(page, "turn on the bathroom light")).to_contain_text("Carried out")


def test_two_pis_on_one_token_are_warned_about(signed_in, server, agent, screenshots):
    page = signed_in
    second = Agent(server, name="second-agent")
    second.start()
    try:
        warning = page.locator("#agent-warning")
        expect(warning).to_contain_text("Two Pis are using one agent token")
        expect(page.locator("#live")).to_have_text("Live")
        snap(page, screenshots / "two-pis.png")
    finally:
        second.stop()
    expect(page.locator("#agent-warning")).to_be_hidden(timeout=20_000)


class SilentPi:
    """An agent that keeps a long-poll open (so it counts as connected) but never carries anything out."""

    def __init__(self, server) -> None:
        self.server = server
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    @staticmethod
    def headers(server) -> dict:
        """What the silent Pi sends with every request: its token and its instance."""
        return {"Authorization": f"Bearer {server.agent_token}", "X-Homerelay-Agent": "instance=silent-pi; version=test"}

    def run(self) -> None:
        headers = self.headers(self.server)
        while not self.stopped.is_set():
            try:
                requests.get(f"{self.server.url}/api/v1/agent/next?wait=5", headers=headers, timeout=10)
            except requests.RequestException:
                time.sleep(0.5)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(10)


def test_a_slow_pi_is_said_to_be_slow_and_unknown_devices_are_explained(page, server_factory, tmp_path, screenshots):
    quiet = server_factory(tmp_path / "no-pi")  # no agent at all: what it reports is up to the test
    try:
        house = quiet.api("GET", "/house").json()["devices"]
        reported = [
            {"room": d["room"], "device": d["name"], "kind": d["kind"], "state": "off"}
            for d in house if d["room"] == "kitchen"
        ]
        # Reported as the silent Pi below (the same instance), so that the server sees one Pi.
        reply = requests.put(f"{quiet.url}/api/v1/devices", headers=SilentPi.headers(quiet), json={"devices": reported}, timeout=10)
        assert reply.status_code in (200, 204), reply.text
        page.goto(f"{quiet.url}/#token={quiet.app_token}")
        open_screen(page, "Devices")
        tv = page.locator(".device").filter(has=page.get_by_role("switch", name="living room tv", exact=True))
        expect(tv.locator(".device-state")).to_have_text("Unknown")
        expect(tv.locator(".device-note")).to_have_text("Not reported by the Pi yet.")
        kitchen = page.locator(".device").filter(has=page.get_by_role("switch", name="kitchen light", exact=True))
        expect(kitchen.locator(".device-note")).to_be_hidden()

        open_screen(page, "Automation")
        expect(page.locator("#cooling-now-note")).to_contain_text("No readings yet")
        snap(page, screenshots / "automation-no-readings.png")

        # A Pi the server counts as connected but that does not answer: the switch says so.
        with SilentPi(quiet):
            expect(page.locator("#live")).to_have_text("Live", timeout=15_000)
            open_screen(page, "Devices")
            page.get_by_role("switch", name="kitchen light", exact=True).click()
            expect(kitchen.locator(".device-note")).to_have_text("The Pi has not answered yet.", timeout=15_000)
            snap(page, screenshots / "devices-unknown-and-waiting.png")
    finally:
        quiet.stop()
