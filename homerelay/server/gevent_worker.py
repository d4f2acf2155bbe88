"""gunicorn's gevent worker with a deadline on a request's headers, so slow clients cannot hold sockets."""

from __future__ import annotations

import os

import gevent
from gunicorn.workers.ggevent import GeventWorker

# A client has this long to send a request's headers, counted from the connection (or from the
# end of the previous request on a kept-alive one). A slowloris that sends a byte every few
# seconds would otherwise hold a socket for ever, and enough of them exhaust the file limit.
DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0
ENV_HEADER_TIMEOUT = "HOMERELAY_HEADER_TIMEOUT"


def header_timeout() -> float:
    """The header deadline in seconds (`HOMERELAY_HEADER_TIMEOUT`, default 10)."""
    raw = os.environ.get(ENV_HEADER_TIMEOUT, "").strip()
    return float(raw) if raw else DEFAULT_HEADER_TIMEOUT_SECONDS


class HeaderDeadlineWorker(GeventWorker):
    """The gevent worker, whose wait for each request's headers ends after `header_timeout()` s.

    gunicorn reads every request of a connection inside `timeout_ctx()`, which for gevent is its
    `keepalive` (75 s here, and no bound at all on the first request without keep-alive): the
    deadline replaces it, so a connection waits that long at most for its next headers.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header_seconds = header_timeout()

    def timeout_ctx(self):
        """The deadline around reading one request's headers (silent: the connection just closes)."""
        return gevent.Timeout(self.header_seconds, False)
