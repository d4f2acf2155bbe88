"""The Pi agent: drives the house's devices, reads the sensor, talks to the relay server."""
