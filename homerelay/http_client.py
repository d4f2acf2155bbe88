"""A small HTTP client for the relay server's v1 API (requests, no server-side imports)."""

from __future__ import annotations

import logging

import requests

from homerelay.errors import AuthError, RequestRejectedError, ServerUnavailableError

logger = logging.getLogger(__name__)

API = "/api/v1"
# The relay server names the longest long-poll it allows on each 204.
MAX_WAIT_HEADER = "X-Homerelay-Max-Wait"
# Ack results longer than this are cut (the server stores at most 500 characters).
RESULT_MAX = 500


class RelayClient:
    """Talks to one relay server with one token; one instance per thread (sessions are not shared)."""

    def __init__(self, server: str, token: str, timeout: float = 10.0):
        self.server = server.rstrip("/")
        self.timeout = timeout
        self.server_max_wait: float | None = None
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"
        self._session.headers["User-Agent"] = "homerelay-agent"
        # requests reads proxy and CA settings from the environment on every request, a scan of
        # os.environ that costs more than the rest of a request; a client talks to one server,
        # so they are read once, here. (This also keeps a ~/.netrc entry for the server from
        # replacing the token with its password.)
        settled = self._session.merge_environment_settings(self.server, {}, None, None, None)
        self._session.proxies.update(settled["proxies"])
        self._session.verify = settled["verify"]
        self._session.trust_env = False

    def request(self, method: str, path: str, *, timeout: float | None = None, **kwargs):
        """Send one request; returns the response (2xx) or raises a homerelay error."""
        url = f"{self.server}{path}"
        try:
            response = self._session.request(method, url, timeout=timeout or self.timeout, **kwargs)
        except requests.RequestException as error:
            raise ServerUnavailableError(f"{self.server} is unreachable: {_short(error)}") from error
        status = response.status_code
        if status < 400:
            return response
        detail = _detail(response)
        if status in (401, 403):
            raise AuthError(f"the server refused the token (HTTP {status}): {detail}")
        if status == 429 or status >= 500:
            raise ServerUnavailableError(f"{method} {path}: HTTP {status}: {detail}")
        raise RequestRejectedError(status, detail, _json_object(response))

    def identify_as(self, header_value: str) -> None:
        """Send `X-Homerelay-Agent: <header_value>` with every request (the agent's process and version)."""
        from homerelay.const import AGENT_HEADER  # noqa: PLC0415

        self._session.headers[AGENT_HEADER] = header_value

    # Agent role ---------------------------------------------------------------------------

    def put_house(self, mapping: dict) -> None:
        """Upload the house layout the agent runs."""
        self.request("PUT", f"{API}/house", json=mapping)

    def put_devices(self, states: list[dict]) -> None:
        """Upload the full state of every device."""
        self.request("PUT", f"{API}/devices", json={"devices": states})

    def next_command(self, wait: float) -> dict | None:
        """Long-poll for the next command; None when the server answered 204 (none yet)."""
        response = self.request(
            "GET", f"{API}/agent/next", params={"wait": _seconds(wait)}, timeout=wait + self.timeout
        )
        if response.status_code == 204 or not response.content:
            cap = response.headers.get(MAX_WAIT_HEADER)
            try:
                self.server_max_wait = float(cap) if cap is not None else None
            except ValueError:
                self.server_max_wait = None
            return None
        return response.json()

    def ack(self, command_id, status: str, result: str) -> None:
        """Acknowledge a command as done or failed."""
        self.request("POST", f"{API}/commands/{command_id}/ack",
                     json={"status": status, "result": result[:RESULT_MAX]})

    def post_heard(self, text: str, confidence: float, confirm: bool = False) -> dict:
        """Queue what the microphone heard (source voice); raises RequestRejectedError on 409/422."""
        body = {"text": text, "confidence": round(confidence, 3)}
        if confirm:
            body["confirm"] = True
        return self.request("POST", f"{API}/agent/heard", json=body).json()

    def post_readings(self, body) -> None:
        """Upload one reading (a dict) or a batch (a list of dicts with "at")."""
        self.request("POST", f"{API}/readings", json=body)

    # App role (homerelay send) -----------------------------------------------------------

    def post_command(self, text: str, confirm: bool = False):
        """Queue a command (`confirm`: the person said yes); returns the response (201, 200) or raises."""
        body = {"text": text, "confirm": True} if confirm else {"text": text}
        return self.request("POST", f"{API}/commands", json=body)

    def get_agent(self) -> dict:
        """Whether the home's agent is connected (`GET /api/v1/agent`)."""
        return self.request("GET", f"{API}/agent").json()

    def get_command(self, command_id) -> dict:
        """One command as the server knows it now."""
        return self.request("GET", f"{API}/commands/{command_id}").json()

    def get_devices(self) -> dict:
        """All devices and their states."""
        return self.request("GET", f"{API}/devices").json()

    def close(self) -> None:
        """Close the connection pool."""
        self._session.close()


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _detail(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or body)
    return str(body)[:200]


def _json_object(response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _short(error: Exception) -> str:
    # requests nests the real reason several levels deep; its repr is long and unhelpful.
    reason = error
    for _ in range(5):
        inner = reason.__cause__ or reason.__context__
        if inner is None and reason.args and isinstance(reason.args[0], Exception):
            inner = reason.args[0]
        if inner is None or inner is reason:
            break
        reason = inner
    return (str(reason) or type(reason).__name__)[:160]
