"""The OpenAPI document describes the v1 API, and a Schemathesis run over it finds no server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from homerelay.server import create_app
from tests.support.homes import add_home, relay_of



EXPECTED_OPERATIONS = {
    ("post", "/api/v1/commands"),
    ("get", "/api/v1/commands"),
    ("get", "/api/v1/commands/{command_id}"),
    ("post", "/api/v1/commands/{command_id}/ack"),
    ("get", "/api/v1/agent/next"),
    ("post", "/api/v1/readings"),
    ("get", "/api/v1/readings/latest"),
    ("get", "/api/v1/readings"),
    ("put", "/api/v1/devices"),
    ("get", "/api/v1/devices"),
    ("put", "/api/v1/house"),
    ("get", "/api/v1/house"),
    ("get", "/api/v1/automations/cooling"),
    ("put", "/api/v1/automations/cooling"),
    ("get", "/api/v1/events"),
}


def test_document_lists_every_v1_operation(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    operations = {(method, path) for path, item in document["paths"].items() for method in item}
    assert EXPECTED_OPERATIONS <= operations
    body = document["paths"]["/api/v1/commands"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/CommandIn")
    assert document["components"]["schemas"]["CommandIn"]["properties"]["text"]["maxLength"] == 200


@pytest.fixture
def api_schema(tmp_path):
    """The live document of an app whose long-polls return at once, signed in as the app or agent."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'schema.db'}", "LIMITS_ENABLED": False, "MAX_WAIT_SECONDS": 0})
    tokens = add_home(app, "schemathesis")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # The event stream never ends by design; it is tested on its own.
    schema = schema.exclude(path="/api/v1/events")
    schema.tokens = tokens
    yield schema
    relay_of(app).close()


def test_no_server_error_for_any_generated_request(api_schema):
    tokens = api_schema.tokens
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        token = tokens.agent_token if _is_agent_operation(operation) else tokens.app_token

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            if response.status_code >= 400:
                assert set(response.json()) >= {"error", "detail"}

        check()
        checked += 1
    assert checked >= len(EXPECTED_OPERATIONS) - 1


def _is_agent_operation(operation) -> bool:
    """Whether the agent's token is the one that may call this operation."""
    method, path = operation.method.upper(), operation.path
    if path.endswith(("/agent/next", "/ack")):
        return True
    return method in ("POST", "PUT") and path in ("/api/v1/readings", "/api/v1/devices", "/api/v1/house")
