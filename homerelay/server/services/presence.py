"""Whether each home's agent is connected: its processes, their long-polls, and the `agent` event.

Kept in the database (tables `agent_instances` and `agent_status`), so every server process on a
shared PostgreSQL database sees the same presence; the `agent` event goes through the hub, which
carries it to the other processes too.

An agent process is online while one of its long-polls is open, and for `PRESENCE_GRACE_SECONDS`
after its last request (plus the pause an idle agent makes when the server does not long-poll).
It is offline at once when its connection closes while it waits (the process stopped or was
killed), and at the latest `max wait + grace` after its network silently disappeared.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.engine import Connection

from homerelay.agent_header import AgentIdentity
from homerelay.const import AGENT_IDLE_POLL_SECONDS, EVENT_AGENT, PRESENCE_GRACE_SECONDS
from homerelay.server.fanout.hub import EventHub
from homerelay.server.storage.db import Database
from homerelay.clock import utcnow
from homerelay.server.storage.models import AgentInstance, AgentStatus, Home
from homerelay.server.storage.serialize import presence_to_dict

logger = logging.getLogger(__name__)

# How often a process looks for agents whose time ran out (and announces them offline).
SWEEP_SECONDS = 2.0
# Requests other than the long-poll refresh an instance's presence at most this often per process.
TOUCH_SECONDS = 5.0
# Instances not heard from for this long are forgotten.
FORGET_AFTER = timedelta(days=1)
FORGET_EVERY_SWEEPS = 300

INSTANCES = AgentInstance.__table__
STATUS = AgentStatus.__table__
ONE_INSTANCE = select(INSTANCES.c.disconnected, INSTANCES.c.expires_at, INSTANCES.c.version, INSTANCES.c.simulated).where(
    INSTANCES.c.home_id == bindparam("home_id"), INSTANCES.c.instance == bindparam("instance")
)
HOME_INSTANCES = (
    select(INSTANCES).where(INSTANCES.c.home_id == bindparam("home_id")).order_by(INSTANCES.c.last_seen.desc())
)
STATUS_FOR_UPDATE = select(STATUS).where(STATUS.c.home_id == bindparam("home_id")).with_for_update()
HOME_CREATED = select(Home.created_at).where(Home.id == bindparam("home_id"))
CLOSE_POLL = (
    update(INSTANCES)
    .where(
        INSTANCES.c.home_id == bindparam("b_home_id"),
        INSTANCES.c.instance == bindparam("b_instance"),
        INSTANCES.c.poll_id == bindparam("b_poll_id"),
    )
    .values(poll_id=None, last_seen=bindparam("now"), expires_at=bindparam("b_expires_at"), disconnected=bindparam("dropped"))
)
LIVE_COUNT = (
    select(func.count())
    .where(
        INSTANCES.c.home_id == STATUS.c.home_id,
        INSTANCES.c.disconnected.is_(False),
        INSTANCES.c.expires_at > bindparam("now"),
    )
    .scalar_subquery()
)
# Homes whose announced status no longer matches their live instances (one ran out of time).
OUT_OF_DATE = select(STATUS.c.home_id).where(STATUS.c.instances != LIVE_COUNT)


@dataclass(frozen=True)
class Presence:
    """A home's agent as the app sees it (`GET /api/v1/agent` and the `agent` event)."""

    online: bool
    since: datetime
    last_seen: datetime | None
    simulated: bool | None
    version: str | None
    instances: int


@dataclass(frozen=True)
class OpenPoll:
    """A long-poll under way: whose it is, and the id only its own end may clear."""

    home_id: int
    who: AgentIdentity
    poll_id: str
    started: float


def instance_online(connection: Connection, home_id: int, instance: str, now: datetime) -> bool:
    """Whether an agent process counts as connected, read in the caller's transaction."""
    row = connection.execute(ONE_INSTANCE, {"home_id": home_id, "instance": instance}).first()
    return _alive(row, now)


def _alive(row, now: datetime) -> bool:
    return row is not None and not row.disconnected and row.expires_at > now


