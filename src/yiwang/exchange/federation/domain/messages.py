"""Federation messages between hubs (pure Python; docs/federation.md).

A hub sends its peers *batches*: ``{"from": <its PLATFORM_CODE>, "to": <the peer's>, "messages": [...]}``, each
message ``{"seq": n, "type": "...", "body": {...}}`` numbered 1, 2, 3 … per peer. The receiver applies them in
order and answers the highest sequence number it holds, so a sender simply sends everything above that number
again: delivery is at least once, the receiver drops what it already has, and a peer that was down catches up.

The batch is signed with the sender's platform key over the same API signing input a sub-platform signs
(``"yiwang-api-v1\\n" + timestamp + "\\n" + nonce + "\\n" + canonical JSON``), preceded by this module's
context label, as the platform key demands of everything it signs.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.errors import InvalidInput

SIGNING_LABEL = b"yiwang.federation.batch.v1\x00"
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
MAX_BATCH = 200  # messages per request
NOTICE_PUBLISHED = "notice.published"
NOTICE_WITHDRAWN = "notice.withdrawn"
DATASET_RECORD = "dataset.record"  # the national uplink: one record version of a national-spec dataset
ENTITY_REGISTRATION = "entity.registration"  # an organisation's registration on its home hub (一地注册、区域通用)
CA_TRUST = "ca.trust"  # a CA on the sender's trust list (CA互认名单), added or its status changed
VENUE_REQUEST = "venue.booking_request"  # book a secondary site (副场) here for a peer's remote evaluation
VENUE_ANSWER = "venue.booking_answer"  # what became of such a booking on the peer
MESSAGE_TYPES = (
    NOTICE_PUBLISHED,
    NOTICE_WITHDRAWN,
    DATASET_RECORD,
    ENTITY_REGISTRATION,
    CA_TRUST,
    VENUE_REQUEST,
    VENUE_ANSWER,
    "experts.draw_request",
    "experts.draw_answer",
    "key.rotation",
)
KEY_ROTATION = "key.rotation"  # the sender rotated its platform key: the new key, endorsed by the old one
ROTATION_LABEL = b"yiwang.federation.key_rotation.v1\x00"
ROTATION_FIELDS = {"hub", "key", "overlap_until", "certificate_pem", "proof"}
DRAW_REQUEST, DRAW_ANSWER = "experts.draw_request", "experts.draw_answer"
DRAW_ANSWERS = ("drawn", "unsealed", "refused", "cancelled")
DRAW_ANSWER_FIELDS = ("request_id", "status", "draw_id", "sealed_digest", "seats", "code", "note")
ENTITY_SIGNING_LABEL = b"yiwang.federation.entity.v1\x00"
OPERATIONS = ("add", "update", "delete")
BACKOFF_BASE_SECONDS = 2
BACKOFF_CAP_SECONDS = 600


def signed_bytes(api_signing_input: bytes) -> bytes:
    """What the platform key signs: the context label, then the API signing input."""
    return SIGNING_LABEL + api_signing_input


def backoff_seconds(failures: int, *, base: int = BACKOFF_BASE_SECONDS, cap: int = BACKOFF_CAP_SECONDS) -> int:
    """Wait before the next attempt after ``failures`` failed ones in a row: 2, 4, 8 … seconds, at most ``cap``."""
    if failures <= 0:
        return 0
    return min(cap, base * 2 ** min(failures - 1, 30))


def parse_timestamp(text: Any) -> datetime | None:
    """An RFC 3339 timestamp with an offset → aware UTC, or None."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _malformed(reason_zh: str, reason_en: str, **details: Any) -> InvalidInput:
    return InvalidInput(
        "federation.malformed_batch",
        f"互联消息格式错误：{reason_zh}",
        f"malformed federation batch: {reason_en}",
        details,
    )


@dataclass(frozen=True)
class Message:
    seq: int
    type: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class Batch:
    sender: str
    recipient: str
    messages: tuple[Message, ...]


