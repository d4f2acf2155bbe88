"""The relay server: `create_app` builds the Flask app with its API surfaces and services."""

from __future__ import annotations

import logging

from flask import Response, jsonify
from flask_openapi3 import Info, OpenAPI
from werkzeug.middleware.proxy_fix import ProxyFix

from homerelay import __version__
from homerelay.server import config as server_config
from homerelay.server.relay import EXTENSION as RELAY_EXTENSION
from homerelay.server.relay import init_app as init_relay
from homerelay.server.web.auth import SIGNIN_EXTENSION, SignInThrottle
from homerelay.server.web.body_limit import init_body_limit
from homerelay.server.web.connection_caps import init_connection_caps
from homerelay.server.web.cors import init_cors
from homerelay.server.web.http_errors import (
    register_error_handlers,
    storage_unavailable_response,
    validation_error_response,
)
from homerelay.server.web.legacy import register_legacy
from homerelay.server.web.rate_limits import init_limits, storage_closer
from homerelay.server.web.strict_json import init_strict_json

logger = logging.getLogger(__name__)

OPENAPI_PATH = "/api/v1/openapi.json"


def create_app(test_config: dict | None = None) -> OpenAPI:
    """Build the server: defaults, then the instance config, then `test_config`."""
    app = OpenAPI(
        __name__,
        instance_relative_config=True,
        info=Info(title="homerelay", version=__version__, description="Relay between the phone app and the Pi agent."),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        doc_ui=False,
        validation_error_status=400,
        validation_error_callback=validation_error_response,
        static_folder=None,
    )
    app.config.from_mapping(server_config.defaults())
    if test_config is None:
        app.config.from_pyfile("homerelay.cfg", silent=True)
    else:
        app.config.from_mapping(test_config)

    relay = init_relay(app)
    throttle = SignInThrottle(app.config["SIGNIN_FAILURE_LIMIT"], server_config.limits_storage_uri(app.config))
    app.extensions[SIGNIN_EXTENSION] = throttle
    relay.on_close(throttle.close)
    if app.config["TRUSTED_PROXIES"] > 0:
        # Only the configured number of proxies may set the client address.
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    register_error_handlers(app)
    init_strict_json(app)
    init_body_limit(app)
    init_connection_caps(app)
    close_limits = storage_closer(init_limits(app))
    if close_limits is not None:
        relay.on_close(close_limits)
    init_cors(app)
    _register_surfaces(app)
    return app


def _register_surfaces(app: OpenAPI) -> None:
    from homerelay.server.web.api import blueprint as api_v1
    from homerelay.server.web.webapp import CONTENT_SECURITY_POLICY, blueprint as webapp

    app.register_api(api_v1)
    register_legacy(app)
    app.register_blueprint(webapp)

    @app.get(OPENAPI_PATH, doc_ui=False)
    def openapi_document():
        """The OpenAPI 3 description of the v1 API."""
        return jsonify(app.api_doc)

    health = app.extensions[RELAY_EXTENSION].health

    @app.get("/healthz", doc_ui=False)
    def healthz():
        """Liveness: the process answers and its database takes a write; 503 with the reason if not."""
        reason = health.fault()
        if reason is not None:
            return storage_unavailable_response(reason)
        return {"status": "ok", "version": __version__}

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
