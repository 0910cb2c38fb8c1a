"""跨区域互联（长三角）与国家平台上传 API (``/api/v1/federation``): this hub's identity, the peer registry, the
signed inbox peers deliver to, and the regional notices received. See docs/federation.md."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from yiwang.exchange.federation import actions, queries
from yiwang.exchange.federation.domain import xmlwire
from yiwang.exchange.federation.schemas import (
    CaDecisionIn,
    CaProposalOut,
    DrawRequestIn,
    DrawRequestOut,
    IdentityOut,
    PeerActiveIn,
    PeerCertificateIn,
    PeerIn,
    PeerOut,
    ReceiptOut,
    RecognisedEntityOut,
    RemoteNoticeOut,
    SiteRequestIn,
    SiteRequestOut,
    UplinkRecordOut,
)
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS

router = Router(tags=["federation 跨区域互联"])
PUBLIC = ActorAuth(required=False)

SIGNATURE_HEADERS = [
    {"in": "header", "name": name, "required": True, "schema": {"type": "string"}, "description": text}
    for name, text in (
        ("X-Yiwang-Timestamp", "签名时间 RFC 3339 / signing time, RFC 3339 with offset"),
        ("X-Yiwang-Nonce", "一次性随机串 16–128 位 [A-Za-z0-9_-] / single-use nonce"),
        ("X-Yiwang-Key-Id", "发送方平台签名公钥标识 sm3:… / the sender's platform key id"),
        ("X-Yiwang-Signature", "签名（base64）/ signature over the federation signing input"),
    )
]


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except RequestDataTooBig:
        raise InvalidInput(
            "federation.body_too_large", "请求体过大", "the request body is too large", {"field": "body"}
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "federation.malformed_batch",
            "请求体不是合法的 JSON",
            "the request body is not valid JSON",
            {"field": "body"},
        ) from None


def _xml_body(request: HttpRequest) -> Any:
    try:
        return xmlwire.from_xml(request.body)
    except RequestDataTooBig:
        raise InvalidInput(
            "federation.body_too_large", "请求体过大", "the request body is too large", {"field": "body"}
        ) from None


def _signed(request: HttpRequest) -> actions.SignedBatch | None:
    values = [request.headers.get(f"X-Yiwang-{n}", "") for n in ("Timestamp", "Nonce", "Key-Id", "Signature")]
    rotation = request.headers.get(actions.ROTATION_HEADER, "")[:100_000]
    return actions.SignedBatch(*values, rotation=rotation) if any(values) else None


def _peer_out(view: queries.PeerView) -> dict[str, Any]:
    return dict(view.__dict__)


@router.get("/identity", auth=PUBLIC, response={200: IdentityOut, **ERRORS})
def identity(request: HttpRequest):
    """This hub as its peers register it: PLATFORM_CODE, name, address and platform public key."""
    return actions.own_identity()


@router.get("/peers", response={200: list[PeerOut], **ERRORS})
def list_peers(request: HttpRequest):
    """The peer hubs with their delivery state (queued, acknowledged, failures, next attempt). Staff,
    regulators and auditors."""
    return [_peer_out(v) for v in queries.list_peers_for(actor_of(request))]


@creates(router, "/peers", response={201: PeerOut, **CREATE_ERRORS})
def register_peer(request: HttpRequest, data: PeerIn):
    """Register a peer hub (staff administrators). Refusals: ``federation.peer_exists`` (409),
    ``federation.self_peer``, ``federation.bad_url``, ``federation.key_malformed``, ``registry``/``ids`` USCC
    codes (422), ``federation.forbidden`` (403)."""
    actor = actor_of(request)
    peer = actions.do_register_peer(
        actor=actor,
        code=data.code,
        name=data.name,
        base_url=data.base_url,
        public_key=data.public_key,
        kind=data.kind,
        wire_format=data.wire_format,
    )
    return Status(201, _peer_out(queries.get_peer_for(actor, peer.code)))


@acts(router, "/peers/{code}/active", response={200: PeerOut, **CREATE_ERRORS})
def set_peer_active(request: HttpRequest, code: str, data: PeerActiveIn):
    """Suspend (``false``) or resume (``true``) a peer. Staff administrators."""
    actor = actor_of(request)
    actions.do_set_peer_active(actor=actor, code=code, active=data.active)
    return _peer_out(queries.get_peer_for(actor, code))


@acts(
    router,
    "/inbox",
    auth=PUBLIC,
    response={200: ReceiptOut, **CREATE_ERRORS},
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "parameters": SIGNATURE_HEADERS,
    },
)
def inbox(request: HttpRequest):
    """A peer delivers a signed batch ``{"from", "to", "messages": [{"seq", "type", "body"}, …]}``. The answer
    gives ``acknowledged``, the highest sequence number this hub holds from that peer (duplicates change
    nothing). Refusals: ``federation.malformed_batch``, ``federation.wrong_recipient`` (422),
    ``federation.unknown_peer`` (403), ``federation.unsigned``, ``federation.signature_malformed``,
    ``federation.key_not_registered``, ``federation.signature_invalid``, ``federation.timestamp_out_of_window``
    (401), ``federation.replayed`` (409)."""
    receipt = actions.receive(payload=_json_body(request), signed=_signed(request))
    return dict(receipt.__dict__)


@acts(
    router,
    "/inbox.xml",
    auth=PUBLIC,
    response={200: ReceiptOut, **CREATE_ERRORS},
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}},
        "parameters": SIGNATURE_HEADERS,
    },
)
def inbox_xml(request: HttpRequest):
    """The XML adapter for legacy SOAP-style uplinks: the same batch as ``/inbox`` in a SOAP envelope (typed XML,
    docs/federation.md), signed over the batch's canonical JSON with the same headers. Also
    ``federation.malformed_xml`` (422; DOCTYPE and entity declarations are refused)."""
    receipt = actions.receive(payload=_xml_body(request), signed=_signed(request))
    return dict(receipt.__dict__)


class RecordQuery(Schema):
    dataset: str = ""
    limit: int = 100


@router.get("/records", response={200: list[UplinkRecordOut], **ERRORS})
def list_records(request: HttpRequest, filters: Query[RecordQuery]):
    """National-spec records received through the national uplink (on the hub that plays the national
    platform). Staff, regulators and auditors."""
    rows = queries.list_uplink_records_for(actor_of(request), dataset=filters.dataset, limit=filters.limit)
    return [
        {
            "hub_code": r.peer.code,
            "dataset": r.dataset,
            "key": r.record_key,
            "platform_code": r.platform_code,
            "version": r.version,
            "data_timestamp": r.data_timestamp,
            "digest": r.digest,
            "deleted": r.deleted,
            "record": r.record,
            "received_at": r.received_at,
        }
        for r in rows
    ]


class NoticeQuery(Schema):
    peer: str = ""
    limit: int = 50


@router.get("/notices", auth=PUBLIC, response={200: list[RemoteNoticeOut], **ERRORS})
def list_notices(request: HttpRequest, filters: Query[NoticeQuery]):
    """The newest regional notices received from peer hubs (public)."""
    rows = queries.list_remote_notices_for(actor_of(request), peer_code=filters.peer, limit=filters.limit)
    return [
        {
            "id": n.pk,
            "hub_code": n.peer.code,
            "hub_name": n.peer.name,
            "chain": n.chain,
            "version": n.version,
            "number": n.number,
            "title": n.title,
            "notice_type": n.notice_type,
            "category": n.category,
            "region_code": n.region_code,
            "url": n.url,
            "published_at": n.published_at,
            "received_at": n.received_at,
            "withdrawn": n.withdrawn,
        }
        for n in rows
    ]


class EntityQuery(Schema):
    peer: str = ""
    uscc: str = ""
    limit: int = 50


@router.get("/entities", auth=PUBLIC, response={200: list[RecognisedEntityOut], **ERRORS})
def list_entities(request: HttpRequest, filters: Query[EntityQuery]):
    """Organisations registered on peer hubs and recognised here (一地注册、区域通用), newest first (public)."""
    rows = queries.list_recognised_entities_for(
        actor_of(request), peer_code=filters.peer, uscc=filters.uscc, limit=filters.limit
    )
    return [dict(v.__dict__) for v in rows]


def _proposal_out(row) -> dict[str, Any]:
    return {
        "id": row.pk,
        "hub_code": row.peer.code,
        "hub_name": row.peer.name,
        "fingerprint_sha256": row.fingerprint_sha256,
        "name": row.name,
        "kind": row.kind,
        "home_status": row.home_status,
        "home_version": row.home_version,
        "state": row.state,
        "state_label": queries.CA_STATE_LABELS.get(row.state, row.state),
        "attention": row.attention,
        "ca_id": row.ca_id,
        "decided_at": row.decided_at,
        "decision_note": row.decision_note,
        "received_at": row.received_at,
    }


class ProposalQuery(Schema):
    state: str = ""
    limit: int = 100


@router.get("/ca-proposals", response={200: list[CaProposalOut], **ERRORS})
def list_ca_proposals(request: HttpRequest, filters: Query[ProposalQuery]):
    """CAs that peer hubs put on their trust lists, proposed to this hub's CA互认名单 (never trusted before a
    trust administrator adopts them). Staff, regulators and auditors."""
    rows = queries.list_ca_proposals_for(actor_of(request), state=filters.state, limit=filters.limit)
    return [_proposal_out(r) for r in rows]


@acts(router, "/ca-proposals/{proposal_id}/decision", response={200: CaProposalOut, **CREATE_ERRORS})
def decide_ca_proposal(request: HttpRequest, proposal_id: int, data: CaDecisionIn):
    """Adopt (the CA goes on this hub's trust list, its origin noted) or decline a proposed CA. Trust
    administrators. Refusals: ``federation.forbidden`` (403), ``federation.ca_proposal_not_found`` (404),
    ``federation.ca_proposal_decided``, ``federation.ca_not_active_at_home``, ``ca.duplicate`` (409), the CA
    context's certificate codes (422)."""
    row = actions.do_decide_ca_proposal(
        actor=actor_of(request), proposal_id=proposal_id, adopt=data.adopt, note=data.note
    )
    return _proposal_out(row)


def _site_request_out(row) -> dict[str, Any]:
    return {
        "request_id": row.request_id,
        "hub_code": row.peer.code,
        "hub_name": row.peer.name,
        "session_id": row.session_id,
        "owner_ref": row.owner_ref,
        "room_id": row.room_id,
        "start": row.start,
        "end": row.end,
        "seats": row.seats,
        "title": row.title,
        "state": row.state,
        "booking_id": row.booking_id,
        "answer_code": row.answer_code,
        "answer_note": row.answer_note,
        "requested_at": row.requested_at,
        "answered_at": row.answered_at,
    }


@creates(router, "/site-requests", response={201: SiteRequestOut, **CREATE_ERRORS})
def request_remote_site(request: HttpRequest, data: SiteRequestIn):
    """Ask a peer hub for a secondary site (副场) of a remote evaluation (远程异地评标): the peer books its room
    (pending its staff's approval) and answers by signed message. Trading-centre staff. Refusals:
    ``federation.forbidden`` (403), ``federation.unknown_peer`` (404), ``federation.bad_site_request`` (422)."""
    row = actions.do_request_remote_site(
        actor=actor_of(request),
        peer_code=data.peer_code,
        room_id=data.room_id,
        start=data.start,
        end=data.end,
        seats=data.seats,
        owner_ref=data.owner_ref,
        title=data.title,
        session_id=data.session_id,
    )
    return Status(201, _site_request_out(row))


class SiteRequestQuery(Schema):
    session_id: int | None = None
    limit: int = 100


@router.get("/site-requests", response={200: list[SiteRequestOut], **ERRORS})
def list_site_requests(request: HttpRequest, filters: Query[SiteRequestQuery]):
    """Secondary sites asked of peer hubs and what they answered. Staff, regulators and auditors."""
    rows = queries.list_site_requests_for(actor_of(request), session_id=filters.session_id, limit=filters.limit)
    return [_site_request_out(r) for r in rows]


def _draw_request_out(row) -> dict[str, Any]:
    return {
        "request_id": row.request_id,
        "hub_code": row.peer.code,
        "hub_name": row.peer.name,
        "project_ref": row.project_ref,
        "state": row.state,
        "draw_id": row.draw_id,
        "sealed_digest": row.sealed_digest,
        "seats": row.seats,
        "answer_code": row.answer_code,
        "requested_at": row.requested_at,
        "answered_at": row.answered_at,
    }


@creates(router, "/draw-requests", response={201: DrawRequestOut, **CREATE_ERRORS})
def request_peer_draw(request: HttpRequest, data: DrawRequestIn):
    """Ask a peer hub to draw experts from its pool (跨区域抽取): it draws with its own rules and seed and answers
    sealed; names follow at the meeting. Staff over the project's region. Refusals: ``federation.forbidden`` (403),
    ``federation.unknown_peer`` (404), ``federation.bad_draw_request`` (422)."""
    row = actions.do_request_peer_draw(actor=actor_of(request), peer_code=data.peer_code, data=data.request)
    return Status(201, _draw_request_out(row))


class DrawRequestQuery(Schema):
    project_ref: str = ""
    limit: int = 100


@router.get("/draw-requests", response={200: list[DrawRequestOut], **ERRORS})
def list_draw_requests(request: HttpRequest, filters: Query[DrawRequestQuery]):
    """Draws asked of peer hubs and their (sealed) answers. Staff, regulators and auditors."""
    rows = queries.list_draw_requests_for(actor_of(request), project_ref=filters.project_ref, limit=filters.limit)
    return [_draw_request_out(r) for r in rows]


@acts(router, "/peers/{code}/certificate", response={200: PeerOut, **CREATE_ERRORS})
def set_peer_certificate(request: HttpRequest, code: str, data: PeerCertificateIn):
    """Pin a CA-issued certificate for a peer's platform key (certificate-based peer authentication; empty to
    remove). Staff administrators. Refusals: ``federation.certificate_malformed``,
    ``federation.certificate_refused``, ``federation.certificate_wrong_subject`` (422), ``federation.forbidden``
    (403), ``federation.unknown_peer`` (404)."""
    actor = actor_of(request)
    actions.do_set_peer_certificate(actor=actor, code=code, certificate=data.certificate)
    return _peer_out(queries.get_peer_for(actor, code.strip().upper()))
