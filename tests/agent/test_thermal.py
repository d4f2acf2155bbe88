"""The simulated room: warms toward the outside, each fan cools, tuned to the cooling rule."""

from __future__ import annotations

import pytest

from homerelay.agent.thermal import ThermalRoom

THRESHOLD, HYSTERESIS = 26.0, 0.5


def room(fans: int = 0, **kwargs) -> ThermalRoom:
    return ThermalRoom(lambda: fans, seed=1, clock=lambda: 0.0, **kwargs)


def seconds_until(model: ThermalRoom, fans: int, done, limit: int = 3600) -> int:
    for second in range(1, limit + 1):
        model.advance(1.0, fans)
        if done(model.temperature):
            return second
    raise AssertionError("never happened")


def test_warms_toward_outside_without_fans():
    model = room()
    start = model.temperature
    model.advance(600, 0)
    assert start < model.temperature < model.outside
    model.advance(100_000, 0)
    assert model.temperature == pytest.approx(model.outside, abs=0.01)


def test_each_fan_cools_more():
    temps = []
    for fans in (0, 1, 2):
        model = room()
        model.advance(300, fans)
        temps.append(model.temperature)
    assert temps[0] > temps[1] > temps[2]


def test_starts_below_threshold_and_crosses_within_two_minutes():
    model = room()
    assert THRESHOLD - 1.0 < model.temperature < THRESHOLD
    crossed = seconds_until(model, 0, lambda t: t >= THRESHOLD)
    assert 45 <= crossed <= 120


def test_one_fan_cycles_within_a_few_minutes():
    model = room(temperature=THRESHOLD)
    cooled = seconds_until(model, 1, lambda t: t < THRESHOLD - HYSTERESIS)
    warmed = seconds_until(model, 0, lambda t: t >= THRESHOLD)
    assert cooled <= 120 and warmed <= 150


def test_time_scale_speeds_up_the_clock():
    now = [0.0]
    fast = ThermalRoom(time_scale=60.0, clock=lambda: now[0], seed=1)
    slow = ThermalRoom(time_scale=1.0, clock=lambda: now[0], seed=1)
    now[0] = 10.0
    fast_t, _ = fast.measure()
    slow_t, _ = slow.measure()
    reference = room()
    reference.advance(600, 0)
    assert fast_t == pytest.approx(reference.temperature)
    assert slow_t < fast_t


def test_measure_uses_the_running_fans():
    now = [0.0]
    fans = [0]
    model = ThermalRoom(lambda: fans[0], clock=lambda: now[0], seed=1)
    now[0] = 60.0
    warm, _ = model.measure()
    fans[0] = 1
    now[0] = 120.0
    cooler, _ = model.measure()
    assert cooler < warm


def test_humidity_stays_plausible():
    model = room()
    for _ in range(2000):
        model.advance(10, 1)
        assert 20.0 <= model.humidity <= 95.0
