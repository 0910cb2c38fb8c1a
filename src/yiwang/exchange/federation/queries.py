"""Reads of the federation, restricted by the caller: the peers and their delivery state (staff, regulators,
auditors), the regional notices received from peers (everyone: they are public notices) and the organisations
registered on peer hubs and recognised here (everyone: public registration fields)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yiwang.exchange.federation.models import (
    HostedBooking,
    HostedDraw,
    Peer,
    PeerCaProposal,
    PeerDrawRequest,
    RecognisedEntity,
    RemoteNotice,
    RemoteSiteRequest,
    UplinkRecord,
)
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import NotFound, PermissionDenied

READERS = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


def may_read_peers(actor: Actor) -> bool:
    return actor.is_system or any(actor.has_role(role) for role in READERS)


def _require_reader(actor: Actor) -> None:
    if not may_read_peers(actor):
        raise PermissionDenied("federation.forbidden", "无权查看互联平台", "You may not see the peer hubs")


@dataclass(frozen=True)
class PeerView:
    code: str
    name: str
    kind: str
    wire_format: str
    base_url: str
    key_id: str
    active: bool
    registered_at: datetime
    queued: int  # messages queued for it so far (its last sequence number)
    acknowledged: int
    pending: int
    failures: int
    next_attempt_at: datetime | None
    last_error: str
    last_delivered_at: datetime | None
    received: int  # messages applied from it
    notices: int  # its live notices held here
    certified: bool = False  # a CA-issued certificate is pinned for its key (checked on every batch)
    # initial sync (首次同步): "" never · running · done; why (peered, resumed, manual); the phase it is in; items
    # looked at and messages queued so far; whether the peer has acknowledged all of them
    sync_state: str = ""
    sync_reason: str = ""
    sync_phase: str = ""
    sync_looked: int = 0
    sync_queued: int = 0
    sync_delivered: bool = False
    sync_started_at: datetime | None = None
    sync_finished_at: datetime | None = None


def _view(peer: Peer, notices: int) -> PeerView:
    return PeerView(
        code=peer.code,
        name=peer.name,
        kind=peer.kind,
        wire_format=peer.wire_format,
        base_url=peer.base_url,
        key_id=peer.key_id,
        active=peer.is_active,
        registered_at=peer.registered_at,
        queued=peer.last_queued,
        acknowledged=peer.acknowledged,
        pending=max(0, peer.last_queued - peer.acknowledged),
        failures=peer.failures,
        next_attempt_at=peer.next_attempt_at,
        last_error=peer.last_error,
        last_delivered_at=peer.last_delivered_at,
        received=peer.received,
        notices=notices,
        certified=bool(peer.certificate_pem),
        sync_state=peer.sync_state,
        sync_reason=peer.sync_reason,
        sync_phase=peer.sync_phase,
        sync_looked=peer.sync_looked,
        sync_queued=peer.sync_queued,
        sync_delivered=peer.sync_state == "done" and peer.acknowledged >= peer.sync_last_seq,
        sync_started_at=peer.sync_started_at,
        sync_finished_at=peer.sync_finished_at,
    )


def list_peers_for(actor: Actor) -> list[PeerView]:
    _require_reader(actor)
    views = []
    for peer in Peer.objects.order_by("code"):
        views.append(_view(peer, RemoteNotice.objects.filter(peer=peer, withdrawn=False).count()))
    return views


def get_peer_for(actor: Actor, code: str) -> PeerView:
    _require_reader(actor)
    peer = Peer.objects.filter(code=code).first()
    if peer is None:
        raise NotFound("federation.unknown_peer", "没有这个互联平台", "no such peer hub", {"code": code})
    return _view(peer, RemoteNotice.objects.filter(peer=peer, withdrawn=False).count())


def list_remote_notices_for(
    actor: Actor, *, peer_code: str = "", include_withdrawn: bool = False, limit: int = 50
) -> list[RemoteNotice]:
    """The newest regional notices received from peers (public: anyone may read them)."""
    rows = RemoteNotice.objects.select_related("peer")
    if peer_code:
        rows = rows.filter(peer__code=peer_code)
    if not include_withdrawn:
        rows = rows.filter(withdrawn=False)
    return list(rows.order_by("-published_at", "-pk")[: max(1, min(limit, 500))])


def get_remote_notice_for(actor: Actor, notice_id: int) -> RemoteNotice:
    notice = RemoteNotice.objects.select_related("peer").filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("federation.notice_not_found", "没有这条区域公告", "no such regional notice", {"id": notice_id})
    return notice


def list_uplink_records_for(actor: Actor, *, dataset: str = "", limit: int = 100) -> list[UplinkRecord]:
    """Records received through the national uplink, newest first (staff, regulators, auditors)."""
    _require_reader(actor)
    rows = UplinkRecord.objects.select_related("peer")
    if dataset:
        rows = rows.filter(dataset=dataset)
    return list(rows.order_by("-received_at", "-pk")[: max(1, min(limit, 1000))])


# -- registrations recognised across hubs (一地注册、区域通用) -------------------------------------------------------
STATE_LABELS = {
    "recognised": "已互认（只读副本）",
    "local": "本平台已有登记",
    "other_home": "已按其他平台登记互认",
    "refused": "未能互认",
}


@dataclass(frozen=True)
class RecognisedEntityView:
    uscc: str
    name: str
    region_code: str
    status: str
    hub_code: str  # its home hub
    hub_name: str
    home_entity_id: int
    home_version: int
    state: str  # recognised · local · other_home · refused
    state_label: str
    refusal: str
    entity_id: int | None  # the registry entity here with this USCC
    signature_verified: bool
    received_at: datetime


def _entity_view(row: RecognisedEntity) -> RecognisedEntityView:
    return RecognisedEntityView(
        uscc=row.uscc,
        name=row.name,
        region_code=row.region_code,
        status=row.status,
        hub_code=row.peer.code,
        hub_name=row.peer.name,
        home_entity_id=row.home_entity_id,
        home_version=row.home_version,
        state=row.state,
        state_label=STATE_LABELS.get(row.state, row.state),
        refusal=row.refusal,
        entity_id=row.entity_id,
        signature_verified=row.signature_verified,
        received_at=row.received_at,
    )


def list_recognised_entities_for(
    actor: Actor, *, peer_code: str = "", uscc: str = "", limit: int = 50
) -> list[RecognisedEntityView]:
    """Organisations registered on peer hubs, as recognised here, newest first (public: an organisation's
    registration fields that travel between hubs are public ones)."""
    rows = RecognisedEntity.objects.select_related("peer")
    if peer_code:
        rows = rows.filter(peer__code=peer_code.strip().upper())
    if uscc:
        rows = rows.filter(uscc=uscc.strip().upper())
    return [_entity_view(r) for r in rows.order_by("-received_at", "-pk")[: max(1, min(limit, 500))]]


def home_hub_of_entity(entity_id: int) -> RecognisedEntityView | None:
    """For another context's pages: when the registry entity ``entity_id`` is a peer hub's registration held
    here, where it is registered (hub code and name) and which version is held; otherwise None."""
    row = (
        RecognisedEntity.objects.select_related("peer")
        .filter(entity_id=entity_id, state="recognised")
        .order_by("-received_at")
        .first()
    )
    return _entity_view(row) if row else None


# -- CA trust lists shared between hubs -----------------------------------------------------------------------------
CA_STATE_LABELS = {
    "pending": "待本平台决定",
    "adopted": "已采纳（列入本平台互认名单）",
    "declined": "未采纳",
    "trusted_already": "本平台已互认",
}


def list_ca_proposals_for(actor: Actor, *, state: str = "", limit: int = 100) -> list[PeerCaProposal]:
    """CAs peer hubs put on their trust lists, proposed to this hub's list, newest first; ``attention`` marks an
    adopted CA the peer has since suspended or removed. Staff, regulators and auditors."""
    _require_reader(actor)
    rows = PeerCaProposal.objects.select_related("peer")
    if state:
        rows = rows.filter(state=state)
    return list(rows.order_by("-attention", "-received_at", "-pk")[: max(1, min(limit, 500))])


# -- remote-evaluation bookings spanning hubs -------------------------------------------------------------------------
def list_site_requests_for(actor: Actor, *, session_id: int | None = None, limit: int = 100) -> list[RemoteSiteRequest]:
    """Secondary sites asked of peer hubs and their answers, newest first. Staff, regulators and auditors."""
    _require_reader(actor)
    rows = RemoteSiteRequest.objects.select_related("peer")
    if session_id is not None:
        rows = rows.filter(session_id=session_id)
    return list(rows.order_by("-requested_at", "-pk")[: max(1, min(limit, 500))])


def hosted_booking_of(booking_id: int) -> HostedBooking | None:
    """When a venues booking here was made for a peer hub's remote evaluation: for which hub and request."""
    return HostedBooking.objects.select_related("peer").filter(booking_id=booking_id).first()


# -- cross-region expert draws ------------------------------------------------------------------------------------
def list_draw_requests_for(actor: Actor, *, project_ref: str = "", limit: int = 100) -> list[PeerDrawRequest]:
    """Draws asked of peer hubs' pools and their answers (sealed until the peer unseals), newest first. Staff,
    regulators and auditors."""
    _require_reader(actor)
    rows = PeerDrawRequest.objects.select_related("peer")
    if project_ref:
        rows = rows.filter(project_ref=project_ref)
    return list(rows.order_by("-requested_at", "-pk")[: max(1, min(limit, 500))])


def hosted_draw_of(draw_id: int) -> HostedDraw | None:
    """When an experts draw here was made for a peer hub: for which hub and request."""
    return HostedDraw.objects.select_related("peer").filter(draw_id=draw_id).first()
