"""The durable command queue: commands are kept, delivered in order, and carried out once."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from homerelay.const import (
    EVENT_COMMAND,
    STATUS_DELIVERED,
    STATUS_DONE,
    STATUS_EXPIRED,
    STATUS_FAILED,
    STATUS_PENDING,
)
from homerelay.errors import HomerelayError
from homerelay.server.db import Database
from homerelay.server.events import EventHub
from homerelay.server.models import Command, utcnow
from homerelay.server.serialize import command_to_dict, to_iso

logger = logging.getLogger(__name__)

UNFINISHED = (STATUS_PENDING, STATUS_DELIVERED)
FINISHED = (STATUS_DONE, STATUS_FAILED, STATUS_EXPIRED)

# Every command passes through these statements (submit, deliver, acknowledge): they are Core
# statements built once, so each request runs them without an ORM session's bookkeeping.
COMMANDS = Command.__table__
INSERT_COMMAND = insert(COMMANDS)
BY_IDEMPOTENCY_KEY = select(COMMANDS).where(
    COMMANDS.c.home_id == bindparam("home_id"), COMMANDS.c.idempotency_key == bindparam("key")
)
# Wait for, never skip, a head row another request is claiming: skipping it would hand out
# the command behind it while the head is still being delivered.
QUEUE_HEADS = (
    select(COMMANDS)
    .where(COMMANDS.c.home_id == bindparam("home_id"), COMMANDS.c.status.in_(UNFINISHED))
    .order_by(COMMANDS.c.id)
    .limit(20)
    .with_for_update()
)
BY_ID = COMMANDS.c.id == bindparam("command_id")
ONE_FOR_UPDATE = select(COMMANDS).where(BY_ID).with_for_update()
DELIVER = update(COMMANDS).where(BY_ID).values(
    status=STATUS_DELIVERED,
    delivered_at=bindparam("now"),
    lease_until=bindparam("lease_until"),
    attempts=COMMANDS.c.attempts + 1,
)
EXPIRE = update(COMMANDS).where(BY_ID).values(
    status=STATUS_EXPIRED, result=bindparam("result"), done_at=bindparam("now")
)
FINISH = update(COMMANDS).where(BY_ID).values(
    status=bindparam("status"), result=bindparam("result"), done_at=bindparam("now"), lease_until=None
)
EXPIRED_RESULT = "expired: not carried out in time"


class CommandNotFoundError(HomerelayError, LookupError):
    """No command with that id in this home."""


class IdempotencyConflictError(HomerelayError, ValueError):
    """An Idempotency-Key was reused with a different command text."""


@dataclass(frozen=True)
class NewCommand:
    """What to queue: the text and what the language made of it."""

    text: str
    source: str
    intent: str | None
    actions: list[dict]
    idempotency_key: str | None = None
    heard: str | None = None
    confidence: float | None = None


class CommandQueue:
    """Stores commands of every home and hands them to agents one at a time, oldest first."""

    def __init__(self, db: Database, hub: EventHub, lease_seconds: float, ttl_seconds: float) -> None:
        self.db = db
        self.hub = hub
        self.lease = timedelta(seconds=lease_seconds)
        self.ttl = timedelta(seconds=ttl_seconds)

    def submit(self, home_id: int, new: NewCommand) -> tuple[dict, bool]:
        """Queue a command; returns it and whether it was created (False: an idempotent replay)."""
        created_at = utcnow()
        try:
            with self.db.writing() as connection:
                earlier = self._earlier(connection, home_id, new)
                if earlier is not None:
                    return earlier, False
                inserted = connection.execute(
                    INSERT_COMMAND,
                    {
                        "home_id": home_id,
                        "text": new.text,
                        "source": new.source,
                        "intent": new.intent,
                        "actions": new.actions,
                        "status": STATUS_PENDING,
                        "created_at": created_at,
                        "idempotency_key": new.idempotency_key,
                        "heard": new.heard,
                        "confidence": new.confidence,
                    },
                )
                command_id = inserted.inserted_primary_key[0]
        except IntegrityError:
            if new.idempotency_key is None:
                raise
            # PostgreSQL runs two submits of one key side by side; the second insert hits the
            # unique index. The first one's command is the answer to both.
            with self.db.writing() as connection:
                earlier = self._earlier(connection, home_id, new)
            if earlier is None:
                raise
            return earlier, False
        created = {
            "id": command_id,
            "text": new.text,
            "source": new.source,
            "intent": new.intent,
            "actions": list(new.actions),
            "status": STATUS_PENDING,
            "result": None,
            "created_at": to_iso(created_at),
            "delivered_at": None,
            "done_at": None,
        }
        logger.debug("queued command %s for home %s: %s", command_id, home_id, created["actions"])
        self._announce(home_id, [created])
        return created, True

    @staticmethod
    def _earlier(connection, home_id: int, new: NewCommand) -> dict | None:
        """The command already queued under this Idempotency-Key, if any (another text: a conflict)."""
        if new.idempotency_key is None:
            return None
        earlier = connection.execute(BY_IDEMPOTENCY_KEY, {"home_id": home_id, "key": new.idempotency_key}).first()
        if earlier is None:
            return None
        if earlier.text != new.text:
            raise IdempotencyConflictError("this Idempotency-Key was already used for another command")
        return command_to_dict(earlier)

    def get(self, home_id: int, command_id: int) -> dict:
        """One command of the home."""
        with self.db.reading() as session:
            command = session.get(Command, command_id)
            if command is None or command.home_id != home_id:
                raise CommandNotFoundError(f"no command {command_id} in this home")
            return command_to_dict(command)

    def recent(self, home_id: int, limit: int) -> list[dict]:
        """The home's latest commands, newest first."""
        with self.db.reading() as session:
            rows = session.scalars(
                select(Command).where(Command.home_id == home_id).order_by(Command.id.desc()).limit(limit)
            )
            return [command_to_dict(row) for row in rows]

    def latest(self, home_id: int) -> Command | None:
        """The home's newest command row (the original API's one slot)."""
        with self.db.reading() as session:
            return session.scalars(
                select(Command).where(Command.home_id == home_id).order_by(Command.id.desc()).limit(1)
            ).first()

    def mark_legacy_served(self, command_id: int) -> None:
        """Remember that the original API has answered this command once."""
        with self.db.transaction() as session:
            session.execute(update(Command).where(Command.id == command_id).values(legacy_served=True))

    def unfinished(self, home_id: int, done_after: datetime | None = None) -> list[dict]:
        """Commands not yet carried out (and those done after `done_after`), oldest first, to foresee device states."""
        wanted = Command.status.in_(UNFINISHED)
        if done_after is not None:
            # Carried out, but the agent's device report that shows it may not have arrived yet.
            wanted = or_(wanted, and_(Command.status == STATUS_DONE, Command.done_at > done_after))
        with self.db.reading() as session:
            rows = session.scalars(select(Command).where(Command.home_id == home_id, wanted).order_by(Command.id))
            return [command_to_dict(row) for row in rows]

    def next_for_agent(self, home_id: int, wait: float) -> dict | None:
        """Long-poll: the next command to carry out, as soon as there is one, or None after `wait` s."""
        deadline = time.monotonic() + wait
        while True:
            version = self.hub.queue_version(home_id)
            command, retry_at = self._claim_next(home_id)
            if command is not None:
                return command
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if retry_at is not None:
                # The head of the queue is out on a lease: look again when it runs out.
                remaining = min(remaining, max((retry_at - utcnow()).total_seconds(), 0.01))
            self.hub.wait_for_queue_change(home_id, version, remaining)

    def _claim_next(self, home_id: int) -> tuple[dict | None, datetime | None]:
        """Deliver the head of the queue if it is free; else say when its lease ends."""
        now = utcnow()
        expired: list[dict] = []
        claimed = None
        retry_at = None
        with self.db.writing(durable=False) as connection:
            for command in connection.execute(QUEUE_HEADS, {"home_id": home_id}).all():
                if command.created_at + self.ttl < now:
                    # A garage door must not open hours after it was asked to.
                    connection.execute(EXPIRE, {"command_id": command.id, "result": EXPIRED_RESULT, "now": now})
                    expired.append(
                        {**command_to_dict(command), "status": STATUS_EXPIRED, "result": EXPIRED_RESULT, "done_at": to_iso(now)}
                    )
                    continue
                if command.status == STATUS_DELIVERED and command.lease_until and command.lease_until > now:
                    # Order is kept: nothing behind it is delivered while it is out.
                    retry_at = command.lease_until
                    break
                connection.execute(DELIVER, {"command_id": command.id, "now": now, "lease_until": now + self.lease})
                claimed = {**command_to_dict(command), "status": STATUS_DELIVERED, "delivered_at": to_iso(now)}
                break
        if expired:
            logger.info("expired %d command(s) of home %s", len(expired), home_id)
        self._announce(home_id, expired + ([claimed] if claimed else []), wake=False)
        return claimed, retry_at

    def ack(self, home_id: int, command_id: int, status: str, result: str | None) -> dict:
        """Record that the agent carried a command out (or failed to); repeating it changes nothing."""
        now = utcnow()
        with self.db.writing(durable=False) as connection:
            command = connection.execute(ONE_FOR_UPDATE, {"command_id": command_id}).first()
            if command is None or command.home_id != home_id:
                raise CommandNotFoundError(f"no command {command_id} in this home")
            # A late ack of a command that expired after delivery tells the truth: it was carried out.
            late = command.status == STATUS_EXPIRED and command.delivered_at is not None
            if command.status in FINISHED and not late:
                return command_to_dict(command)
            connection.execute(FINISH, {"command_id": command_id, "status": status, "result": result, "now": now})
        acked = {**command_to_dict(command), "status": status, "result": result, "done_at": to_iso(now)}
        self._announce(home_id, [acked])
        return acked

    def _announce(self, home_id: int, commands: list[dict], wake: bool = True) -> None:
        for command in commands:
            self.hub.publish(home_id, EVENT_COMMAND, command)
        if commands and wake:
            self.hub.notify_queue_changed(home_id)
            # Under gevent, let the agent's long-poll and the event streams just woken run before
            # this request writes its own answer: the device switches, and the phone hears of
            # it, a millisecond sooner. (With threads this only yields the GIL.)
            time.sleep(0)
