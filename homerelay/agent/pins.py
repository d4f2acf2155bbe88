"""Choosing gpiozero's pin factory: the real one on a Pi, simulated pins anywhere else."""

from __future__ import annotations

import logging
import warnings

from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPWMPin

logger = logging.getLogger(__name__)


def simulated_factory() -> MockFactory:
    """Mock pins that also do PWM, so the door servo works in simulation."""
    return MockFactory(pin_class=MockPWMPin)


def choose_pin_factory(simulate: bool):
    """Return ``(factory, simulated)``; falls back to simulated pins where no GPIO exists."""
    if simulate:
        logger.info("Simulation requested: using simulated pins and a simulated room")
        return simulated_factory(), True
    # gpiozero warns once per factory it fails to load; on a laptop that is four warnings
    # for one fact, so they are silenced here and the fact is logged once below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # Honours GPIOZERO_PIN_FACTORY, else tries lgpio, RPi.GPIO, pigpio, native in turn.
            factory = Device._default_pin_factory()  # noqa: SLF001 - the documented default chain
        except Exception as error:  # any failure means: no usable GPIO here
            logger.warning("No GPIO found (%s): simulating pins and the room", error)
            return simulated_factory(), True
    logger.info("Using GPIO pin factory %s", type(factory).__name__)
    return factory, False
