"""Parse sentences with the command language and show what they mean (no server needed)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homerelay.language import ParseResult

# Exit codes: every sentence understood / at least one refused / bad house file (from main).
EXIT_OK = 0
EXIT_REFUSED = 1


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's arguments."""
    parser.add_argument("--house", metavar="FILE",
                        help="house YAML file (default: the built-in default house)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per sentence")
    parser.add_argument("text", nargs="?", default="-", metavar="TEXT",
                        help='a sentence, or "-" (the default) to read one sentence per line')


def describe(result: ParseResult) -> str:
    """One readable line for a result: "living_room light on; bedroom fan off"."""
    if not result.ok:
        tries = " or ".join(f'"{suggestion}"' for suggestion in result.suggestions)
        return f"rejected: {result.error}" + (f" (try {tries})" if tries else "")
    actions = "; ".join(f"{a.room} {a.device} {a.action}" for a in result.actions)
    if result.intent == "control":
        return actions
    return f"{result.intent}: {actions}" if actions else result.intent


def run(args: argparse.Namespace) -> int:
    """Parse TEXT, or each line of stdin for "-"; exit 1 if any sentence was refused."""
    from homerelay.house import House
    from homerelay.language import parse

    house = House.from_file(args.house) if args.house else House.default()
    if args.text == "-":
        sentences = (line.rstrip("\r\n") for line in sys.stdin)
    else:
        sentences = iter([args.text])
    code = EXIT_OK
    for text in sentences:
        if args.text == "-" and not text.strip():
            continue   # blank lines separate nothing when reading a file
        result = parse(text, house)
        if not result.ok:
            code = EXIT_REFUSED
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(describe(result), flush=True)
    return code
