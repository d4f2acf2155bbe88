"""homerelay send (being built)."""


def configure(parser):
    """Add this subcommand's arguments."""


def run(args):
    """Run the subcommand."""
    raise SystemExit("homerelay send: not available yet")
