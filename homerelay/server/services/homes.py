"""Homes and their access tokens: creation, lookup by token, listing and revocation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from homerelay.clock import utcnow
from homerelay.const import ROLE_AGENT, ROLE_APP, ROLES
from homerelay.errors import HomerelayError
from homerelay.server.storage.db import Database
from homerelay.server.storage.models import Home, Token

TOKEN_BYTES = 32
# Every request signs in: the lookup is prepared once.
TOKEN_BY_HASH = select(Token.id, Token.home_id, Token.role, Token.token_hash, Token.revoked_at).where(
    Token.token_hash == bindparam("token_hash")
)
TOKEN_HINT_LENGTH = 6


@dataclass(frozen=True)
class HomeTokens:
    """A new home and its two tokens, shown to the user exactly once."""

    home: str
    home_id: int
    app_token: str
    agent_token: str

    def to_dict(self) -> dict:
        """The `homerelay home create --json` object."""
        return {"home": self.home, "app_token": self.app_token, "agent_token": self.agent_token}


@dataclass(frozen=True)
class Identity:
    """Who a valid token speaks for."""

    home_id: int
    role: str
    token_id: int


@dataclass(frozen=True)
class TokenInfo:
    """A token as `homerelay token list` shows it (never the token itself)."""

    id: int
    home: str
    role: str
    hint: str
    created_at: datetime
    revoked_at: datetime | None


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256 suffices because tokens are 256 random bits."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe) that never starts with "-".

    One that did would read as an option on a command line (`homerelay send --token -x…`).
    """
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not token.startswith("-"):
            return token


def create_home(db: Database, name: str) -> HomeTokens:
    """Create a home with a fresh app token and agent token."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise HomerelayError("a home name needs 1 to 100 characters")
    tokens = {role: new_token() for role in ROLES}
    with db.transaction() as session:
        home = Home(name=name)
        session.add(home)
        session.flush()
        for role, token in tokens.items():
            session.add(Token(home_id=home.id, role=role, token_hash=hash_token(token), hint=token[:TOKEN_HINT_LENGTH]))
        home_id = home.id
    return HomeTokens(name, home_id, tokens[ROLE_APP], tokens[ROLE_AGENT])


def identify(db: Database, token: str) -> Identity | None:
    """The identity of a valid, unrevoked token, or None."""
    if not token or len(token) > 200:
        return None
    wanted = hash_token(token)
    row = db.read_row(TOKEN_BY_HASH, {"token_hash": wanted})
    # The lookup is by hash, so timing reveals nothing of the token; the comparison
    # below is constant-time all the same, as a second line of defence.
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return Identity(row.home_id, row.role, row.id)


def list_tokens(db: Database) -> list[TokenInfo]:
    """Every token of every home, oldest first."""
    with db.reading() as session:
        rows = session.execute(select(Token, Home.name).join(Home).order_by(Token.id)).all()
        return [TokenInfo(t.id, name, t.role, t.hint, t.created_at, t.revoked_at) for t, name in rows]


def revoke_token(db: Database, token_id: int) -> TokenInfo:
    """Revoke a token by its id; it stops working at once."""
    with db.transaction() as session:
        token = session.get(Token, token_id)
        if token is None:
            raise HomerelayError(f"no token with id {token_id}")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
        home = session.get(Home, token.home_id)
        return TokenInfo(token.id, home.name, token.role, token.hint, token.created_at, token.revoked_at)


class Homes:
    """The homes and tokens of the relay's database, as the server reaches them (`Relay.homes`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str) -> HomeTokens:
        """Create a home with a fresh app token and agent token."""
        return create_home(self.db, name)

    def identify(self, token: str) -> Identity | None:
        """The identity of a valid, unrevoked token, or None."""
        return identify(self.db, token)


__all__ = [
    "HomeTokens", "Homes", "Identity", "TokenInfo", "create_home", "identify", "list_tokens", "revoke_token",
    "ROLE_APP", "ROLE_AGENT",
]