def parse_batch(payload: Any) -> Batch:
    """Check the shape of a received batch (``federation.malformed_batch`` otherwise). The messages must be
    numbered consecutively in ascending order."""
    if not isinstance(payload, dict) or set(payload) != {"from", "to", "messages"}:
        raise _malformed('须为 {"from", "to", "messages"}', 'expected {"from", "to", "messages"}')
    sender, recipient, items = payload["from"], payload["to"], payload["messages"]
    if not isinstance(sender, str) or not isinstance(recipient, str) or not sender or not recipient:
        raise _malformed("from/to 须为交易平台标识码", "from and to are platform codes", field="from")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise _malformed(f"messages 须含 1–{MAX_BATCH} 条", f"messages holds 1-{MAX_BATCH} items", field="messages")
    messages = []
    for index, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or set(item) != {"seq", "type", "body"}
            or not isinstance(item["seq"], int)
            or isinstance(item["seq"], bool)
            or item["seq"] < 1
            or item["type"] not in MESSAGE_TYPES
            or not isinstance(item["body"], dict)
        ):
            raise _malformed(
                f"第 {index + 1} 条消息须为 {{seq, type, body}}",
                f"message {index} must be {{seq, type, body}} with a known type",
                field=f"messages.{index}",
            )
        if messages and item["seq"] != messages[-1].seq + 1:
            raise _malformed("消息序号须连续递增", "sequence numbers must be consecutive", field=f"messages.{index}")
        messages.append(Message(item["seq"], item["type"], item["body"]))
    return Batch(sender, recipient, tuple(messages))


def batch_payload(sender: str, recipient: str, messages: list[Message]) -> dict[str, Any]:
    return {
        "from": sender,
        "to": recipient,
        "messages": [{"seq": m.seq, "type": m.type, "body": dict(m.body)} for m in messages],
    }


# -- feed events → messages ------------------------------------------------------------------------------------------
NOTICE_EVENTS = ("notices.notice_published.v1", "notices.notice_withdrawn.v1")


def _absolute(home_url: str, path: Any) -> str:
    text = str(path or "")
    if text.startswith(("http://", "https://")):
        return text[:500]
    return (home_url.rstrip("/") + "/" + text.lstrip("/"))[:500] if text else home_url[:500]


def message_of_notice_event(event_type: str, data: Mapping[str, Any], *, home_url: str) -> tuple[str, dict] | None:
    """The message a notices feed event becomes (publication or correction; withdrawal), or None."""
    if event_type == "notices.notice_published.v1":
        return NOTICE_PUBLISHED, {
            "chain": f"notice:{data.get('root_id') or data.get('notice_id')}",
            "notice_id": data.get("notice_id"),
            "version": data.get("version") or 1,
            "number": str(data.get("number") or "")[:64],
            "title": str(data.get("title") or "")[:500],
            "notice_type": str(data.get("notice_type") or "")[:32],
            "category": str(data.get("category") or "")[:32],
            "region_code": str(data.get("region_code") or "")[:6],
            "published_at": str(data.get("published_at") or ""),
            "url": _absolute(home_url, data.get("url")),
        }
    if event_type == "notices.notice_withdrawn.v1":
        return NOTICE_WITHDRAWN, {
            "chain": "",
            "notice_id": data.get("notice_id"),
            "number": str(data.get("number") or "")[:64],
            "reason": str(data.get("reason") or "")[:500],
        }
    return None


def message_of_record_event(
    data: Mapping[str, Any], *, title_field: str | None, name_zh: str, home_url: str, record_id: str, occurred: str
) -> tuple[str, dict]:
    """The message a sub-platform notice record event (``exchange.<dataset>.received.v1``) becomes."""
    dataset = str(data.get("dataset") or "")
    chain = f"exchange:{dataset}:{data.get('key')}"[:200]
    if data.get("operation") == "delete":
        return NOTICE_WITHDRAWN, {"chain": chain, "notice_id": None, "number": "", "reason": "删除 deleted"}
    record = data.get("record") or {}
    title = record.get(title_field) if title_field else None
    region = str(record.get("REGION_CODE") or "")
    return NOTICE_PUBLISHED, {
        "chain": chain,
        "notice_id": None,
        "version": data.get("version") or 1,
        "number": str(data.get("key") or "")[:64],
        "title": str(title or f"{name_zh} {data.get('key')}")[:500],
        "notice_type": dataset[:32],
        "category": "",
        "region_code": region if len(region) == 6 and region.isdigit() else "",
        "published_at": occurred,
        "url": _absolute(home_url, f"/exchange/records/{record_id}/"),
    }


def check_notice_body(message: Message) -> dict[str, Any]:
    """The fields of a notice message the receiver relies on, checked (``federation.malformed_message``)."""
    body = message.body

    def bad(field: str) -> InvalidInput:
        return InvalidInput(
            "federation.malformed_message",
            f"第 {message.seq} 号消息的 {field} 不合法",
            f"message {message.seq}: {field} is not valid",
            {"seq": message.seq, "field": field},
        )

    chain = body.get("chain")
    notice_id = body.get("notice_id")
    if not isinstance(chain, str) or len(chain) > 200:
        raise bad("chain")
    if notice_id is not None and (not isinstance(notice_id, int) or isinstance(notice_id, bool)):
        raise bad("notice_id")
    if not chain and notice_id is None:
        raise bad("chain")
    if message.type == NOTICE_PUBLISHED:
        if not chain:
            raise bad("chain")
        for name, limit in (("title", 500), ("url", 500), ("number", 64), ("region_code", 6)):
            if not isinstance(body.get(name, ""), str) or len(body.get(name, "")) > limit:
                raise bad(name)
        if not body.get("title"):
            raise bad("title")
        url = body.get("url", "")
        if url and not url.startswith(("http://", "https://")):
            raise bad("url")
        version = body.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise bad("version")
    return dict(body)


