"""homerelay agent (being built)."""


def configure(parser):
    """Add this subcommand's arguments."""


def run(args):
    """Run the subcommand."""
    raise SystemExit("homerelay agent: not available yet")
