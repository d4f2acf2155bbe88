"""The `X-Homerelay-Agent` header: which agent process sends a request, its version, and if it is simulated."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Instance ids and versions are short tokens; anything else in the header is ignored.
_VALUE = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")
TRUE_WORDS = ("1", "true", "yes")
FALSE_WORDS = ("0", "false", "no")


@dataclass(frozen=True)
class AgentIdentity:
    """One agent process as it names itself; `instance` is "" for an agent that sends no header."""

    instance: str = ""
    version: str | None = None
    simulated: bool | None = None

    def header(self) -> str:
        """The header's value: `instance=…; version=…; simulated=1`."""
        parts = [f"instance={self.instance}"]
        if self.version is not None:
            parts.append(f"version={self.version}")
        if self.simulated is not None:
            parts.append(f"simulated={int(self.simulated)}")
        return "; ".join(parts)


def parse_agent_header(value: str | None) -> AgentIdentity:
    """Read the header leniently: unknown keys and malformed values are left out, never refused."""
    if not value:
        return AgentIdentity()
    fields: dict[str, str] = {}
    for part in value[:400].split(";"):
        key, _, raw = part.partition("=")
        key, raw = key.strip().lower(), raw.strip()
        if key and raw:
            fields[key] = raw
    instance = fields.get("instance", "")
    version = fields.get("version")
    simulated = fields.get("simulated", "").lower()
    return AgentIdentity(
        instance=instance if _VALUE.match(instance) else "",
        version=version if version is not None and _VALUE.match(version) else None,
        simulated=True if simulated in TRUE_WORDS else False if simulated in FALSE_WORDS else None,
    )