class AgentPresence:
    """Records each agent process's requests and long-polls, and announces the home's presence when it changes."""

    def __init__(self, db: Database, hub: EventHub, grace_seconds: float = PRESENCE_GRACE_SECONDS,
                 sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.db = db
        self.hub = hub
        self.grace = timedelta(seconds=grace_seconds)
        self.sweep_seconds = sweep_seconds
        self._touched: dict[tuple[int, str], float] = {}
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._sweeper_lock = threading.Lock()

    # What the agent's requests tell -----------------------------------------------------------

    def poll_opened(self, home_id: int, who: AgentIdentity, wait: float) -> OpenPoll:
        """A long-poll of `wait` seconds began: the process is online until it ends."""
        now = utcnow()
        poll = OpenPoll(home_id, who, secrets.token_hex(8), time.monotonic())
        was = self.db.read_row(ONE_INSTANCE, {"home_id": home_id, "instance": who.instance})
        values = {"last_seen": now, "expires_at": now + timedelta(seconds=wait) + self.grace,
                  "poll_id": poll.poll_id, "disconnected": False}
        self._upsert(home_id, who, values)
        self._touched[(home_id, who.instance)] = time.monotonic()
        if self._news(was, who, now):
            self.refresh(home_id)
        self._ensure_sweeper()
        return poll

    def poll_closed(self, poll: OpenPoll, dropped: bool, delivered: bool) -> None:
        """The long-poll ended: answered (`delivered` a command, or not), or its connection `dropped`."""
        now = utcnow()
        if dropped:
            expires_at = now
        else:
            # After an empty answer an idle agent may pause before it asks again (when the server
            # answered sooner than the agent's idle cycle): that pause is not silence.
            elapsed = time.monotonic() - poll.started
            pause = 0.0 if delivered else max(0.0, AGENT_IDLE_POLL_SECONDS - elapsed)
            expires_at = now + self.grace + timedelta(seconds=pause)
        with self.db.writing(durable=False) as connection:
            closed = connection.execute(CLOSE_POLL, {
                "b_home_id": poll.home_id, "b_instance": poll.who.instance, "b_poll_id": poll.poll_id,
                "now": now, "b_expires_at": expires_at, "dropped": dropped,
            }).rowcount
        if dropped and closed:
            logger.info("agent %s of home %s closed its connection while waiting", poll.who.instance or "-", poll.home_id)
            self.refresh(poll.home_id)
            # Pollers waiting for a command this process held may take it now.
            self.hub.notify_queue_changed(poll.home_id)

    def touch(self, home_id: int, who: AgentIdentity) -> None:
        """Any other request of the agent: it was heard from (at most every few seconds per process)."""
        key = (home_id, who.instance)
        moment = time.monotonic()
        if moment - self._touched.get(key, -TOUCH_SECONDS) < TOUCH_SECONDS:
            return
        self._touched[key] = moment
        now = utcnow()
        was = self.db.read_row(ONE_INSTANCE, {"home_id": home_id, "instance": who.instance})
        later = now + self.grace
        # Never shorten the time an open long-poll holds the process online.
        expires_at = case((INSTANCES.c.expires_at > later, INSTANCES.c.expires_at), else_=later)
        self._upsert(home_id, who, {"last_seen": now, "expires_at": later, "disconnected": False},
                     on_update={"expires_at": expires_at})
        if self._news(was, who, now):
            self.refresh(home_id)
        self._ensure_sweeper()

    # What the app reads ------------------------------------------------------------------------

    def status(self, home_id: int) -> Presence:
        """The home's agent presence now (announcing it if it changed since last said)."""
        self._ensure_sweeper()
        return self.refresh(home_id)

    def refresh(self, home_id: int) -> Presence:
        """Work out the presence from the instances, store it, and publish `agent` if it changed."""
        now = utcnow()
        with self.db.writing(durable=False) as connection:
            # Made once, offline since the home was made; then locked, so that two processes
            # announcing the same change do it one after the other and only the first publishes.
            connection.execute(self._insert(STATUS).values(
                home_id=home_id, online=False, since=connection.execute(HOME_CREATED, {"home_id": home_id}).scalar() or now,
                instances=0, version=None, simulated=None,
            ).on_conflict_do_nothing(index_elements=[STATUS.c.home_id]))
            stored = connection.execute(STATUS_FOR_UPDATE, {"home_id": home_id}).first()
            rows = connection.execute(HOME_INSTANCES, {"home_id": home_id}).all()
            live = [row for row in rows if _alive(row, now)]
            newest = live[0] if live else (rows[0] if rows else None)
            online = bool(live)
            values = {
                "online": online,
                "instances": len(live),
                "version": newest.version if newest is not None else None,
                "simulated": newest.simulated if newest is not None else None,
            }
            since = stored.since if stored.online == online else now
            changed = any(getattr(stored, key) != value for key, value in values.items())
            if changed:
                connection.execute(update(STATUS).where(STATUS.c.home_id == home_id).values(since=since, **values))
        presence = Presence(online, since, rows[0].last_seen if rows else None,
                            values["simulated"], values["version"], values["instances"])
        if changed:
            if presence.instances > 1 and stored.instances <= 1:
                logger.warning(
                    "home %s: %d agent processes are using one token at once (instances %s); stop all but one",
                    home_id, presence.instances, ", ".join(row.instance or "-" for row in live),
                )
            logger.info("agent of home %s is %s", home_id, "online" if online else "offline")
            self.hub.publish(home_id, EVENT_AGENT, presence_to_dict(presence))
        return presence

    # The sweeper -------------------------------------------------------------------------------

    def sweep(self) -> int:
        """Announce every home whose presence ran out of time (or otherwise changed); returns how many."""
        now = utcnow()
        with self.db.reading() as session:
            homes = session.execute(OUT_OF_DATE, {"now": now}).scalars().all()
        for home_id in homes:
            self.refresh(home_id)
        return len(homes)

    def forget_old(self) -> None:
        """Drop instances not heard from for a day."""
        with self.db.writing(durable=False) as connection:
            connection.execute(delete(INSTANCES).where(INSTANCES.c.last_seen < utcnow() - FORGET_AFTER))
        self._touched.clear()

    def close(self) -> None:
        """Stop the sweeper."""
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(self.sweep_seconds + 3)

    def _ensure_sweeper(self) -> None:
        if self._sweeper is not None or self._stop.is_set():
            return
        with self._sweeper_lock:
            if self._sweeper is None:
                self._sweeper = threading.Thread(target=self._sweep_forever, name="presence-sweeper", daemon=True)
                self._sweeper.start()

    def _sweep_forever(self) -> None:
        sweeps = 0
        while not self._stop.wait(self.sweep_seconds):
            try:
                self.sweep()
                sweeps += 1
                if sweeps % FORGET_EVERY_SWEEPS == 0:
                    self.forget_old()
            except Exception:  # the database may be away a moment; the next sweep tries again
                logger.exception("presence sweep failed")

    # Storage -----------------------------------------------------------------------------------

    def _news(self, was, who: AgentIdentity, now: datetime) -> bool:
        """Whether this request may change what the app is told (a process comes online, or changed)."""
        return not _alive(was, now) or (was.version, was.simulated) != (who.version, who.simulated)

    def _insert(self, table):
        """An INSERT with ON CONFLICT clauses, in the database's own dialect."""
        if self.db.is_postgresql:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def _upsert(self, home_id: int, who: AgentIdentity, values: dict, on_update: dict | None = None) -> None:
        row = {"home_id": home_id, "instance": who.instance, "version": who.version, "simulated": who.simulated, **values}
        changes = {key: value for key, value in row.items() if key not in ("home_id", "instance")}
        changes.update(on_update or {})
        statement = self._insert(INSTANCES).values(**row).on_conflict_do_update(
            index_elements=[INSTANCES.c.home_id, INSTANCES.c.instance], set_=changes
        )
        with self.db.writing(durable=False) as connection:
            connection.execute(statement)
