"""Carries events and queue wake-ups between server processes on one SQLite file over Unix datagram sockets."""

from __future__ import annotations

import errno
import json
import logging
import os
import queue
import socket
import threading
import time
import uuid

from homerelay.server.fanout.hub import EventHub

logger = logging.getLogger(__name__)

# Beside the database file: whoever may open the database may join its processes.
FOLDER_SUFFIX = ".events"
SOCKET_SUFFIX = ".sock"
# The largest datagram we send. Linux refuses one near the sender's buffer (about 208 KiB
# by default); events are far smaller (a command, a device list, a reading).
MAX_DATAGRAM = 32 * 1024
# Room to receive a datagram a little larger than ours, so a bigger one shows up as malformed.
RECEIVE_BYTES = 64 * 1024
# A peer's queue of datagrams is short (net.unix.max_dgram_qlen, often 10): when it is full
# we retry every so often, and give up on that peer's backlog after a while.
RETRY_SECONDS = 0.002
GIVE_UP_SECONDS = 1.0
BACKLOG_LIMIT = 1000
# Messages waiting to be sent; beyond this the sender is stuck and we drop, not grow.
OUTBOX_LIMIT = 10_000
# AF_UNIX addresses stop at 108 bytes with the terminating NUL.
MAX_ADDRESS_BYTES = 107
KIND_EVENT, KIND_WAKE, KIND_WAKE_ALL, KIND_HELLO, KIND_BYE, KIND_STOP = "e", "w", "all", "hello", "bye", "stop"
_STOP_SENDING = object()
# A peer that is gone (its file removed) or dead (its file left behind by a killed process).
_STALE_ERRORS = (errno.ENOENT, errno.ECONNREFUSED)


def folder_for(database_file: str) -> str:
    """The socket folder of a SQLite database file (`<file>.events`)."""
    return os.path.abspath(database_file) + FOLDER_SUFFIX


