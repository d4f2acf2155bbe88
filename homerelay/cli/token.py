"""homerelay token (being built)."""


def configure(parser):
    """Add this subcommand's arguments."""


def run(args):
    """Run the subcommand."""
    raise SystemExit("homerelay token: not available yet")
