"""Contract over the whole OpenAPI document: every router, present and future, is held to these rules.

- every operation declares 422 (bad input is always possible) with the shared error body;
- every POST honours ``Idempotency-Key`` (made with ``routing.creates`` or ``routing.acts``), except the OAuth2
  token endpoint, whose form and errors RFC 6749 fixes (docs/adr/0004);
- every PATCH/PUT requires ``If-Match`` (made with ``routing.updates``).
"""

from __future__ import annotations

import pytest

# (path, method) pairs exempt from the Idempotency-Key rule, with the reason
IDEMPOTENCY_EXEMPT = {
    ("/api/v1/auth/oauth/token", "post"): "OAuth2 token endpoint (RFC 6749 §4.4); issuing a token twice is harmless",
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete", "head", "options"):
                yield path, method, operation


def _parameter(operation: dict, name: str) -> dict | None:
    return next((p for p in operation.get("parameters", []) if p.get("name") == name), None)


def test_the_document_is_openapi_3_1_with_operations(schema):
    assert schema["openapi"].startswith("3.1")
    assert schema["info"]["title"]
    assert len(list(_operations(schema))) >= 3
    assert ("/api/v1/feed", "get") in {(p, m) for p, m, _ in _operations(schema)}
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) >= {"code", "message_zh", "message_en"}


def test_every_operation_declares_422_with_the_error_body(schema):
    missing = [f"{m.upper()} {p}" for p, m, op in _operations(schema) if "422" not in op.get("responses", {})]
    assert missing == [], "operations without a 422 response (declare **ERRORS)"
    wrong = [
        f"{m.upper()} {p}"
        for p, m, op in _operations(schema)
        if not op["responses"]["422"]
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
        .get("$ref", "")
        .endswith("/ErrorOut")
    ]
    assert wrong == [], "422 must use the shared ErrorOut body"


def test_every_post_honours_idempotency_keys(schema):
    missing = []
    for path, method, operation in _operations(schema):
        if method != "post" or (path, method) in IDEMPOTENCY_EXEMPT:
            continue
        parameter = _parameter(operation, "Idempotency-Key")
        if parameter is None or parameter["in"] != "header" or parameter.get("required"):
            missing.append(f"POST {path}")
    assert missing == [], "declare POSTs with yiwang.platform.api.routing.creates() or .acts()"


def test_the_exemptions_still_exist(schema):
    operations = {(p, m) for p, m, _ in _operations(schema)}
    assert set(IDEMPOTENCY_EXEMPT) <= operations, "remove exemptions for operations that are gone"


def test_every_update_requires_if_match(schema):
    missing = []
    for path, method, operation in _operations(schema):
        if method in ("patch", "put"):
            parameter = _parameter(operation, "If-Match")
            if parameter is None or parameter["in"] != "header" or not parameter.get("required"):
                missing.append(f"{method.upper()} {path}")
            elif "412" not in operation["responses"] or "428" not in operation["responses"]:
                missing.append(f"{method.upper()} {path} (declare UPDATE_ERRORS: 412, 428)")
    assert missing == [], "updates must be declared with yiwang.platform.api.routing.updates()"


def test_operation_ids_are_unique(schema):
    ids = [op.get("operationId") for _, _, op in _operations(schema)]
    assert len(ids) == len(set(ids))
