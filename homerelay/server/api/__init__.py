"""The v1 JSON API: one blueprint, its routes grouped by resource in the modules beside this one."""

from homerelay.server.api import automation, commands, devices, events, readings, speech  # noqa: F401  (routes register on import)
from homerelay.server.api.blueprint import blueprint

__all__ = ["blueprint"]
