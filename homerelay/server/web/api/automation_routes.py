"""v1 endpoints for the cooling rule."""

from __future__ import annotations

from dataclasses import replace

from homerelay.const import KIND_RELAY, ROLE_APP
from homerelay.errors import UnknownDeviceError
from homerelay.house import label
from homerelay.server.relay import current_relay
from homerelay.server.services.cooling import CoolingSettings
from homerelay.server.storage.serialize import cooling_rule_to_dict
from homerelay.server.web.api.blueprint import AUTOMATION, blueprint, roles
from homerelay.server.web.auth import identity
from homerelay.server.web.http_errors import ApiError
from homerelay.server.web.schemas import CoolingIn, CoolingOut

KIND_SAID = {"led": "an LED", "servo": "a servo"}


@blueprint.get("/automations/cooling", tags=[AUTOMATION], responses={200: CoolingOut})
@roles.require(ROLE_APP)
def get_cooling():
    """The cooling rule."""
    return cooling_rule_to_dict(current_relay().cooling.rule(identity().home_id))


@blueprint.put("/automations/cooling", tags=[AUTOMATION], responses={200: CoolingOut})
@roles.require(ROLE_APP)
def put_cooling(body: CoolingIn):
    """Change the cooling rule; it applies at once to the latest reading, and saving it ends a pause."""
    home_id = identity().home_id
    check_cooling_device(home_id, body.room, body.device)
    settings = CoolingSettings(**body.model_dump())
    if body.pause_minutes is None:
        # Left out (an app that does not know the setting): keep the one saved.
        settings = replace(settings, pause_minutes=current_relay().cooling.settings(home_id)[0].pause_minutes)
    return cooling_rule_to_dict(current_relay().cooling.update(home_id, settings))


@blueprint.post("/automations/cooling/resume", tags=[AUTOMATION], responses={200: CoolingOut})
@roles.require(ROLE_APP)
def resume_cooling():
    """End a pause a hand switch started: the rule acts on the latest reading again now."""
    return cooling_rule_to_dict(current_relay().cooling.resume(identity().home_id))


def check_cooling_device(home_id: int, room: str, device: str) -> None:
    """Refuse (400, in a sentence) a device that is not in the house or makes no sense for cooling."""
    try:
        spec = current_relay().devices.house(home_id).device(room, device)
    except UnknownDeviceError as error:
        raise ApiError(400, f"The cooling rule's device must be in the house: {error}.") from error
    if spec.confirm:
        raise ApiError(400, f"The cooling rule cannot switch the {label(room, device)}: it needs a person's yes each time.")
    if spec.kind != KIND_RELAY:
        raise ApiError(
            400,
            f"The cooling rule can only switch a fan or another relay-switched device; "
            f"the {label(room, device)} is {KIND_SAID.get(spec.kind, spec.kind)}.",
        )