def message_of_dataset_event(data: Mapping[str, Any]) -> tuple[str, dict]:
    """The uplink message of a sub-platform record event: the version as the feed published it (public fields)."""
    return DATASET_RECORD, {
        "dataset": str(data.get("dataset") or ""),
        "key": str(data.get("key") or ""),
        "platform_code": str(data.get("platform_code") or ""),
        "operation": str(data.get("operation") or ""),
        "data_timestamp": str(data.get("data_timestamp") or ""),
        "version": data.get("version") or 1,
        "digest": str(data.get("digest") or ""),
        "record": data.get("record"),
    }


def check_record_body(message: Message) -> dict[str, Any]:
    """The fields of an uplink record message, checked (``federation.malformed_message``)."""
    body = message.body

    def bad(field: str) -> InvalidInput:
        return InvalidInput(
            "federation.malformed_message",
            f"第 {message.seq} 号消息的 {field} 不合法",
            f"message {message.seq}: {field} is not valid",
            {"seq": message.seq, "field": field},
        )

    for name, limit in (("dataset", 64), ("key", 300), ("platform_code", 18), ("digest", 64)):
        value = body.get(name)
        if not isinstance(value, str) or not value or len(value) > limit:
            raise bad(name)
    if body.get("operation") not in OPERATIONS:
        raise bad("operation")
    stamp = body.get("data_timestamp")
    if not isinstance(stamp, str) or len(stamp) != 14 or not stamp.isdigit():
        raise bad("data_timestamp")
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad("version")
    record = body.get("record")
    if body["operation"] == "delete" and record is not None:
        raise bad("record")
    if body["operation"] != "delete" and not isinstance(record, dict):
        raise bad("record")
    return dict(body)


# -- entity registrations (一地注册、区域通用) ------------------------------------------------------------------------
ENTITY_EVENTS = (
    "registry.entity_registered.v1",
    "registry.entity_updated.v1",
    "registry.entity_status_changed.v1",
)
# changes of an organisation's qualifications and key personnel: its registration is sent again (with them)
ENTITY_PART_EVENTS = (
    "registry.qualification_added.v1",
    "registry.qualification_updated.v1",
    "registry.qualification_withdrawn.v1",
    "registry.personnel_added.v1",
    "registry.personnel_updated.v1",
    "registry.personnel_removed.v1",
)
ENTITY_PARTS = ("qualifications", "personnel")


def entity_signed_bytes(entity: Mapping[str, Any]) -> bytes:
    """What the home hub's platform key signs for one registration snapshot: the copy a peer keeps is signed
    on its own, independently of the batch that carried it."""
    return ENTITY_SIGNING_LABEL + canonical_json(dict(entity))


def check_entity_body(message: Message) -> dict[str, Any]:
    """The fields of an entity registration message the receiver relies on (``federation.malformed_message``):
    ``{"entity": {home_entity_id, version, uscc, kind, status, name, …}, "key_id": "sm3:…", "signature": b64}``.
    The registration's own fields are checked by the registry when it stores the copy."""
    body = message.body

    def bad(field: str) -> InvalidInput:
        return InvalidInput(
            "federation.malformed_message",
            f"第 {message.seq} 号消息的 {field} 不合法",
            f"message {message.seq}: {field} is not valid",
            {"seq": message.seq, "field": field},
        )

    if set(body) != {"entity", "key_id", "signature"}:
        raise bad("body")
    entity = body["entity"]
    if not isinstance(entity, dict):
        raise bad("entity")
    for name in ("home_entity_id", "version"):
        value = entity.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise bad(f"entity.{name}")
    for name, limit in (("uscc", 18), ("kind", 24), ("status", 12), ("name", 200)):
        value = entity.get(name)
        if not isinstance(value, str) or not value or len(value) > limit:
            raise bad(f"entity.{name}")
    key_id, signature = body["key_id"], body["signature"]
    if not isinstance(key_id, str) or not key_id or len(key_id) > 80:
        raise bad("key_id")
    if not isinstance(signature, str) or len(signature) > 1024:
        raise bad("signature")
    try:
        if not base64.b64decode(signature, validate=True):
            raise bad("signature")
    except (binascii.Error, ValueError):
        raise bad("signature") from None
    return dict(body)


