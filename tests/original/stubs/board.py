"""Stand-in for Adafruit Blinka's `board`: the pin names the original Pi script uses."""

D25 = 25
