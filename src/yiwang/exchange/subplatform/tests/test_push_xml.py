"""The XML adapter for legacy SOAP-style uplinks: a batch as typed XML in a SOAP envelope, signed over the batch's
canonical JSON with the JSON interface's headers, answered exactly like ``/exchange/batch``."""

from __future__ import annotations

import pytest

from yiwang.exchange.subplatform.models import Record, Refusal
from yiwang.exchange.subplatform.tests.support import counts, project, section, tender_project
from yiwang.kernel import xmlwire

pytestmark = pytest.mark.django_db
NS = "urn:yiwang:exchange:v1"


def post_xml(hub, body: bytes, headers: dict[str, str]):
    return hub.works.api.client.post(
        "/api/v1/exchange/batch.xml",
        data=body,
        content_type="application/xml",
        headers={**headers, "Authorization": f"Bearer {hub.works.token}"},
    )


def test_a_signed_xml_batch_is_stored_like_the_json_one(hub):
    batch = {
        "records": [
            {"dataset": "PROJECT", "record": project()},
            {"dataset": "TENDER_PROJECT", "record": tender_project(REGION_CODE="999999")},  # refused
            {"dataset": "TENDER_PROJECT", "record": tender_project()},
            {"dataset": "SECTION", "record": section()},
        ]
    }
    body = xmlwire.to_xml(batch, namespace=NS)
    assert body.startswith(b"<?xml")
    assert b"Envelope" in body
    response = post_xml(hub, body, hub.works.signed_headers(batch))
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["accepted"], answer["refused"]) == (3, 1)
    assert [r["outcome"] for r in answer["results"]] == ["created", "refused", "created", "created"]
    assert answer["results"][1]["errors"][0]["field"] == "REGION_CODE"
    assert Record.objects.count() == 3
    assert Refusal.objects.count() == 1
    # the same batch in JSON is the same records: unchanged
    again = hub.works.batch([(r["dataset"], r["record"]) for r in batch["records"]]).json()
    assert (again["accepted"], again["unchanged"], again["refused"]) == (0, 3, 1)


def test_an_xml_batch_whose_content_differs_from_what_was_signed_is_refused_and_stores_nothing(hub):
    batch = {"records": [{"dataset": "PROJECT", "record": project()}]}
    tampered = xmlwire.to_xml(batch, namespace=NS).replace(project()["PROJECT_NAME"].encode(), "某某项目".encode())
    before = counts()
    response = post_xml(hub, tampered, hub.works.signed_headers(batch))
    assert response.status_code == 401
    assert response.json()["code"] == "ca.signature_invalid"
    assert {k: v for k, v in counts().items() if k != "nonces"} == {k: v for k, v in before.items() if k != "nonces"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<not-closed", "not well-formed"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "DOCTYPE"),
        (b"<Envelope/>", "not a SOAP envelope"),
        (xmlwire.to_xml({"records": []}, namespace="urn:someone:else"), "no PushBatch"),
    ],
)
def test_malformed_xml_is_refused_with_its_reason_and_stores_nothing(hub, body, reason):
    before = counts()
    response = post_xml(hub, body, hub.works.signed_headers({"records": []}))
    assert response.status_code == 422
    assert response.json()["code"] == "exchange.malformed_xml"
    assert reason in response.json()["details"]["reason"]
    assert counts() == before


def test_the_typed_xml_maps_every_json_value_exactly():
    value = {"s": "标段", "i": -12, "d": 1.5, "b": True, "n": None, "a": [1, "x", {"k": False}], "o": {}}
    assert xmlwire.from_xml(xmlwire.to_xml(value, namespace=NS), namespace=NS, code="x.bad") == value
