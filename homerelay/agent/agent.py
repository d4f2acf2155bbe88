"""The agent's main loop: an explicit state machine around the command long-poll."""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
import signal
import threading
import time

from homerelay import __version__, const
from homerelay.agent_header import AgentIdentity
from homerelay.agent.backoff import Backoff
from homerelay.agent.devices import HouseDevices
from homerelay.agent.executor import Executor
from homerelay.agent.memory import CommandMemory
from homerelay.agent.pins import choose_pin_factory
from homerelay.agent.reading_buffer import ReadingBuffer
from homerelay.agent.readings import ReadingUploader
from homerelay.agent.reporter import StateReporter
from homerelay.agent.sensor import DHT11Sensor, SimulatedSensor, open_dht11
from homerelay.agent.settings import AgentSettings
from homerelay.agent.thermal import ThermalRoom
from homerelay.errors import AuthError, RequestRejectedError, ServerUnavailableError
from homerelay.http_client import RelayClient

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_AUTH = 2
# A 204 that arrives sooner than this after the request means the server does not long-poll.
EARLY_ANSWER_SLACK = 1.0


def memory_scope(settings: AgentSettings) -> str:
    """Names the server and home (by a hash of the token) of command ids and kept readings."""
    digest = hashlib.sha256(f"{settings.base_url}\n{settings.token}".encode()).hexdigest()
    return digest[:16]


class AgentState(enum.Enum):
    """Where the agent's loop is."""

    CONNECTING = "connecting"   # uploading house and device state
    ONLINE = "online"           # long-polling for commands
    BACKOFF = "backoff"         # waiting before reconnecting
    STOPPED = "stopped"


class _Interrupted(BaseException):
    """Raised by the signal handler to break out of a blocking long-poll."""


