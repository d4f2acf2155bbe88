"""Per-token request limits (Flask-Limiter); `HOMERELAY_LIMITS=off` turns them off."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter

from homerelay.server.web.auth import token_from_request
from homerelay.server.config import limits_storage_uri
from homerelay.server.services.homes import hash_token


def _token_key() -> str:
    token = token_from_request(allow_query=True)
    return f"token:{hash_token(token)}" if token else f"address:{request.remote_addr}"


def _without_token() -> bool:
    # Requests without a token are refused by sign-in (and its own throttle) anyway.
    return token_from_request(allow_query=True) is None


def init_limits(app: Flask) -> Limiter:
    """Attach the per-token limiter to the app."""
    limiter = Limiter(
        _token_key,
        app=app,
        default_limits=[app.config["RATE_LIMITS"]],
        default_limits_exempt_when=_without_token,
        # Shared by every process when the database is PostgreSQL (see `limits_storage_uri`).
        storage_uri=limits_storage_uri(app.config),
        headers_enabled=True,
        enabled=app.config["LIMITS_ENABLED"],
        strategy="moving-window",
    )
    if limiter.enabled:
        _close_with_app(app, limiter.storage)
    return limiter


def _close_with_app(app: Flask, storage) -> None:
    # A database-backed storage has its own connections; release them with the relay's.
    close = getattr(storage, "close", None)
    relay = app.extensions.get("homerelay")
    if callable(close) and relay is not None:
        relay.on_close(close)
