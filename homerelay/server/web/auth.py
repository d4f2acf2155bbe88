"""Bearer-token sign-in with roles, and the throttle on failed sign-ins per client address."""

from __future__ import annotations

import logging
import math
import time
from typing import Callable

from flask import current_app, g, request
from limits import parse as parse_limit
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from homerelay.server.services.homes import Identity, identify
from homerelay.server.web.http_errors import ApiError

logger = logging.getLogger(__name__)


def token_from_request(allow_query: bool = False) -> str | None:
    """The token of this request: `Authorization: Bearer`, a `/t/<token>/` prefix, or `?token=`."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if getattr(g, "path_token", None):
        return g.path_token
    if allow_query:
        return request.args.get("token") or None
    return None


class SignInThrottle:
    """Counts failed sign-ins per client address and refuses that address once it has too many."""

    def __init__(self, limit: str, storage_uri: str) -> None:
        self.limit = parse_limit(limit)
        # With several processes the storage is shared (the database), so an address
        # cannot spread its guesses over processes to escape the throttle.
        self.storage = storage_from_string(storage_uri)
        self.limiter = MovingWindowRateLimiter(self.storage)

    def check(self, address: str) -> None:
        """Refuse (429) an address that failed too often lately."""
        if not self.limiter.test(self.limit, "signin", address):
            reset_at, _ = self.limiter.get_window_stats(self.limit, "signin", address)
            retry_after = max(1, math.ceil(reset_at - time.time()))
            raise ApiError(
                429,
                f"too many failed sign-ins from this address; try again in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )

    def record_failure(self, address: str) -> None:
        """Count one failed sign-in."""
        self.limiter.hit(self.limit, "signin", address)

    def close(self) -> None:
        """Release the storage's connections, if it has any."""
        close = getattr(self.storage, "close", None)
        if callable(close):
            close()


def authenticate(roles: tuple[str, ...], allow_query: bool = False) -> Identity:
    """Check the request's token and role; remember the identity in `g`."""
    relay = current_app.extensions["homerelay"]
    throttle: SignInThrottle = current_app.extensions["homerelay.signin"]
    address = request.remote_addr or "unknown"
    throttle.check(address)
    token = token_from_request(allow_query)
    if token is None:
        raise ApiError(401, "sign in with 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
    identity = identify(relay.db, token)
    if identity is None:
        throttle.record_failure(address)
        # Log who tried, never what they tried with.
        logger.warning("refused an unknown or revoked token from %s", address)
        raise ApiError(401, "this token is not valid (unknown or revoked)", headers={"WWW-Authenticate": "Bearer"})
    if identity.role not in roles:
        raise ApiError(403, f"a token of role '{identity.role}' may not do this; it needs role {' or '.join(roles)}")
    g.identity = identity
    return identity


class RoleMap:
    """Which roles may call each view of a blueprint; a view with no entry is refused."""

    def __init__(self) -> None:
        self._roles: dict[str, tuple[str, ...]] = {}
        self._query_token: set[str] = set()

    def require(self, *roles: str, allow_query_token: bool = False) -> Callable:
        """Decorator: the view needs a token of one of `roles`."""

        def mark(view: Callable) -> Callable:
            self._roles[view.__name__] = roles
            if allow_query_token:
                self._query_token.add(view.__name__)
            return view

        return mark

    def public(self, view: Callable) -> Callable:
        """Decorator: the view needs no token."""
        self._roles[view.__name__] = ()
        return view

    def check_request(self) -> None:
        """`before_request` hook: authenticate the request for its view."""
        if request.endpoint is None or request.method == "OPTIONS":
            return
        name = request.endpoint.rsplit(".", 1)[-1]
        roles = self._roles.get(name)
        if roles == ():
            return
        if roles is None:
            raise ApiError(403, "this endpoint has no access rule")
        authenticate(roles, allow_query=name in self._query_token)
