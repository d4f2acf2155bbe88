"""The deployment files: systemd units and the nginx site, parsed and, where the tools exist, verified."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from homerelay.cli import build_parser
from tests.support.availability import missing

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = {"server": DEPLOY / "systemd" / "homerelay-server.service", "agent": DEPLOY / "systemd" / "homerelay-agent.service"}
NGINX_SITE = DEPLOY / "nginx" / "homerelay.conf"
INSTALLED_BINARY = "/opt/homerelay/venv/bin/homerelay"
LONG_POLL_MAX_SECONDS = 60


def need_tool(name: str) -> str:
    """The tool's path; CI must have it (.ci/run installs it), elsewhere its absence skips."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        missing(name, ".ci/run installs it; the files are still parsed by the other tests")
    return path


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(UNITS[name])
    return parser


@pytest.mark.parametrize("name", UNITS)
def test_units_restart_on_failure_as_an_unprivileged_user(name):
    service = unit(name)["Service"]
    assert service["Restart"] == "on-failure"
    assert service["User"] == "homerelay" and service["Group"] == "homerelay"
    assert service["NoNewPrivileges"] == "true"
    assert unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_the_agent_may_use_gpio_and_nothing_hides_the_gpio_devices():
    service = unit("agent")["Service"]
    assert "gpio" in service["SupplementaryGroups"].split()
    assert "PrivateDevices" not in service
    assert unit("agent")["Unit"]["StartLimitIntervalSec"] == "0"


@pytest.mark.parametrize("name, command", [("server", "serve"), ("agent", "agent")])
def test_exec_start_is_a_valid_homerelay_command_line(name, command):
    words = shlex.split(unit(name)["Service"]["ExecStart"].replace("${HOMERELAY_WORKERS}", "2"))
    assert words[0] == INSTALLED_BINARY
    args = build_parser().parse_args(words[1:])
    assert words[1] == command
    if name == "server":
        assert args.host == "127.0.0.1" and args.port == 5002 and args.workers == 2


def test_units_pass_systemd_analyze_verify(tmp_path):
    tool = need_tool("systemd-analyze")
    copies = []
    for path in UNITS.values():
        # verify insists that the program exists: point it at this checkout's homerelay.
        copy = tmp_path / path.name
        copy.write_text(path.read_text().replace(INSTALLED_BINARY, str(Path(sys.executable).parent / "homerelay")))
        copies.append(str(copy))
    done = subprocess.run([tool, "verify", *copies], capture_output=True, text=True, timeout=60)
    # Unknown keys and bad values are only warnings: any output at all is a failure.
    warnings = [line for line in (done.stdout + done.stderr).splitlines() if "homerelay" in line]
    assert done.returncode == 0 and warnings == [], done.stdout + done.stderr


def _nginx_locations(text: str) -> dict[str, str]:
    return {match.group(1): match.group(2) for match in re.finditer(r"location\s+=?\s*(\S+)\s*\{([^}]*)\}", text)}


def _seconds(value: str) -> int:
    return int(value[:-1]) * (60 if value.endswith("m") else 1) if value[-1] in "sm" else int(value)


def test_nginx_site_streams_events_and_outwaits_the_long_poll():
    text = NGINX_SITE.read_text()
    locations = _nginx_locations(text)
    assert "proxy_buffering off;" in locations["/api/v1/events"]
    timeouts = re.findall(r"proxy_read_timeout\s+(\w+);", text)
    assert timeouts and all(_seconds(value) > LONG_POLL_MAX_SECONDS for value in timeouts)
    assert "listen 443 ssl" in text and "return 301 https://" in text
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in text
    assert "access_log off;" in text  # URLs may carry tokens


def test_nginx_accepts_the_site(tmp_path):
    nginx = need_tool("nginx")
    openssl = need_tool("openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=home.example.org",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    site = (NGINX_SITE.read_text()
            .replace("/etc/letsencrypt/live/home.example.org/fullchain.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/letsencrypt/live/home.example.org/privkey.pem", str(tmp_path / "key.pem")))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log stderr;\nevents {{}}\nhttp {{\n    include {tmp_path / 'site.conf'};\n}}\n"
    )
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
