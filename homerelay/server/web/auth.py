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

from homerelay.server.relay import current_relay
from homerelay.server.services.homes import Identity, hash_token
from homerelay.server.web.http_errors import ApiError

logger = logging.getLogger(__name__)

# Both ways a token can travel, named in every 401 so a misconfigured device can be put right.
SIGN_IN_FORMS = "'Authorization: Bearer <token>' or, for the original endpoints, a '/t/<token>/' URL"

# Where the app keeps its `SignInThrottle` (a guard of the web edge, not a service).
SIGNIN_EXTENSION = "homerelay.signin"


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
    """Counts the distinct wrong tokens of each client address and refuses it once it has too many."""

    def __init__(self, limit: str, storage_uri: str) -> None:
        self.limit = parse_limit(limit)
        # A token counts once per window: a device repeating one mistyped token is not a guesser,
        # and must not lock the household's other devices behind the same address out.
        self.first_use = type(self.limit)(1, self.limit.multiples)
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

    def record_failure(self, address: str, token: str) -> None:
        """Count a failed sign-in, unless this address already tried this token in the window."""
        # Only the token's hash is kept (in the database when processes share the count).
        if self.limiter.hit(self.first_use, "signin-token", address, hash_token(token)):
            self.limiter.hit(self.limit, "signin", address)

    def close(self) -> None:
        """Release the storage's connections, if it has any."""
        close = getattr(self.storage, "close", None)
        if callable(close):
            close()


def authenticate(roles: tuple[str, ...], allow_query: bool = False) -> Identity:
    """Check the request's token and role; remember the identity in `g`."""
    throttle: SignInThrottle = current_app.extensions[SIGNIN_EXTENSION]
    address = request.remote_addr or "unknown"
    throttle.check(address)
    token = token_from_request(allow_query)
    if token is None:
        raise ApiError(401, f"sign in with {SIGN_IN_FORMS}", headers={"WWW-Authenticate": "Bearer"})
    identity = current_relay().homes.identify(token)
    if identity is None:
        throttle.record_failure(address, token)
        # Log who tried, never what they tried with.
        logger.warning("refused an unknown or revoked token from %s", address)
        raise ApiError(
            401,
            f"this token is not valid (unknown or revoked); check the token sent as {SIGN_IN_FORMS}",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if identity.role not in roles:
        raise ApiError(403, f"a token of role '{identity.role}' may not do this; it needs role {' or '.join(roles)}")
    g.identity = identity
    return identity


def identity() -> Identity:
    """Who signed in to this request."""
    return g.identity


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
