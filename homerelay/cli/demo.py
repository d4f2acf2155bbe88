"""homerelay demo (being built)."""


def configure(parser):
    """Add this subcommand's arguments."""


def run(args):
    """Run the subcommand."""
    raise SystemExit("homerelay demo: not available yet")
