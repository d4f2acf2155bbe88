"""v1 endpoints for voice: a recording from the app, or what the Pi's microphone heard, as a command."""

from __future__ import annotations

import atexit
import logging

from flask import request
from pydantic import BaseModel, Field

from homerelay.const import COMMAND_TEXT_MAX, ROLE_AGENT, ROLE_APP, SOURCE_VOICE
from homerelay.errors import AudioFormatError, VoiceUnavailableError
from homerelay.server.relay import current_relay as relay
from homerelay.server.web.api.blueprint import AGENT, COMMANDS, blueprint, roles
from homerelay.server.web.api.command_routes import submission_response
from homerelay.server.web.auth import identity
from homerelay.server.web.http_errors import ApiError, error_response
from homerelay.server.web.schemas import AnswerOut, CommandOut, ErrorOut, NotUnderstood, Strict
from homerelay.voice.audio import MAX_SECONDS, MIN_SECONDS, read_wav
from homerelay.voice.decoder import INSTALL_HINT, MIN_CONFIDENCE, Heard, available
from homerelay.voice.worker import DecoderPool

logger = logging.getLogger(__name__)

# Ten seconds of 16-bit mono at 48 kHz is 960 kB: a megabyte holds any allowed recording.
MAX_AUDIO_BYTES = 1024 * 1024
WAV_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")
NOT_HEARD = "I didn't catch that"


class SpeechQuery(BaseModel):
    """Options of a spoken command."""

    confirm: bool = Field(False, description="the speaker already confirmed a device that asks for it")


class HeardIn(Strict):
    """What the Pi's microphone heard."""

    text: str = Field(min_length=1, max_length=COMMAND_TEXT_MAX)
    confidence: float = Field(ge=0.0, le=1.0)
    confirm: bool = False


class SpokenCommandOut(CommandOut):
    """The queued command, with what was heard and how sure the recogniser was."""

    heard: str
    confidence: float


class SpokenAnswerOut(AnswerOut):
    """200: a spoken question's answer (nothing queued), with what was heard and how sure the recogniser was."""

    heard: str
    confidence: float


class NotHeard(ErrorOut):
    """Nothing usable was heard (silence, noise, or too unsure to act on)."""

    heard: str = ""
    confidence: float = 0.0


_pool = DecoderPool()
# Decoder children start on the first recording; the server's exit must not leave them behind.
atexit.register(_pool.close)


@blueprint.url_value_preprocessor
def _allow_recordings(endpoint, values):
    """Recordings are larger than the API's other bodies: the limit is raised for them alone."""
    if endpoint == f"{blueprint.name}.submit_speech":
        request.max_content_length = MAX_AUDIO_BYTES


def _answer(heard: Heard, confirm: bool):
    """The same answers as POST /commands (201, 422, 409, a question's 200), each with what was
    heard and how sure the recogniser was."""
    said = {"heard": heard.heard, "confidence": round(heard.confidence, 3)}
    if not heard.heard or heard.confidence < MIN_CONFIDENCE:
        return error_response(422, NOT_HEARD, "not_heard", **said)
    submission = relay().submit_text(
        identity().home_id, heard.heard, SOURCE_VOICE, confirmed=confirm, answer_questions=True,
        heard=(heard.heard, said["confidence"]),
    )
    return submission_response(submission, heard.heard, **said)


@blueprint.post("/speech", tags=[COMMANDS], responses={
    201: SpokenCommandOut, 200: SpokenAnswerOut, 409: ErrorOut, 415: ErrorOut, 422: NotHeard, 503: ErrorOut},
    openapi_extensions={"requestBody": {"required": True, "content": {"audio/wav": {"schema": {
        "type": "string", "format": "binary",
        "description": f"16-bit mono PCM WAV, at most {MAX_SECONDS:g} s and {MAX_AUDIO_BYTES} bytes"}}}}})
@roles.require(ROLE_APP)
def submit_speech(query: SpeechQuery):
    """A spoken command: heard against the house's grammar, then handled as POST /commands."""
    kind = (request.mimetype or "").lower()
    if kind and kind not in WAV_TYPES and kind != "application/octet-stream":
        raise ApiError(415, f"Send the recording as audio/wav, not {kind}.")
    if not available():
        raise ApiError(503, INSTALL_HINT, "voice_unavailable")
    data = request.get_data(cache=False)
    try:
        audio = read_wav(data, max_seconds=None)
    except AudioFormatError as error:
        raise ApiError(400, str(error), "bad_audio") from error
    if audio.seconds > MAX_SECONDS + 0.05:
        raise ApiError(413, f"The recording lasts {audio.seconds:.1f} s; at most {MAX_SECONDS:g} s is heard.")
    if audio.seconds < MIN_SECONDS:
        return error_response(422, NOT_HEARD, "not_heard", heard="", confidence=0.0)
    house = relay().devices.house(identity().home_id)
    try:
        heard = _pool.hear(audio, house)
    except VoiceUnavailableError as error:
        raise ApiError(503, str(error), "voice_unavailable") from error
    logger.info("Heard %r (confidence %.3f) in %.0f ms", heard.heard, heard.confidence, heard.seconds * 1000)
    return _answer(heard, query.confirm)


@blueprint.post("/agent/heard", tags=[AGENT],
                responses={201: SpokenCommandOut, 200: SpokenAnswerOut, 409: ErrorOut, 422: NotUnderstood})
@roles.require(ROLE_AGENT)
def agent_heard(body: HeardIn):
    """What the Pi's microphone heard: queued with source "voice", as if the app had sent it."""
    heard = Heard(" ".join(body.text.split()), body.confidence)
    return _answer(heard, body.confirm)
