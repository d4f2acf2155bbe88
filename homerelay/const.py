"""Names and defaults shared by the server, the agent, the language and the CLI."""

# Actions a device understands (a door: on = open, off = close).
ACTION_ON = "on"
ACTION_OFF = "off"
ACTIONS = (ACTION_ON, ACTION_OFF)
# A question's target: "is the garage door open" asks, it does not switch.
ACTION_STATUS = "status"
# How a door's on and off are said ("garage door open").
DOOR_OPEN = "open"
DOOR_CLOSED = "closed"

# Intents the language produces.
INTENT_CONTROL = "control"
INTENT_LIST = "list"
INTENT_ALL_OFF = "all_off"
INTENT_TERMINATE = "terminate"
# A question about devices or the readings, answered without switching anything.
INTENT_STATUS = "status"
INTENTS = (INTENT_CONTROL, INTENT_LIST, INTENT_ALL_OFF, INTENT_TERMINATE, INTENT_STATUS)

# What the sensor measures; a question about one is a status action with no room.
READING_TEMPERATURE = "temperature"
READING_HUMIDITY = "humidity"
READINGS = (READING_TEMPERATURE, READING_HUMIDITY)

# Device kinds a house may contain.
KIND_LED = "led"
KIND_RELAY = "relay"
KIND_SERVO = "servo"
DEVICE_KINDS = (KIND_LED, KIND_RELAY, KIND_SERVO)
SENSOR_DHT11 = "dht11"

# Token roles.
ROLE_APP = "app"
ROLE_AGENT = "agent"
ROLES = (ROLE_APP, ROLE_AGENT)

# Command life cycle.
STATUS_PENDING = "pending"
STATUS_DELIVERED = "delivered"
STATUS_DONE = "done"
STATUS_FAILED = "failed"
STATUS_EXPIRED = "expired"
# Only the original endpoints produce these: a sentence kept although it was not understood,
# and a command a later one overwrote before the original Pi script read the one slot.
STATUS_REJECTED = "rejected"
STATUS_REPLACED = "replaced"
COMMAND_STATUSES = (
    STATUS_PENDING, STATUS_DELIVERED, STATUS_DONE, STATUS_FAILED, STATUS_EXPIRED, STATUS_REJECTED, STATUS_REPLACED
)
ACK_STATUSES = (STATUS_DONE, STATUS_FAILED)
# Still to be carried out, and finished: nothing will happen to it any more (done, failed,
# expired: waited past its time to live, and the original endpoints' rejected and replaced).
UNFINISHED_STATUSES = (STATUS_PENDING, STATUS_DELIVERED)
FINISHED_STATUSES = (STATUS_DONE, STATUS_FAILED, STATUS_EXPIRED, STATUS_REJECTED, STATUS_REPLACED)

# Where a command came from.
SOURCE_APP = "app"
SOURCE_AUTOMATION = "automation"
SOURCE_LEGACY = "legacy"
SOURCE_VOICE = "voice"
COMMAND_SOURCES = (SOURCE_APP, SOURCE_AUTOMATION, SOURCE_LEGACY, SOURCE_VOICE)

# The voice satellite's wake phrase unless `homerelay agent --wake` names another.
DEFAULT_WAKE = "hey home"

# Server-Sent Event names.
EVENT_COMMAND = "command"
EVENT_READING = "reading"
EVENT_DEVICES = "devices"
EVENT_AUTOMATION = "automation"
EVENT_AGENT = "agent"

# Sensor limits (DHT11 datasheet range is narrower; these are the physical bounds we accept).
TEMPERATURE_MIN_C = -40.0
TEMPERATURE_MAX_C = 85.0
HUMIDITY_MIN = 0.0
HUMIDITY_MAX = 100.0

# Defaults.
DEFAULT_PORT = 5002
DEFAULT_LEASE_SECONDS = 30.0
MAX_LONG_POLL_SECONDS = 60.0
READING_INTERVAL_SECONDS = 10.0
# An idle agent's poll cycle never takes less than this (at most 3 command requests a minute).
AGENT_IDLE_POLL_SECONDS = 20.0
# An agent not heard from for this long after its last request ends (or its long-poll's end) is offline.
PRESENCE_GRACE_SECONDS = 15.0
COMMAND_TEXT_MAX = 200

# Environment variables.
ENV_DB = "HOMERELAY_DB"
ENV_SERVER = "HOMERELAY_SERVER"
ENV_TOKEN = "HOMERELAY_TOKEN"
ENV_LIMITS = "HOMERELAY_LIMITS"
ENV_MAX_WAIT = "HOMERELAY_MAX_WAIT"

# The header an agent sends with every request: `instance=<id>; version=<v>; simulated=1`.
AGENT_HEADER = "X-Homerelay-Agent"
