"""The durable command queue: commands are kept, delivered in order, and carried out once."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Text, and_, bindparam, cast, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from homerelay.clock import utcnow
from homerelay.const import (
    EVENT_COMMAND,
    FINISHED_STATUSES,
    INTENT_ALL_OFF,
    INTENT_CONTROL,
    INTENT_TERMINATE,
    STATUS_DELIVERED,
    STATUS_DONE,
    STATUS_EXPIRED,
    STATUS_PENDING,
    UNFINISHED_STATUSES,
)
from homerelay.errors import HomerelayError
from homerelay.language import Action
from homerelay.language.phrasing import sentence
from homerelay.language.vocabulary import default_vocabulary
from homerelay.server.fanout.hub import EventHub
from homerelay.server.services.presence import instance_online
from homerelay.server.services.quotas import QuotaExceededError
from homerelay.server.storage.db import Database
from homerelay.server.storage.models import Command as CommandRow
from homerelay.server.storage.records import Command, actions_to_json
from homerelay.server.storage.serialize import command_to_dict

logger = logging.getLogger(__name__)

# Every command passes through these statements (submit, deliver, acknowledge): they are Core
# statements built once, so each request runs them without an ORM session's bookkeeping.
COMMANDS = CommandRow.__table__
INSERT_COMMAND = insert(COMMANDS)
BY_IDEMPOTENCY_KEY = select(COMMANDS).where(
    COMMANDS.c.home_id == bindparam("home_id"), COMMANDS.c.idempotency_key == bindparam("key")
)
# Wait for, never skip, a head row another request is claiming: skipping it would hand out
# the command behind it while the head is still being delivered.
QUEUE_HEADS = (
    select(COMMANDS)
    .where(COMMANDS.c.home_id == bindparam("home_id"), COMMANDS.c.status.in_(UNFINISHED_STATUSES))
    .order_by(COMMANDS.c.id)
    .limit(20)
    .with_for_update()
)
BY_ID = COMMANDS.c.id == bindparam("command_id")
ONE = select(COMMANDS).where(BY_ID, COMMANDS.c.home_id == bindparam("home_id"))
NEWEST = select(COMMANDS).where(COMMANDS.c.home_id == bindparam("home_id")).order_by(COMMANDS.c.id.desc())
ONE_FOR_UPDATE = select(COMMANDS).where(BY_ID).with_for_update()
DELIVER = update(COMMANDS).where(BY_ID).values(
    status=STATUS_DELIVERED,
    delivered_at=bindparam("now"),
    lease_until=bindparam("lease_until"),
    attempts=COMMANDS.c.attempts + 1,
    delivered_to=bindparam("instance"),
)
EXPIRE = update(COMMANDS).where(BY_ID).values(
    status=STATUS_EXPIRED, result=bindparam("result"), done_at=bindparam("now")
)
FINISH = update(COMMANDS).where(BY_ID).values(
    status=bindparam("status"), result=bindparam("result"), done_at=bindparam("now"), lease_until=None
)
EXPIRED_RESULT = "expired: not carried out in time"
# Refused submissions to a full queue may try again this much later.
QUEUE_FULL_RETRY_SECONDS = 5
UNFINISHED_COUNT = select(func.count()).select_from(
    select(COMMANDS.c.id)
    .where(COMMANDS.c.home_id == bindparam("home_id"), COMMANDS.c.status.in_(UNFINISHED_STATUSES))
    .limit(bindparam("cap"))
    .subquery()
)
# The history is pruned every this many submissions (per process), by age and per home by count.
PRUNE_EVERY = 200
PRUNE_OLD_COMMANDS = delete(COMMANDS).where(
    COMMANDS.c.created_at < bindparam("cutoff"), COMMANDS.c.status.in_(FINISHED_STATUSES)
)
OLDEST_KEPT = (
    select(COMMANDS.c.id).where(COMMANDS.c.home_id == bindparam("home_id"))
    .order_by(COMMANDS.c.id.desc()).limit(1).offset(bindparam("skip"))
)
PRUNE_HOME_COMMANDS = delete(COMMANDS).where(
    COMMANDS.c.home_id == bindparam("home_id"), COMMANDS.c.id < bindparam("oldest_kept"),
    COMMANDS.c.status.in_(FINISHED_STATUSES),
)
ALL_DEVICES_INTENTS = (INTENT_ALL_OFF, INTENT_TERMINATE)
# A waiting long-poll asks at least this often whether its caller may still receive commands.
WAITER_RECHECK_SECONDS = 15.0
# A parked long-poll looks at its client's connection this often, so a killed agent's poll ends
# (and claims nothing) within about this long.
CONNECTION_CHECK_SECONDS = 1.0


class WaiterRefusedError(HomerelayError, PermissionError):
    """A waiting long-poll's caller lost the right to receive commands (its token was revoked)."""


