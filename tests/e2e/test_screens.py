"""The web app's four screens at phone size, against a real server and the simulated agent."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.support.polling import poll

from .conftest import Agent
from .helpers import command_item, device_state, open_screen, snap

pytestmark = pytest.mark.browser

SCREEN_NAMES = ("Command", "Dashboard", "Devices", "Automation")


def test_sign_in_link_keeps_the_token_and_clears_the_address_bar(signed_in, server):
    assert "token" not in signed_in.url
    assert signed_in.evaluate("localStorage.getItem('homerelay.token')") == server.app_token
    for name in SCREEN_NAMES:
        expect(signed_in.get_by_role("link", name=name, exact=True)).to_be_visible()
    # Signed in for the next visit too: a plain reload needs no link.
    signed_in.goto(server.url)
    expect(signed_in.get_by_role("navigation", name="Screens")).to_be_visible()


def test_wrong_token_is_refused_and_the_form_signs_in(page, server):
    page.goto(f"{server.url}/#token=not-a-real-token")
    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    expect(page.get_by_role("navigation", name="Screens")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('homerelay.token')") is None
    page.get_by_label("App token").fill(server.agent_token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("agent's token")
    page.get_by_label("App token").fill(server.app_token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Screens")).to_be_visible()


def test_typed_command_is_carried_out(signed_in, server, screenshots):
    box = signed_in.get_by_role("textbox", name="Command")
    box.fill("turn on the kitchen light")
    box.press("Enter")
    item = command_item(signed_in, "turn on the kitchen light")
    expect(item).to_contain_text("Carried out")
    expect(box).to_have_value("")
    assert poll(lambda: device_state(server, "kitchen", "light") == "on")

    signed_in.get_by_role("textbox", name="Command").fill("turn off the kitchen light")
    signed_in.get_by_role("button", name="Send", exact=True).click()
    expect(command_item(signed_in, "turn off the kitchen light")).to_contain_text("Carried out")
    snap(signed_in, screenshots / "command.png")


def test_markup_in_a_command_is_shown_literally(signed_in):
    text = "<img src=x onerror=alert(1)>"
    box = signed_in.get_by_role("textbox", name="Command")
    box.fill(text)
    box.press("Enter")
    item = command_item(signed_in, text)
    expect(item).to_contain_text("Not understood")
    assert signed_in.locator("#command-list img").count() == 0
    # The server's explanation quotes the text: it must stay text as well.
    expect(item.locator(".command-result")).to_contain_text(text)


def test_not_understood_shows_why_and_a_suggestion_can_be_tapped(signed_in, server):
    box = signed_in.get_by_role("textbox", name="Command")
    box.fill("turn on the light")
    box.press("Enter")
    item = command_item(signed_in, "turn on the light")
    expect(item).to_contain_text("Not understood")
    expect(item.locator(".command-result")).to_contain_text("Which light?")
    item.get_by_role("button", name="Send: turn on the bathroom light").click()
    expect(command_item(signed_in, "turn on the bathroom light")).to_contain_text("Carried out")
    assert poll(lambda: device_state(server, "bathroom", "light") == "on")


def test_devices_show_live_state_and_switch_by_tap(signed_in, server, screenshots):
    open_screen(signed_in, "Devices")
    tv = signed_in.get_by_role("switch", name="living room tv", exact=True)
    expect(tv).not_to_be_checked()
    # Switched elsewhere (another phone): the switch follows without a reload.
    assert server.api("POST", "/commands", json={"text": "turn on the living room tv"}).status_code == 201
    expect(tv).to_be_checked()

    door = signed_in.get_by_role("switch", name="garage door", exact=True)
    expect(door).not_to_be_checked()
    door.click()
    # The door asks first (test_confirm.py covers Cancel).
    signed_in.get_by_role("dialog").get_by_role("button", name="Open", exact=True).click()
    expect(door).to_be_checked()
    expect(command_item(signed_in, "open the garage door")).to_have_count(1)
    expect(signed_in.locator(".device.is-pending")).to_have_count(0)
    # Settled on the state the agent reported, not just the one the tap asked for.
    expect(door.locator("xpath=..").locator(".device-state")).to_have_text("Open")
    expect(door).to_be_checked()
    assert poll(lambda: device_state(server, "garage", "door") == "on")
    snap(signed_in, screenshots / "devices.png")

    door.click()
    signed_in.get_by_role("dialog").get_by_role("button", name="Close", exact=True).click()
    expect(door).not_to_be_checked()
    expect(signed_in.locator(".device.is-pending")).to_have_count(0)
    assert poll(lambda: device_state(server, "garage", "door") == "off")


@contextmanager
def readings_only_from_the_test(server, agent):
    """The session's agent replaced, for a test, by one that sends one reading as it starts and
    then none for an hour, so that the reading the test sends next stays the latest."""
    # A time ahead of the server's is stored as the server's (the reading API), so a reading
    # sent "a minute ahead" did not stay the latest: the agent's next one (every 10 s) replaced
    # it, and the screen then showed the room's temperature, not the test's.
    agent.stop()
    quiet = Agent(server, options=("--reading-interval", "3600"))
    started = datetime.now(timezone.utc)
    quiet.start()
    try:
        assert poll(lambda: datetime.fromisoformat(server.api("GET", "/readings/latest").json()["at"]) >= started)
        yield
    finally:
        quiet.stop()
        agent.start()


def test_dashboard_shows_a_new_reading_without_reload(signed_in, server, agent, screenshots):
    open_screen(signed_in, "Dashboard")
    expect(signed_in.locator("#reading-age")).to_contain_text("Measured")
    expect(signed_in.locator("#chart canvas")).to_have_count(1)
    with readings_only_from_the_test(server, agent):
        reply = server.api("POST", "/readings", token=server.agent_token, json={"temperature": 31.5, "humidity": 42})
        assert reply.status_code == 201
        expect(signed_in.locator("#temperature-value")).to_have_text("31.5")
        expect(signed_in.locator("#humidity-value")).to_have_text("42")
        expect(signed_in.locator("#reading-stale")).to_be_hidden()
        snap(signed_in, screenshots / "dashboard.png")


def test_saving_a_threshold(signed_in, server, agent, screenshots):
    with readings_only_from_the_test(server, agent):
        saving_a_threshold(signed_in, server, screenshots)


def saving_a_threshold(signed_in, server, screenshots):
    """The body of test_saving_a_threshold, while only the test sends readings."""
    # A hot room.
    assert server.api("POST", "/readings", token=server.agent_token, json={"temperature": 31.0, "humidity": 40}).ok
    open_screen(signed_in, "Automation")
    expect(signed_in.get_by_role("combobox", name="Room")).to_have_value("living_room")
    signed_in.get_by_role("switch", name="Cooling").check()  # another test may have left it off
    threshold = signed_in.get_by_label("Threshold")
    threshold.fill("30.5")
    signed_in.get_by_label("Hysteresis").fill("1")
    signed_in.get_by_role("combobox", name="Room").select_option(label="bedroom")
    signed_in.get_by_role("combobox", name="Device").select_option(label="fan")
    signed_in.get_by_role("button", name="Save", exact=True).click()
    expect(signed_in.locator("#cooling-message")).to_have_text("Saved.")
    rule = server.api("GET", "/automations/cooling").json()
    assert (rule["threshold"], rule["hysteresis"], rule["room"], rule["device"]) == (30.5, 1.0, "bedroom", "fan")
    expect(signed_in.locator("#cooling-status")).to_contain_text("bedroom fan")
    expect(signed_in.locator("#cooling-status")).to_contain_text(re.compile(r"On at 30\.5\s°C"))
    # 31 °C is over the new threshold: the rule turns the bedroom fan on, and the screen says so.
    expect(signed_in.locator("#cooling-status")).to_contain_text("holding the bedroom fan on")
    assert poll(lambda: device_state(server, "bedroom", "fan") == "on")

    # Switched off by hand: the rule leaves the fan alone for a while, and says until when.
    assert server.api("POST", "/commands", json={"text": "turn off the bedroom fan"}).status_code == 201
    expect(signed_in.locator("#cooling-status")).to_contain_text("Cooling is paused")
    expect(signed_in.locator("#cooling-pause")).to_contain_text("Paused until")
    expect(signed_in.locator("#cooling-pause")).to_contain_text("switched the bedroom fan by hand")
    snap(signed_in, screenshots / "automation.png")


@contextmanager
def quiet_dashboard(browser, server_factory, path):
    """A server without an agent (nothing arrives but what the test sends), its dashboard open at phone size."""
    quiet = server_factory(path)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{quiet.url}/#token={quiet.app_token}")
        open_screen(page, "Dashboard")
        expect(page.locator("#reading-age")).to_contain_text("No reading yet")
        # The event stream is open (the top bar has left "Connecting…"): what the test sends next
        # arrives as an event, not only in the first fetch.
        expect(page.locator("#live")).not_to_have_attribute("data-state", "connecting")
        yield quiet, page
    finally:
        context.close()
        quiet.stop()


def test_an_old_reading_is_marked_stale(browser, server_factory, tmp_path):
    with quiet_dashboard(browser, server_factory, tmp_path / "stale") as (quiet, page):
        an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
        reply = quiet.api("POST", "/readings", token=quiet.agent_token, json=[{"temperature": 22.0, "humidity": 50, "at": an_hour_ago}])
        assert reply.status_code == 201
        page.reload()
        expect(page.locator("#temperature-value")).to_have_text("22.0")
        expect(page.locator("#reading-stale")).to_be_visible()
        expect(page.locator("#reading-age")).to_contain_text("1 h ago")


def test_a_batch_of_readings_reloads_the_chart(browser, server_factory, tmp_path):
    with quiet_dashboard(browser, server_factory, tmp_path / "batch") as (quiet, page):
        now = datetime.now(timezone.utc)
        batch = [{"temperature": 20.0 + n, "humidity": 50, "at": (now - timedelta(minutes=3 - n)).isoformat()} for n in range(3)]
        # The event carries only the newest reading and `count`: the app fetches the history for the rest.
        with page.expect_request(lambda request: "/api/v1/readings?since=" in request.url):
            reply = quiet.api("POST", "/readings", token=quiet.agent_token, json=batch)
            assert reply.status_code == 201
        expect(page.locator("#temperature-value")).to_have_text("22.0")
        expect(page.locator("#chart-empty")).to_be_hidden()


def test_phone_layout_has_no_sideways_scroll_and_large_targets(signed_in):
    for name in SCREEN_NAMES:
        open_screen(signed_in, name)
        width = signed_in.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name}: page is {width} px wide"
        small = signed_in.evaluate(
            """() => [...document.querySelectorAll('a, button, input, select')]
                .filter((el) => el.offsetParent !== null)
                .map((el) => [el.getAttribute('aria-label') || el.textContent.trim() || el.id, el.getBoundingClientRect()])
                .filter(([, box]) => box.height < 44 || box.width < 44)
                .map(([label, box]) => `${label}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""
        )
        assert small == [], f"{name}: touch targets under 44 px: {small}"


def test_every_control_has_an_accessible_name(signed_in):
    for name in SCREEN_NAMES:
        open_screen(signed_in, name)
        unnamed = signed_in.evaluate(
            """() => [...document.querySelectorAll('a, button, input, select')]
                .filter((el) => el.offsetParent !== null)
                .filter((el) => !(el.getAttribute('aria-label') || el.labels?.length || el.textContent.trim()))
                .map((el) => el.outerHTML.slice(0, 80))"""
        )
        assert unnamed == [], f"{name}: controls without a name: {unnamed}"


def test_dark_theme_follows_the_system(browser, server, agent, screenshots):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/#token={server.app_token}")
        expect(page.locator("#live")).to_have_text("Live")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 19, 23)"
        for name in SCREEN_NAMES:
            open_screen(page, name)
            snap(page, screenshots / f"dark-{name.lower()}.png")
    finally:
        context.close()


FAKE_SPEECH = """
window.SpeechRecognition = class {
  constructor() { this.listeners = {}; }
  addEventListener(name, callback) { (this.listeners[name] ||= []).push(callback); }
  emit(name, event) { for (const callback of this.listeners[name] || []) callback(event); }
  start() {
    const heard = Object.assign([{ transcript: "turn on the bedroom light" }], { isFinal: true });
    setTimeout(() => { this.emit("result", { results: [heard] }); this.emit("end", {}); }, 50);
  }
  stop() { this.emit("end", {}); }
};
"""
NO_SPEECH = "delete window.SpeechRecognition; delete window.webkitSpeechRecognition;"


def test_spoken_command_is_sent(context, server, agent):
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    page.goto(f"{server.url}/#token={server.app_token}")
    page.get_by_role("button", name="Speak a command").click()
    expect(command_item(page, "turn on the bedroom light")).to_contain_text("Carried out")


def test_without_speech_recognition_the_microphone_records_privately(context, server, agent):
    # A browser without a recogniser (Firefox, some installed apps) still has voice: the page
    # records and the home's own server hears it, so private voice is on and cannot be turned off.
    context.add_init_script(NO_SPEECH)
    page = context.new_page()
    page.goto(f"{server.url}/#token={server.app_token}")
    expect(page.get_by_role("textbox", name="Command")).to_be_visible()
    expect(page.get_by_role("button", name="Speak a command")).to_be_visible()
    private = page.locator("#private-voice")
    expect(private).to_be_checked()
    expect(private).to_be_disabled()
