"""Request and response schemas of the v1 API: validation and the OpenAPI document come from these."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    field_validator,
    model_validator,
)

from homerelay.const import (
    COMMAND_SOURCES,
    COMMAND_STATUSES,
    COMMAND_TEXT_MAX,
    HUMIDITY_MAX,
    HUMIDITY_MIN,
    INTENTS,
    MAX_LONG_POLL_SECONDS,
    TEMPERATURE_MAX_C,
    TEMPERATURE_MIN_C,
)
from homerelay.server.web.strict_json import command_text_reason

Name = str  # room and device names: checked against the house, not here


def _iso_text_only(value):
    """Refuse what pydantic would read as a Unix time: the API speaks ISO-8601 text only."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
    elif isinstance(value, datetime):
        return value
    raise ValueError("expected an ISO-8601 time such as 2026-01-01T12:00:00Z")


def _within_utc(value: datetime) -> datetime:
    """Refuse a time whose offset takes it outside the years UTC can write (0001-01-01T00:00+23:59)."""
    try:
        value.astimezone(timezone.utc)
    except OverflowError as error:
        raise ValueError("the time with its offset falls outside the years 1 to 9999 in UTC") from error
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text_only), AfterValidator(_within_utc)]


def _json_number_only(value):
    """Refuse what pydantic would coerce to a number: true/false and numeric text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("expected a number")
    return value


# A number in a JSON body, as the document says: never `true` or `"25"`.
Number = Annotated[float, BeforeValidator(_json_number_only)]


def _json_whole_number_only(value):
    """A JSON number that is whole (90 or 90.0, as JSON Schema's integer allows), never true or "90"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("expected a whole number")
    return value


# A batch beyond this is refused whole (413); the agent sends at most 500 at a time.
MAX_BATCH_READINGS = 2000
# One command switches at most this many devices (a house has a few dozen).
MAX_ACTIONS = 50
# A hand switch pauses the cooling rule for at most a day.
MAX_PAUSE_MINUTES = 1440
MAX_HISTORY = 5000


class Strict(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# JSON schemas of query models, computed once each (see `Query.model_json_schema`).
_QUERY_SCHEMAS: dict[type, dict] = {}


class Query(Strict):
    """Query parameters. flask-openapi3 asks for a query model's JSON schema on every request
    to read its field types; building it costs about a millisecond, so it is built once."""

    @classmethod
    def model_json_schema(cls, *args, **kwargs) -> dict:
        """The model's JSON schema; the plain form is computed once per model."""
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        if cls not in _QUERY_SCHEMAS:
            _QUERY_SCHEMAS[cls] = super().model_json_schema()
        # A copy: the caller may change what it gets.
        return copy.deepcopy(_QUERY_SCHEMAS[cls])


# A command of blanks only is refused. Blank means what `\s` matches in JSON Schema's regexes
# (ECMAScript's); Python's and pydantic's own `\s` take in a few more characters (U+0085,
# U+001C–U+001F), so the set is spelled out once, for the check and the documented pattern to agree.
BLANK = "\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
NOT_BLANK_PATTERN = "[^" + "".join(f"\\u{ord(blank):04x}" for blank in BLANK) + "]"


class ActionOut(BaseModel):
    """One device switch a command asks for."""

    room: str
    device: str
    action: Literal["on", "off"]


class ActionIn(Strict):
    """One device switch: a device of the house (room and name) and on or off."""

    room: Name = Field(min_length=1, max_length=64)
    device: Name = Field(min_length=1, max_length=64)
    action: Literal["on", "off"]


def _no_default(schema: dict) -> None:
    """An optional field of a choice (see `CommandIn`) has no default to document."""
    schema.pop("default", None)


def _not_blank_text(schema: dict) -> None:
    """The command text's documented form: not blank, and no default (see `_no_default`)."""
    _no_default(schema)
    schema["pattern"] = NOT_BLANK_PATTERN


class CommandIn(Strict):
    """A sentence for the house (`{"text"}`), or device switches given as such (`{"actions"}`, from a
    switch on the Devices screen): exactly one of the two. Switches are not turned into a sentence to
    be parsed back; the history shows the sentence the language would say for them."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"oneOf": [{"required": ["text"]}, {"required": ["actions"]}]}
    )

    text: str = Field(
        None, min_length=1, max_length=COMMAND_TEXT_MAX, description="what to do, e.g. 'turn on the kitchen light'",
        json_schema_extra=_not_blank_text,
    )
    actions: list[ActionIn] = Field(
        None, min_length=1, max_length=MAX_ACTIONS, description="device switches, checked against the house",
        json_schema_extra=_no_default,
    )

    confirm: StrictBool = Field(False, description="the person said yes to what needs it (a garage door, an oven, terminate)")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip(BLANK):
            raise ValueError("the command text is empty")
        reason = command_text_reason(value)
        if reason:
            raise ValueError(reason)
        return value

    @model_validator(mode="after")
    def _text_or_actions(self) -> CommandIn:
        if (self.text is None) == (self.actions is None):
            raise ValueError("give either 'text' or 'actions'")
        return self


class CommandOut(BaseModel):
    """A stored command and how far it got."""

    id: int
    text: str
    source: Literal[COMMAND_SOURCES]  # type: ignore[valid-type]
    intent: Literal[INTENTS] | None  # type: ignore[valid-type]
    actions: list[ActionOut]
    status: Literal[COMMAND_STATUSES]  # type: ignore[valid-type]
    result: str | None
    created_at: datetime
    delivered_at: datetime | None
    done_at: datetime | None


class QuestionAction(BaseModel):
    """What a question asks about: a device (`room`, `device`) or a reading (`device` "temperature", no room)."""

    room: str | None
    device: str
    action: Literal["status"]


class AnswerOut(BaseModel):
    """A question's answer: nothing was queued or sent to the agent."""

    intent: Literal["status"]
    text: str
    actions: list[QuestionAction]
    answer: str = Field(description="e.g. 'It is 24.0 °C and 55 % humidity.'")


class CommandOrAnswer(RootModel[CommandOut | AnswerOut]):
    """200: the command queued before under the same Idempotency-Key, or a question's answer."""


class ConfirmationRequired(BaseModel):
    """409: the command needs a yes; send it again with `"confirm": true`. Nothing was queued."""

    error: Literal["confirmation_required"]
    detail: str = Field(description="e.g. 'This will open the garage door.'")
    actions: list[ActionOut] = Field(description="the actions that need the yes (empty for terminate)")


class CommandList(BaseModel):
    """The latest commands, newest first."""

    commands: list[CommandOut]


class CommandListQuery(Query):
    """How many commands to list."""

    limit: int = Field(20, ge=1, le=500)


class CommandPath(BaseModel):
    """A command id in the path."""

    command_id: int = Field(ge=1, le=2**62)


class NotUnderstood(BaseModel):
    """Why a sentence was refused, with sentences that would work."""

    error: str
    detail: str
    suggestions: list[str] = []


class ErrorOut(BaseModel):
    """Any error."""

    error: str
    detail: str


class AckIn(Strict):
    """The agent's report on a command."""

    status: Literal["done", "failed"]
    result: str | None = Field(None, max_length=500)


class NextQuery(Query):
    """How long to wait for a command."""

    wait: float = Field(0, ge=0, le=MAX_LONG_POLL_SECONDS, allow_inf_nan=False)


class ReadingIn(Strict):
    """One sensor reading; `at` defaults to the time it arrives."""

    temperature: Number = Field(ge=TEMPERATURE_MIN_C, le=TEMPERATURE_MAX_C, allow_inf_nan=False)
    humidity: Number = Field(ge=HUMIDITY_MIN, le=HUMIDITY_MAX, allow_inf_nan=False)
    at: IsoDatetime | None = None


# The batch size is declared in the schema (not only checked) so the OpenAPI document says it.
ReadingBatch = Annotated[list[ReadingIn], Field(min_length=1, max_length=MAX_BATCH_READINGS)]


class ReadingsIn(RootModel[ReadingIn | ReadingBatch]):
    """One reading, or a batch buffered while the agent was offline."""


class ReadingOut(BaseModel):
    """A stored reading."""

    temperature: float
    humidity: float
    at: datetime


class LatestReadingOut(BaseModel):
    """The newest reading and whether it is too old to trust."""

    temperature: float | None
    humidity: float | None
    at: datetime | None
    stale: bool


class ReadingsOut(BaseModel):
    """Readings, oldest first."""

    readings: list[ReadingOut]


class ReadingsStored(BaseModel):
    """How many readings were stored."""

    stored: int


class HistoryQuery(Query):
    """Which readings to return."""

    since: IsoDatetime | None = None
    limit: int = Field(500, ge=1, le=MAX_HISTORY)


class DeviceStateIn(Strict):
    """One device's state."""

    room: Name = Field(min_length=1, max_length=64)
    device: Name = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=16)
    state: Literal["on", "off"]


class DevicesIn(Strict):
    """The full state of every device."""

    devices: list[DeviceStateIn] = Field(max_length=200)


class DevicesOut(BaseModel):
    """Every device's state and when it was last reported."""

    devices: list[DeviceStateIn]
    updated_at: datetime | None


class CoolingIn(Strict):
    """The cooling rule's settings."""

    enabled: StrictBool
    threshold: Number = Field(ge=TEMPERATURE_MIN_C, le=TEMPERATURE_MAX_C, allow_inf_nan=False)
    hysteresis: Number = Field(0.5, ge=0, le=10, allow_inf_nan=False)
    room: Name = Field("living_room", min_length=1, max_length=64)
    device: Name = Field("fan", min_length=1, max_length=64)
    # The bounds go on the number itself (before the validator: pydantic then documents them as
    # minimum and maximum), so that the document's anyOf branch carries them.
    pause_minutes: Annotated[int, Field(ge=0, le=MAX_PAUSE_MINUTES), BeforeValidator(_json_whole_number_only)] | None = Field(
        None,
        description="how long a hand switch of the device pauses the rule; 0: never; left out: unchanged",
    )


class CoolingOut(CoolingIn):
    """The rule, whether it now holds its device on, and until when (and why) a person paused it."""

    model_config = ConfigDict(extra="ignore")
    pause_minutes: int
    active: bool
    device_state: Literal["on", "off"] | None = Field(description="the device as the devices list shows it now")
    paused_until: datetime | None
    paused_because: str | None = Field(description="e.g. 'you switched the living room fan by hand'")


# The house loader checks the details; the document names the three top-level fields it accepts.
HOUSE_JSON_SCHEMA = {
    "type": "object",
    "properties": {
        "rooms": {"type": "array"},
        "devices": {"type": "array", "items": {"type": "object"}},
        "sensor": {"anyOf": [{"type": "object"}, {"type": "null"}]},
    },
    "required": ["rooms", "devices"],
    "additionalProperties": False,
}


class HouseIn(RootModel[dict]):
    """A house layout (checked by the house loader)."""

    model_config = ConfigDict(json_schema_extra=lambda schema, _model: schema.update(HOUSE_JSON_SCHEMA))


class HouseOut(HouseIn):
    """The house layout in use."""


class EventsQuery(BaseModel):
    """The token, for EventSource which cannot set headers."""

    token: str | None = None


class AgentOut(BaseModel):
    """Whether the home's agent is connected (`GET /api/v1/agent` and the `agent` event)."""

    online: bool = Field(description="a long-poll of the agent is open, or it was heard from within the last wait + 15 s")
    since: datetime = Field(description="when `online` last changed (the home's creation, if never)")
    last_seen: datetime | None = Field(description="the agent's last request; null if it never came")
    simulated: bool | None = Field(description="the (last) agent runs on simulated pins; null if unknown")
    version: str | None = Field(description="the (last) agent's homerelay version; null if unknown")
    instances: int = Field(description="agent processes connected with this home's token; more than 1 is a mistake")
