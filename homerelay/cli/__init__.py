"""The `homerelay` command: one entry point, one module per subcommand."""

from __future__ import annotations

import argparse
import difflib
import importlib
import logging
import sys

from homerelay.errors import HomerelayError

logger = logging.getLogger(__name__)

# Subcommand name -> module. Each module offers `configure(parser)` and `run(args) -> int`
# and keeps heavy imports inside `run`, so that e.g. the agent never loads Flask.
# In the order `homerelay --help` lists them: trying it first, then running it for real.
SUBCOMMANDS = {
    "demo": "homerelay.cli.demo",
    "send": "homerelay.cli.send",
    "parse": "homerelay.cli.parse",
    "serve": "homerelay.cli.serve",
    "home": "homerelay.cli.home",
    "token": "homerelay.cli.tokens",
    "agent": "homerelay.cli.agent",
    "voice": "homerelay.cli.voice",
    "house": "homerelay.cli.house",
}
# What `homerelay --help` says first: what this is, and the commands people run most.
INTRO = """homerelay: a voice- and text-controlled smart home for the Raspberry Pi.
Try it: homerelay demo. Then: homerelay send turn on the kitchen light.
On a real house: homerelay serve (the relay server), homerelay agent (on the Pi)."""


class CommandParser(argparse.ArgumentParser):
    """argparse with one readable line and a "did you mean" for a mistyped command."""

    def _check_value(self, action, value):
        if isinstance(action, argparse._SubParsersAction) and value not in action.choices:
            close = difflib.get_close_matches(value, list(action.choices), n=1, cutoff=0.6)
            hint = (f"did you mean {close[0]!r}?" if close
                    else f"choose from {', '.join(action.choices)}")
            self.exit(2, f"{self.prog}: unknown command {value!r}; {hint}\n")
        super()._check_value(action, value)


class TopParser(CommandParser):
    """The `homerelay` parser: its help opens with what homerelay is, not with usage."""

    def format_help(self) -> str:
        """The help text, after the introduction."""
        return f"{INTRO}\n\n{super().format_help()}"


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = TopParser(prog="homerelay")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                       parser_class=CommandParser)
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        summary = (module.__doc__ or "").strip().splitlines()[0]
        sub = subparsers.add_parser(name, help=summary, description=summary)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args) or 0)
    except HomerelayError as error:
        print(f"homerelay {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # whatever a library raised: one line, the traceback only with -v
        logger.debug("homerelay %s failed", args.command, exc_info=True)
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        print(f"homerelay {args.command}: {first_line} (run with -v for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover - `python -m homerelay.cli`
    sys.exit(main())
