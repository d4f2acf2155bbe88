"""Run the Pi agent: drive the house's devices and carry out the relay server's commands."""

from __future__ import annotations

from pathlib import Path

from homerelay import const
from homerelay.cli.connection import add_server_arguments, require_server


def configure(parser):
    """Add this subcommand's arguments."""
    add_server_arguments(parser)
    parser.add_argument("--house", metavar="FILE", help="house layout (YAML); default: built in")
    parser.add_argument("--simulate", action="store_true",
                        help="simulated pins and room even where GPIO exists")
    parser.add_argument("--state-file", metavar="FILE",
                        help="where carried-out command ids are remembered "
                             "(default: ~/.local/state/homerelay/agent-state.json)")
    parser.add_argument("--wait", type=float, default=30.0, metavar="S",
                        help="long-poll wait asked of the server (default 30)")
    parser.add_argument("--reading-interval", type=float, metavar="S",
                        help="seconds between readings (default: the house's sensor interval, 10)")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                        help="simulated room: simulated seconds per real second (default 1)")


def run(args):
    """Run the subcommand."""
    from homerelay.agent.agent import Agent  # noqa: PLC0415 - keep `homerelay --help` light
    from homerelay.agent.settings import AgentSettings, default_state_file  # noqa: PLC0415

    require_server(args)
    settings = AgentSettings(
        server=args.server,
        token=args.token,
        house_file=args.house,
        simulate=args.simulate,
        state_file=Path(args.state_file) if args.state_file else default_state_file(),
        wait=min(args.wait, const.MAX_LONG_POLL_SECONDS),
        reading_interval=args.reading_interval,
        time_scale=args.time_scale,
    )
    return Agent(settings).run()
