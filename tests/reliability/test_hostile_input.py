"""Hostile input: arbitrary JSON and text at every endpoint, Schemathesis with all checks, size and history limits."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks as st_checks
from schemathesis.core.parameters import ParameterLocation

from tests.support.homes import add_home, relay_of


# Every endpoint with a token of the role that may call it (so the body really gets looked at).
V1 = [
    ("POST", "/api/v1/commands", "app"),
    ("GET", "/api/v1/commands", "app"),
    ("GET", "/api/v1/commands/1", "app"),
    ("POST", "/api/v1/commands/1/ack", "agent"),
    ("GET", "/api/v1/agent/next", "agent"),
    ("POST", "/api/v1/readings", "agent"),
    ("GET", "/api/v1/readings/latest", "app"),
    ("GET", "/api/v1/readings", "app"),
    ("PUT", "/api/v1/devices", "agent"),
    ("GET", "/api/v1/devices", "app"),
    ("PUT", "/api/v1/house", "agent"),
    ("GET", "/api/v1/house", "app"),
    ("GET", "/api/v1/automations/cooling", "app"),
    ("PUT", "/api/v1/automations/cooling", "app"),
]
LEGACY = [
    ("POST", "/set_command", "app"),
    ("GET", "/get_command", "agent"),
    ("POST", "/set_data", "agent"),
    ("GET", "/get_data", "app"),
    ("POST", "/set_threshold", "app"),
    ("GET", "/get_threshold", "app"),
    ("POST", "/set_devices", "agent"),
    ("GET", "/get_devices", "app"),
    ("POST", "/set_inf", "app"),
]
ENDPOINTS = V1 + LEGACY + [(method, f"/t/{{token}}{path}", role) for method, path, role in LEGACY]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
# The keys each endpoint knows, so generated objects often look almost right.
known_keys = st.sampled_from(
    ["text", "status", "result", "temperature", "humidity", "at", "devices", "room", "device", "kind", "state",
     "rooms", "sensor", "enabled", "threshold", "hysteresis", "information", "pin", "name"]
)
near_objects = st.dictionaries(known_keys, json_values, max_size=6)
bodies = st.one_of(
    st.tuples(st.just("json"), json_values | near_objects | st.lists(near_objects, max_size=3)),
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("bytes"), st.binary(max_size=300)),
)
content_types = st.sampled_from(
    [None, "application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1",
     "multipart/form-data", "\u00ff/bad"]
)
queries = st.dictionaries(st.sampled_from(["limit", "since", "wait", "token", "x"]), st.text(max_size=30), max_size=3)


def hostile_app(make_app):
    """An app whose throttles stay out of the way and whose long-polls return at once."""
    app = make_app(MAX_WAIT_SECONDS=0, SIGNIN_FAILURE_LIMIT="1000000 per minute")
    return app, add_home(app, "hostile")


def assert_refusal_is_json(response) -> None:
    """No 5xx; a refusal is `{"error", "detail"}`; the security headers are always there."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    if response.status_code >= 400:
        payload = response.get_json(silent=True)
        assert isinstance(payload, dict), body
        assert isinstance(payload.get("error"), str) and isinstance(payload.get("detail"), str), body


