"""What the language costs the agent: resident memory, modules pulled in, time per sentence."""

from __future__ import annotations

import json
import subprocess
import sys

from .test_sentences import TABLE

# Generous bounds for slow CI machines; the measured figures are in docs/language.md.
MAX_ADDED_MB = 15.0
MAX_MS_PER_SENTENCE = 10.0

PROBE = r"""
import json, sys, time

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

sentences = json.loads(sys.stdin.read())
before = rss_mb()
from homerelay.language import parse
from homerelay.house import House
house = House.default()
start = time.perf_counter()
parse("turn on the kitchen light", house)
first_ms = (time.perf_counter() - start) * 1000
start = time.perf_counter()
rounds = 5
for _ in range(rounds):
    for text in sentences:
        parse(text, house)
per_ms = (time.perf_counter() - start) * 1000 / (rounds * len(sentences))
heavy = sorted(m for m in ("flask", "sqlalchemy", "hassil", "requests", "gpiozero")
               if m in sys.modules)
print(json.dumps({"added_mb": rss_mb() - before, "first_ms": first_ms, "per_ms": per_ms,
                  "heavy": heavy}))
"""


def _measure() -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], input=json.dumps([text for text, _ in TABLE]),
        capture_output=True, text=True, timeout=120, check=True)
    return json.loads(completed.stdout)


def test_language_is_light_and_fast() -> None:
    figures = _measure()
    print(f"\nlanguage: +{figures['added_mb']:.1f} MB resident, first parse "
          f"{figures['first_ms']:.1f} ms, then {figures['per_ms']:.3f} ms per sentence")
    assert figures["heavy"] == []
    assert figures["added_mb"] < MAX_ADDED_MB
    assert figures["per_ms"] < MAX_MS_PER_SENTENCE
