"""Errors leave the API as JSON ``{code, message_zh, message_en, details}``: never an HTML page, never a trace."""

from __future__ import annotations

import logging

import pytest

from yiwang.kernel.ids import validate_uscc
from yiwang.platform.api.types import checked_str

THROWAWAY = "yiwang.platform.api.tests.urls"
GOOD_USCC = "91310000MA1FL5LX3K"


def _shape(body: dict) -> None:
    assert set(body) == {"code", "message_zh", "message_en", "details"}
    assert body["message_zh"]
    assert body["message_en"]
    assert isinstance(body["details"], dict)


@pytest.mark.urls(THROWAWAY)
@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("not-found", 404, "test.missing"), ("forbidden", 403, "test.forbidden")],
)
def test_a_yiwang_error_becomes_its_status_and_body(client, kind, status, code):
    response = client.get(f"/api/v1/errors/{kind}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    _shape(body)
    assert body["code"] == code
    if kind == "not-found":
        assert body["message_zh"] == "找不到测试对象"  # Chinese as UTF-8 text, not \\u escapes
        assert "找不到".encode() in response.content
        assert body["details"] == {"kind": "not-found"}


@pytest.mark.urls(THROWAWAY)
def test_an_unexpected_exception_is_a_500_without_a_trace(client, caplog):
    with caplog.at_level(logging.ERROR, logger="yiwang.api"):
        response = client.get("/api/v1/errors/boom")
    assert response.status_code == 500
    body = response.json()
    _shape(body)
    assert body["code"] == "internal_error"
    assert body["details"] == {}
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content
    # …but it is logged, with the trace, for the operators
    (record,) = [r for r in caplog.records if r.name == "yiwang.api"]
    assert record.exc_info
    assert "hunter2" in str(record.exc_info[1])


@pytest.mark.urls(THROWAWAY)
@pytest.mark.parametrize(
    ("uscc", "code"),
    [("91310000MA1FL5LX3X", "uscc.check_digit"), ("", "uscc.empty"), ("91310000", "uscc.length")],
)
def test_one_failed_kernel_check_answers_with_its_own_code(client, uscc, code):
    assert validate_uscc(GOOD_USCC) == GOOD_USCC
    response = client.post("/api/v1/checked", {"uscc": uscc}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    _shape(body)
    assert body["code"] == code
    assert body["details"]["field"] == "uscc"
    (error,) = body["details"]["errors"]
    assert error["code"] == code
    assert error["loc"] == ["body", "payload", "uscc"]
    assert body["message_zh"] == error["message_zh"]
    assert "统一社会信用代码" in body["message_zh"]


@pytest.mark.urls(THROWAWAY)
def test_a_valid_body_passes_through_normalised(client):
    response = client.post("/api/v1/checked", {"uscc": " 91310000ma1fl5lx3k "}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"uscc": GOOD_USCC}


@pytest.mark.urls(THROWAWAY)
def test_several_errors_answer_request_invalid_with_the_list(client):
    response = client.post("/api/v1/checked", {"uscc": "x", "count": 0}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    _shape(body)
    assert body["code"] == "request.invalid"
    errors = {e["field"]: e["code"] for e in body["details"]["errors"]}
    assert errors == {"uscc": "uscc.length", "count": "greater_than_equal"}


@pytest.mark.urls(THROWAWAY)
def test_a_single_plain_pydantic_error_stays_request_invalid(client):
    response = client.post("/api/v1/checked", {"uscc": GOOD_USCC, "count": 0}, content_type="application/json")
    body = response.json()
    assert (response.status_code, body["code"]) == (422, "request.invalid")
    assert body["details"]["errors"][0]["field"] == "count"


@pytest.mark.urls(THROWAWAY)
def test_a_body_that_is_not_json_is_a_json_error(client):
    response = client.post("/api/v1/checked", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    _shape(response.json())


@pytest.mark.urls(THROWAWAY)
def test_authentication_is_required_by_default(client, token_actors, db):
    response = client.post("/api/v1/things", {"n": 1, "name": "a"}, content_type="application/json")
    assert response.status_code == 401
    body = response.json()
    _shape(body)
    assert body["code"] == "auth.required"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint", "/api/v1/feed/extra/", "/api/elsewhere"])
def test_an_unknown_api_path_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    body = response.json()
    _shape(body)
    assert body["code"] == "not_found"
    assert body["details"] == {"path": path}


@pytest.mark.django_db
def test_an_unknown_page_is_an_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_checked_str_keeps_the_kernel_code_in_pydantic():
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(checked_str(validate_uscc))
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python("91310000MA1FL5LX3X")
    (error,) = caught.value.errors()
    assert error["type"] == "uscc.check_digit"
    assert error["ctx"]["message_zh"]
    assert error["ctx"]["details"]