@pytest.mark.parametrize("method,path,role", ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_arbitrary_json_and_text_never_break_an_endpoint(make_app, method, path, role):
    app, tokens = hostile_app(make_app)
    client = app.test_client()
    token = tokens.app_token if role == "app" else tokens.agent_token
    url = path.format(token=token)
    headers = {} if url.startswith("/t/") else {"Authorization": f"Bearer {token}"}

    @given(body=bodies, content_type=content_types, query=queries)
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(body, content_type, query):
        kind, value = body
        if kind == "json":
            response = client.open(url, method=method, json=value, headers=headers, query_string=query)
        else:
            response = client.open(url, method=method, data=value, content_type=content_type, headers=headers,
                                   query_string=query)
        assert_refusal_is_json(response)

    check()


@given(path=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_arbitrary_paths_and_methods_answer_json_refusals(app_for_paths, path, method):
    client, token = app_for_paths
    for prefix in ("/", "/api/v1/", f"/t/{token}/"):
        response = client.open(prefix + path.lstrip("/"), method=method, headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 400 or method != "GET":
            assert_refusal_is_json(response)
        response.close()


@pytest.fixture(scope="module")
def app_for_paths(tmp_path_factory):
    """One app for the path-fuzzing test (Hypothesis runs it many times)."""
    from homerelay.server import create_app

    database = tmp_path_factory.mktemp("paths") / "paths.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "LIMITS_ENABLED": False, "MAX_WAIT_SECONDS": 0,
                      "SIGNIN_FAILURE_LIMIT": "1000000 per minute"})
    tokens = add_home(app, "paths")
    yield app.test_client(), tokens.app_token
    relay_of(app).close()


# Refusals of schema-valid requests that no schema can foresee, by operation: (status, detail pattern).
# Text no database stores (NUL, lone surrogates), refused in any body; times UTC cannot write.
UNSTORABLE_TEXT = (400, r"NUL characters are not allowed$|lone surrogates are not valid text$")
OUTSIDE_UTC = (400, r"falls outside the years 1 to 9999 in UTC$")
SEMANTIC_REFUSALS = {
    ("POST", "/api/v1/commands"): [(422, r""), (400, r"^Bidirectional control characters")],  # the language; bidi controls in the text
    ("PUT", "/api/v1/automations/cooling"): [(400, r"^The cooling rule")],        # not in the house, or not for cooling
    ("PUT", "/api/v1/devices"): [(400, r"is listed twice$"), (400, r"the house has no ")],
    ("PUT", "/api/v1/house"): [(400, r"")],                                       # the house loader
    ("POST", "/api/v1/readings"): [(400, r"is in the future"), (400, r"days of history kept"), OUTSIDE_UTC],
    ("GET", "/api/v1/readings"): [OUTSIDE_UTC],
    # "binary" is all a schema can say of a recording: bytes that are no WAV, or hold no command.
    ("POST", "/api/v1/speech"): [(400, r"WAV|recording"), (422, r"")],
    ("POST", "/api/v1/agent/heard"): [(422, r"")],                                # the language
}


def semantic_positive_acceptance(ctx, response, case):
    """positive_data_acceptance, except refusals the API documents as semantic (see SEMANTIC_REFUSALS)."""
    allowed = [*SEMANTIC_REFUSALS.get((case.method.upper(), case.path), []), UNSTORABLE_TEXT]
    if response.status_code in (400, 422):
        detail = (response.json() or {}).get("detail", "") if response.content else ""
        if any(status == response.status_code and re.search(pattern, detail) for status, pattern in allowed):
            return None
    return st_checks.positive_data_acceptance(ctx, response, case)


def negative_rejection_or_too_large(ctx, response, case):
    """negative_data_rejection, counting 413 (an oversized invalid body) as the rejection it is."""
    if response.status_code == 413:
        return None
    return st_checks.negative_data_rejection(ctx, response, case)


@pytest.fixture
def api_schema(make_app):
    """The live OpenAPI document of an app whose long-polls return at once."""
    app, tokens = hostile_app(make_app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # The event stream never ends by design; tests/server/test_events.py covers it.
    return schema.exclude(path="/api/v1/events"), tokens


def _headers_mutated(case) -> bool:
    components = case.meta.components if case.meta is not None else {}
    header = components.get(ParameterLocation.HEADER)
    return header is not None and header.mode == schemathesis.GenerationMode.NEGATIVE


def _is_agent_operation(method: str, path: str) -> bool:
    if path.endswith(("/agent/next", "/ack", "/agent/heard")):
        return True
    return method in ("POST", "PUT") and path in ("/api/v1/readings", "/api/v1/devices", "/api/v1/house")


@pytest.mark.slow
def test_schemathesis_all_checks_find_no_disagreement(api_schema):
    schema, tokens = api_schema
    replaced = (st_checks.positive_data_acceptance, st_checks.negative_data_rejection)
    every_check = [check for check in st_checks.CHECKS.get_all() if check not in replaced]
    every_check += [semantic_positive_acceptance, negative_rejection_or_too_large]
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        token = tokens.agent_token if _is_agent_operation(operation.method.upper(), operation.path) else tokens.app_token
        headers = {"Authorization": f"Bearer {token}"}
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                # When Schemathesis mutates the headers, the missing or bogus token is the point: keep it.
                sent = None if _headers_mutated(case) else headers
                response = case.call(headers=sent)
                try:
                    case.validate_response(response, checks=every_check, headers=sent)
                except BaseException as error:  # Schemathesis groups its findings in an ExceptionGroup
                    failures.setdefault(f"{operation.method.upper()} {operation.path} ({mode.value})", str(error)[:3000])

            check()
    assert operations >= 14
    assert not failures, "\n\n".join(f"{where}:\n{what}" for where, what in failures.items())


POSTS = [(m, p, r) for m, p, r in ENDPOINTS if m in ("POST", "PUT") and not p.startswith("/t/")]


@pytest.mark.parametrize("method,path,role", POSTS, ids=[f"{m} {p}" for m, p, _ in POSTS])
def test_oversized_body_is_413_everywhere(make_app, method, path, role):
    app, tokens = hostile_app(make_app)
    token = tokens.app_token if role == "app" else tokens.agent_token
    client = app.test_client()
    limit = app.config["MAX_CONTENT_LENGTH"]
    huge = '{"text": "' + "x" * limit + '"}'
    response = client.open(path, method=method, data=huge, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large"
    assert_refusal_is_json(response)


def test_history_queries_are_bounded(make_app):
    app, tokens = hostile_app(make_app)
    client = app.test_client()
    agent = {"Authorization": f"Bearer {tokens.agent_token}"}
    phone = {"Authorization": f"Bearer {tokens.app_token}"}
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    batch = [{"temperature": 20 + i % 5, "humidity": 40, "at": f"{start + timedelta(seconds=i):%Y-%m-%dT%H:%M:%SZ}"}
             for i in range(1000)]
    compact = {"content_type": "application/json", "headers": agent}
    # Compact JSON: a full batch of 1000 fits in the 64 KiB body limit.
    assert client.post("/api/v1/readings", data=json.dumps(batch, separators=(",", ":")), **compact).status_code == 201
    # 2,001 readings without times still fit the body limit: the batch cap is what refuses them.
    too_many = [{"temperature": 1, "humidity": 1}] * 2001
    too_many = client.post("/api/v1/readings", data=json.dumps(too_many, separators=(",", ":")), **compact)
    assert too_many.status_code == 413
    assert "at most 2,000 readings" in too_many.get_json()["detail"]
    default = client.get("/api/v1/readings", headers=phone).get_json()["readings"]
    assert len(default) == 500
    assert default[0]["at"] == f"{start + timedelta(seconds=500):%Y-%m-%dT%H:%M:%S}.000Z"
    assert len(client.get("/api/v1/readings?limit=5000", headers=phone).get_json()["readings"]) == 1000
    for query in ("limit=5001", "limit=0", "limit=-1", "limit=1e9", "since=2020-01-01", "since=tomorrow"):
        response = client.get(f"/api/v1/readings?{query}", headers=phone)
        assert response.status_code == 400, query
        assert_refusal_is_json(response)
    for query in ("limit=501", "limit=0", "limit=abc"):
        response = client.get(f"/api/v1/commands?{query}", headers=phone)
        assert response.status_code == 400, query
