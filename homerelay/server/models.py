"""Database tables: homes, tokens, commands, readings, device states, houses, settings."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Command(Base):
    """A command from the app, the automation or the original endpoints, kept until carried out."""

    __tablename__ = "commands"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
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

    __table_args__ = (
        Index("ix_commands_home_status_id", "home_id", "status", "id"),
        Index("ix_commands_home_idempotency", "home_id", "idempotency_key", unique=True),
    )


class Reading(Base):
    """One temperature/humidity reading of a home's sensor."""

    __tablename__ = "readings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"))
    temperature: Mapped[float] = mapped_column(Float)
    humidity: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_readings_home_at", "home_id", "at"),)


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
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LegacyValue(Base):
    """A free-text value of the original API (device list, information) kept per home."""

    __tablename__ = "legacy_values"
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
