"""The national uplink: a peer of kind ``national`` gets the national-spec dataset records the sub-platforms
pushed (public fields; never datasets with personal data) instead of notices, as JSON or as SOAP-style XML; the
national side keeps the newest version of each record. The XML adapter round-trips exactly and refuses DOCTYPEs."""

from __future__ import annotations

import json

import pytest

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.domain import xmlwire
from yiwang.exchange.federation.models import OutboundMessage, Peer, UplinkRecord
from yiwang.exchange.federation.tests.support import ANHUI, RemoteHub, counts
from yiwang.exchange.subplatform import queries as subplatform
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.actions import action
from yiwang.services.notices.tests.support import tender_notice

pytestmark = pytest.mark.django_db

RECORD = "dataset.record"


def _record_event(dataset: str, key: str, *, operation: str = "add", version: int = 1) -> None:
    """A sub-platform record event as the exchange publishes it (docs/exchange.md §6)."""
    anchor = Peer.objects.first()
    with action(Actor.system("test"), "test.push_record") as act:
        act.witness(anchor, {"dataset": dataset, "key": key})
        act.emit(
            f"exchange.{dataset.lower()}.received.v1",
            anchor,
            {
                "dataset": dataset,
                "data_no": "101",
                "key": key,
                "platform_code": "91310000900000022A",
                "operation": operation,
                "data_timestamp": "20260302085900",
                "version": version,
                "digest": "ab" * 32,
                "record": None
                if operation == "delete"
                else {"PROJECT_NAME": "七宝镇道路大修工程", "REGION_CODE": "310112"},
            },
        )


def _datasets() -> tuple[str, str]:
    infos = subplatform.list_dataset_infos()
    public = next(i.table for i in infos if not i.personal_data and not i.notice)
    personal = next(i.table for i in infos if i.personal_data)
    return public, personal


def test_the_national_peer_gets_dataset_records_and_hubs_get_notices(jiangsu, clock):
    national = RemoteHub(ANHUI, "全国公共资源交易平台（测试）", "http://127.0.0.1:18109")
    actions.do_register_peer(
        actor=Actor.system("test"),
        code=national.code,
        name=national.name,
        base_url=national.base_url,
        public_key=national.public_pem,
        kind="national",
        wire_format="xml",
    )
    public, personal = _datasets()
    _record_event(public, "E3101120001000001")
    _record_event(personal, "310101199001011234")  # personal data never leaves
    tender_notice()
    actions.collect_feed(clock.now())
    to_national = list(OutboundMessage.objects.filter(peer__code=ANHUI))
    assert [(m.message_type, m.body["dataset"], m.body["key"]) for m in to_national] == [
        (RECORD, public, "E3101120001000001")
    ]
    to_hub = list(OutboundMessage.objects.filter(peer__code=jiangsu.code).values_list("message_type", flat=True))
    assert to_hub == ["notice.published"]


def test_xml_delivery_is_a_signed_soap_envelope(clock, monkeypatch, jiangsu):
    national = RemoteHub(ANHUI, "全国公共资源交易平台（测试）", "http://127.0.0.1:18109")
    actions.do_register_peer(
        actor=Actor.system("test"),
        code=national.code,
        name=national.name,
        base_url=national.base_url,
        public_key=national.public_pem,
        kind="national",
        wire_format="xml",
    )
    public, _ = _datasets()
    _record_event(public, "E3101120001000001")
    actions.collect_feed(clock.now())
    sent = []

    def post(url, body, headers):
        sent.append((url, body, headers))
        return 200, {"acknowledged": 1, "applied": 1, "duplicates": 0, "expected": None}

    monkeypatch.setattr(actions, "_post", post)
    actions.deliver_to(ANHUI)
    ((url, body, headers),) = sent
    assert url == "http://127.0.0.1:18109/api/v1/federation/inbox.xml"
    assert headers["Content-Type"] == "application/xml"
    assert body.startswith(b"<?xml")
    assert b"Envelope" in body
    payload = xmlwire.from_xml(body)
    assert payload["messages"][0]["body"]["key"] == "E3101120001000001"


def _uplink_batch(hub: RemoteHub, *items: tuple[str, int, str]) -> dict:
    messages = []
    for key, version, operation in items:
        messages.append(
            (
                RECORD,
                {
                    "dataset": "TENDER_PROJECT",
                    "key": key,
                    "platform_code": "91320000900000011X",
                    "operation": operation,
                    "data_timestamp": f"202603020{version}0000",
                    "version": version,
                    "digest": f"{version:02d}" * 32,
                    "record": None if operation == "delete" else {"TENDER_PROJECT_NAME": f"项目{key}", "V": version},
                },
            )
        )
    return hub.batch(*messages)


def test_the_national_side_keeps_the_newest_version_over_json_and_xml(api, jiangsu):
    first = _uplink_batch(jiangsu, ("E1", 1, "add"), ("E2", 1, "add"))
    assert jiangsu.send(api, first).json()["applied"] == 2
    second = _uplink_batch(jiangsu, ("E1", 2, "update"), ("E1", 1, "add"), ("E2", 3, "delete"))
    xml = xmlwire.to_xml(second)
    answer = api.client.post(
        "/api/v1/federation/inbox.xml",
        data=xml,
        content_type="application/xml",
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in jiangsu.headers(second).items()},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"acknowledged": 5, "applied": 3, "duplicates": 0, "expected": None}
    rows = {r.record_key: r for r in UplinkRecord.objects.all()}
    assert rows["E1"].version == 2
    assert rows["E1"].record == {"TENDER_PROJECT_NAME": "项目E1", "V": 2}  # the late version 1 changed nothing
    assert rows["E2"].deleted
    assert rows["E2"].version == 3


def test_a_tampered_or_hostile_xml_batch_is_refused(api, jiangsu):
    payload = _uplink_batch(jiangsu, ("E1", 1, "add"))
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in jiangsu.headers(payload).items()}
    before = counts()
    tampered = xmlwire.to_xml(payload).replace("项目E1".encode(), "项目E9".encode())
    answer = api.client.post("/api/v1/federation/inbox.xml", data=tampered, content_type="application/xml", **headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "federation.signature_invalid"
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    for body in (hostile, b"<not-xml", b"<x/>"):
        answer = api.client.post("/api/v1/federation/inbox.xml", data=body, content_type="application/xml", **headers)
        assert answer.status_code == 422
        assert answer.json()["code"] == "federation.malformed_xml"
    jiangsu.seq = 0  # nothing was applied: the next batch starts at 1 again
    bad = _uplink_batch(jiangsu, ("E1", 1, "upsert"))
    assert jiangsu.send(api, bad).json()["code"] == "federation.malformed_message"
    assert counts() == before


def test_the_xml_mapping_round_trips_json_exactly():
    value = {"a": [1, -2, 3.5, True, False, None, "文本 <&>"], "b": {"c": {}, "d": []}, "e": ""}
    assert xmlwire.from_xml(xmlwire.to_xml(value)) == value
    assert json.dumps(xmlwire.from_xml(xmlwire.to_xml(value)), sort_keys=True) == json.dumps(value, sort_keys=True)
    with pytest.raises(InvalidInput):
        xmlwire.from_xml(xmlwire.to_xml(value).replace(b'k="e"', b""))
