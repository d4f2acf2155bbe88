"""Server settings: defaults from the environment, then the instance file, then the caller."""

from __future__ import annotations

import os

from homerelay.const import (
    DEFAULT_LEASE_SECONDS,
    ENV_LIMITS,
    ENV_MAX_WAIT,
    MAX_LONG_POLL_SECONDS,
    PRESENCE_GRACE_SECONDS,
)
from homerelay.errors import HomerelayError
from homerelay.paths import database_url


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise HomerelayError(f"{name}={raw!r} is not a number") from error


def defaults() -> dict:
    """Every setting the server reads, with its default."""
    return {
        "DATABASE_URL": database_url(),
        # A delivered command comes back to the queue this long after delivery without an ack.
        "LEASE_SECONDS": _env_float("HOMERELAY_LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
        # A command that waited this long is expired, never carried out late.
        "COMMAND_TTL_SECONDS": _env_float("HOMERELAY_COMMAND_TTL", 300.0),
        # The longest long-poll the server holds; 0 turns long-polls into plain polls.
        "MAX_WAIT_SECONDS": min(_env_float(ENV_MAX_WAIT, MAX_LONG_POLL_SECONDS), MAX_LONG_POLL_SECONDS),
        # Readings come every 10 s; three missed in a row make the sensor stale.
        "READING_STALE_SECONDS": _env_float("HOMERELAY_STALE_SECONDS", 35.0),
        "READING_RETENTION_DAYS": _env_float("HOMERELAY_RETENTION_DAYS", 30.0),
        # A home may send an offline day's backlog (8,640 at one per 10 s) at once, then one a second.
        "READING_BURST": _env_float("HOMERELAY_READING_BURST", 10_000.0),
        "READING_RATE_PER_SECOND": _env_float("HOMERELAY_READING_RATE", 1.0),
        # Commands not yet carried out, per home; more are refused (429) until the agent catches up.
        "MAX_UNFINISHED_COMMANDS": int(_env_float("HOMERELAY_MAX_UNFINISHED_COMMANDS", 100)),
        # Finished commands are kept this long, and at most this many per home.
        "COMMAND_HISTORY_DAYS": _env_float("HOMERELAY_COMMAND_HISTORY_DAYS", 30.0),
        "COMMAND_HISTORY_MAX": int(_env_float("HOMERELAY_COMMAND_HISTORY_MAX", 10_000)),
        # A person's own switch of the cooled device holds the rule off this long.
        "COOLING_PAUSE_SECONDS": _env_float("HOMERELAY_COOLING_PAUSE", 900.0),
        # An agent not heard from this long after its last request (or long-poll) is offline.
        "PRESENCE_GRACE_SECONDS": _env_float("HOMERELAY_PRESENCE_GRACE", PRESENCE_GRACE_SECONDS),
        # How often each process looks for agents whose time ran out, to announce them offline.
        "PRESENCE_SWEEP_SECONDS": 2.0,
        "LIMITS_ENABLED": os.environ.get(ENV_LIMITS, "on").lower() not in ("off", "0", "false", "no"),
        "RATE_LIMITS": os.environ.get("HOMERELAY_RATE_LIMITS", "50 per second;2000 per minute"),
        "SIGNIN_FAILURE_LIMIT": os.environ.get("HOMERELAY_SIGNIN_LIMIT", "10 per minute"),
        # Where rate limits and failed sign-ins are counted; None picks `limits_storage_uri`'s choice.
        "LIMITS_STORAGE_URI": os.environ.get("HOMERELAY_LIMITS_STORAGE") or None,
        # Number of reverse proxies in front whose X-Forwarded-For may be trusted.
        "TRUSTED_PROXIES": int(_env_float("HOMERELAY_TRUSTED_PROXIES", 0)),
        "CORS_ORIGINS": os.environ.get("HOMERELAY_CORS_ORIGINS", ""),  # closed unless web origins are named
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # Open at once per token and process: a phone needs one stream, an agent one long-poll.
        "MAX_EVENT_STREAMS_PER_TOKEN": 20,
        "MAX_LONG_POLLS_PER_TOKEN": 4,
        # Bring the schema up to date when the app starts; `homerelay serve` does it once,
        # before its workers start, and turns this off for them.
        "MIGRATE_ON_START": True,
        "JSON_SORT_KEYS": False,
    }


def limits_storage_uri(config) -> str:
    """Where limits are counted: the configured URI, else the database for PostgreSQL (which
    several processes may share), else memory (SQLite: one process, which counts fastest alone)."""
    explicit = config.get("LIMITS_STORAGE_URI")
    if explicit:
        return explicit
    url = config["DATABASE_URL"]
    if url.startswith(("postgresql", "postgres:")):
        from homerelay.server.storage.rate_limit_store import storage_uri_for

        return storage_uri_for(url)
    return "memory://"
