"""Parse sentences with the command language and show what they mean (no server needed)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homerelay.house import House
    from homerelay.language import ParseResult

# Exit codes: every sentence understood / at least one refused / bad house file (from main).
EXIT_OK = 0
EXIT_REFUSED = 1
TTY_PROMPT = "type a sentence, Ctrl-D to end"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's arguments."""
    parser.add_argument("--house", metavar="FILE",
                        help="house YAML file (default: the built-in default house)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per sentence")
    parser.add_argument("text", nargs="*", metavar="TEXT",
                        help='a sentence (quotes optional), or "-" (the default) to read one '
                             "sentence per line")


def describe(result: ParseResult, house: House) -> str:
    """One readable line for a result: "living room light on; garage door open"."""
    from homerelay import const
    from homerelay.house import label, said

    if not result.ok:
        tries = " or ".join(f'"{suggestion}"' for suggestion in result.suggestions)
        return f"rejected: {result.error}" + (f" (try {tries})" if tries else "")
    if result.intent == const.INTENT_STATUS:
        # A question names what it asks about; it has no state to say yet.
        return f"{result.intent}: " + "; ".join(label(a.room, a.device) for a in result.actions)
    actions = "; ".join(said(a.room, a.device, a.action, _kind(house, a.room, a.device))
                        for a in result.actions)
    if result.intent == const.INTENT_CONTROL:
        return actions
    return f"{result.intent}: {actions}" if actions else result.intent


def _kind(house: House, room: str | None, device: str) -> str | None:
    spec = house.find(room, device)
    return spec.kind if spec else None


def run(args: argparse.Namespace) -> int:
    """Parse TEXT, or each line of stdin for "-"; exit 1 if any sentence was refused."""
    from homerelay.house import House
    from homerelay.language import parse

    house = House.from_file(args.house) if args.house else House.default()
    text = " ".join(args.text) or "-"
    if text == "-":
        if sys.stdin.isatty():
            # Otherwise a person who typed just `homerelay parse` sees nothing happen.
            print(TTY_PROMPT, file=sys.stderr, flush=True)
        sentences = (line.rstrip("\r\n") for line in sys.stdin)
    else:
        sentences = iter([text])
    code = EXIT_OK
    # Every line is answered, a blank one with its refusal, so answers line up with a file's lines.
    for sentence in sentences:
        result = parse(sentence, house)
        if not result.ok:
            code = EXIT_REFUSED
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(describe(result, house), flush=True)
    return code
