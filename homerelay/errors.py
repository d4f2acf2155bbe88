"""The exceptions homerelay raises, each also a builtin where one fits."""


class HomerelayError(Exception):
    """Base of every error homerelay raises on purpose."""


class HouseError(HomerelayError, ValueError):
    """A house description is invalid; the message names the field and the problem."""


class UnknownDeviceError(HomerelayError, KeyError):
    """A room/device pair that the house does not contain."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a readable sentence is more useful here.
        return str(self.args[0]) if self.args else "unknown device"


class ServerUnavailableError(HomerelayError, ConnectionError):
    """The relay server could not be reached or answered with a server error."""


class AuthError(HomerelayError, PermissionError):
    """The server refused the token (401) or its role (403)."""


class RequestRejectedError(HomerelayError, ValueError):
    """The server refused a request as invalid (a 4xx other than 401/403/429)."""

    def __init__(self, status: int, detail: str, body: dict | None = None):
        super().__init__(f"{detail} (HTTP {status})")
        self.status = status
        self.detail = detail
        self.body = body or {}


class AudioFormatError(HomerelayError, ValueError):
    """Audio that is not 16-bit mono PCM WAV, is cut short, or is too long."""


class VoiceUnavailableError(HomerelayError, ImportError):
    """The speech engine (the `voice` extra) is not installed."""


class VoiceProfileError(HomerelayError, ValueError):
    """Voice training cannot be done, or a voice profile cannot be used: tools missing, recordings
    that do not fit their sentences, a folder that is no profile or a damaged one."""
