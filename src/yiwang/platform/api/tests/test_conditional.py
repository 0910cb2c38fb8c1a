"""ETag / If-Match: updates must name the version they change; a stale one is refused with the current ETag."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from yiwang.kernel.errors import PreconditionFailed, PreconditionRequired
from yiwang.kernel.versioning import check_version
from yiwang.platform.api.conditional import ANY, etag, if_match_version
from yiwang.platform.api.tests import throwaway


def _request(if_match: str | None):
    headers = {} if if_match is None else {"If-Match": if_match}
    return RequestFactory().patch("/x", headers=headers)


@pytest.mark.parametrize(
    ("header", "version"),
    [('"3"', 3), ('W/"3"', 3), ('  "12" ', 12), ("*", ANY), ('"0"', 0), ('"999999999999999999"', 999999999999999999)],
)
def test_if_match_names_a_version(header, version):
    assert if_match_version(_request(header)) == version


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_if_match_is_428(header):
    with pytest.raises(PreconditionRequired) as caught:
        if_match_version(_request(header))
    assert caught.value.status == 428
    assert caught.value.code == "precondition.if_match_required"


@pytest.mark.parametrize("header", ["3", '"abc"', '"3", "4"', 'w/"3"', '"-1"', '"1234567890123456789"', 'W/ "3"'])
def test_an_unparsable_if_match_is_412(header):
    with pytest.raises(PreconditionFailed) as caught:
        if_match_version(_request(header))
    assert caught.value.status == 412
    assert caught.value.code == "precondition.if_match_invalid"
    assert caught.value.details == {"if_match": header.strip()}


def test_check_version():
    check_version(4, 4)
    check_version(4, ANY)
    with pytest.raises(PreconditionFailed) as caught:
        check_version(5, 4)
    assert caught.value.code == "precondition.failed"
    assert caught.value.details == {"current_etag": '"5"', "if_match": '"4"'}
    assert etag(5) == '"5"'


# -- through the API ----------------------------------------------------------------------------------------------
@pytest.fixture
def patch(client, token_actors):
    throwaway.VERSIONS.clear()

    def send(if_match: str | None, name: str = "新名"):
        headers = {"Authorization": "Bearer public:alice"}
        if if_match is not None:
            headers["If-Match"] = if_match
        return client.patch(
            "/api/v1/things/1", json.dumps({"name": name}), content_type="application/json", headers=headers
        )

    yield send
    throwaway.VERSIONS.clear()


@pytest.mark.urls("yiwang.platform.api.tests.urls")
def test_updates_through_the_api(patch):
    missing = patch(None)
    assert (missing.status_code, missing.json()["code"]) == (428, "precondition.if_match_required")
    garbled = patch("three")
    assert (garbled.status_code, garbled.json()["code"]) == (412, "precondition.if_match_invalid")

    ok = patch('"1"')
    assert ok.status_code == 200
    assert ok["ETag"] == '"2"'
    assert ok.json()["version"] == 2
    stale = patch('"1"')
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "precondition.failed"
    assert body["details"]["current_etag"] == '"2"'
    assert patch('W/"2"').status_code == 200
    forced = patch("*")
    assert forced.status_code == 200
    assert forced["ETag"] == '"4"'
