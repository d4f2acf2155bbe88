"""Cooling you can see and take back: the pause and Resume now, the form's limits, the same states
as the Devices screen, the threshold and on-periods on the chart, and its commands grouped."""

from __future__ import annotations

import re
import pytest
from playwright.sync_api import expect

from tests.support.polling import poll

from .helpers import command_item, device_state, open_screen, send, snap

pytestmark = pytest.mark.browser

FAN = ("living_room", "fan")


def room_temperature(server) -> float:
    """The latest temperature (the simulated agent sends one every 10 s, so rules are set around it)."""
    return server.api("GET", "/readings/latest").json()["temperature"]


def shown_temperatures(page) -> tuple[str, str]:
    """The temperature the Dashboard and the Automation screen show, read in the same moment."""
    return tuple(page.evaluate(
        "() => [document.getElementById('temperature-value').textContent,"
        " document.getElementById('cooling-temperature').textContent]"
    ))


def set_rule(server, **changes) -> dict:
    """Change the cooling rule through the API; return what the server answered."""
    rule = {"enabled": True, "threshold": 30.0, "hysteresis": 1.0, "room": FAN[0], "device": FAN[1]}
    rule.update(changes)
    reply = server.api("PUT", "/automations/cooling", json=rule)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.fixture
def cooling(server, agent):
    """No pause left from before; afterwards the rule off again, no pause, and the fan off."""
    server.api("POST", "/automations/cooling/resume")
    yield
    set_rule(server, enabled=False, pause_minutes=10)
    server.api("POST", "/automations/cooling/resume")
    server.api("POST", "/commands", json={"text": "turn off the living room fan"})


def test_the_form_limits_are_the_servers(signed_in, server):
    document = server.api("GET", "/openapi.json").json()
    properties = document["components"]["schemas"]["CoolingIn"]["properties"]
    limits = signed_in.evaluate("import('/assets/js/limits.js').then((m) => m.COOLING_LIMITS)")
    for field, bounds in limits.items():
        # An optional field (pause_minutes) is anyOf [its number, null]: the bounds sit on the number.
        schemas = [properties[field], *properties[field].get("anyOf", [])]
        found = [(one["minimum"], one["maximum"]) for one in schemas if "minimum" in one]
        assert found == [(bounds["min"], bounds["max"])], field
    open_screen(signed_in, "Automation")
    assert signed_in.get_by_label("Threshold").get_attribute("min") == str(limits["threshold"]["min"])
    assert signed_in.get_by_label("Hysteresis").get_attribute("max") == str(limits["hysteresis"]["max"])


def test_a_bad_value_is_explained_in_a_sentence(signed_in, server):
    open_screen(signed_in, "Automation")
    signed_in.get_by_label("Threshold").fill("90")
    signed_in.get_by_role("button", name="Save", exact=True).click()
    expect(signed_in.locator("#cooling-message")).to_have_text("Give a threshold from -40 to 85 °C, for example 28.")
    # What only the server can know (a device the house does not have) comes back as its sentence.
    signed_in.get_by_label("Threshold").fill("30")
    signed_in.evaluate(
        """() => { const s = document.getElementById('cooling-device');
                   s.append(new Option('sauna', 'sauna')); s.value = 'sauna'; }"""
    )
    signed_in.get_by_role("button", name="Save", exact=True).click()
    message = signed_in.locator("#cooling-message")
    expect(message).to_have_attribute("data-kind", "error")
    detail = server.api("PUT", "/automations/cooling", json={
        "enabled": True, "threshold": 30, "hysteresis": 1, "room": "living_room", "device": "sauna"}).json()["detail"]
    expect(message).to_have_text(detail)


def test_a_hand_switch_pauses_cooling_and_resume_now_takes_it_back(signed_in, server, cooling, screenshots):
    page = signed_in
    set_rule(server, threshold=room_temperature(server) - 3, pause_minutes=15)  # too warm: fan on
    assert poll(lambda: device_state(server, *FAN) == "on", timeout=15)
    open_screen(page, "Automation")
    expect(page.get_by_label("Pause after a hand switch")).to_have_value("15")
    # Switched off by hand: the rule leaves it alone, and says until when and why.
    assert server.api("POST", "/commands", json={"text": "turn off the living room fan"}).status_code == 201
    pause = page.locator("#cooling-pause")
    expect(pause).to_be_visible()
    expect(pause).to_contain_text(re.compile(r"Paused until \d{1,2}:\d\d( [AP]M)? because .*living room fan"))
    expect(page.locator("#cooling-device-state")).to_have_text("Off")
    snap(page, screenshots / "automation-paused.png")

    pause.get_by_role("button", name="Resume now").click()
    expect(pause).to_be_hidden()
    assert server.api("GET", "/automations/cooling").json()["paused_until"] is None
    # Still too warm: the rule takes the fan back at once.
    expect(page.locator("#cooling-device-state")).to_have_text("On", timeout=15_000)
    expect(page.locator("#cooling-status")).to_contain_text("holding the living room fan on")


