"""homerelay home (being built)."""


def configure(parser):
    """Add this subcommand's arguments."""


def run(args):
    """Run the subcommand."""
    raise SystemExit("homerelay home: not available yet")
