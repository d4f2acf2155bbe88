"""Run the relay server (production WSGI server, not Flask's development server)."""

from __future__ import annotations

import logging

from homerelay.cli.connection import add_database_arguments, database_option, port_number
from homerelay.const import DEFAULT_PORT

logger = logging.getLogger(__name__)


def configure(parser):
    """Add this subcommand's arguments."""
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every interface)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    add_database_arguments(parser)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (one per CPU core at most)")
    parser.add_argument("--voice-profile", metavar="FOLDER",
                        help="hear speech with this voice profile from `homerelay voice train` "
                             "(default: the one it writes, if any)")


def run(args):
    """Serve until stopped."""
    import os

    from homerelay.errors import VoiceProfileError
    from homerelay.paths import database_url
    from homerelay.server.serving import serve
    from homerelay.voice.training import ENV_PROFILE, Profile, profile_in_use

    if args.voice_profile:
        # Checked now (a profile named but unusable stops the start), read by the decoding child
        # processes, which inherit the environment.
        profile = Profile.load(args.voice_profile)
        os.environ[ENV_PROFILE] = str(profile.path.resolve())
    else:
        try:
            profile = profile_in_use()
        except VoiceProfileError as error:
            # The server runs without it: speech is answered with this error until it is trained again.
            logger.warning("%s", error)
            profile = None
    if profile is not None:
        logger.info("speech is heard with the voice profile %s (%d recordings)", profile.path, profile.aligned)
    serve(args.host, args.port, database_url(database_option(args)), args.workers)
    return 0