def test_pause_length_is_saved_from_the_form(signed_in, server, cooling):
    set_rule(server, enabled=False, pause_minutes=10)
    open_screen(signed_in, "Automation")
    field = signed_in.get_by_label("Pause after a hand switch")
    expect(field).to_have_value("10")
    field.fill("0")
    signed_in.get_by_role("button", name="Save", exact=True).click()
    expect(signed_in.locator("#cooling-message")).to_have_text("Saved.")
    assert server.api("GET", "/automations/cooling").json()["pause_minutes"] == 0
    field.fill("2.5")
    signed_in.get_by_role("button", name="Save", exact=True).click()
    expect(signed_in.locator("#cooling-message")).to_contain_text("whole minutes")


def test_automation_shows_the_same_temperature_and_fan_as_the_other_screens(signed_in, server, cooling, screenshots):
    page = signed_in
    set_rule(server, enabled=False)
    for text, word in (("turn on the living room fan", "On"), ("turn off the living room fan", "Off")):
        assert server.api("POST", "/commands", json={"text": text}).status_code == 201
        open_screen(page, "Devices")
        fan = page.get_by_role("switch", name="living room fan", exact=True)
        expect(fan).to_be_checked(checked=word == "On")
        expect(page.locator(".device").filter(has=fan).locator(".device-state")).to_have_text(word)
        open_screen(page, "Automation")
        expect(page.locator("#cooling-device-name")).to_have_text("Living room fan")
        expect(page.locator("#cooling-device-state")).to_have_text(word)
    dashboard, automation = shown_temperatures(page)
    assert dashboard != "–" and automation == f"{dashboard}\u00a0°C"
    assert poll(lambda: shown_temperatures(page)[0] == f"{room_temperature(server):.1f}", timeout=15)
    snap(page, screenshots / "automation-now.png")


def test_the_chart_shows_the_threshold_and_when_the_fan_was_on(signed_in, server, cooling, screenshots):
    page = signed_in
    threshold = round(room_temperature(server) - 3)
    set_rule(server, threshold=threshold, enabled=True)  # too warm: the rule turns the fan on
    assert poll(lambda: device_state(server, *FAN) == "on", timeout=15)
    open_screen(page, "Dashboard")
    expect(page.locator("#chart-key")).to_be_visible()
    expect(page.locator("#chart-key-threshold")).to_have_text(f"Dashed line: cooling threshold, {threshold}\u00a0°C")
    expect(page.locator("#chart-key-on")).to_have_text("Shaded: living room fan on")
    expect(page.locator("#chart")).to_have_attribute("data-periods", re.compile(r"^[1-9]"))
    expect(page.get_by_role("img", name="Temperature and humidity history")).to_have_accessible_description(
        re.compile(f"cooling threshold, {threshold}\u00a0°C")
    )
    snap(page, screenshots / "dashboard-threshold.png")


def test_cooling_commands_are_grouped_so_ones_own_stay_in_view(signed_in, server, cooling, screenshots):
    page = signed_in
    send(page, "turn on the bathroom light")
    now = room_temperature(server)
    for offset, want in ((-3, "on"), (3, "off"), (-3, "on")):  # three commands by cooling
        set_rule(server, threshold=round(now + offset, 1))
        assert poll(lambda: device_state(server, *FAN) == want, timeout=15)
    group = page.locator("#command-list > li.command-group")
    summary = group.locator("summary")
    expect(summary).to_contain_text(re.compile(r"By cooling: \d+ today"))
    expect(group.locator(".group-list")).to_be_hidden()
    expect(command_item(page, "turn on the bathroom light")).to_be_visible()
    summary.click()
    expect(group.locator(".group-list > li").first).to_be_visible()
    expect(group.locator(".group-list > li").first).to_contain_text("by cooling")
    snap(page, screenshots / "command-grouped.png")
