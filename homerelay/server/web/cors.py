"""Cross-origin access: closed unless `CORS_ORIGINS` names the web origins that may call the API."""

from __future__ import annotations

import logging

from flask import Flask, Response, request

logger = logging.getLogger(__name__)

# What a browser may send from an allowed origin: the token header, JSON bodies, idempotent submits.
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
ALLOWED_METHODS = "GET, POST, PUT, OPTIONS"
# Browsers cache a successful preflight this long (seconds), sparing one request per call.
PREFLIGHT_MAX_AGE = "600"
ANY_ORIGIN = "*"


def parse_origins(value) -> frozenset[str]:
    """The allowed origins from a list or a comma/space separated text; empty means closed."""
    if value is None:
        return frozenset()
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    # Origins compare without a trailing slash, as browsers send them.
    return frozenset(str(item).strip().rstrip("/") for item in items if str(item).strip())


class CorsPolicy:
    """Decides, per request, whether the calling web origin may read the answer."""

    def __init__(self, origins: frozenset[str]) -> None:
        self.origins = origins

    def allowed_origin(self, origin: str | None) -> str | None:
        """The value for `Access-Control-Allow-Origin`, or None to say nothing (refuse)."""
        if not origin or not self.origins:
            return None
        if ANY_ORIGIN in self.origins:
            # Tokens travel in a header, never in cookies, so a wildcard leaks no ambient credential.
            return ANY_ORIGIN
        return origin if origin in self.origins else None

    def preflight(self) -> Response | None:
        """`before_request`: answer a CORS preflight from an allowed origin without signing in."""
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        allowed = self.allowed_origin(request.headers.get("Origin"))
        if allowed is None:
            # No CORS headers: the browser refuses the real request. The answer itself stays plain.
            return None
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    def add_headers(self, response: Response) -> Response:
        """`after_request`: let an allowed origin read this answer (errors included)."""
        origin = request.headers.get("Origin")
        if self.origins:
            # Caches must not hand one origin's answer to another.
            response.vary.add("Origin")
        allowed = self.allowed_origin(origin)
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
        return response


def init_cors(app: Flask) -> CorsPolicy:
    """Attach the CORS policy from the app's `CORS_ORIGINS` setting."""
    policy = CorsPolicy(parse_origins(app.config.get("CORS_ORIGINS")))
    if policy.origins:
        logger.info("cross-origin calls allowed from %s", ", ".join(sorted(policy.origins)))
    app.before_request(policy.preflight)
    app.after_request(policy.add_headers)
    app.extensions["homerelay.cors"] = policy
    return policy
