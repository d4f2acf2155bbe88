"""Device states and the house layout each home's agent reports."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select

from homerelay.const import EVENT_DEVICES
from homerelay.house import House
from homerelay.server.storage.db import Database
from homerelay.server.fanout.hub import EventHub
from homerelay.server.storage.models import DeviceState, HouseLayout, utcnow
from homerelay.server.storage.serialize import device_to_dict, to_iso

# How many homes' parsed layouts one process keeps.
HOUSE_CACHE_SIZE = 256
# Every command checks its home's layout: the lookups are prepared once.
HOUSE_STORED_AT = select(HouseLayout.updated_at).where(HouseLayout.home_id == bindparam("home_id"))
HOUSE_LAYOUT = select(HouseLayout.layout).where(HouseLayout.home_id == bindparam("home_id"))
# The agent reports every device after each command: a full replacement in two statements.
DELETE_STATES = delete(DeviceState).where(DeviceState.home_id == bindparam("home_id"))
INSERT_STATE = insert(DeviceState)


class DeviceStore:
    """The last full device state and house layout of each home."""

    def __init__(self, db: Database, hub: EventHub) -> None:
        self.db = db
        self.hub = hub
        # Parsed layouts by home, with the time they were stored: every command is parsed
        # against its home's house, and checking a timestamp is cheaper than re-reading it.
        self._houses: OrderedDict[int, tuple[datetime, House]] = OrderedDict()

    def replace_states(self, home_id: int, devices: list[dict]) -> dict:
        """Store the agent's full device state, replacing the previous one."""
        now = utcnow()
        rows = [
            {"home_id": home_id, "room": d["room"], "device": d["device"], "kind": d["kind"], "state": d["state"], "updated_at": now}
            for d in devices
        ]
        with self.db.writing(durable=False) as connection:
            connection.execute(DELETE_STATES, {"home_id": home_id})
            if rows:
                connection.execute(INSERT_STATE, rows)
        snapshot = {"devices": [dict(d) for d in devices], "updated_at": to_iso(now)}
        self.hub.publish(home_id, EVENT_DEVICES, snapshot)
        return snapshot

    def states(self, home_id: int) -> dict:
        """`{"devices": [...], "updated_at"}` as the API returns it."""
        with self.db.reading() as session:
            rows = list(session.scalars(select(DeviceState).where(DeviceState.home_id == home_id)))
        updated = max((row.updated_at for row in rows), default=None)
        return {"devices": [device_to_dict(row) for row in rows], "updated_at": to_iso(updated)}

    def house(self, home_id: int) -> House:
        """The layout the home's agent runs; the default house until one is uploaded."""
        cached = self._houses.get(home_id)
        stored = self.db.read_row(HOUSE_STORED_AT, {"home_id": home_id})
        if stored is None:
            return House.default()
        stored_at = stored.updated_at
        if cached is not None and cached[0] == stored_at:
            return cached[1]
        layout = self.db.read_row(HOUSE_LAYOUT, {"home_id": home_id}).layout
        house = House.from_mapping(dict(layout))
        self._houses[home_id] = (stored_at, house)
        if len(self._houses) > HOUSE_CACHE_SIZE:
            self._houses.popitem(last=False)
        return house

    def replace_house(self, home_id: int, house: House) -> dict:
        """Store the agent's house layout."""
        layout = house.to_mapping()
        with self.db.transaction() as session:
            row = session.get(HouseLayout, home_id)
            if row is None:
                session.add(HouseLayout(home_id=home_id, layout=layout, updated_at=utcnow()))
            else:
                row.layout = layout
                row.updated_at = utcnow()
        return layout