# -- CA trust lists (CA互认名单) --------------------------------------------------------------------------------------
CA_EVENTS = ("ca.authority_registered.v1", "ca.authority_status_changed.v1")
CA_STATUSES = ("active", "suspended", "removed")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def check_ca_body(message: Message) -> dict[str, Any]:
    """A CA of the sender's trust list (``federation.malformed_message`` otherwise): ``{fingerprint_sha256,
    name, kind, status, version, certificate_pem, mapping, crl_policy}``. The certificate itself is checked
    when an operator adopts it (the CA context validates it then)."""
    body = message.body

    def bad(field: str) -> InvalidInput:
        return InvalidInput(
            "federation.malformed_message",
            f"第 {message.seq} 号消息的 {field} 不合法",
            f"message {message.seq}: {field} is not valid",
            {"seq": message.seq, "field": field},
        )

    if not isinstance(body.get("fingerprint_sha256"), str) or not _HEX64.match(body["fingerprint_sha256"]):
        raise bad("fingerprint_sha256")
    for name, limit in (("name", 200), ("kind", 12), ("crl_policy", 8)):
        if not isinstance(body.get(name), str) or not body[name] or len(body[name]) > limit:
            raise bad(name)
    if body.get("status") not in CA_STATUSES:
        raise bad("status")
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad("version")
    pem = body.get("certificate_pem")
    if not isinstance(pem, str) or len(pem) > 20_000 or not pem.startswith("-----BEGIN CERTIFICATE-----"):
        raise bad("certificate_pem")
    if not isinstance(body.get("mapping"), dict):
        raise bad("mapping")
    return dict(body)


# -- remote-evaluation bookings spanning hubs (远程异地评标) -----------------------------------------------------
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
VENUE_ANSWERS = ("pending", "approved", "rejected", "refused", "cancelled")
VENUE_REQUEST_FIELDS = ("request_id", "room_id", "start", "end", "seats", "owner_ref", "title")
VENUE_ANSWER_FIELDS = ("request_id", "status", "booking_id", "code", "note")


def _bad_field(message: Message, field: str) -> InvalidInput:
    return InvalidInput(
        "federation.malformed_message",
        f"第 {message.seq} 号消息的 {field} 不合法",
        f"message {message.seq}: {field} is not valid",
        {"seq": message.seq, "field": field},
    )


def check_venue_request_body(message: Message) -> dict[str, Any]:
    """``{request_id, room_id, start, end, seats, owner_ref, title}``: the room (an id on the receiving hub) and
    window of a secondary site. Whether the room takes it is the venues context's decision."""
    body = message.body
    if not isinstance(body.get("request_id"), str) or not REQUEST_ID.match(body["request_id"]):
        raise _bad_field(message, "request_id")
    for name, low in (("room_id", 1), ("seats", 1)):
        value = body.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 2**62:
            raise _bad_field(message, name)
    start, end = parse_timestamp(body.get("start")), parse_timestamp(body.get("end"))
    if start is None:
        raise _bad_field(message, "start")
    if end is None or end <= start:
        raise _bad_field(message, "end")
    for name, limit in (("owner_ref", 120), ("title", 200)):
        if not isinstance(body.get(name), str) or len(body[name]) > limit:
            raise _bad_field(message, name)
    return dict(body)


def check_venue_answer_body(message: Message) -> dict[str, Any]:
    """``{request_id, status, booking_id, code, note}``: pending (booked, awaiting the site's approval),
    approved, rejected, refused (not booked: ``code`` says why) or cancelled."""
    body = message.body
    if not isinstance(body.get("request_id"), str) or not REQUEST_ID.match(body["request_id"]):
        raise _bad_field(message, "request_id")
    if body.get("status") not in VENUE_ANSWERS:
        raise _bad_field(message, "status")
    booking = body.get("booking_id")
    if booking is not None and (not isinstance(booking, int) or isinstance(booking, bool) or booking < 1):
        raise _bad_field(message, "booking_id")
    for name, limit in (("code", 80), ("note", 300)):
        if not isinstance(body.get(name, ""), str) or len(body.get(name, "")) > limit:
            raise _bad_field(message, name)
    return dict(body)


