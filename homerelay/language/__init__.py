"""The command language: text in, actions for the house out (pure, never raises)."""

from __future__ import annotations

import logging

from homerelay.house import House
from homerelay.language.confirm import Confirmation, confirmation
from homerelay.language.result import Action, ParseResult

__all__ = ["Action", "Confirmation", "ParseResult", "confirmation", "parse"]

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "Sorry, something went wrong while reading that command."


def parse(text: str, house: House | None = None) -> ParseResult:
    """Parse one sentence against a house (the default house when None); never raises."""
    try:
        from homerelay.language.parser import parse_sentence

        if not isinstance(text, str):
            return ParseResult(repr(text), None, (), "A command must be text.")
        return parse_sentence(text, house if house is not None else House.default())
    except Exception:  # a bug must not take down the server or the agent
        logger.exception("parsing %r failed", text)
        return ParseResult(text if isinstance(text, str) else repr(text), None, (),
                           INTERNAL_ERROR)
