"""Commands that need a yes ask in a dialog first; a question is answered under the input."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.polling import poll

from .helpers import command_item, device_state, open_screen, send, snap

pytestmark = pytest.mark.browser


def newest_id(server) -> int:
    """The id of the newest command queued (0: none)."""
    commands = server.api("GET", "/commands?limit=1").json()["commands"]
    return commands[0]["id"] if commands else 0


def all_off(server) -> None:
    """Everything off, the door and the oven included (with the yes they need)."""
    reply = server.api("POST", "/commands", json={"text": "turn off everything", "confirm": True})
    assert reply.status_code in (200, 201), reply.text
    assert poll(lambda: device_state(server, "garage", "door") == "off" and device_state(server, "kitchen", "oven") == "off", timeout=15)


@pytest.fixture
def house_off(server, agent):
    """Every device off before and after the test."""
    all_off(server)
    yield
    all_off(server)


def test_the_door_asks_first_and_cancel_sends_nothing(signed_in, server, house_off, screenshots):
    page = signed_in
    before = newest_id(server)
    send(page, "open the garage door")
    dialog = page.get_by_role("dialog", name="Open the garage door?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This will open the garage door.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    snap(page, screenshots / "confirm-door.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#command-error")).to_have_text("Cancelled: nothing was sent.")
    assert newest_id(server) == before, "Cancel sends nothing"
    assert device_state(server, "garage", "door") == "off"

    send(page, "open the garage door")
    dialog.get_by_role("button", name="Open", exact=True).click()
    expect(command_item(page, "open the garage door")).to_contain_text("Carried out")
    assert poll(lambda: device_state(server, "garage", "door") == "on")


def test_the_door_switch_asks_too(signed_in, server, house_off):
    page = signed_in
    open_screen(page, "Devices")
    door = page.get_by_role("switch", name="garage door", exact=True)
    expect(door).not_to_be_checked()
    before = newest_id(server)
    door.click()
    dialog = page.get_by_role("dialog", name="Open the garage door?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(door).not_to_be_checked()
    expect(page.locator(".device.is-pending")).to_have_count(0)
    expect(page.locator("#devices-error")).to_be_hidden()
    assert newest_id(server) == before, "Cancel sends nothing"

    door.click()
    dialog.get_by_role("button", name="Open", exact=True).click()
    expect(door).to_be_checked()
    expect(page.locator(".device.is-pending")).to_have_count(0)
    assert poll(lambda: device_state(server, "garage", "door") == "on")


def test_turn_everything_on_names_what_would_change(signed_in, server, house_off, screenshots):
    page = signed_in
    before = newest_id(server)
    send(page, "turn on everything")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Turn on 10 devices?")
    expect(page.locator("#confirm-body")).to_have_text("This will:")
    items = dialog.locator("#confirm-items li")
    expect(items).to_have_count(10)
    expect(items.filter(has_text="Open the garage door")).to_have_count(1)
    expect(items.filter(has_text="Turn on the kitchen oven")).to_have_count(1)
    snap(page, screenshots / "confirm-everything.png")
    dialog.get_by_role("button", name="Cancel").click()
    assert newest_id(server) == before, "Cancel sends nothing"
    assert device_state(server, "living_room", "light") == "off"

    send(page, "turn on everything")
    dialog.get_by_role("button", name="Turn on", exact=True).click()
    expect(command_item(page, "turn on everything")).to_contain_text("Carried out")
    assert poll(lambda: all(d["state"] == "on" for d in server.api("GET", "/devices").json()["devices"]))
    open_screen(page, "Devices")
    expect(page.get_by_role("switch", name="living room light", exact=True)).to_be_checked()


def test_terminate_asks_and_says_how_to_start_the_agent_again(signed_in, server, agent, screenshots):
    page = signed_in
    before = newest_id(server)
    send(page, "terminate")
    dialog = page.get_by_role("dialog", name="Stop the Pi agent?")
    expect(dialog).to_be_visible()
    body = page.locator("#confirm-body")
    expect(body).to_contain_text("homerelay agent")
    snap(page, screenshots / "confirm-terminate.png")
    dialog.get_by_role("button", name="Cancel").click()
    assert newest_id(server) == before, "Cancel sends nothing"
    assert agent.running

    try:
        send(page, "terminate")
        dialog.get_by_role("button", name="Stop", exact=True).click()
        expect(command_item(page, "terminate")).to_contain_text("Carried out")
        assert poll(lambda: not agent.running, timeout=15)
        expect(page.locator("#live")).to_contain_text("Pi offline since", timeout=20_000)
    finally:
        if not agent.running:
            agent.start()
    expect(page.locator("#live")).to_have_text("Live", timeout=20_000)


def test_a_question_is_answered_under_the_input(signed_in, server, screenshots):
    page = signed_in
    before = newest_id(server)
    send(page, "how warm is it")
    answer = page.locator("#command-answer")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("°C")
    snap(page, screenshots / "question-answer.png")
    assert newest_id(server) == before, "a question is not queued"
    expect(command_item(page, "how warm is it")).to_have_count(0)

    send(page, "is the kitchen light on")
    expect(answer).to_contain_text("kitchen light")
