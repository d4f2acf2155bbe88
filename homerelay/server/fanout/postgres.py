"""Carries events and queue wake-ups between server processes over PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
import uuid

from homerelay.server.fanout.hub import EventHub

logger = logging.getLogger(__name__)

# Notification channels are database-wide, tables are per schema: one channel per schema, so
# two homerelay installations in one database (or two test runs) never hear each other.
CHANNEL_PREFIX = "homerelay_events_"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; longer messages go in pieces.
PIECE_CHARS = 7000
# Notifications sent in one round trip when many are waiting.
BATCH = 200
# Messages waiting to be sent; beyond this the database is gone and we drop, not grow.
OUTBOX_LIMIT = 10_000
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)
KIND_EVENT, KIND_WAKE, KIND_STOP = "e", "w", "stop"


class PgEventBridge:
    """One LISTEN connection and one NOTIFY connection per process, re-publishing into the local hub."""

    def __init__(self, conninfo: str, hub: EventHub) -> None:
        self.conninfo = conninfo
        self.hub = hub
        # Our own notifications come back to us too; the origin tells them apart.
        self.origin = uuid.uuid4().hex[:16]
        self._outbox: queue.Queue[str | None] = queue.Queue(maxsize=OUTBOX_LIMIT)
        self._message_ids = itertools.count(1)
        self._pieces: dict[tuple[str, int], list[str]] = {}
        self._stopping = threading.Event()
        self._listen_connection = None
        self._listener: threading.Thread | None = None
        self.channel = ""
        self._sender: threading.Thread | None = None

    def start(self) -> None:
        """Start listening before returning, so no notification sent after this is missed."""
        self._listen_connection = self._connect_listener()
        self._listener = threading.Thread(target=self._listen_loop, name="pg-listen", daemon=True)
        self._sender = threading.Thread(target=self._send_loop, name="pg-notify", daemon=True)
        self._listener.start()
        self._sender.start()

    def send_event(self, home_id: int, name: str, data: dict) -> None:
        """Queue an event for the other processes."""
        self._enqueue({"k": KIND_EVENT, "h": home_id, "n": name, "d": data})

    def send_wake(self, home_id: int) -> None:
        """Queue a wake-up of the home's waiting agents in the other processes."""
        self._enqueue({"k": KIND_WAKE, "h": home_id})

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both connections (the listener is woken by a notification of our own)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._enqueue({"k": KIND_STOP})
        self._outbox.put(None)
        for thread in (self._sender, self._listener):
            if thread is not None:
                thread.join(timeout)

    # -- sending -------------------------------------------------------------------------

    def _enqueue(self, message: dict) -> None:
        text = json.dumps(message, separators=(",", ":"))
        message_id = next(self._message_ids)
        pieces = [text[i:i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]
        for index, piece in enumerate(pieces):
            try:
                self._outbox.put_nowait(f"{self.origin}:{message_id}:{index}:{len(pieces)}:{piece}")
            except queue.Full:
                logger.error("cannot reach PostgreSQL; dropping a notification for other processes")
                return

    def _send_loop(self) -> None:
        connection = None
        attempt = 0
        while True:
            payload = self._outbox.get()
            if payload is None:
                break
            batch = [payload]
            while len(batch) < BATCH:
                try:
                    more = self._outbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._outbox.put(None)
                    break
                batch.append(more)
            while True:
                try:
                    if connection is None:
                        connection = self._connect()
                    # One round trip and one transaction: delivered together, in order.
                    connection.execute("SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p", (self.channel, batch))
                    attempt = 0
                    break
                except Exception:
                    logger.exception("could not send notifications to other processes; reconnecting")
                    connection = self._close_quietly(connection)
                    if self._stopping.wait(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]):
                        return
                    attempt += 1
        self._close_quietly(connection)

    # -- listening -----------------------------------------------------------------------

    def _connect_listener(self):
        from psycopg import sql

        connection = self._connect()
        schema = connection.execute("SELECT current_schema()").fetchone()[0] or "public"
        self.channel = (CHANNEL_PREFIX + schema)[:63]  # PostgreSQL identifiers stop at 63 bytes
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        return connection

    def _listen_loop(self) -> None:
        attempt = 0
        connection = self._listen_connection
        while True:
            try:
                if connection is None:
                    connection = self._connect_listener()
                    # Wake-ups sent while we were away are lost: let every waiting agent look again.
                    self.hub.wake_all_queues()
                    logger.info("listening for other processes' events again")
                    attempt = 0
                for notification in connection.notifies():
                    if self._receive(notification.payload):
                        self._close_quietly(connection)
                        return
            except Exception:
                if self._stopping.is_set():
                    self._close_quietly(connection)
                    return
                logger.exception("lost the connection that listens to other processes; reconnecting")
                connection = self._close_quietly(connection)
                if self._stopping.wait(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]):
                    return
                attempt += 1

    def _receive(self, payload: str) -> bool:
        """Handle one notification; True when it is our own stop message."""
        try:
            origin, message_id, index, count, piece = payload.split(":", 4)
            key = (origin, int(message_id))
            if int(count) > 1:
                self._pieces.setdefault(key, []).append(piece)
                if int(index) + 1 < int(count):
                    return False
                piece = "".join(self._pieces.pop(key))
            message = json.loads(piece)
        except (ValueError, KeyError):
            logger.warning("ignoring a malformed notification on %s", self.channel)
            return False
        if origin == self.origin:
            return message.get("k") == KIND_STOP and self._stopping.is_set()
        kind = message.get("k")
        if kind == KIND_EVENT:
            self.hub.publish_local(message["h"], message["n"], message["d"])
        elif kind == KIND_WAKE:
            self.hub.notify_queue_changed_local(message["h"])
        return False

    # -- connections ---------------------------------------------------------------------

    def _connect(self):
        import psycopg

        return psycopg.connect(self.conninfo, autocommit=True)

    @staticmethod
    def _close_quietly(connection) -> None:
        if connection is not None:
            try:
                connection.close()
            except Exception:
                logger.debug("closing a notification connection failed", exc_info=True)
        return None
