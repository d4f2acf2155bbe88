"""Blueprint that serves the phone web app (static files) at `/`."""

from pathlib import Path

from flask import Blueprint, send_from_directory

STATIC_DIR = Path(__file__).resolve().parent.parent / "webapp" / "static"

blueprint = Blueprint("webapp", __name__)


@blueprint.get("/")
def index():
    """The app shell."""
    return send_from_directory(STATIC_DIR, "index.html")
