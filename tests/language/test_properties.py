"""Properties of the parser over any text: total, deterministic, only names real devices."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from homerelay import const
from homerelay.house import House
from homerelay.language import INTERNAL_ERROR, ParseResult, parse
from homerelay.language.lexicon import lexicon_for

from .conftest import CUSTOM_HOUSE_YAML

HOUSES = [House.default(), House.from_yaml(CUSTOM_HOUSE_YAML)]
# Words the parser knows (plus a few it does not), so generated sentences often mean something.
WORDS = sorted({word for house in HOUSES for word in lexicon_for(house).words}
               | {"garden", "kitchn", "bed", "room", "lite", "xyz", "2", "?", "-", "'"})

sentences = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
any_text = st.one_of(st.text(max_size=200), sentences)


def _check(result: ParseResult, text: str, house: House) -> None:
    assert isinstance(result, ParseResult)
    assert result.text == text
    assert result.error != INTERNAL_ERROR
    json.dumps(result.to_dict())
    if result.ok:
        assert result.intent in const.INTENTS
        devices = {(d.room, d.name) for d in house.devices}
        asked = {(None, reading) for reading in const.READINGS} if house.sensor else set()
        for action in result.actions:
            if result.intent == const.INTENT_STATUS:
                # A question switches nothing: it names devices or readings to report.
                assert action.action == const.ACTION_STATUS
                assert (action.room, action.device) in devices | asked
            else:
                assert (action.room, action.device) in devices
                assert action.action in const.ACTIONS
        if result.intent == const.INTENT_CONTROL:
            assert result.actions
            pairs = [(a.room, a.device) for a in result.actions]
            assert len(pairs) == len(set(pairs))
    else:
        assert result.intent is None and result.actions == ()
        assert result.error.strip() and "\n" not in result.error
        for suggestion in result.suggestions:
            assert parse(suggestion, house).ok


@settings(max_examples=300, deadline=None)
@given(text=any_text, index=st.sampled_from(range(len(HOUSES))))
def test_any_text_gives_a_result_naming_only_house_devices(text: str, index: int) -> None:
    house = HOUSES[index]
    _check(parse(text, house), text, house)


@settings(max_examples=100, deadline=None)
@given(text=any_text)
def test_parse_is_deterministic(text: str) -> None:
    assert parse(text) == parse(text)
    assert parse(text).to_dict() == parse(text, House.default()).to_dict()


@settings(max_examples=100, deadline=None)
@given(text=sentences)
def test_case_and_spacing_do_not_matter(text: str) -> None:
    loud = parse("  " + text.upper().replace(" ", "   ") + " ")
    quiet = parse(text)
    assert (loud.intent, loud.actions, loud.error is None) == (
        quiet.intent, quiet.actions, quiet.error is None)
