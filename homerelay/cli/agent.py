"""Run the Pi agent: drive the house's devices and carry out the relay server's commands."""

from __future__ import annotations

from pathlib import Path

from homerelay import const
from homerelay.cli.connection import add_server_arguments, confidence, require_server

# The satellite's options, with their defaults: given without --listen they would do nothing.
VOICE_OPTIONS = {"wake": const.DEFAULT_WAKE, "wake_threshold": None, "mic": "default", "indicator": None,
                 "quiet": False, "voice_profile": None}


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
    voice = parser.add_argument_group("voice (needs homerelay[voice])")
    voice.add_argument("--listen", action="store_true",
                       help="be a voice satellite: wake phrase, then a spoken command")
    voice.add_argument("--wake", default=VOICE_OPTIONS["wake"], metavar="PHRASE",
                       help=f'wake phrase (default "{const.DEFAULT_WAKE}"; words of the speech dictionary)')
    voice.add_argument("--wake-threshold", type=confidence, default=None, metavar="T",
                       help="wake phrase confidence 0..1 it must reach (lower: hears it more, imagines it more)")
    voice.add_argument("--listen-from", metavar="FILE.wav",
                       help="read audio from a WAV file as if it were the microphone")
    voice.add_argument("--mic", default=VOICE_OPTIONS["mic"], metavar="ALSA_DEVICE",
                       help="capture device for arecord -D (default: default)")
    voice.add_argument("--indicator", metavar="ROOM:DEVICE",
                       help="a house device (an LED) lit while listening (default: none)")
    voice.add_argument("--quiet", action="store_true", help="do not say results aloud with espeak-ng")
    voice.add_argument("--voice-profile", metavar="FOLDER",
                       help="a voice profile from `homerelay voice train` (default: the one it writes, if any)")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                        help="simulated room: simulated seconds per real second (default 1)")


def run(args):
    """Run the subcommand."""
    from homerelay.agent.agent import Agent  # noqa: PLC0415 - keep `homerelay --help` light
    from homerelay.agent.settings import AgentSettings, default_state_file  # noqa: PLC0415

    require_server(args)
    listening = args.listen or args.listen_from
    given = _voice_options_given(args)
    if not listening and given:
        raise SystemExit(f"{', '.join(given)}: only with --listen or --listen-from "
                         "(the agent hears nothing without them)")
    voice = _voice_settings(args) if listening else None
    if voice is not None and not voice.listen_from:
        from homerelay.agent.satellite import MICROPHONE_NEEDS, can_record  # noqa: PLC0415

        if not can_record():
            # Said now, not after the agent has started and seemed to listen.
            raise SystemExit(f"--listen {MICROPHONE_NEEDS}; or try it with --listen-from FILE.wav")
    settings = AgentSettings(
        server=args.server,
        token=args.token,
        house_file=args.house,
        simulate=args.simulate,
        state_file=Path(args.state_file) if args.state_file else default_state_file(),
        wait=min(args.wait, const.MAX_LONG_POLL_SECONDS),
        reading_interval=args.reading_interval,
        time_scale=args.time_scale,
        voice=voice,
    )
    return Agent(settings).run()


def _voice_options_given(args) -> list[str]:
    """The satellite's options given other than their defaults, as typed ("--voice-profile")."""
    return ["--" + name.replace("_", "-") for name, default in VOICE_OPTIONS.items() if getattr(args, name) != default]


def _voice_settings(args):
    """The satellite's settings; exits with one line when the voice extra is missing."""
    import importlib.util  # noqa: PLC0415

    if importlib.util.find_spec("pocketsphinx") is None:
        raise SystemExit("--listen needs the speech engine: pip install 'homerelay[voice]'")
    from homerelay.agent.satellite import VoiceSettings  # noqa: PLC0415
    from homerelay.voice.listener import DEFAULT_WAKE_THRESHOLD  # noqa: PLC0415

    indicator = None
    if args.indicator:
        room, _, device = args.indicator.partition(":")
        if not room or not device:
            raise SystemExit("--indicator takes ROOM:DEVICE, e.g. living_room:light")
        indicator = (room, device)
    return VoiceSettings(
        wake=" ".join(args.wake.lower().split()),
        # 0 is a threshold too (every stretch that decodes as the phrase wakes it), not "the default".
        wake_threshold=DEFAULT_WAKE_THRESHOLD if args.wake_threshold is None else args.wake_threshold,
        listen_from=args.listen_from, device=args.mic, indicator=indicator, speak=not args.quiet,
        profile=_profile_folder(args.voice_profile),
    )


def _profile_folder(explicit: str | None) -> str | None:
    """The voice profile's folder to hear with, if any (see voice.training.profile_in_use)."""
    from homerelay.voice.training import profile_in_use  # noqa: PLC0415

    profile = profile_in_use(explicit)
    return str(profile.path) if profile else None
