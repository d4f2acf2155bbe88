"""Every database table: homes, tokens, commands, readings, device states, houses, settings, agent presence, rate limits."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from homerelay.clock import utcnow


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use timezone-aware UTC")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    """Declarative base of every homerelay table."""


class Home(Base):
    """One household: its devices, commands and readings belong to it."""

    __tablename__ = "homes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Token(Base):
    """An access token of a home, stored only as its SHA-256 hash."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so that a person can tell tokens apart in `homerelay token list`.
    hint: Mapped[str] = mapped_column(String(12))
    # Optional, to tell a home's phones apart ("anna's phone"); `homerelay token create --name`.
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# The longest command text the history keeps (the original endpoints take longer ones).
COMMAND_TEXT_COLUMN = 500
# What the history keeps in place of a NUL character, which PostgreSQL text cannot hold.
NUL_STAND_IN = "\ufffd"


class Command(Base):
    """A command from the app, the automation or the original endpoints, kept until carried out."""

    __tablename__ = "commands"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(COMMAND_TEXT_COLUMN))
    source: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(16), nullable=True)
    actions: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A spoken command: the words the recogniser heard and its confidence (0..1).
    heard: Mapped[str | None] = mapped_column(String(500), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The original API answers a `terminate` to its Pi script only once.
    legacy_served: Mapped[bool] = mapped_column(Boolean, default=False)
    # The agent process (its instance id) the command was last handed to; it may take it again at once.
    delivered_to: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        Index("ix_commands_home_status_id", "home_id", "status", "id"),
        Index("ix_commands_home_idempotency", "home_id", "idempotency_key", unique=True),
        # Pruning the history by age and, per home, by count (migration 0005).
        Index("ix_commands_created_at", "created_at"),
        Index("ix_commands_home_id", "home_id", "id"),
    )


class Reading(Base):
    """One temperature/humidity reading of a home's sensor."""

    __tablename__ = "readings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"))
    temperature: Mapped[float] = mapped_column(Float)
    humidity: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    # (at) alone lets pruning by age find old readings without scanning the table (migration 0005).
    __table_args__ = (Index("ix_readings_home_at", "home_id", "at"), Index("ix_readings_at", "at"))


class DeviceState(Base):
    """The last reported state of one device."""

    __tablename__ = "device_states"
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    room: Mapped[str] = mapped_column(String(64), primary_key=True)
    device: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HouseLayout(Base):
    """The house layout the home's agent runs (JSON of `House.to_mapping()`)."""

    __tablename__ = "house_layouts"
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    layout: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoolingRule(Base):
    """The cooling automation of a home: fan on at or above the threshold, off below it."""

    __tablename__ = "cooling_rules"
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    threshold: Mapped[float] = mapped_column(Float)
    hysteresis: Mapped[float] = mapped_column(Float)
    room: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Why the rule is paused ("you switched the living room fan by hand"), while it is.
    paused_because: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # How long a hand switch pauses the rule; None: the server's configured pause.
    pause_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgentInstance(Base):
    """One agent process of a home (by the instance id it sends), and until when it counts as online."""

    __tablename__ = "agent_instances"
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    instance: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    simulated: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    # Online until this moment unless heard from again (an open long-poll counts to its end).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The long-poll this instance has open, if any: only that poll's end may change the row.
    poll_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Its connection closed while it waited (process stopped or killed): offline at once.
    disconnected: Mapped[bool] = mapped_column(Boolean, default=False)


class AgentStatus(Base):
    """A home's agent presence as last announced: online or not since when, and its instances."""

    __tablename__ = "agent_status"
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    online: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    instances: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    simulated: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class LegacyValue(Base):
    """A free-text value of the original API (device list, information) kept per home."""

    __tablename__ = "legacy_values"
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Rate limits and failed sign-ins counted in the database when several processes share it
# (`rate_limit_store.SqlStorage`): Core tables, as the storage's statements are all Core.
rate_limit_hits = Table(
    "rate_limit_hits",
    Base.metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("key", String(255), nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_rate_limit_hits_key_expires", "key", "expires_at"),
)

rate_limit_counters = Table(
    "rate_limit_counters",
    Base.metadata,
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),
)
