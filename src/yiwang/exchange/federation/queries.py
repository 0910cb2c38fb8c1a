"""Reads of the federation, restricted by the caller: the peers and their delivery state (staff, regulators,
auditors), and the regional notices received from peers (everyone: they are public notices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yiwang.exchange.federation.models import Peer, RemoteNotice, UplinkRecord
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
