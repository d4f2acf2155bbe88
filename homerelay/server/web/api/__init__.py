"""The v1 JSON API: one blueprint, its routes grouped by resource in the modules beside this one."""

from homerelay.server.web.api import (  # noqa: F401  (routes register on import)
    agent_routes,
    automation_routes,
    command_routes,
    device_routes,
    event_routes,
    reading_routes,
    speech_routes,
)
from homerelay.server.web.api.blueprint import blueprint

__all__ = ["blueprint"]
