"""Homes and their access tokens: creation, lookup by token, listing and revocation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select

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
# Open streams and waiting long-polls look again whether their token still works.
TOKEN_REVOKED_AT = select(Token.revoked_at).where(Token.id == bindparam("token_id"))
TOKEN_HINT_LENGTH = 6
TOKEN_NAME_MAX = 100


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
    name: str | None = None


@dataclass(frozen=True)
class HomeInfo:
    """A home as `homerelay home list` shows it, with how many tokens of each role work."""

    id: int
    name: str
    created_at: datetime
    app_tokens: int
    agent_tokens: int

    def to_dict(self) -> dict:
        """The `homerelay home list --json` object of one home."""
        return {"id": self.id, "name": self.name, "created_at": self.created_at.isoformat(),
                "app_tokens": self.app_tokens, "agent_tokens": self.agent_tokens}


@dataclass(frozen=True)
class IssuedToken:
    """A token just issued for an existing home, shown to the user exactly once."""

    id: int
    home: str
    role: str
    name: str | None
    token: str

    def to_dict(self) -> dict:
        """The `homerelay token create --json` object."""
        return {"id": self.id, "home": self.home, "role": self.role, "name": self.name,
                "token": self.token}


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


def create_home(db: Database, name: str, unique: bool = False) -> HomeTokens:
    """Create a home with a fresh app token and agent token.

    `unique`: refuse when a home of that name exists (the command line asks for --force).
    """
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise HomerelayError("a home name needs 1 to 100 characters")
    tokens = {role: new_token() for role in ROLES}
    with db.transaction() as session:
        if unique and session.scalar(select(func.count()).where(Home.name == name)):
            raise HomerelayError(f"a home named {name!r} exists; use --force to create another")
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


def token_is_active(db: Database, token_id: int) -> bool:
    """Whether a token that signed in earlier still works (not revoked, not deleted)."""
    row = db.read_row(TOKEN_REVOKED_AT, {"token_id": token_id})
    return row is not None and row.revoked_at is None


def list_tokens(db: Database) -> list[TokenInfo]:
    """Every token of every home, oldest first."""
    with db.reading() as session:
        rows = session.execute(select(Token, Home.name).join(Home).order_by(Token.id)).all()
        return [TokenInfo(t.id, home, t.role, t.hint, t.created_at, t.revoked_at, t.name)
                for t, home in rows]


def list_homes(db: Database) -> list[HomeInfo]:
    """Every home, oldest first, with its count of working app and agent tokens."""
    with db.reading() as session:
        homes = session.execute(select(Home).order_by(Home.id)).scalars().all()
        counts = session.execute(
            select(Token.home_id, Token.role, func.count())
            .where(Token.revoked_at.is_(None)).group_by(Token.home_id, Token.role)).all()
    working = {(home_id, role): count for home_id, role, count in counts}
    return [HomeInfo(h.id, h.name, h.created_at, working.get((h.id, ROLE_APP), 0),
                     working.get((h.id, ROLE_AGENT), 0)) for h in homes]


def find_home(db: Database, reference: str) -> HomeInfo:
    """The home a person means by a name, or by an id when no home has that name."""
    homes = list_homes(db)
    named = [home for home in homes if home.name == reference.strip()]
    if len(named) > 1:
        ids = ", ".join(str(home.id) for home in named)
        raise HomerelayError(f"{len(named)} homes are named {reference!r} (ids {ids}); "
                             "give the id instead")
    if not named and reference.strip().isdigit():
        named = [home for home in homes if home.id == int(reference)]
    if not named:
        raise HomerelayError(f"no home named {reference!r} (see homerelay home list)")
    return named[0]


def issue_token(db: Database, home_id: int, role: str, name: str | None = None) -> IssuedToken:
    """A new token of `role` for an existing home (one per phone, say), optionally named."""
    if role not in ROLES:
        raise HomerelayError(f"a token's role is {' or '.join(ROLES)}, not {role!r}")
    name = name.strip() if name else None
    if name is not None and not 1 <= len(name) <= TOKEN_NAME_MAX:
        raise HomerelayError(f"a token name needs 1 to {TOKEN_NAME_MAX} characters")
    token = new_token()
    with db.transaction() as session:
        home = session.get(Home, home_id)
        if home is None:
            raise HomerelayError(f"no home with id {home_id}")
        row = Token(home_id=home_id, role=role, token_hash=hash_token(token),
                    hint=token[:TOKEN_HINT_LENGTH], name=name)
        session.add(row)
        session.flush()
        return IssuedToken(row.id, home.name, role, name, token)


def revoke_token(db: Database, token_id: int) -> TokenInfo:
    """Revoke a token by its id; it stops working at once."""
    with db.transaction() as session:
        token = session.get(Token, token_id)
        if token is None:
            raise HomerelayError(f"no token with id {token_id}")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
        home = session.get(Home, token.home_id)
        return TokenInfo(token.id, home.name, token.role, token.hint, token.created_at,
                         token.revoked_at, token.name)


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

    def token_is_active(self, token_id: int) -> bool:
        """Whether a token that signed in earlier still works (not revoked since)."""
        return token_is_active(self.db, token_id)


__all__ = [
    "HomeInfo", "HomeTokens", "Homes", "Identity", "IssuedToken", "TokenInfo", "create_home", "find_home",
    "identify", "issue_token", "list_homes", "list_tokens", "revoke_token", "token_is_active", "ROLE_APP", "ROLE_AGENT",
]
