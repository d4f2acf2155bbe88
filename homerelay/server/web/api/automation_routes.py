"""v1 endpoints for the cooling rule."""

from __future__ import annotations

from homerelay.const import ROLE_APP
from homerelay.errors import UnknownDeviceError
from homerelay.server.web.api.blueprint import AUTOMATION, blueprint, identity, relay, roles
from homerelay.server.services.cooling import CoolingSettings
from homerelay.server.web.http_errors import ApiError
from homerelay.server.web.schemas import CoolingIn, CoolingOut


@blueprint.get("/automations/cooling", tags=[AUTOMATION], responses={200: CoolingOut})
@roles.require(ROLE_APP)
def get_cooling():
    """The cooling rule."""
    return relay().cooling.rule(identity().home_id)


@blueprint.put("/automations/cooling", tags=[AUTOMATION], responses={200: CoolingOut})
@roles.require(ROLE_APP)
def put_cooling(body: CoolingIn):
    """Change the cooling rule; it applies at once to the latest reading."""
    home_id = identity().home_id
    try:
        relay().devices.house(home_id).device(body.room, body.device)
    except UnknownDeviceError as error:
        raise ApiError(400, f"room/device: {error}") from error
    return relay().cooling.update(home_id, CoolingSettings(**body.model_dump()))
