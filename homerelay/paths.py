"""Where homerelay keeps its files when nobody says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

from homerelay.const import ENV_DB


def data_dir() -> Path:
    """`$HOMERELAY_DATA`, else `$XDG_DATA_HOME/homerelay`, else `~/.local/share/homerelay`."""
    explicit = os.environ.get("HOMERELAY_DATA")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "homerelay"


def database_url(explicit: str | None = None) -> str:
    """The database to use: the `--db` value, else `$HOMERELAY_DB`, else SQLite in the data folder."""
    url = explicit or os.environ.get(ENV_DB)
    if url:
        return url
    return f"sqlite:///{data_dir() / 'homerelay.db'}"
