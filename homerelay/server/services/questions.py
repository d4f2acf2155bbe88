"""Answers to questions ("how warm is it", "is the kitchen light on") from the latest reading and the device states."""

from __future__ import annotations

from homerelay.const import READING_HUMIDITY, READING_TEMPERATURE, READINGS
from homerelay.house import House, label, state_word
from homerelay.language import ParseResult
from homerelay.language.phrasing import and_list
from homerelay.clock import utcnow
from homerelay.server.storage.records import DeviceState, Reading

NO_READING = "There is no reading yet: the Pi has not sent a temperature and humidity."
NO_DEVICES = "The Pi has not reported its devices yet, so I do not know."


def answer(parsed: ParseResult, reading: Reading | None, stale: bool, devices: list[DeviceState], house: House) -> str:
    """One or two sentences answering a status question; says so when nothing is known yet.

    `stale`: the reading is older than the sensor's reporting allows (the answer says how old).
    """
    asked_readings = [action.device for action in parsed.actions if action.device in READINGS and action.room is None]
    asked_devices = [action for action in parsed.actions if not (action.device in READINGS and action.room is None)]
    sentences = []
    if asked_readings:
        sentences.append(_reading_answer(asked_readings[0], reading, stale))
    if asked_devices:
        states = {(device.room, device.device): device.state for device in devices}
        sentences.append(_devices_answer([(a.room, a.device) for a in asked_devices], states, house))
    return " ".join(sentences) or NO_DEVICES


def _reading_answer(asked: str, reading: Reading | None, stale: bool) -> str:
    if reading is None:
        return NO_READING
    temperature = f"{reading.temperature:.1f} °C"
    humidity = f"{reading.humidity:.0f} %"
    if asked == READING_HUMIDITY:
        now = f"The humidity is {humidity} and it is {temperature}."
    else:
        now = f"It is {temperature} and {humidity} humidity."
    if not stale:
        return now
    at = reading.at
    said = f"{temperature} and {humidity} humidity" if asked == READING_TEMPERATURE else f"{humidity} humidity at {temperature}"
    return f"The sensor has not reported for {_age(utcnow() - at)}; the last reading was {said}."


def _age(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 2:
        return "a minute"
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} hours"


def _devices_answer(asked: list[tuple[str, str]], states: dict, house: House) -> str:
    known = [(room, device) for room, device in asked if (room, device) in states]
    if not known:
        return NO_DEVICES
    kinds = {(spec.room, spec.name): spec.kind for spec in house.devices}
    if len(asked) == 1:
        room, device = asked[0]
        return f"The {label(room, device)} is {state_word(kinds.get((room, device)), states[(room, device)])}."
    on = [f"the {label(room, device)}" for room, device in known if states[(room, device)] == "on"]
    if not on:
        return "No, they are all off." if len(known) > 1 else f"No, the {label(*known[0])} is off."
    verb = "is" if len(on) == 1 else "are"
    text = f"{and_list(on)} {verb} on."
    return text[0].upper() + text[1:]
