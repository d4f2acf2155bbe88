"""v1 endpoints for the cooling rule."""

from __future__ import annotations

from homerelay.const import ROLE_APP
from homerelay.errors import UnknownDeviceError
from homerelay.server.relay import current_relay
from homerelay.server.services.cooling import CoolingSettings
from homerelay.server.storage.serialize import cooling_rule_to_dict
from homerelay.server.web.api.blueprint import AUTOMATION, blueprint, roles
from homerelay.server.web.auth import identity
from homerelay.server.web.http_errors import ApiError
from homerelay.server.web.schemas import CoolingIn, CoolingOut


@blueprint.get("/automations/cooling", tags=[AUTOMATION], responses={200: CoolingOut})
@roles.require(ROLE_APP)
def get_cooling():
    """The cooling rule."""
    return cooling_rule_to_dict(current_relay().cooling.rule(identity().home_id))


@blueprint.put("/automations/cooling", tags=[AUTOMATION], responses={200: CoolingOut})
@roles.require(ROLE_APP)
def put_cooling(body: CoolingIn):
    """Change the cooling rule; it applies at once to the latest reading."""
    home_id = identity().home_id
    try:
        current_relay().devices.house(home_id).device(body.room, body.device)
    except UnknownDeviceError as error:
        raise ApiError(400, f"room/device: {error}") from error
    return cooling_rule_to_dict(current_relay().cooling.update(home_id, CoolingSettings(**body.model_dump())))
