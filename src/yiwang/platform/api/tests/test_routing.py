"""``routing.creates`` and ``routing.updates`` document their headers in OpenAPI."""

from __future__ import annotations

import pytest


@pytest.mark.urls("yiwang.platform.api.tests.urls")
def test_creates_and_updates_document_their_headers(client):
    schema = client.get("/api/v1/openapi.json").json()
    create = schema["paths"]["/api/v1/things"]["post"]
    (key,) = [p for p in create["parameters"] if p["name"] == "Idempotency-Key"]
    assert key == {
        "in": "header",
        "name": "Idempotency-Key",
        "required": False,
        "schema": {"type": "string", "maxLength": 200},
        "description": key["description"],
    }
    assert {"201", "409", "422"} <= set(create["responses"])
    update = schema["paths"]["/api/v1/things/{n}"]["patch"]
    (if_match,) = [p for p in update["parameters"] if p["name"] == "If-Match"]
    assert if_match["in"] == "header"
    assert if_match["required"] is True
    assert {"200", "412", "428", "422"} <= set(update["responses"])
    # the path parameter is still there next to the header
    assert any(p["name"] == "n" and p["in"] == "path" for p in update["parameters"])


@pytest.mark.urls("yiwang.platform.api.tests.urls")
@pytest.mark.django_db
def test_acts_is_an_idempotent_post_for_state_changes(client, token_actors, clock):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/things/{n}/polish"]["post"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]
    headers = {"Authorization": "Bearer public:alice", "Idempotency-Key": "polish-1"}
    first = client.post("/api/v1/things/3/polish", headers=headers)
    again = client.post("/api/v1/things/3/polish", headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