class SocketEventBridge:
    """One bound socket per process in the database's folder; each message goes to every other socket there."""

    def __init__(self, folder: str, hub: EventHub) -> None:
        self.folder = folder
        self.hub = hub
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}{SOCKET_SUFFIX}"
        self.path = os.path.join(folder, self.name)
        self._folder_fd: int | None = None
        self._receiver: socket.socket | None = None
        self._sender: socket.socket | None = None
        self._outbox: queue.Queue = queue.Queue(maxsize=OUTBOX_LIMIT)
        self._peers_lock = threading.Lock()
        self._peers: set[str] = set()
        # Per peer whose queue was full: (since when, datagrams still to send in order).
        self._backlog: dict[str, tuple[float, list[bytes]]] = {}
        # Peers that lost messages: they get a wake-all before the next ones.
        self._behind: set[str] = set()
        self._stopping = threading.Event()
        self._receiving: threading.Thread | None = None
        self._sending: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Bind our socket, then find the others and greet them (binding first: of two processes
        starting together, the later to look sees the other)."""
        try:
            os.mkdir(self.folder, 0o700)
            os.chmod(self.folder, 0o700)  # the umask may have taken bits away
        except FileExistsError:
            pass
        self._folder_fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        self._receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._receiver.bind(self._address(self.name))
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        # Never wait for a slow peer on a request's path: a full queue is retried by the sending thread.
        self._sender.setblocking(False)
        self._refresh_peers()
        self._receiving = threading.Thread(target=self._receive_loop, name="event-socket-receive", daemon=True)
        self._sending = threading.Thread(target=self._send_loop, name="event-socket-send", daemon=True)
        self._receiving.start()
        self._sending.start()
        self._enqueue({"k": KIND_HELLO, "p": self.name})
        logger.info("sharing events with %d other process(es) through %s", len(self.peers()), self.folder)

    def send_event(self, home_id: int, name: str, data: dict) -> None:
        """Pass an event to the other processes."""
        self._enqueue({"k": KIND_EVENT, "h": home_id, "n": name, "d": data})

    def send_wake(self, home_id: int) -> None:
        """Wake the home's waiting agents in the other processes."""
        self._enqueue({"k": KIND_WAKE, "h": home_id})

    def stop(self, timeout: float = 5.0) -> None:
        """Say goodbye, stop both threads, close and remove our socket."""
        if self._stopping.is_set() or self._receiver is None:
            return
        self._enqueue({"k": KIND_BYE, "p": self.name})
        self._outbox.put(_STOP_SENDING)
        self._stopping.set()
        self._sending.join(timeout)
        try:
            # Wakes our own receiving thread, blocked in recv.
            self._sender.sendto(self._encode([{"k": KIND_STOP}]), self._address(self.name))
        except OSError:
            # Our own queue is full: shutting the socket down wakes the receiver too.
            self._receiver.shutdown(socket.SHUT_RDWR)
        self._receiving.join(timeout)
        for sock in (self._receiver, self._sender):
            sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._folder_fd)

    def peers(self) -> set[str]:
        """The socket names of the other processes we send to (for tests and logs)."""
        with self._peers_lock:
            return set(self._peers)

    # -- sending -------------------------------------------------------------------------

    def _enqueue(self, message: dict) -> None:
        try:
            self._outbox.put_nowait(message)
        except queue.Full:
            logger.error("the event sender is stuck; dropping a message for other processes")

    def _send_loop(self) -> None:
        stop = False
        while not stop:
            try:
                first = self._outbox.get(timeout=RETRY_SECONDS if self._backlog else None)
            except queue.Empty:
                first = None
            messages = [] if first is None else [first]
            # Everything waiting goes out together: a burst of commands is a few datagrams, not hundreds.
            while True:
                try:
                    messages.append(self._outbox.get_nowait())
                except queue.Empty:
                    break
            if _STOP_SENDING in messages:
                stop = True
                messages = messages[:messages.index(_STOP_SENDING)]
            # A message with "to" goes to that one peer only (see `_greeted_by`).
            targeted = [message for message in messages if "to" in message]
            try:
                self._deliver(self._pack([message for message in messages if "to" not in message]))
                for message in targeted:
                    peer = message.pop("to")
                    if peer in self.peers():
                        self._deliver_to(peer, self._pack([message]))
            except Exception:
                logger.exception("could not send events to other processes")

    def _pack(self, messages: list[dict]) -> list[bytes]:
        """Encode messages into datagrams of at most MAX_DATAGRAM bytes, in order."""
        datagrams: list[bytes] = []
        batch: list[bytes] = []
        size = 2
        for message in messages:
            encoded = json.dumps(message, separators=(",", ":")).encode()
            if len(encoded) + 2 > MAX_DATAGRAM:
                logger.error("a %s event of home %s is %d bytes, too big for other processes; waking them instead",
                             message.get("n"), message.get("h"), len(encoded))
                encoded = json.dumps({"k": KIND_WAKE, "h": message.get("h")}).encode()
            if batch and size + len(encoded) + 1 > MAX_DATAGRAM:
                datagrams.append(b"[" + b",".join(batch) + b"]")
                batch, size = [], 2
            batch.append(encoded)
            size += len(encoded) + 1
        if batch:
            datagrams.append(b"[" + b",".join(batch) + b"]")
        return datagrams

    def _deliver(self, datagrams: list[bytes]) -> None:
        stale = False
        peers = self.peers()
        for gone in (set(self._backlog) | self._behind) - peers:
            self._backlog.pop(gone, None)
            self._behind.discard(gone)
        for peer in sorted(peers):
            stale = not self._deliver_to(peer, datagrams) or stale
        if stale:
            # Someone died: look again, in case we missed a newcomer too.
            self._refresh_peers()

    def _deliver_to(self, peer: str, datagrams: list[bytes]) -> bool:
        """Send to one peer after its backlog, keeping what does not fit; False if the peer is gone."""
        since, pending = self._backlog.pop(peer, (time.monotonic(), []))
        if peer in self._behind and datagrams:
            pending.append(self._encode([{"k": KIND_WAKE_ALL}]))
            self._behind.discard(peer)
        pending.extend(datagrams)
        if self._send_in_order(peer, pending) == "stale":
            return False
        if pending:
            self._keep_backlog(peer, since, pending)
        return True

    def _send_in_order(self, peer: str, pending: list[bytes]) -> str:
        """Send from the front of `pending` until done or the peer's queue is full; 'stale' if it is gone."""
        address = self._address(peer)
        while pending:
            try:
                self._sender.sendto(pending[0], address)
            except BlockingIOError:
                return "full"
            except OSError as error:
                if error.errno in _STALE_ERRORS:
                    self._forget(peer)
                    logger.info("removing the socket of a stopped server process: %s", peer)
                    try:
                        os.unlink(os.path.join(self.folder, peer))
                    except FileNotFoundError:
                        pass
                    return "stale"
                if error.errno == errno.EMSGSIZE:
                    logger.error("a %d-byte message is too big for process %s; waking it instead", len(pending[0]), peer)
                    pending[0] = self._encode([{"k": KIND_WAKE_ALL}])
                    continue
                raise
            pending.pop(0)
        return "sent"

    def _keep_backlog(self, peer: str, since: float, pending: list[bytes]) -> None:
        if time.monotonic() - since < GIVE_UP_SECONDS and len(pending) <= BACKLOG_LIMIT:
            self._backlog[peer] = (since, pending)
            return
        logger.warning("process %s does not read its events; dropping %d message(s) and waking it later",
                       peer, len(pending))
        self._behind.add(peer)

    # -- peers ---------------------------------------------------------------------------

    def _refresh_peers(self) -> None:
        names = {name for name in os.listdir(self.folder) if name.endswith(SOCKET_SUFFIX) and name != self.name}
        with self._peers_lock:
            self._peers = names

    def _forget(self, peer: str) -> None:
        # The sending thread drops the peer's backlog when it next sends (see `_deliver`).
        with self._peers_lock:
            self._peers.discard(peer)

    def _address(self, name: str) -> str:
        path = os.path.join(self.folder, name)
        if len(os.fsencode(path)) <= MAX_ADDRESS_BYTES:
            return path
        # A deep folder: reach the socket through our open handle on the folder (Linux).
        return f"/proc/self/fd/{self._folder_fd}/{name}"

    @staticmethod
    def _encode(messages: list[dict]) -> bytes:
        return json.dumps(messages, separators=(",", ":")).encode()

    # -- receiving -----------------------------------------------------------------------

    def _receive_loop(self) -> None:
        while True:
            try:
                datagram = self._receiver.recv(RECEIVE_BYTES)
            except OSError:
                if self._stopping.is_set():
                    return
                logger.exception("could not receive events from other processes")
                time.sleep(RETRY_SECONDS)
                continue
            if not datagram:  # shut down by `stop`
                if self._stopping.is_set():
                    return
                continue
            if self._receive(datagram) and self._stopping.is_set():
                return

    def _receive(self, datagram: bytes) -> bool:
        """Handle one datagram; True when it holds our stop message."""
        try:
            messages = json.loads(datagram)
            if not isinstance(messages, list):
                raise ValueError("not a list")
        except ValueError:
            logger.warning("ignoring a malformed event datagram in %s", self.folder)
            return False
        stop = False
        for message in messages:
            try:
                stop = self._handle(message) or stop
            except (KeyError, TypeError, ValueError, AttributeError):
                logger.warning("ignoring a malformed event message in %s", self.folder)
        return stop

    def _handle(self, message: dict) -> bool:
        kind = message["k"]
        if kind == KIND_EVENT:
            self.hub.publish_local(int(message["h"]), str(message["n"]), dict(message["d"]))
        elif kind == KIND_WAKE:
            self.hub.notify_queue_changed_local(int(message["h"]))
        elif kind == KIND_WAKE_ALL:
            self.hub.wake_all_queues()
        elif kind == KIND_HELLO:
            self._greeted_by(str(message["p"]))
        elif kind == KIND_BYE:
            self._forget(_plain_name(str(message["p"])))
        elif kind == KIND_STOP:
            return True
        else:
            logger.warning("ignoring an event message of unknown kind %r", kind)
        return False

    def _greeted_by(self, name: str) -> None:
        name = _plain_name(name)
        if name == self.name:
            return
        with self._peers_lock:
            self._peers.add(name)
        # A wake-up we sent before hearing of the newcomer never reached it: let its waiting
        # agents look at the database once more, so none waits for its long-poll to run out.
        self._enqueue({"k": KIND_WAKE_ALL, "to": name})


def _plain_name(name: str) -> str:
    """A peer's socket name, refusing anything that would point outside the folder."""
    if os.path.basename(name) != name or not name.endswith(SOCKET_SUFFIX):
        raise ValueError(f"bad socket name {name!r}")
    return name