class Agent:
    """Runs one house: devices, sensor, and the conversation with the relay server."""

    def __init__(self, settings: AgentSettings, *, house=None, pin_factory=None, sensor=None,
                 client_factory=RelayClient, executor_factory=Executor):
        self.settings = settings
        self.house = house
        self._pin_factory = pin_factory
        self._sensor = sensor
        # Like the pin factory, made by the caller: (base_url, token, timeout) -> a client of the
        # server, and (devices) -> what carries commands out on them. Tests hand in fakes.
        self._client_factory = client_factory
        self._executor_factory = executor_factory
        self.state = AgentState.CONNECTING
        # Names this process to the server with every request: two processes on one token show up.
        self.instance = secrets.token_hex(8)
        self.stop_event = threading.Event()
        self.online = threading.Event()
        self.devices: HouseDevices | None = None
        self.memory = CommandMemory(settings.state_file, settings.remembered_commands,
                                    scope=memory_scope(settings))
        self.backoff = Backoff(settings.backoff_initial, settings.backoff_max)
        self.room: ThermalRoom | None = None
        self.uploader: ReadingUploader | None = None
        self.reporter: StateReporter | None = None
        self.command_requests = 0
        # Outcomes whose acknowledgement was lost: command id -> (status, result).
        self._lost_acks: dict = {}
        self._interruptible = False
        self._server_caps_wait = False
        self._wait = settings.wait
        self._delay = 0.0
        self._was = self.state.value

    # Life cycle ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to end (it finishes the request under way, then leaves devices safe)."""
        self.stop_event.set()

    def run(self) -> int:
        """Run until stopped, terminated (exit 0) or refused by the server (exit 2)."""
        previous = self._install_signal_handlers()
        client, readings_client, state_client = (
            self._client_factory(self.settings.base_url, self.settings.token, self.settings.http_timeout)
            for _ in range(3)
        )
        sensor = None
        listener = None
        try:
            self._open_house()
            if self.settings.voice is not None:
                listener = self._start_listening()
            identity = AgentIdentity(self.instance, __version__, self._simulated).header()
            for each in (client, readings_client, state_client):
                each.identify_as(identity)
            self.reporter = StateReporter(self.devices, state_client, self.stop_event)
            self.reporter.start()
            sensor = self._sensor or self._open_sensor()
            if sensor is not None:
                interval = self.settings.reading_interval or (
                    self.house.sensor.interval if self.house.sensor else const.READING_INTERVAL_SECONDS
                )
                # Readings buffered before a restart are loaded here and go up with the first flush.
                buffer = ReadingBuffer(self.settings.readings_file, self.settings.reading_buffer,
                                       scope=memory_scope(self.settings))
                self.uploader = ReadingUploader(
                    sensor, readings_client, self.stop_event,
                    interval=interval,
                    batch_max=self.settings.reading_batch_max,
                    buffer=buffer,
                )
                self.uploader.start()
            return self._loop(client)
        except _Interrupted:
            logger.info("Stopping on signal")
            return EXIT_OK
        finally:
            self.stop_event.set()
            self.online.clear()
            self.state = AgentState.STOPPED
            if listener is not None:
                listener.join(timeout=2.0)
            if self.uploader is not None:
                self.uploader.join(timeout=2.0)
            if self.reporter is not None:
                self.reporter.join(timeout=2.0)
            if self.devices is not None:
                try:
                    self.devices.make_safe()
                finally:
                    self.devices.close()
                logger.info("Devices left safe: all off, door shut")
            if sensor is not None and sensor is not self._sensor:
                sensor.close()
            for each in (client, readings_client, state_client):
                each.close()
            # Only now: a second Ctrl-C during the clean-up above must not cut it short.
            self._restore_signal_handlers(previous)

    def _open_house(self) -> None:
        if self.house is None:
            from homerelay.house import House  # noqa: PLC0415 - keeps `homerelay --help` light

            self.house = (
                House.from_file(self.settings.house_file) if self.settings.house_file
                else House.default()
            )
        factory, simulated = self._pin_factory, self.settings.simulate
        if factory is None:
            factory, simulated = choose_pin_factory(self.settings.simulate)
        self._simulated = simulated
        self.devices = HouseDevices(self.house, factory, self.settings.servo_move_seconds)
        self.executor = self._executor_factory(self.devices)

    def _start_listening(self) -> threading.Thread:
        """The voice satellite in a thread of its own, with its own connection to the server."""
        from homerelay.agent import satellite  # noqa: PLC0415 - PocketSphinx only with --listen

        voice = self.settings.voice
        client = RelayClient(self.settings.base_url, self.settings.token, self.settings.http_timeout)
        listening = satellite.Satellite(voice, client, self.house, self.devices)
        chunks = (satellite.file_chunks(voice.listen_from) if voice.listen_from
                  else satellite.microphone_chunks(voice.device, self.stop_event))

        def listen() -> None:
            try:
                listening.run(chunks, self.stop_event)
            except RuntimeError as error:  # the microphone went away (arecord stopped): said in a line
                logger.error("The voice satellite stopped: %s; the devices are still carried out", error)
            except Exception:  # the satellite failing must not take the agent's devices down
                logger.exception("The voice satellite stopped")
            finally:
                client.close()

        logger.info("Listening for %r", voice.wake)
        thread = threading.Thread(target=listen, name="homerelay-voice", daemon=True)
        thread.start()
        return thread

    def _open_sensor(self):
        if self._simulated:
            self.room = ThermalRoom(self.devices.running_fans, time_scale=self.settings.time_scale)
            return SimulatedSensor(self.room)
        if self.house.sensor is None:
            logger.info("The house has no sensor: no readings")
            return None
        try:
            return DHT11Sensor(open_dht11(self.house.sensor.pin))
        except (ImportError, NotImplementedError, RuntimeError, AttributeError) as error:
            logger.error("Cannot open the DHT11 (install homerelay[pi]?): %s; no readings", error)
            return None

    # The state machine ---------------------------------------------------------------------

    def _loop(self, client: RelayClient) -> int:
        while not self.stop_event.is_set():
            try:
                if self.state is AgentState.CONNECTING:
                    self._connect(client)
                elif self.state is AgentState.ONLINE:
                    if self._poll_once(client):
                        return EXIT_OK
                elif self.state is AgentState.BACKOFF:
                    self.stop_event.wait(self._delay)
                    self.state = AgentState.CONNECTING
            except AuthError as error:
                logger.error("%s; check --token / HOMERELAY_TOKEN (an agent token is needed)", error)
                return EXIT_AUTH
            except (ServerUnavailableError, RequestRejectedError) as error:
                self._go_offline()
                logger.warning("Server problem while %s: %s; trying again in %.1f s",
                               self._was, error, self._delay)
            except Exception:  # never let one surprise end the agent: log, back off, reconnect
                self._go_offline()
                logger.exception("Unexpected error while %s; trying again in %.1f s",
                                 self._was, self._delay)
        return EXIT_OK

    def _go_offline(self) -> None:
        self.online.clear()
        self._was = self.state.value
        self._delay = self.backoff.next_delay()
        self.state = AgentState.BACKOFF

    def _connect(self, client: RelayClient) -> None:
        client.put_house(self.house.to_mapping())
        client.put_devices(self.devices.states())
        self._send_lost_acks(client)
        logger.info("Connected to %s", self.settings.base_url)
        self.backoff.reset()
        self.state = AgentState.ONLINE
        self.online.set()

    def _poll_once(self, client: RelayClient) -> bool:
        """One long-poll; returns True when a terminate command was carried out."""
        started = time.monotonic()
        self.command_requests += 1
        self._interruptible = True
        try:
            if self.stop_event.is_set():
                return False
            command = client.next_command(self._wait)
        finally:
            self._interruptible = False
        if command is not None:
            return self.handle(client, command)
        elapsed = time.monotonic() - started
        self._note_early_answer(elapsed, client.server_max_wait)
        # Idle: never more than one request per min_poll_interval (3 a minute at 20 s), even
        # when the server answers at once because it does not allow long-polling.
        pause = self.settings.min_poll_interval - elapsed
        if pause > 0:
            self.stop_event.wait(pause)
        return False

    def _note_early_answer(self, elapsed: float, server_max_wait: float | None) -> None:
        # Follow the server's cap when it names one, so the request asks for what it will get.
        if server_max_wait is not None:
            self._wait = max(0.0, min(self.settings.wait, server_max_wait))
        capped = self._wait < self.settings.wait or elapsed < self.settings.wait - EARLY_ANSWER_SLACK
        if capped and not self._server_caps_wait:
            logger.info(
                "The server answers long-polls after %.1f s (it allows %s s of the %s s asked); "
                "idle, the agent polls at most every %s s",
                elapsed, self._wait, self.settings.wait, self.settings.min_poll_interval,
            )
        self._server_caps_wait = capped

    def handle(self, client: RelayClient, command: dict) -> bool:
        """Carry out (or re-acknowledge) one command; returns True when it was a terminate."""
        command_id = command.get("id")
        known = self.memory.outcome(command_id)
        if known is not None:
            logger.info("Command %s was carried out before; acknowledging it again", command_id)
            self._ack(client, command_id, *known)
            return False
        outcome = self.executor.carry_out(command)
        logger.info("Command %s %r: %s: %s", command_id, command.get("text"), outcome.status,
                    outcome.result)
        # Remember before acknowledging: if the ack is lost, the redelivery is recognised.
        self.memory.remember(command_id, outcome.status, outcome.result,
                             terminate=outcome.terminate)
        if outcome.terminate:
            # The final state goes up before the ack, so the app sees everything off; through
            # the reporter, so an upload of the state before the terminate cannot land after it.
            self.reporter.report_now()
            self._ack(client, command_id, outcome.status, outcome.result)
            logger.info("Terminated by command %s", command_id)
            return True
        self._ack(client, command_id, outcome.status, outcome.result)
        # The state upload runs in the reporter thread, so the next long-poll starts at once.
        self.reporter.changed()
        return False

    def _ack(self, client: RelayClient, command_id, status: str, result: str) -> None:
        try:
            client.ack(command_id, status, result)
        except ServerUnavailableError:
            # Sent again first thing on reconnect: an outage longer than the command's time to
            # live would otherwise leave it "expired" on the server although it was carried out.
            self._lost_acks[command_id] = (status, result)
            raise

    def _send_lost_acks(self, client: RelayClient) -> None:
        for command_id, (status, result) in list(self._lost_acks.items()):
            try:
                client.ack(command_id, status, result)
            except RequestRejectedError as error:  # e.g. 404: the server no longer has it
                logger.warning("Acknowledgement of command %s refused: %s", command_id, error)
            logger.info("Command %s acknowledged after reconnecting", command_id)
            del self._lost_acks[command_id]

    # Signals -------------------------------------------------------------------------------

    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _restore_signal_handlers(self, previous) -> None:
        for signum, handler in (previous or {}).items():
            signal.signal(signum, handler)

    def _on_signal(self, signum, frame) -> None:
        logger.info("Received %s", signal.Signals(signum).name)
        already = self.stop_event.is_set()
        self.stop_event.set()
        # Only a blocking long-poll is interrupted; anything else finishes its step first,
        # so a command is never left half carried out.
        if self._interruptible and not already:
            self._interruptible = False
            raise _Interrupted()
