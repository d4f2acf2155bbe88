"""v1 endpoints for device states and the house layout."""

from __future__ import annotations

from homerelay.const import ROLE_AGENT, ROLE_APP
from homerelay.errors import HouseError
from homerelay.house import House
from homerelay.server.relay import current_relay
from homerelay.server.storage.records import DeviceState
from homerelay.server.storage.serialize import device_states_to_dict
from homerelay.server.web.api.blueprint import DEVICES, blueprint, roles
from homerelay.server.web.auth import identity
from homerelay.server.web.http_errors import ApiError
from homerelay.server.web.schemas import DevicesIn, DevicesOut, HouseIn, HouseOut


@blueprint.put("/devices", tags=[DEVICES], responses={200: DevicesOut})
@roles.require(ROLE_AGENT)
def put_devices(body: DevicesIn):
    """The agent's full state of every device."""
    devices = [DeviceState(d.room, d.device, d.kind, d.state) for d in body.devices]
    known = {(device.room, device.name) for device in current_relay().devices.house(identity().home_id).devices}
    seen = set()
    for device in devices:
        key = (device.room, device.device)
        if key in seen:
            raise ApiError(400, f"devices: {device.room} {device.device} is listed twice")
        if key not in known:
            raise ApiError(400, f"devices: the house has no {device.device} in the {device.room} "
                                "(upload the house with PUT /api/v1/house first)")
        seen.add(key)
    return device_states_to_dict(current_relay().report_devices(identity().home_id, devices))


@blueprint.get("/devices", tags=[DEVICES], responses={200: DevicesOut})
@roles.require(ROLE_APP)
def get_devices():
    """Every device's state as last reported by the agent."""
    return device_states_to_dict(current_relay().devices.states(identity().home_id))


@blueprint.put("/house", tags=[DEVICES], responses={200: HouseOut})
@roles.require(ROLE_AGENT)
def put_house(body: HouseIn):
    """The house layout the agent runs; commands are parsed against it from now on."""
    try:
        house = House.from_mapping(body.root)
    except HouseError as error:
        raise ApiError(400, str(error), "invalid_house") from error
    return current_relay().devices.replace_house(identity().home_id, house)


@blueprint.get("/house", tags=[DEVICES], responses={200: HouseOut})
@roles.require(ROLE_APP, ROLE_AGENT)
def get_house():
    """The house layout in use (the default house until the agent uploads one)."""
    return current_relay().devices.house(identity().home_id).to_mapping()
