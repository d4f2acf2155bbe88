"""Stand-in for the Raspberry Pi's `RPi` package, so the original Pi script runs on any machine."""