def check_draw_request_body(message: Message) -> dict[str, Any]:
    """``{request_id, request: {…}}``: the experts context's draw request fields; the drawing hub checks them."""
    body = message.body
    if set(body) != {"request_id", "request"}:
        raise _bad_field(message, "body")
    if not isinstance(body["request_id"], str) or not REQUEST_ID.match(body["request_id"]):
        raise _bad_field(message, "request_id")
    if not isinstance(body["request"], dict):
        raise _bad_field(message, "request")
    return dict(body)


def check_draw_answer_body(message: Message) -> dict[str, Any]:
    """``{request_id, status, draw_id, sealed_digest, seats, code, note}`` of a draw made on the peer."""
    body = message.body
    if not isinstance(body.get("request_id"), str) or not REQUEST_ID.match(body["request_id"]):
        raise _bad_field(message, "request_id")
    if body.get("status") not in DRAW_ANSWERS:
        raise _bad_field(message, "status")
    draw = body.get("draw_id")
    if draw is not None and (not isinstance(draw, int) or isinstance(draw, bool) or draw < 1):
        raise _bad_field(message, "draw_id")
    if not isinstance(body.get("seats"), list) or not all(isinstance(s, dict) for s in body["seats"]):
        raise _bad_field(message, "seats")
    for name, limit in (("sealed_digest", 64), ("code", 80), ("note", 300)):
        if not isinstance(body.get(name, ""), str) or len(body.get(name, "")) > limit:
            raise _bad_field(message, name)
    return dict(body)


def chain_of(message_type: str, body: Mapping[str, Any]) -> str:
    """What a message is about, for the witness log: a notice chain, ``entity:<USCC>``, ``ca:<fingerprint>`` or
    ``<dataset>:<key>``."""
    if message_type == CA_TRUST:
        return f"ca:{body.get('fingerprint_sha256')}"
    if message_type in (VENUE_REQUEST, VENUE_ANSWER):
        return f"venue:{body.get('request_id')}"
    if message_type in (DRAW_REQUEST, DRAW_ANSWER):
        return f"draw:{body.get('request_id')}"
    if message_type == ENTITY_REGISTRATION:
        return f"entity:{(body.get('entity') or {}).get('uscc')}"
    if message_type == KEY_ROTATION:
        return f"key:{(body.get('key') or {}).get('key_id')}"
    if message_type == DATASET_RECORD:
        return f"{body.get('dataset')}:{body.get('key')}"
    return str(body.get("chain") or "")


def rotation_bytes(body: Mapping[str, Any]) -> bytes:
    """What the NEW key signs in a key-rotation notice (its proof of possession): the label, then the canonical
    JSON of the notice without the proof. The OLD key's signature is the platform key record's endorsement."""
    return ROTATION_LABEL + canonical_json({k: body[k] for k in sorted(ROTATION_FIELDS - {"proof"})})


def check_rotation_body(message: Message) -> dict[str, Any]:
    """A key-rotation notice (``federation.malformed_message`` otherwise): ``{hub, key, overlap_until,
    certificate_pem, proof}`` — ``key`` the platform keys document's record of the new key (with the old key's
    endorsement), ``overlap_until`` RFC 3339, ``certificate_pem`` "" or PEM, ``proof`` base64. The signatures
    are checked against the pinned key when the notice is applied."""
    body = message.body
    if set(body) != ROTATION_FIELDS:
        raise _bad_field(message, "body")
    if not isinstance(body["hub"], str) or not isinstance(body["key"], dict):
        raise _bad_field(message, "key")
    if parse_timestamp(body["overlap_until"]) is None:
        raise _bad_field(message, "overlap_until")
    pem = body["certificate_pem"]
    if not isinstance(pem, str) or len(pem) > 20_000 or (pem and not pem.startswith("-----BEGIN CERTIFICATE-----")):
        raise _bad_field(message, "certificate_pem")
    try:
        base64.b64decode(str(body["proof"]), validate=True)
    except (binascii.Error, ValueError):
        raise _bad_field(message, "proof") from None
    return dict(body)


def check_body(message: Message) -> dict[str, Any]:
    if message.type == KEY_ROTATION:
        return check_rotation_body(message)
    if message.type == DATASET_RECORD:
        return check_record_body(message)
    if message.type == ENTITY_REGISTRATION:
        return check_entity_body(message)
    if message.type == CA_TRUST:
        return check_ca_body(message)
    if message.type == VENUE_REQUEST:
        return check_venue_request_body(message)
    if message.type == VENUE_ANSWER:
        return check_venue_answer_body(message)
    if message.type == DRAW_REQUEST:
        return check_draw_request_body(message)
    if message.type == DRAW_ANSWER:
        return check_draw_answer_body(message)
    return check_notice_body(message)
