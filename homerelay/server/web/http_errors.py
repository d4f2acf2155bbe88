"""JSON errors: `{"error", "detail"}` with the right status for every failure, never a 500 for bad input."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from homerelay.server.web.validation_sentences import sentence
from homerelay.server.services.quotas import QuotaExceededError
from homerelay.server.services.health import unavailable_reason

logger = logging.getLogger(__name__)

# Short machine-readable codes for the HTTP statuses we answer with.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "not_understood",
    429: "too_many_requests",
    500: "server_error",
    503: "storage_unavailable",
}
# A client told the database is unavailable tries again this much later.
STORAGE_RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """An error answered to the client as JSON."""

    def __init__(self, status: int, detail: str, code: str | None = None, headers: dict | None = None, **extra) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or ERROR_CODES.get(status, "error")
        self.headers = headers or {}
        self.extra = extra


def error_response(status: int, detail: str, code: str | None = None, headers: dict | None = None, **extra) -> Response:
    """Build the JSON error response."""
    response = jsonify({"error": code or ERROR_CODES.get(status, "error"), "detail": detail, **extra})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def describe_validation_error(error: ValidationError) -> str:
    """One human sentence for the first problem pydantic found (see `validation_sentences`)."""
    return sentence(error.errors()[0])


def validation_error_response(error: ValidationError) -> Response:
    """flask-openapi3's callback for a request that fails its schema."""
    return error_response(400, describe_validation_error(error), "invalid")


def storage_unavailable_response(reason: str) -> Response:
    """`503` with `Retry-After`: the database is down, read-only or full; nothing was stored."""
    return error_response(
        503, f"the server cannot store anything right now ({reason}); nothing of this request was kept, "
        "try again shortly", "storage_unavailable", {"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)},
    )


def register_error_handlers(app: Flask) -> None:
    """Answer every error as JSON."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error.status, error.detail, error.code, error.headers, **error.extra)

    @app.errorhandler(QuotaExceededError)
    def _quota_exceeded(error: QuotaExceededError):
        return error_response(429, str(error), headers={"Retry-After": str(error.retry_after)})

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        detail = error.description or error.name
        if error.code == 413:
            detail = f"the request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        response = error_response(error.code or 500, detail)
        # Keep headers the exception carries (Allow, Retry-After from the rate limiter).
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        reason = unavailable_reason(error)
        if reason is not None:
            # Nothing of this request was committed: the client may send it again.
            logger.warning("storage unavailable: %s", reason)
            return storage_unavailable_response(reason)
        logger.exception("unexpected error")
        return error_response(500, "the server failed to handle this request; it has been logged")