class CommandNotFoundError(HomerelayError, LookupError):
    """No command with that id in this home."""


class IdempotencyConflictError(HomerelayError, ValueError):
    """An Idempotency-Key was reused with a different command text."""


@dataclass(frozen=True)
class CommandLimits:
    """How much of a home's queue is kept: unfinished commands at once, finished ones by age and count."""

    max_unfinished: int = 100
    history_days: float = 30.0
    history_max: int = 10_000


@dataclass(frozen=True)
class NewCommand:
    """What to queue: the text and what the language made of it (a record only, if not pending)."""

    text: str
    source: str
    intent: str | None
    actions: tuple[Action, ...]
    idempotency_key: str | None = None
    status: str = STATUS_PENDING
    result: str | None = None
    # A spoken command: the words the recogniser heard, and its confidence (0..1).
    heard: str | None = None
    confidence: float | None = None

    @classmethod
    def switching(cls, actions, source: str, idempotency_key: str | None = None) -> NewCommand:
        """A command made of device switches (a switch on the Devices screen, the cooling rule), with
        the sentence the language would say for them, for the history."""
        actions = tuple(actions)
        return cls(sentence(actions, default_vocabulary()), source, INTENT_CONTROL, actions, idempotency_key)


class CommandQueue:
    """Stores commands of every home and hands them to agents one at a time, oldest first."""

    def __init__(self, db: Database, hub: EventHub, lease_seconds: float, ttl_seconds: float,
                 limits: CommandLimits = CommandLimits()) -> None:
        self.db = db
        self.hub = hub
        self.lease = timedelta(seconds=lease_seconds)
        self.ttl = timedelta(seconds=ttl_seconds)
        self.limits = limits
        self._submits = 0

    def submit(self, home_id: int, new: NewCommand) -> tuple[Command, bool]:
        """Queue a command; returns it and whether it was created (False: an idempotent replay)."""
        created_at = utcnow()
        # A record of something that will never be carried out (see `NewCommand`) ends as it starts.
        done_at = created_at if new.status in FINISHED_STATUSES else None
        try:
            with self.db.writing() as connection:
                earlier = self._earlier(connection, home_id, new)
                if earlier is not None:
                    return earlier, False
                waiting = connection.execute(UNFINISHED_COUNT, {"home_id": home_id, "cap": self.limits.max_unfinished})
                if waiting.scalar() >= self.limits.max_unfinished:
                    raise QuotaExceededError(
                        f"the house has too many commands waiting ({self.limits.max_unfinished} not yet carried "
                        "out); try again once the agent has caught up", QUEUE_FULL_RETRY_SECONDS,
                    )
                inserted = connection.execute(
                    INSERT_COMMAND,
                    {
                        "home_id": home_id,
                        "text": new.text,
                        "source": new.source,
                        "intent": new.intent,
                        "actions": actions_to_json(new.actions),
                        "status": new.status,
                        "result": new.result,
                        "heard": new.heard,
                        "confidence": new.confidence,
                        "created_at": created_at,
                        "done_at": done_at,
                        "idempotency_key": new.idempotency_key,
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
        created = Command(command_id, new.text, new.source, new.intent, new.actions, new.status, new.result,
                          created_at, None, done_at)
        logger.debug("queued command %s for home %s: %s", command_id, home_id, new.actions)
        self._announce(home_id, [created])
        self._submits += 1
        if self._submits >= PRUNE_EVERY:
            self._submits = 0
            self.prune(home_id)
        return created, True

    def prune(self, home_id: int) -> int:
        """Forget finished commands older than the history's age, and the home's beyond its count."""
        cutoff = utcnow() - timedelta(days=self.limits.history_days)
        with self.db.writing(durable=False) as connection:
            removed = connection.execute(PRUNE_OLD_COMMANDS, {"cutoff": cutoff}).rowcount or 0
            oldest_kept = connection.execute(
                OLDEST_KEPT, {"home_id": home_id, "skip": self.limits.history_max - 1}
            ).scalar()
            if oldest_kept is not None:
                removed += connection.execute(
                    PRUNE_HOME_COMMANDS, {"home_id": home_id, "oldest_kept": oldest_kept}
                ).rowcount or 0
        if removed:
            logger.info("pruned %d finished commands", removed)
        return removed

    @staticmethod
    def _earlier(connection, home_id: int, new: NewCommand) -> Command | None:
        """The command already queued under this Idempotency-Key, if any (another text: a conflict)."""
        if new.idempotency_key is None:
            return None
        earlier = connection.execute(BY_IDEMPOTENCY_KEY, {"home_id": home_id, "key": new.idempotency_key}).first()
        if earlier is None:
            return None
        if earlier.text != new.text:
            raise IdempotencyConflictError("this Idempotency-Key was already used for another command")
        return Command.from_row(earlier)

    def get(self, home_id: int, command_id: int) -> Command:
        """One command of the home."""
        row = self.db.read_row(ONE, {"command_id": command_id, "home_id": home_id})
        if row is None:
            raise CommandNotFoundError(f"no command {command_id} in this home")
        return Command.from_row(row)

    def recent(self, home_id: int, limit: int) -> list[Command]:
        """The home's latest commands, newest first."""
        with self.db.reading() as session:
            rows = session.execute(NEWEST.limit(limit), {"home_id": home_id})
            return [Command.from_row(row) for row in rows]

    def unfinished(self, home_id: int, done_after: datetime | None = None) -> list[Command]:
        """Commands not yet carried out (and those done after `done_after`), oldest first, to foresee device states."""
        wanted = COMMANDS.c.status.in_(UNFINISHED_STATUSES)
        if done_after is not None:
            # Carried out, but the agent's device report that shows it may not have arrived yet.
            wanted = or_(wanted, and_(COMMANDS.c.status == STATUS_DONE, COMMANDS.c.done_at > done_after))
        query = select(COMMANDS).where(COMMANDS.c.home_id == home_id, wanted).order_by(COMMANDS.c.id)
        with self.db.reading() as session:
            return [Command.from_row(row) for row in session.execute(query)]

    def unfinished_touching(self, home_id: int, room: str, device: str, done_after: datetime | None = None) -> list[Command]:
        """As `unfinished`, but only the commands that may switch `room` `device` (or everything off).

        Cooling asks on every reading: a long queue of other devices' commands must not be read
        and decoded each time, so the database picks the candidates and only they are decoded.
        """
        wanted = COMMANDS.c.status.in_(UNFINISHED_STATUSES)
        if done_after is not None:
            wanted = or_(wanted, and_(COMMANDS.c.status == STATUS_DONE, COMMANDS.c.done_at > done_after))
        actions = cast(COMMANDS.c.actions, Text)
        names_it = and_(actions.contains(json.dumps(room), autoescape=True),
                        actions.contains(json.dumps(device), autoescape=True))
        query = (
            select(COMMANDS)
            .where(COMMANDS.c.home_id == home_id, wanted, or_(COMMANDS.c.intent.in_(ALL_DEVICES_INTENTS), names_it))
            .order_by(COMMANDS.c.id)
        )
        with self.db.reading() as session:
            return [Command.from_row(row) for row in session.execute(query)]

    def next_for_agent(
        self, home_id: int, wait: float, instance: str | None = None, connected: Callable[[], bool] | None = None,
        still_allowed: Callable[[], bool] | None = None, recheck_seconds: float = WAITER_RECHECK_SECONDS,
    ) -> Command | None:
        """Long-poll: the next command to carry out, as soon as there is one, or None after `wait` s.

        `instance` names the agent process asking: a command out on a lease to that same process,
        or to one that is gone, is handed out again at once (its earlier delivery is over); None
        keeps the plain lease. `connected()` is asked before a woken wait claims anything, and
        every `CONNECTION_CHECK_SECONDS`: once it says False the poll ends with None.
        `still_allowed` is asked before a woken wait looks at the queue again, and at least every
        `recheck_seconds`; once it says no, `WaiterRefusedError` is raised before anything is claimed.
        """
        deadline = time.monotonic() + wait
        recheck_at = time.monotonic() + recheck_seconds
        while True:
            version = self.hub.queue_version(home_id)
            command, retry_at = self._claim_next(home_id, instance)
            if command is not None:
                return command
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                step = remaining
                if retry_at is not None:
                    # The head of the queue is out on a lease: look again when it runs out.
                    step = min(step, max((retry_at - utcnow()).total_seconds(), 0.01))
                if still_allowed is not None:
                    step = min(step, max(recheck_at - time.monotonic(), 0.0))
                if connected is not None:
                    step = min(step, CONNECTION_CHECK_SECONDS)
                changed = self.hub.wait_for_queue_change(home_id, version, step)
                if connected is not None and not connected():
                    return None  # nobody is listening: claim nothing
                look_again = changed or retry_at is not None or step >= remaining
                if still_allowed is not None and (look_again or time.monotonic() >= recheck_at):
                    if not still_allowed():
                        raise WaiterRefusedError("the waiter may no longer receive commands")
                    recheck_at = time.monotonic() + recheck_seconds
                if look_again:
                    break  # look at the queue again (the last look at the deadline, too)

    def _claim_next(self, home_id: int, instance: str | None = None) -> tuple[Command | None, datetime | None]:
        """Deliver the head of the queue if it is free; else say when its lease ends."""
        now = utcnow()
        expired: list[Command] = []
        claimed = None
        retry_at = None
        with self.db.writing(durable=False) as connection:
            for command in connection.execute(QUEUE_HEADS, {"home_id": home_id}).all():
                if command.created_at + self.ttl < now:
                    # A garage door must not open hours after it was asked to.
                    connection.execute(EXPIRE, {"command_id": command.id, "result": EXPIRED_RESULT, "now": now})
                    expired.append(
                        replace(Command.from_row(command), status=STATUS_EXPIRED, result=EXPIRED_RESULT, done_at=now)
                    )
                    continue
                if (
                    command.status == STATUS_DELIVERED and command.lease_until and command.lease_until > now
                    and not self._delivery_over(connection, home_id, command.delivered_to, instance, now)
                ):
                    # Order is kept: nothing behind it is delivered while it is out.
                    retry_at = command.lease_until
                    break
                connection.execute(
                    DELIVER, {"command_id": command.id, "now": now, "lease_until": now + self.lease, "instance": instance}
                )
                claimed = replace(Command.from_row(command), status=STATUS_DELIVERED, delivered_at=now)
                break
        if expired:
            logger.info("expired %d command(s) of home %s", len(expired), home_id)
        self._announce(home_id, expired + ([claimed] if claimed else []), wake=False)
        return claimed, retry_at

    @staticmethod
    def _delivery_over(connection, home_id: int, holder: str | None, instance: str | None, now: datetime) -> bool:
        """Whether a command out on a lease may be handed to `instance` now: it asks again itself
        (so it lost the command or its ack), or the process that has it is gone."""
        if not instance:
            # An agent that does not name its process (no X-Homerelay-Agent header) cannot be told
            # from a second one on the same token: its deliveries keep the plain lease.
            return False
        if holder is None or holder == instance:
            return True
        return not instance_online(connection, home_id, holder, now)

    def ack(self, home_id: int, command_id: int, status: str, result: str | None) -> Command:
        """Record that the agent carried a command out (or failed to); repeating it changes nothing."""
        now = utcnow()
        with self.db.writing(durable=False) as connection:
            command = connection.execute(ONE_FOR_UPDATE, {"command_id": command_id}).first()
            if command is None or command.home_id != home_id:
                raise CommandNotFoundError(f"no command {command_id} in this home")
            # A late ack of a command that expired after delivery tells the truth: it was carried out.
            late = command.status == STATUS_EXPIRED and command.delivered_at is not None
            if command.status in FINISHED_STATUSES and not late:
                return Command.from_row(command)
            connection.execute(FINISH, {"command_id": command_id, "status": status, "result": result, "now": now})
        acked = replace(Command.from_row(command), status=status, result=result, done_at=now)
        self._announce(home_id, [acked])
        return acked

    def _announce(self, home_id: int, commands: list[Command], wake: bool = True) -> None:
        for command in commands:
            self.hub.publish(home_id, EVENT_COMMAND, command_to_dict(command))
        if commands and wake:
            self.hub.notify_queue_changed(home_id)
            # Under gevent, let the agent's long-poll and the event streams just woken run before
            # this request writes its own answer: the device switches, and the phone hears of
            # it, a millisecond sooner. (With threads this only yields the GIL.)
            time.sleep(0)
