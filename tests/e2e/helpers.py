"""What the browser tests share: opening a screen, finding a command card, screenshots, states."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def open_screen(page, name: str) -> None:
    """Tap a tab in the bottom navigation and wait for its screen."""
    page.get_by_role("navigation", name="Screens").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=2, name=name, exact=True)).to_be_visible()


def command_item(page, text: str):
    """The recent-commands card showing `text` (the newest, if several)."""
    return page.locator("#command-list > li").filter(has=page.get_by_text(text, exact=True)).first


def snap(page, path) -> None:
    """A full-page screenshot from the top (the sticky bar would otherwise sit mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def device_state(server, room: str, device: str) -> str | None:
    """The state the server has for one device."""
    for item in server.api("GET", "/devices").json()["devices"]:
        if (item["room"], item["device"]) == (room, device):
            return item["state"]
    return None


def send(page, text: str) -> None:
    """Type a command on the Command screen and send it."""
    box = page.get_by_role("textbox", name="Command")
    box.fill(text)
    box.press("Enter")


# The top bar once the server connection is live: "Live" with a Pi, otherwise the Pi's absence.
CONNECTED = re.compile(r"^(Live|Pi offline since .+|Pi not connected yet)$")
