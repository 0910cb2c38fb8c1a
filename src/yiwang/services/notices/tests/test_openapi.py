"""The routers of notices, subscriptions and messages keep the API's rules (the repository's contract test
checks them again once the lead mounts them): 422 everywhere, Idempotency-Key on POSTs, If-Match on PATCH."""

from __future__ import annotations

import json


def test_every_operation_follows_the_api_rules():
    from yiwang.services.notices.tests.urls import api

    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1")))  # as served: string keys
    ours = {
        (path, method): op
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if path.startswith(("/api/v1/notices", "/api/v1/subscriptions", "/api/v1/messages"))
    }
    assert len(ours) >= 20
    for (path, method), op in ours.items():
        assert "422" in op["responses"], (method, path)
        assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
        names = {p["name"]: p for p in op.get("parameters", [])}
        if method == "post":
            assert "Idempotency-Key" in names, path
            assert not names["Idempotency-Key"].get("required")
        if method in ("patch", "put"):
            assert names["If-Match"]["required"], path
            assert {"412", "428"} <= set(op["responses"]), path
