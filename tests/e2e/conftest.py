"""End-to-end fixtures: a real `homerelay serve`, a simulated agent, and Debian's Chromium."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.availability import missing
from tests.support.servers import ServeProcess, homerelay_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
STARTUP_SECONDS = 20.0


# What servers and agents here run with: limits off (the tests send in bursts), nothing inherited
# that would point them elsewhere.
ENV_CHANGES = {"HOMERELAY_LIMITS": "off", "HOMERELAY_DB": None, "HOMERELAY_SERVER": None, "HOMERELAY_TOKEN": None,
               "HOMERELAY_MAX_WAIT": None}
homerelay = homerelay_command


def subprocess_env() -> dict:
    """The environment for servers and agents (see `ENV_CHANGES`)."""
    env = {**os.environ, **ENV_CHANGES}
    return {name: value for name, value in env.items() if value is not None}


def wait_until(predicate, timeout: float, what: str, process: subprocess.Popen | None = None):
    """Poll `predicate` until it returns something true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}")
        try:
            result = predicate()
        except requests.RequestException:
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise TimeoutError(f"{what}: not ready after {timeout} s")


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a child process: SIGINT (gunicorn's quick shutdown, the agent's Ctrl-C), then kill."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass
class Server:
    """A `homerelay serve` process on a free loopback port, with one home's tokens."""

    process: ServeProcess
    app_token: str
    agent_token: str
    workdir: Path

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.process.url

    @property
    def db_url(self) -> str:
        """The server's database."""
        return self.process.database_url

    def start(self) -> None:
        """Start (or start again, on the same port and database) and wait until it answers."""
        self.process.start(STARTUP_SECONDS)

    def stop(self) -> None:
        """Stop the server process."""
        self.process.stop()

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        """Call the v1 API as the app (default) or with another token."""
        headers = {"Authorization": f"Bearer {token or self.app_token}"}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=10, **kwargs)


def make_server(workdir: Path) -> Server:
    """Create a database with one home (`homerelay home create --json`) and serve it."""
    workdir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{workdir / 'db.sqlite'}"
    created = subprocess.run(
        homerelay("home", "create", "e2e", "--db", db_url, "--json"),
        env=subprocess_env(), cwd=workdir, capture_output=True, text=True, timeout=60,
    )
    if created.returncode != 0:
        raise RuntimeError(f"homerelay home create failed ({created.returncode}):\n{created.stderr}")
    tokens = json.loads(created.stdout.strip().splitlines()[-1])
    process = ServeProcess(db_url, workdir / "server.log", ENV_CHANGES, cwd=workdir)
    server = Server(process, tokens["app_token"], tokens["agent_token"], workdir)
    server.start()
    return server


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; skipped only on a developer machine without it, never in CI."""
    if not CHROMIUM.exists():
        missing(str(CHROMIUM), "apt-get install chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the whole run; Playwright never downloads a browser."""
    from playwright.sync_api import expect, sync_playwright

    # The machine may be busy (CI on two cores, benchmarks): wait a little longer than 5 s.
    expect.set_options(timeout=10_000)

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium_path):
    """The relay server the browser talks to (one for the session)."""
    instance = make_server(tmp_path_factory.mktemp("e2e-server"))
    yield instance
    instance.stop()


@pytest.fixture
def server_factory(chromium_path):
    """Make extra servers (own database, own home); the test stops them."""
    return make_server


@dataclass
class Agent:
    """A simulated Pi agent (`homerelay agent --simulate`) for a server; it can be stopped and started."""

    server: Server
    name: str = "agent"
    process: subprocess.Popen | None = None
    # More `homerelay agent` options ("--reading-interval", "3600").
    options: tuple[str, ...] = ()

    def start(self) -> None:
        """Start the agent process (again) and wait until it has reported its devices."""
        log = open(self.server.workdir / f"{self.name}.log", "ab")
        self.process = subprocess.Popen(
            homerelay(
                "agent", "--simulate", "--server", self.server.url, "--token", self.server.agent_token,
                "--state-file", str(self.server.workdir / f"{self.name}-state.json"), *self.options,
            ),
            env=subprocess_env(), cwd=self.server.workdir, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until(self._ready, STARTUP_SECONDS, self.name, self.process)

    def _ready(self) -> bool:
        """Devices reported, and the server counts the agent as online (where it says so)."""
        if not self.server.api("GET", "/devices").json()["devices"]:
            return False
        presence = self.server.api("GET", "/agent")
        return presence.status_code == 404 or (presence.ok and presence.json()["online"])

    def stop(self) -> None:
        """Stop the agent process (as Ctrl-C does)."""
        if self.process is not None:
            stop(self.process)

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None


@pytest.fixture(scope="session")
def agent(server):
    """The simulated Pi agent, connected and reporting; a test that stops it starts it again."""
    instance = Agent(server)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def context(browser):
    """A fresh phone-sized browser profile (own storage, own service worker), light theme."""
    ctx = browser.new_context(viewport=PHONE, color_scheme="light", has_touch=True, is_mobile=False)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


class PageProblems:
    """Uncaught page errors and CSP violations seen while a test ran."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("dialog", lambda dialog: (self.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.errors.append(f"CSP: {message.text}")


@pytest.fixture
def page(context):
    """A page in the phone context; the test fails if the page threw, alerted or broke the CSP."""
    tab = context.new_page()
    problems = PageProblems(tab)
    yield tab
    assert problems.errors == []


@pytest.fixture
def signed_in(page, server, agent):
    """The page, signed in through the link `homerelay demo` prints, on the Command screen."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/#token={server.app_token}")
    expect(page.get_by_role("navigation", name="Screens")).to_be_visible()
    expect(page.locator("#live")).to_have_text("Live")
    return page


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the run leaves its screenshots of the screens (look at them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
