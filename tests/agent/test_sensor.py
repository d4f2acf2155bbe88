"""The DHT11 reader: retries failed reads, never reads faster than every 2 s, None when it fails."""

from __future__ import annotations

import pytest

from homerelay.agent.sensor import DHT11Sensor, SimulatedSensor
from homerelay.agent.thermal import ThermalRoom


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self):
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeDHT:
    """Plays back a script of reads: a (temperature, humidity) pair or an exception."""

    def __init__(self, script):
        self.script = list(script)
        self.reads = 0
        self.exited = False

    def _next(self):
        self.reads += 1
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    @property
    def temperature(self):
        self._current = self._next()
        return self._current[0]

    @property
    def humidity(self):
        return self._current[1]

    def exit(self):
        self.exited = True


def make(script, retries=3):
    clock = FakeClock()
    dht = FakeDHT(script)
    return DHT11Sensor(dht, retries=retries, clock=clock, sleep=clock.sleep), dht, clock


def test_good_read():
    sensor, dht, clock = make([(24.0, 51.0)])
    reading = sensor.read()
    assert (reading.temperature, reading.humidity) == (24.0, 51.0)
    assert reading.at.tzinfo is not None
    assert clock.sleeps == []


def test_retries_after_failed_reads_at_2_s_spacing():
    sensor, dht, clock = make([RuntimeError("Checksum did not validate"),
                               RuntimeError("A full buffer was not returned"), (23.0, 40.0)])
    reading = sensor.read()
    assert reading.temperature == 23.0
    assert dht.reads == 3
    assert clock.sleeps == [2.0, 2.0]


@pytest.mark.parametrize("bad", [RuntimeError("timeout"), (None, 40.0), (24.0, None),
                                 (200.0, 40.0), (24.0, 140.0)])
def test_every_attempt_failing_is_missing_not_zero(bad):
    sensor, dht, _ = make([bad] * 3)
    assert sensor.read() is None
    assert dht.reads == 3


def test_never_reads_more_often_than_every_2_s():
    sensor, _, clock = make([(20.0, 50.0), (21.0, 50.0)])
    sensor.read()
    clock.now += 0.5
    sensor.read()
    assert clock.sleeps == [pytest.approx(1.5)]


def test_close_releases_the_sensor():
    sensor, dht, _ = make([])
    sensor.close()
    assert dht.exited


def test_simulated_sensor_reads_the_room():
    room = ThermalRoom(temperature=22.04, humidity=47.96, clock=lambda: 0.0)
    reading = SimulatedSensor(room).read()
    assert (reading.temperature, reading.humidity) == (22.0, 48.0)
