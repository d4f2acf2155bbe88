"""The floor: homerelay's web framework and production server answering a constant, with no work.

Flask under gunicorn with one gevent worker, as `homerelay serve` runs, accepting
`POST /api/v1/commands` with a fixed `201` and no token check, validation, parsing or storage.
What it serves a second is the most any Flask app on this server can, on this machine: the
intake benchmark prints it next to homerelay so that the cost of the real work is visible.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)
ACCEPTED = {"id": 1, "status": "pending"}


@app.post("/api/v1/commands")
def accept():
    """Read the JSON body and answer as if it had been queued."""
    request.get_json()
    return jsonify(ACCEPTED), 201


@app.get("/healthz")
def healthz():
    """Up."""
    return {"status": "ok"}
