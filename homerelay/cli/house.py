"""Start a house file of your own: `homerelay house init [FILE]` writes the example to edit."""

from __future__ import annotations

from pathlib import Path

DEFAULT_FILE = "house.yaml"


def configure(parser):
    """Add this subcommand's arguments."""
    actions = parser.add_subparsers(dest="house_action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help=f"write the example house file (default ./{DEFAULT_FILE})")
    init.add_argument("file", nargs="?", default=DEFAULT_FILE, metavar="FILE",
                      help=f"where to write it (default {DEFAULT_FILE} in this folder)")
    init.add_argument("--force", action="store_true", help="overwrite the file if it exists")


def run(args):
    """Write the example house file, refusing to overwrite one without --force."""
    from importlib import resources

    from homerelay.errors import HomerelayError
    from homerelay.house import DEFAULT_HOUSE_FILE

    path = Path(args.file)
    if path.exists() and not args.force:
        raise HomerelayError(f"{path} exists; use --force to overwrite it")
    example = resources.files("homerelay").joinpath(DEFAULT_HOUSE_FILE).read_text(encoding="utf-8")
    try:
        path.write_text(example, encoding="utf-8")
    except OSError as error:
        raise HomerelayError(f"{path}: cannot be written ({error.strerror})") from None
    print(f"Wrote {path}: the default house. Edit its rooms, devices and pins, check it with")
    print(f'  homerelay parse --house {path} "turn on the kitchen light"')
    print(f"and run the agent with --house {path}.")
    return 0
