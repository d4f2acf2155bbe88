"""The web app as an installable, offline-tolerant app, and its live feed across a server restart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import CONNECTED

pytestmark = pytest.mark.browser

SW_READY = "navigator.serviceWorker.ready.then((registration) => registration.active.scriptURL)"
CONTROLLED = """new Promise((resolve) => navigator.serviceWorker.controller
    ? resolve(true)
    : navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true)))"""


def test_service_worker_serves_the_shell_offline_with_a_banner(signed_in, server, screenshots):
    page = signed_in
    assert page.evaluate(SW_READY).endswith("/sw.js")
    # The page is controlled once the worker claimed it (a first visit is not, until then).
    assert page.evaluate(CONTROLLED)
    banner = page.locator("#offline-banner")
    expect(banner).to_be_hidden()

    page.context.set_offline(True)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("offline")

    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(banner).to_be_visible()
    expect(page.get_by_role("navigation", name="Screens")).to_be_visible()
    expect(page.get_by_role("textbox", name="Command")).to_be_visible()
    page.screenshot(path=screenshots / "offline.png")

    cached = page.evaluate(
        "caches.keys().then((keys) => Promise.all(keys.map((key) => caches.open(key).then((c) => c.keys()))))"
        ".then((lists) => lists.flat().map((request) => request.url))"
    )
    assert any(url.endswith("/assets/js/app.js") for url in cached)
    assert not [url for url in cached if "/api/" in url], "API answers must never be cached"

    page.context.set_offline(False)
    expect(banner).to_be_hidden()
    expect(page.locator("#live")).to_have_text("Live")


def test_live_feed_comes_back_after_a_server_restart(browser, server_factory, tmp_path):
    restartable = server_factory(tmp_path / "restart")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{restartable.url}/#token={restartable.app_token}")
        live = page.locator("#live")
        expect(live).to_have_text(CONNECTED)

        restartable.stop()
        expect(live).to_have_text("Retrying…")
        restartable.start()
        # Sent before the page is back: only the re-fetch on reconnect can show it.
        reply = restartable.api("POST", "/commands", json={"text": "turn on the bedroom fan"})
        assert reply.status_code == 201
        expect(live).to_have_text(CONNECTED, timeout=15_000)
        item = page.locator("#command-list > li").filter(has_text="turn on the bedroom fan")
        expect(item).to_contain_text("Waiting for the Pi")  # queued, and this server has no agent

        # And the feed is live again: a new command shows up without a reload.
        restartable.api("POST", "/commands", json={"text": "turn on the garage light"})
        expect(page.locator("#command-list > li").filter(has_text="turn on the garage light")).to_have_count(1)
    finally:
        context.close()
        restartable.stop()
