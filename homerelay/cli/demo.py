"""Try homerelay on one machine: the server and a simulated agent, with a sign-in link."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from homerelay import const
from homerelay.cli.connection import port_number

HOME_FILE = "demo-home.json"
DB_FILE = "demo.db"
AGENT_STATE_FILE = "demo-agent-state.json"
HEALTH_TIMEOUT = 30.0
STOP_TIMEOUT = 8.0


def configure(parser):
    """Add this subcommand's arguments."""
    parser.add_argument("--port", type=port_number, default=const.DEFAULT_PORT,
                        help=f"port for the server (default {const.DEFAULT_PORT})")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address the server listens on (default 127.0.0.1, this machine only)")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                        help="run the simulated room X times faster (default 1)")


def run(args):
    """Run the subcommand."""
    from homerelay.errors import HomerelayError  # noqa: PLC0415
    from homerelay.paths import data_dir  # noqa: PLC0415

    folder = data_dir().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{folder / DB_FILE}"
    base = f"http://127.0.0.1:{args.port}"
    _check_port_free(args.host, args.port)
    tokens = demo_home(folder, db_url)
    children: list[subprocess.Popen] = []
    # Both stop the demo. SIGINT is set explicitly too: a demo started in the background by a
    # script inherits SIGINT ignored, and Ctrl-C or `kill -INT` would then do nothing.
    previous = {signum: signal.signal(signum, _raise_interrupt) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        children.append(_start("serve", "--host", args.host, "--port", str(args.port),
                               "--db", db_url))
        _wait_healthy(base, children[0])
        # The token goes through the environment: a command line is visible to everyone in `ps`.
        children.append(_start("agent", "--simulate", "--server", base,
                               "--state-file", str(folder / AGENT_STATE_FILE),
                               "--time-scale", str(args.time_scale),
                               env={const.ENV_TOKEN: tokens["agent_token"]}))
        _announce(base, tokens, folder)
        while True:
            for child in children:
                if child.poll() is not None:
                    raise HomerelayError(f"{_name(child)} stopped unexpectedly "
                                         f"(exit code {child.returncode})")
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("Stopping the demo…", flush=True)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        # The agent needs no server to leave its devices safe, so both are asked at once
        # (agent first) and then waited for. The server gets SIGINT, gunicorn's quick stop: a
        # graceful one would wait out the long-poll the stopped agent left behind.
        stop_signals = {"agent": signal.SIGTERM, "serve": signal.SIGINT}
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(stop_signals[child.args[3]])
        for child in reversed(children):
            _stop(child)


def demo_home(folder: Path, db_url: str) -> dict:
    """The demo home's tokens: reused from the data folder, or created once."""
    stored = folder / HOME_FILE
    if stored.exists() and (folder / DB_FILE).exists():
        try:
            tokens = json.loads(stored.read_text(encoding="utf-8"))
            if tokens.get("app_token") and tokens.get("agent_token"):
                return tokens
        except ValueError:
            pass  # damaged: make a new home below
    from homerelay.errors import HomerelayError  # noqa: PLC0415

    created = subprocess.run(
        [sys.executable, "-m", "homerelay", "home", "create", "demo", "--db", db_url, "--json"],
        capture_output=True, text=True,
    )
    if created.returncode != 0:
        last = (created.stderr.strip().splitlines() or ["no output"])[-1]
        raise HomerelayError(f"could not create the demo home: {last}")
    tokens = json.loads(created.stdout.strip().splitlines()[-1])
    stored.write_text(json.dumps(tokens), encoding="utf-8")
    stored.chmod(0o600)
    return tokens


def _check_port_free(host: str, port: int) -> None:
    import socket  # noqa: PLC0415

    from homerelay.errors import HomerelayError  # noqa: PLC0415

    # Otherwise /healthz could be answered by whatever already listens there. SO_REUSEADDR, as
    # the server itself binds: connections of a demo just stopped (TIME_WAIT) do not count.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise HomerelayError(
                f"port {port} is not free ({error.strerror}); choose another with --port"
            ) from None


def _start(*arguments: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    # A session of their own: Ctrl-C reaches only the demo, which then stops the children in
    # order instead of all of them at once.
    return subprocess.Popen([sys.executable, "-m", "homerelay", *arguments],
                            start_new_session=True, env={**os.environ, **(env or {})})


def own_command() -> str:
    """How a shell here runs this very homerelay: `homerelay` if PATH finds it, else its path.

    After `make demo` the script is in .venv/bin, which is not on PATH.
    """
    script = Path(sys.executable).parent / "homerelay"
    if not script.exists():
        return f"{sys.executable} -m homerelay"
    found = shutil.which("homerelay")
    if found and Path(found).resolve() == script.resolve():
        return "homerelay"
    relative = os.path.relpath(script)
    return relative if not relative.startswith("..") else str(script)


def _name(child: subprocess.Popen) -> str:
    return f"homerelay {child.args[3]}"


def _wait_healthy(base: str, server: subprocess.Popen) -> None:
    import requests  # noqa: PLC0415

    from homerelay.errors import HomerelayError  # noqa: PLC0415

    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise HomerelayError(f"the server did not start (exit code {server.returncode}); "
                                 "is the port already in use?")
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise HomerelayError(f"the server did not answer {base}/healthz within {HEALTH_TIMEOUT:.0f} s")


def _announce(base: str, tokens: dict, folder: Path) -> None:
    app_token = tokens["app_token"]
    print(f"""
homerelay demo is running: a relay server and a simulated Raspberry Pi agent.

  Open the web app:  {base}/#token={app_token}
  App token:         {app_token}
  Agent token:       {tokens['agent_token']}
  Data folder:       {folder}

  Try:  {const.ENV_SERVER}={base} {const.ENV_TOKEN}={app_token} {own_command()} send turn on the kitchen light

The simulated living room warms past 26 °C within a couple of minutes, and the cooling rule
switches its fan on and off. Press Ctrl-C to stop.
""", flush=True)


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
