"""Blueprint that serves the phone web app (static files) at `/`."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

STATIC_DIR = Path(__file__).resolve().parents[2] / "webapp" / "static"

# Sent by the server on every response. The web app needs nothing inline: scripts are ES
# modules, styles are files, and uPlot sizes its elements through the CSSOM, which CSP allows.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

MANIFEST_MIMETYPE = "application/manifest+json"
# Module scripts are refused by browsers unless served with a JavaScript MIME type, and the
# host's mime.types may not know it; say it ourselves.
JS_MIMETYPE = "text/javascript"

blueprint = Blueprint("webapp", __name__)


def _no_cache(response):
    """Make the browser revalidate every time, so a new release is picked up at once."""
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/")
def index():
    """The app shell."""
    return _no_cache(send_from_directory(STATIC_DIR, "index.html", mimetype="text/html"))


@blueprint.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that its scope can be the whole app."""
    response = send_from_directory(STATIC_DIR, "sw.js", mimetype=JS_MIMETYPE)
    response.headers["Service-Worker-Allowed"] = "/"
    return _no_cache(response)


@blueprint.get("/manifest.webmanifest")
def manifest():
    """The web app manifest that makes the app installable."""
    return _no_cache(send_from_directory(STATIC_DIR, "manifest.webmanifest", mimetype=MANIFEST_MIMETYPE))


@blueprint.get("/assets/<path:filename>")
def asset(filename):
    """Scripts, styles, icons and the vendored chart library (404 outside the static folder)."""
    mimetype = JS_MIMETYPE if filename.endswith(".js") else None
    return _no_cache(send_from_directory(STATIC_DIR, filename, mimetype=mimetype))
