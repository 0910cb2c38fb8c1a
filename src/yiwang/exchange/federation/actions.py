"""The doors to the federation's state: registering peer hubs, queueing messages for them from the local feed,
delivering them (at least once, in order, with backoff), and receiving a peer's signed batches (idempotent).

See docs/federation.md. Peers authenticate with their platform keys (platform/keys): a peer is registered with
its public key (``GET /api/v1/federation/identity`` of that hub), every batch is signed with the sender's key
over the sub-platform API signing input (identity.ca's ``api_signing_input``: timestamp + nonce + canonical
JSON) behind the federation's context label; the receiver checks the key, the signature, the timestamp window
and the nonce, then applies the messages it does not hold yet, in order.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from yiwang.exchange.federation.domain import messages as rules
from yiwang.exchange.federation.domain import xmlwire
from yiwang.exchange.federation.domain.messages import Batch, Message
from yiwang.exchange.federation.models import (
    FeedCursor,
    HostedBooking,
    HostedDraw,
    InboundMessage,
    OutboundMessage,
    Peer,
    PeerCaProposal,
    PeerDrawRequest,
    RecognisedEntity,
    RemoteNotice,
    RemoteSiteRequest,
    SeenNonce,
    UplinkRecord,
)
from yiwang.exchange.federation.search import KIND, indexed, notice_document
from yiwang.exchange.subplatform import queries as subplatform
from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca import queries as ca
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.crypto import load_public_key, verify_signature
from yiwang.kernel.crypto.errors import CryptoError
from yiwang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, YiwangError
from yiwang.kernel.ids import region_covers, validate_uscc
from yiwang.platform import keys
from yiwang.platform.actions import action
from yiwang.platform.clock import now
from yiwang.platform.db import locked_singleton
from yiwang.platform.keys.document import KeyRecord, endorsement_bytes
from yiwang.platform.outbox import feed
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.search.index import index_document, remove_document
from yiwang.registry import actions as registry_actions
from yiwang.registry import queries as registry
from yiwang.services.experts import actions as experts
from yiwang.services.experts import queries as experts_queries
from yiwang.services.venues import actions as venues

log = logging.getLogger(__name__)

INBOX_PATH = "/api/v1/federation/inbox"
FEED_PAGE = 500
DELIVERY_TIMEOUT_SECONDS = 10.0
WINDOW_DEFAULT_SECONDS = 300
ALGORITHMS = {"sm2": "sm2-sm3", "ec-p256": "ecdsa-p256-sha256"}
SYSTEM = Actor.system("federation")


# -- who we are ------------------------------------------------------------------------------------------------------
def own_code() -> str:
    return str(getattr(settings, "YIWANG_PLATFORM_CODE", "")).upper()


def own_identity() -> dict[str, Any]:
    """This hub as a peer registers it: code, name, address, key id and public key (PEM)."""
    signer = keys.platform_signer()
    return {
        "code": own_code(),
        "name": getattr(settings, "YIWANG_PLATFORM_NAME", ""),
        "base_url": getattr(settings, "YIWANG_PUBLIC_URL", ""),
        "key_id": signer.public_key.key_id,
        "algorithm": signer.algorithm,
        "public_key_pem": signer.public_key.to_pem().decode("ascii"),
        "certificate_pem": own_certificate(),
    }


def own_certificate() -> str:
    """This hub's CA-issued certificate for its platform key (PEM), published in its identity file and sent with
    a key rotation: the file ``YIWANG_FEDERATION["CERTIFICATE_FILE"]`` names ("" when none is configured or it
    cannot be read)."""
    name = str(_config().get("CERTIFICATE_FILE") or "")
    if not name:
        return ""
    try:
        with open(name, encoding="ascii") as handle:
            text = handle.read().strip()
    except (OSError, ValueError):
        log.warning("federation: cannot read the certificate file %s", name)
        return ""
    return text if text.startswith("-----BEGIN CERTIFICATE-----") else ""


def _config() -> dict[str, Any]:
    return dict(getattr(settings, "YIWANG_FEDERATION", None) or {})


def _backoff_cap() -> int:
    """The longest wait between two attempts (``YIWANG_FEDERATION["BACKOFF_CAP_SECONDS"]``, default 600)."""
    return int(_config().get("BACKOFF_CAP_SECONDS", rules.BACKOFF_CAP_SECONDS))


def _timeout() -> float:
    """Seconds to wait for a peer's answer (``YIWANG_FEDERATION["TIMEOUT_SECONDS"]``, default 10)."""
    return float(_config().get("TIMEOUT_SECONDS", DELIVERY_TIMEOUT_SECONDS))


def _window() -> timedelta:
    seconds = getattr(settings, "YIWANG_CA_SIGNATURE_WINDOW_SECONDS", WINDOW_DEFAULT_SECONDS)
    return timedelta(seconds=int(seconds))


def _algorithm_of(public_key: Any) -> str:
    name = type(public_key).__name__
    if name.startswith("Sm2"):
        return "sm2-sm3"
    if name.startswith("EcP256"):
        return "ecdsa-p256-sha256"
    if name.startswith("Rsa"):
        return "rsa-pss-sha256"
    raise InvalidInput("federation.key_unsupported", "不支持的公钥类型", "unsupported public key type")


# -- registering peers -------------------------------------------------------------------------------------------------
def may_manage(actor: Actor) -> bool:
    """Staff administrators over the platform's region (and the system) manage the peers."""
    if actor.is_system:
        return True
    region = str(getattr(settings, "YIWANG_PLATFORM_REGION", "310000"))
    return any(g.role is Role.STAFF and g.admin and g.region and region_covers(g.region, region) for g in actor.grants)


def _forbidden() -> PermissionDenied:
    return PermissionDenied("federation.forbidden", "无权管理互联平台", "You may not manage peer hubs")


def _bad(code: str, zh: str, en: str, field: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, zh, en, {"field": field, **details})


def _check_base_url(base_url: str) -> str:
    url = (base_url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or len(url) > 300:
        raise _bad(
            "federation.bad_url",
            "地址须为 http(s)://主机[:端口][/路径]",
            "the address must be http(s)://host[:port][/path]",
            "base_url",
        )
    return url


def _load_key(public_key: str) -> Any:
    try:
        key = load_public_key(public_key.encode() if isinstance(public_key, str) else public_key)
        _algorithm_of(key)
    except (CryptoError, ValueError, TypeError, InvalidInput):
        raise _bad(
            "federation.key_malformed",
            "公钥须为 PEM 格式的 SM2、P-256 或 RSA 公钥",
            "the public key must be an SM2, P-256 or RSA public key in PEM",
            "public_key",
        ) from None
    return key


PEER_KINDS = ("hub", "national")
WIRE_FORMATS = ("json", "xml")


def do_register_peer(
    *,
    actor: Actor,
    code: str,
    name: str,
    base_url: str,
    public_key: str,
    kind: str = "hub",
    wire_format: str = "json",
) -> Peer:
    """Register another hub (its PLATFORM_CODE, name, address and platform public key). Staff administrators.
    ``kind="national"`` makes it the national uplink: it gets the national-spec dataset records instead of
    notices; ``wire_format="xml"`` sends it SOAP-style XML instead of JSON."""
    if not may_manage(actor):
        raise _forbidden()
    if kind not in PEER_KINDS:
        raise _bad("federation.bad_kind", "类型须为 hub 或 national", "kind is hub or national", "kind")
    if wire_format not in WIRE_FORMATS:
        raise _bad("federation.bad_format", "报文格式须为 json 或 xml", "wire_format is json or xml", "wire_format")
    code = validate_uscc(code)
    if code == own_code():
        raise _bad("federation.self_peer", "不能把本平台登记为互联平台", "this hub cannot be its own peer", "code")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise _bad("federation.bad_name", "名称须为 1–200 字", "the name is 1-200 characters", "name")
    url = _check_base_url(base_url)
    key = _load_key(public_key)
    with action(actor, "federation.register_peer") as act:
        locked_singleton(FeedCursor)  # the relay's lock: the initial sync starts where the relay stands
        if Peer.objects.filter(code=code).exists():
            raise Conflict(
                "federation.peer_exists",
                f"互联平台 {code} 已登记",
                f"peer {code} is already registered",
                {"field": "code"},
            )
        peer = Peer.objects.create(
            code=code,
            name=name,
            base_url=url,
            public_key_pem=key.to_pem().decode("ascii"),
            key_id=key.key_id,
            kind=kind,
            wire_format=wire_format,
            registered_at=act.now,
            registered_by=actor.ref,
        )
        if kind == "hub":
            _begin_sync(peer, "peered", act.now)
            peer.save()
        act.witness(
            peer,
            {
                "code": code,
                "name": name,
                "base_url": url,
                "key_id": key.key_id,
                "kind": kind,
                "format": wire_format,
                "sync": peer.sync_reason,
            },
        )
        act.emit("federation.peer_registered.v1", peer, {"code": code, "name": name, "kind": kind})
        return peer


def _managed_peer(actor: Actor, code: str) -> Peer:
    if not may_manage(actor):
        raise _forbidden()
    peer = Peer.objects.select_for_update().filter(code=code).first()
    if peer is None:
        raise NotFound("federation.unknown_peer", "没有这个互联平台", "no such peer hub", {"code": code})
    return peer


def do_set_peer_active(*, actor: Actor, code: str, active: bool) -> Peer:
    """Suspend or resume a peer: a suspended peer gets no new messages and its batches are refused."""
    with action(actor, "federation.set_peer_active") as act:
        locked_singleton(FeedCursor)  # the relay's lock before the peer's row, in the relay's order
        peer = _managed_peer(actor, code)
        resumed = active and not peer.is_active and peer.kind == "hub"
        peer.is_active = active
        if active:
            peer.next_attempt_at = None
        if resumed:  # what happened while it was suspended was not queued for it: sync it again
            _begin_sync(peer, "resumed", act.now)
        peer.save()
        act.witness(peer, {"code": code, "active": active, "sync": "resumed" if resumed else ""})
        act.emit("federation.peer_status_changed.v1", peer, {"code": code, "active": active})
        return peer


def do_replace_peer_key(*, actor: Actor, code: str, public_key: str) -> Peer:
    """Pin a peer's new platform key (after it rotated its key)."""
    key = _load_key(public_key)
    with action(actor, "federation.replace_peer_key") as act:
        peer = _managed_peer(actor, code)
        previous = peer.key_id
        peer.public_key_pem, peer.key_id = key.to_pem().decode("ascii"), key.key_id
        peer.save(update_fields=["public_key_pem", "key_id"])
        act.witness(peer, {"code": code, "key_id": key.key_id, "previous_key_id": previous})
        return peer


def _require_certificates() -> bool:
    """``YIWANG_FEDERATION["REQUIRE_CERTIFICATE"]`` (default false): refuse batches of peers without one."""
    return bool(_config().get("REQUIRE_CERTIFICATE", False))


def _probe_certificate(pem: str, code: str) -> str:
    """Check a peer's platform certificate as far as can be done without a signature by it: it parses, chains to
    an active CA of this hub's trust list, is valid now and unrevoked, and names the peer's PLATFORM_CODE as its
    subject (the CA's subject mapping). Returns its SHA-256 fingerprint."""
    text = (pem or "").strip()
    if not text.startswith("-----BEGIN CERTIFICATE-----") or len(text) > 20_000:
        raise _bad(
            "federation.certificate_malformed", "证书须为 PEM 格式", "the certificate must be PEM", "certificate"
        )
    # every check before the signature's: a dummy signature stops at ca.signature_invalid when they all passed
    check = ca.verify_signed(b"yiwang.federation.probe", b"\x00", text, require_binding=False)
    if check.reason != "ca.signature_invalid":
        raise InvalidInput(
            "federation.certificate_refused",
            f"证书未通过本平台CA互认名单的校验（{check.reason}）",
            f"the certificate does not pass this hub's CA trust list ({check.reason})",
            {"field": "certificate", "reason": check.reason, **{k: str(v)[:200] for k, v in check.details.items()}},
        )
    if (check.uscc or "") != code:
        raise InvalidInput(
            "federation.certificate_wrong_subject",
            "证书主体不是该互联平台（须为其交易平台标识码）",
            "the certificate's subject is not this peer's PLATFORM_CODE",
            {"field": "certificate", "subject": check.uscc or check.person or ""},
        )
    return check.fingerprint


def do_set_peer_certificate(*, actor: Actor, code: str, certificate: str) -> Peer:
    """Pin a CA-issued certificate for a peer's platform key (staff administrators): from then on every batch of
    the peer must also verify under that certificate, chained to this hub's CA trust list, valid and unrevoked at
    receipt, with the peer's PLATFORM_CODE as subject. An empty ``certificate`` removes it. Refusals:
    ``federation.certificate_malformed``, ``federation.certificate_refused`` (with the CA context's reason),
    ``federation.certificate_wrong_subject`` (422), ``federation.forbidden`` (403), ``federation.unknown_peer``
    (404). That the certificate is for the pinned key shows with the peer's next batch (both must verify it)."""
    pem = (certificate or "").strip()
    fingerprint = _probe_certificate(pem, code.strip().upper()) if pem else ""
    with action(actor, "federation.set_peer_certificate") as act:
        peer = _managed_peer(actor, code.strip().upper())
        peer.certificate_pem = pem
        peer.save(update_fields=["certificate_pem"])
        act.witness(peer, {"code": peer.code, "certificate_sha256": fingerprint})
        act.emit("federation.peer_certificate_set.v1", peer, {"code": peer.code, "certificate_sha256": fingerprint})
        return peer


# -- the sending side: feed → outbox per peer -------------------------------------------------------------------------
def _record_datasets() -> dict[str, Any]:
    """The feed types of the national datasets that leave the hub (never those with personal data)."""
    return {info.feed_type: info for info in subplatform.list_dataset_infos() if not info.personal_data}


def _entity_message(entity_id: int) -> tuple[str, dict] | None:
    """The registration of an organisation registered here, signed with this hub's platform key (peers keep
    the signed snapshot as their copy). The snapshot is read when the message is queued: it carries the
    entity's version then, so a peer drops an older one arriving after a newer one."""
    snapshot = registry.entity_registration_snapshot(entity_id)
    if snapshot is None:
        return None
    snapshot = {**snapshot, **registry.entity_parts_snapshot(entity_id)}  # 资质 and key personnel (masked)
    signer = keys.platform_signer()
    signature = signer.sign(rules.entity_signed_bytes(snapshot))
    return rules.ENTITY_REGISTRATION, {
        "entity": snapshot,
        "key_id": signer.public_key.key_id,
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def _ca_message(ca_id: int) -> tuple[str, dict] | None:
    """A CA of this hub's trust list as it stands when the message is queued (its version orders the peer's
    copies)."""
    try:
        view = ca.get_ca(ca_id)
    except YiwangError:
        return None
    return rules.CA_TRUST, {
        "fingerprint_sha256": view.fingerprint_sha256,
        "name": view.name[:200],
        "kind": view.kind,
        "status": view.status,
        "version": view.version,
        "certificate_pem": view.certificate_pem,
        "mapping": dict(view.mapping or {}),
        "crl_policy": view.crl_policy,
    }


def _message_of(event: Any, datasets: dict[str, Any], home_url: str, kind: str) -> tuple[str, dict] | None:
    """What an event becomes for a peer of ``kind``: notices, registrations and trust-list changes for hubs,
    dataset records for the national uplink; a rotation of this hub's platform key for every peer."""
    if event.event_type == KEY_ROTATED:
        return _rotation_message(event)
    if event.event_type in rules.CA_EVENTS:
        if kind != "hub" or not str(event.object_id).isdigit():
            return None
        return _ca_message(int(event.object_id))
    if event.event_type in rules.ENTITY_PART_EVENTS:
        # restricted when about personnel; what is sent is the public snapshot (numbers masked), never the event
        entity_id = (event.data or {}).get("entity_id")
        if kind != "hub" or not isinstance(entity_id, int):
            return None
        return _entity_message(entity_id)
    if event.event_type in rules.ENTITY_EVENTS:
        if event.visibility != "public" or kind != "hub" or not str(event.object_id).isdigit():
            return None
        return _entity_message(int(event.object_id))
    if event.event_type in rules.NOTICE_EVENTS:
        if event.visibility != "public" or kind != "hub":
            return None
        return rules.message_of_notice_event(event.event_type, event.data, home_url=home_url)
    info = datasets.get(event.event_type)
    if info is None or event.visibility != "public":
        return None
    if kind == "national":
        return rules.message_of_dataset_event(event.data)
    if not info.notice:
        return None
    return rules.message_of_record_event(
        event.data,
        title_field=info.title_field,
        name_zh=info.name_zh,
        home_url=home_url,
        record_id=event.object_id,
        occurred=iso_utc(event.occurred_at),
    )


# -- messages for one peer only (remote-evaluation bookings) --------------------------------------------------------
SITE_REQUESTED = "federation.remote_site_requested.v1"  # here: a secondary site asked of a peer
SITE_HOSTED = "federation.remote_site_hosted.v1"  # here: a peer's secondary site booked (or refused)
VENUE_DECISIONS = ("venues.booking_approved.v1", "venues.booking_rejected.v1", "venues.booking_cancelled.v1")
DRAW_REQUESTED = "federation.peer_draw_requested.v1"  # here: a draw asked of a peer's pool
DRAW_HOSTED = "federation.peer_draw_hosted.v1"  # here: a draw made (or refused) for a peer
DRAW_LATER = ("experts.draw_unsealed.v1", "experts.draw_cancelled.v1")
TARGETED_EVENTS = (SITE_REQUESTED, SITE_HOSTED, *VENUE_DECISIONS, DRAW_REQUESTED, DRAW_HOSTED, *DRAW_LATER)
HOSTED_OWNER_PREFIX = "hub:"  # owner_ref of a booking made here for a peer: hub:<its code>:<request id>


def _targeted_message(event: Any) -> tuple[str, str, dict] | None:
    """``(peer code, type, body)`` of an event meant for one peer: a secondary-site request to the hub asked, and
    the answers about a booking made here for a peer (booked or refused, then approved, rejected, cancelled)."""
    data = event.data or {}
    if event.event_type == SITE_REQUESTED:
        return data["peer"], rules.VENUE_REQUEST, {k: data[k] for k in rules.VENUE_REQUEST_FIELDS}
    if event.event_type == SITE_HOSTED:
        return data["peer"], rules.VENUE_ANSWER, {k: data[k] for k in rules.VENUE_ANSWER_FIELDS}
    if event.event_type == DRAW_REQUESTED:
        return data["peer"], rules.DRAW_REQUEST, {"request_id": data["request_id"], "request": data["request"]}
    if event.event_type == DRAW_HOSTED:
        return data["peer"], rules.DRAW_ANSWER, {k: data[k] for k in rules.DRAW_ANSWER_FIELDS}
    if event.event_type in DRAW_LATER:
        hosted_draw = HostedDraw.objects.select_related("peer").filter(draw_id=data.get("draw_id")).first()
        if hosted_draw is None:
            return None
        status = "unsealed" if event.event_type == "experts.draw_unsealed.v1" else "cancelled"
        return hosted_draw.peer.code, rules.DRAW_ANSWER, _draw_answer(hosted_draw, status)
    if event.event_type in VENUE_DECISIONS and str(data.get("owner_ref", "")).startswith(HOSTED_OWNER_PREFIX):
        hosted = HostedBooking.objects.select_related("peer").filter(booking_id=data.get("booking_id")).first()
        if hosted is None:
            return None
        status = {"venues.booking_approved.v1": "approved", "venues.booking_rejected.v1": "rejected"}.get(
            event.event_type, "cancelled"
        )
        return (
            hosted.peer.code,
            rules.VENUE_ANSWER,
            {
                "request_id": hosted.request_id,
                "status": status,
                "booking_id": hosted.booking_id,
                "code": "",
                "note": "",
            },
        )
    return None


def collect_feed(moment: datetime | None = None) -> int:
    """Due job: turn new local feed events (published, corrected and withdrawn notices; notices pushed by
    sub-platforms) into messages for every active peer. Returns the number of messages queued."""
    datasets = _record_datasets()
    types = [
        *rules.NOTICE_EVENTS,
        *rules.ENTITY_EVENTS,
        *rules.ENTITY_PART_EVENTS,
        *rules.CA_EVENTS,
        *TARGETED_EVENTS,
        KEY_ROTATED,
        *datasets,
    ]
    home_url = str(getattr(settings, "YIWANG_PUBLIC_URL", ""))
    queued = 0
    for _page in range(20):  # bounded: at most 20 pages per run
        start = FeedCursor.objects.filter(pk=1).values_list("after", flat=True).first() or 0
        page = feed.read(start, FEED_PAGE, types)
        peers = list(Peer.objects.filter(is_active=True).order_by("pk").values_list("pk", "kind", "code"))
        by_kind = {
            kind: [(e, m) for e in page.events if (m := _message_of(e, datasets, home_url, kind)) is not None]
            for kind in {k for _, k, _ in peers}
        }
        targeted = [(e, t) for e in page.events if (t := _targeted_message(e)) is not None]
        found = {
            pk: sorted(
                by_kind[kind] + [(e, (kind_, body)) for e, (to, kind_, body) in targeted if to == code],
                key=lambda item: item[0].seq,
            )
            for pk, kind, code in peers
        }
        if not any(found.values()):
            with transaction.atomic():
                cursor = locked_singleton(FeedCursor)
                if cursor.after == start and _active_peers() == set(peers):
                    cursor.after = page.next_after
                    cursor.save(update_fields=["after"])
        else:
            done = _queue(start, page.next_after, found, peers)
            if done is None:
                continue  # moved meanwhile: look again with the peers as they are now
            queued += done
        if not page.has_more:
            break
    return queued


def _active_peers() -> set[tuple[int, str, str]]:
    return set(Peer.objects.filter(is_active=True).values_list("pk", "kind", "code"))


class _Moved(Exception):
    """Another collector moved the cursor meanwhile: this run's work is rolled back."""


def _queue_for(
    act: Any, peer: Peer, items: list[tuple[int, str, dict]], *, sync: str | None = None
) -> list[OutboundMessage]:
    """Number ``(source_event, message_type, body)`` items in the peer's one sequence, store and witness each (the
    caller holds the peer's row lock and saves ``last_queued``)."""
    rows = []
    for source_event, message_type, body in items:
        peer.last_queued += 1
        rows.append(
            OutboundMessage(
                peer=peer,
                seq=peer.last_queued,
                message_type=message_type,
                body=body,
                source_event=source_event,
                created_at=act.now,
            )
        )
    OutboundMessage.objects.bulk_create(rows)
    for row in rows:
        entry = {
            "peer": peer.code,
            "seq": row.seq,
            "type": row.message_type,
            "chain": rules.chain_of(row.message_type, row.body),
            "notice_id": row.body.get("notice_id"),
            "source_event": row.source_event,
        }
        if sync is not None:
            entry["sync"] = sync
        act.witness(row, entry, action="federation.queue_message")
    return rows


def _queue(
    start: int,
    next_after: int,
    found: dict[int, list[tuple[Any, tuple[str, dict]]]],
    peers: list[tuple[int, str, str]],
) -> int | None:
    count = 0
    try:
        with action(SYSTEM, "federation.queue_messages") as act:
            cursor = locked_singleton(FeedCursor)
            if cursor.after != start or _active_peers() != set(peers):
                raise _Moved  # or a peer was registered, suspended or resumed meanwhile: look again
            for peer in Peer.objects.select_for_update().filter(pk__in=[pk for pk, _, _ in peers]).order_by("pk"):
                rows = _queue_for(
                    act,
                    peer,
                    [(event.seq, message_type, body) for event, (message_type, body) in found.get(peer.pk, [])],
                )
                peer.save(update_fields=["last_queued"])
                count += len(rows)
            cursor.after = next_after
            cursor.save(update_fields=["after"])
    except _Moved:
        return None
    return count


# -- delivering -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    peer: str
    sent: int
    acknowledged: int
    error: str = ""


def signed_headers(payload: Any, *, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """The headers of a batch signed with this hub's platform key."""
    timestamp = timestamp or iso_utc(now())
    nonce = nonce or secrets.token_urlsafe(24)
    signer = keys.platform_signer()
    message = rules.signed_bytes(ca.api_signing_input(payload, timestamp=timestamp, nonce=nonce))
    return {
        "X-Yiwang-Timestamp": timestamp,
        "X-Yiwang-Nonce": nonce,
        "X-Yiwang-Key-Id": signer.public_key.key_id,
        "X-Yiwang-Signature": base64.b64encode(signer.sign(message)).decode("ascii"),
    }


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 (the peer's address is checked to be http(s) on registration)
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as answer:  # noqa: S310 (http(s) only)
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None


def deliver_to(code: str, *, moment: datetime | None = None) -> Delivery:
    """Send one peer the messages above what it acknowledged (a batch, in order) and record its answer.
    A failure (peer down, refusal) schedules the next attempt with exponential backoff."""
    moment = moment or now()
    peer = Peer.objects.get(code=code)
    pending = list(
        OutboundMessage.objects.filter(peer=peer, seq__gt=peer.acknowledged).order_by("seq")[: rules.MAX_BATCH]
    )
    if not pending:
        return Delivery(code, 0, peer.acknowledged)
    batch = [Message(m.seq, m.message_type, m.body) for m in pending]
    payload = rules.batch_payload(own_code(), peer.code, batch)
    if peer.wire_format == "xml":
        url, body, content_type = peer.base_url + INBOX_PATH + ".xml", xmlwire.to_xml(payload), "application/xml"
    else:
        url, body, content_type = peer.base_url + INBOX_PATH, canonical_json(payload), "application/json"
    headers = {**signed_headers(payload), "Content-Type": content_type}
    rotation = (
        OutboundMessage.objects.filter(peer=peer, message_type=rules.KEY_ROTATION, seq__gt=peer.acknowledged)
        .order_by("seq")
        .first()
    )
    if rotation is not None:  # until the peer holds the notice, every batch carries it (signed by the new key)
        headers[ROTATION_HEADER] = base64.b64encode(canonical_json(rotation.body)).decode("ascii")
    error = ""
    acknowledged = None
    try:
        status, answer = _post(url, body, headers)
        if status == 200 and isinstance(answer, dict) and isinstance(answer.get("acknowledged"), int):
            acknowledged = max(0, min(answer["acknowledged"], peer.last_queued))
        else:
            code_text = answer.get("code") if isinstance(answer, dict) else None
            error = f"HTTP {status} {code_text or ''}".strip()
    except (OSError, ValueError) as exc:  # connection refused, timeout, bad JSON
        error = f"{type(exc).__name__}: {exc}"[:300]
    with transaction.atomic():
        row = Peer.objects.select_for_update().get(pk=peer.pk)
        if acknowledged is not None:
            row.acknowledged = acknowledged
            row.failures, row.next_attempt_at, row.last_error = 0, None, ""
            row.last_delivered_at = moment
            OutboundMessage.objects.filter(peer=row, seq__lte=acknowledged, delivered_at__isnull=True).update(
                delivered_at=moment
            )
        else:
            row.failures += 1
            wait = rules.backoff_seconds(row.failures, cap=_backoff_cap())
            row.next_attempt_at = moment + timedelta(seconds=wait)
            row.last_error = error[:300]
        row.save(update_fields=["acknowledged", "failures", "next_attempt_at", "last_error", "last_delivered_at"])
    if error:
        log.info("federation: delivery to %s failed (%s); next attempt at %s", code, error, row.next_attempt_at)
    return Delivery(code, len(batch), row.acknowledged, error)


def deliver_due(moment: datetime | None = None) -> int:
    """Due job: deliver to every active peer with messages it has not acknowledged and no backoff pending.
    Returns the number of messages the peers acknowledged in this run."""
    moment = moment or now()
    done = 0
    due = Peer.objects.filter(is_active=True).order_by("pk")
    for peer in due:
        if peer.acknowledged >= peer.last_queued:
            continue
        if peer.next_attempt_at is not None and peer.next_attempt_at > moment:
            continue
        before = peer.acknowledged
        for _round in range(10):  # bounded: at most 10 batches per peer and run
            result = deliver_to(peer.code, moment=moment)
            done += max(0, result.acknowledged - before)
            before = result.acknowledged
            if result.error or not result.sent or result.acknowledged >= Peer.objects.get(pk=peer.pk).last_queued:
                break
    return done


def relay(moment: datetime) -> int:
    """The clock's job: queue what is new in the feed, then deliver what is due."""
    return collect_feed(moment) + sync_due(moment) + deliver_due(moment)


def purge_nonces(moment: datetime) -> int:
    """Clock job: forget peer nonces whose replay window has passed."""
    deleted, _ = SeenNonce.objects.filter(expires_at__lt=moment).delete()
    return deleted


# -- the receiving side ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignedBatch:
    """The signature headers of a received batch."""

    timestamp: str
    nonce: str
    key_id: str
    signature: str  # base64
    rotation: str = ""  # X-Yiwang-Key-Rotation: base64 canonical JSON of a key-rotation notice, or ""


def _unauthenticated(code: str, zh: str, en: str, **details: Any) -> NotAuthenticated:
    return NotAuthenticated(code, zh, en, details)


def authenticate_batch(*, payload: Any, signed: SignedBatch | None) -> tuple[Peer, Batch]:
    """Check a received batch: its shape (``federation.malformed_batch``, 422), the sender is an active peer
    (``federation.unknown_peer``, 403), it is meant for this hub (``federation.wrong_recipient``, 422), it is
    signed (``federation.unsigned``, ``federation.signature_malformed``), by the peer's pinned key
    (``federation.key_not_registered``), validly (``federation.signature_invalid``), within the window
    (``federation.timestamp_out_of_window``) — all 401 — and with a fresh nonce (``federation.replayed``, 409).
    The nonce is remembered in its own transaction."""
    batch = rules.parse_batch(payload)
    peer = Peer.objects.filter(code=batch.sender.upper(), is_active=True).first()
    if peer is None:
        raise PermissionDenied(
            "federation.unknown_peer",
            f"{batch.sender} 不是已登记（且在用）的互联平台",
            f"{batch.sender} is not a registered, active peer hub",
            {"code": batch.sender[:40]},
        )
    if batch.recipient.upper() != own_code():
        raise InvalidInput(
            "federation.wrong_recipient",
            "该批消息不是发给本平台的",
            "this batch is addressed to another hub",
            {"field": "to", "to": batch.recipient[:40]},
        )
    if signed is None or not all((signed.timestamp, signed.nonce, signed.key_id, signed.signature)):
        raise _unauthenticated(
            "federation.unsigned",
            "消息未签名：须提供 X-Yiwang-Timestamp、X-Yiwang-Nonce、X-Yiwang-Key-Id 与 X-Yiwang-Signature",
            "unsigned batch: X-Yiwang-Timestamp, X-Yiwang-Nonce, X-Yiwang-Key-Id and X-Yiwang-Signature are required",
        )
    stamped = rules.parse_timestamp(signed.timestamp)
    try:
        signature = base64.b64decode(signed.signature, validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if stamped is None or not signature or not rules.NONCE.match(signed.nonce):
        raise _unauthenticated(
            "federation.signature_malformed",
            "签名、时间戳或一次性随机串格式错误",
            "the signature, the timestamp or the nonce is malformed",
        )
    key = load_public_key(_batch_key_pem(peer, signed).encode("ascii"))
    message = rules.signed_bytes(ca.api_signing_input(payload, timestamp=signed.timestamp, nonce=signed.nonce))
    try:
        verify_signature(key, _algorithm_of(key), message, signature)
    except CryptoError:
        raise _unauthenticated(
            "federation.signature_invalid", "签名验证失败", "the signature does not verify"
        ) from None
    if peer.certificate_pem or _require_certificates():
        _check_certificate(peer, message, signature, key)
    moment = now()
    window = _window()
    if abs(moment - stamped) > window:
        raise _unauthenticated(
            "federation.timestamp_out_of_window",
            f"签名时间与本平台时间相差超过 {window.seconds} 秒",
            f"the signing time is more than {window.seconds} seconds off",
            timestamp=signed.timestamp,
            window_seconds=window.seconds,
        )
    try:
        with transaction.atomic():
            SeenNonce.objects.create(peer=peer, nonce=signed.nonce, expires_at=max(moment, stamped) + window)
    except IntegrityError:
        raise Conflict(
            "federation.replayed",
            "该请求已收到过（一次性随机串重复）",
            "replayed request (nonce used before)",
            {"nonce": signed.nonce},
        ) from None
    return peer, batch


def _check_certificate(peer: Peer, message: bytes, signature: bytes, key: Any) -> None:
    """Certificate-based peer authentication: the batch's signature must also verify under the peer's pinned
    certificate, chained to this hub's CA trust list, valid and unrevoked now, naming the peer."""
    if not peer.certificate_pem:
        raise _unauthenticated(
            "federation.certificate_required",
            "本平台要求互联平台以CA证书认证，该平台尚未登记证书",
            "this hub requires peers to authenticate with a certificate; none is registered for this peer",
        )
    check = ca.verify_signed(
        message, signature, peer.certificate_pem, expected_uscc=peer.code, require_binding=False,
        algorithm=_algorithm_of(key),
    )  # fmt: skip
    if not check.ok:
        raise _unauthenticated(
            "federation.certificate_refused",
            f"互联平台证书校验未通过（{check.reason}）",
            f"the peer's certificate does not verify ({check.reason})",
            reason=check.reason,
        )


@dataclass(frozen=True)
class Receipt:
    acknowledged: int  # the highest sequence number this hub now holds from the peer
    applied: int
    duplicates: int
    expected: int | None = None  # set when the batch started above the next expected number (a gap)


class _NothingNew(Exception):
    pass


def _apply_notice(act: Any, peer: Peer, message: Message, body: dict[str, Any]) -> RemoteNotice | None:
    chain = body.get("chain") or ""
    if message.type == rules.NOTICE_WITHDRAWN:
        rows = RemoteNotice.objects.select_for_update().filter(peer=peer)
        notice = rows.filter(chain=chain).first() if chain else rows.filter(notice_id=body.get("notice_id")).first()
        if notice is None or notice.withdrawn:
            return notice
        notice.withdrawn, notice.withdraw_reason = True, str(body.get("reason") or "")[:500]
        notice.received_at, notice.message_seq = act.now, message.seq
        notice.save()
        notice.peer = peer
        if indexed(notice):
            index_document(notice_document(notice))
        else:
            remove_document(KIND, str(notice.pk))
        return notice
    published = rules.parse_timestamp(body.get("published_at")) or act.now
    values = {
        "notice_id": body.get("notice_id"),
        "version": body.get("version", 1),
        "number": body.get("number", ""),
        "title": body["title"],
        "notice_type": str(body.get("notice_type") or "")[:32],
        "category": str(body.get("category") or "")[:32],
        "region_code": body.get("region_code", ""),
        "url": body.get("url", ""),
        "published_at": published,
        "withdrawn": False,
        "withdraw_reason": "",
        "received_at": act.now,
        "message_seq": message.seq,
    }
    notice = RemoteNotice.objects.select_for_update().filter(peer=peer, chain=chain).first()
    if notice is None:
        notice = RemoteNotice.objects.create(peer=peer, chain=chain, **values)
    elif notice.version > values["version"]:
        return notice  # an older version arriving late changes nothing
    else:
        for name, value in values.items():
            setattr(notice, name, value)
        notice.save()
    notice.peer = peer
    index_document(notice_document(notice))
    return notice


def _apply_record(act: Any, peer: Peer, inbound: InboundMessage, message: Message, body: dict[str, Any]) -> None:
    """The national side: keep the newest version of each record a hub uplinked (an older one changes nothing)."""
    values = {
        "platform_code": body["platform_code"],
        "version": body["version"],
        "data_timestamp": body["data_timestamp"],
        "digest": body["digest"],
        "deleted": body["operation"] == "delete",
        "record": body.get("record"),
        "received_at": act.now,
        "message_seq": message.seq,
    }
    row = (
        UplinkRecord.objects.select_for_update()
        .filter(peer=peer, dataset=body["dataset"], record_key=body["key"])
        .first()
    )
    outcome = "stored"
    if row is None:
        row = UplinkRecord.objects.create(peer=peer, dataset=body["dataset"], record_key=body["key"], **values)
    elif row.version < body["version"]:
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
    else:
        outcome = "stale"
    act.witness(
        inbound,
        {
            "peer": peer.code,
            "seq": message.seq,
            "type": message.type,
            "dataset": body["dataset"],
            "key": body["key"],
            "version": body["version"],
            "digest": body["digest"],
            "outcome": outcome,
        },
    )
    if outcome == "stored":
        act.emit(
            "federation.record_received.v1",
            row,
            {
                "peer": peer.code,
                "dataset": row.dataset,
                "key": row.record_key,
                "platform_code": row.platform_code,
                "operation": body["operation"],
                "version": row.version,
                "digest": row.digest,
            },
        )


def _entity_signature_verified(peer: Peer, message: Message, body: dict[str, Any]) -> bool:
    """Check the home hub's signature over the snapshot with the key pinned for it. A snapshot signed with
    another key (queued before the peer rotated its key) is kept unverified: the batch signature vouches for
    it; one that fails with the pinned key refuses the batch (``federation.malformed_message``)."""
    if body["key_id"] != peer.key_id:
        return False
    key = load_public_key(peer.public_key_pem.encode("ascii"))
    try:
        verify_signature(
            key,
            _algorithm_of(key),
            rules.entity_signed_bytes(body["entity"]),
            base64.b64decode(body["signature"], validate=True),
        )
    except CryptoError:
        raise InvalidInput(
            "federation.malformed_message",
            f"第 {message.seq} 号消息的主体登记签名验证失败",
            f"message {message.seq}: the registration's signature does not verify",
            {"seq": message.seq, "field": "signature"},
        ) from None
    return True


def _apply_entity(act: Any, peer: Peer, inbound: InboundMessage, message: Message, body: dict[str, Any]) -> None:
    """A peer's registration of an organisation (一地注册、区域通用): the registry holds it read-only, replaced by
    each newer version (an older one arriving late changes nothing). An organisation registered here first, or
    held for another hub, stays as it is; a snapshot the registry refuses is recorded with its code and does
    not stop the peer's stream."""
    snapshot = body["entity"]
    verified = _entity_signature_verified(peer, message, body)
    uscc = snapshot["uscc"].upper()
    row = RecognisedEntity.objects.select_for_update().filter(peer=peer, uscc=uscc).first()
    if row is not None and row.home_version >= snapshot["version"]:
        outcome = "stale"
    else:
        refusal, entity_id = "", None
        try:
            with transaction.atomic():  # a refusal rolls back the registry's part only
                fields = {k: v for k, v in snapshot.items() if k not in rules.ENTITY_PARTS}
                entity = registry_actions.do_store_entity_copy(actor=SYSTEM, home_hub=peer.code, data=fields)
                home = registry.home_hub_of(entity.pk)
                if home == peer.code and all(part in snapshot for part in rules.ENTITY_PARTS):
                    registry_actions.do_store_copy_parts(
                        actor=SYSTEM,
                        home_hub=peer.code,
                        uscc=uscc,
                        qualifications=snapshot["qualifications"],
                        personnel=snapshot["personnel"],
                    )
            entity_id = entity.pk
            outcome = "recognised" if home == peer.code else ("local" if home is None else "other_home")
        except YiwangError as exc:
            outcome, refusal = "refused", exc.code[:80]
        values = {
            "home_entity_id": snapshot["home_entity_id"],
            "home_version": snapshot["version"],
            "name": str(snapshot.get("name") or "")[:200],
            "region_code": str(snapshot.get("region_code") or "")[:6],
            "status": str(snapshot.get("status") or "")[:12],
            "state": outcome,
            "refusal": refusal,
            "entity_id": entity_id,
            "snapshot": snapshot,
            "key_id": body["key_id"],
            "signature": body["signature"],
            "signature_verified": verified,
            "received_at": act.now,
            "message_seq": message.seq,
        }
        if row is None:
            row = RecognisedEntity.objects.create(peer=peer, uscc=uscc, **values)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
    act.witness(
        inbound,
        {
            "peer": peer.code,
            "seq": message.seq,
            "type": message.type,
            "uscc": uscc,
            "home_version": snapshot["version"],
            "key_id": body["key_id"],
            "signature_verified": verified,
            "outcome": outcome,
        },
    )
    if outcome != "stale":
        act.emit(
            "federation.entity_recognised.v1",
            row,
            {
                "peer": peer.code,
                "hub_name": peer.name,
                "uscc": uscc,
                "name": row.name,
                "status": row.status,
                "home_version": row.home_version,
                "state": outcome,
                "entity_id": row.entity_id,
            },
        )


def _local_ca_id(fingerprint: str) -> int | None:
    for view in ca.list_trusted_cas(include_removed=True):
        if view.fingerprint_sha256 == fingerprint:
            return view.id
    return None


def _apply_ca(act: Any, peer: Peer, inbound: InboundMessage, message: Message, body: dict[str, Any]) -> None:
    """A CA on the peer's trust list: proposed to this hub's administrators, never trusted automatically. A
    newer version records the peer's status; an adopted CA the peer suspended or removed is flagged."""
    fingerprint = body["fingerprint_sha256"]
    row = PeerCaProposal.objects.select_for_update().filter(peer=peer, fingerprint_sha256=fingerprint).first()
    if row is not None and row.home_version >= body["version"]:
        outcome = "stale"
    else:
        values = {
            "name": body["name"],
            "kind": body["kind"],
            "certificate_pem": body["certificate_pem"],
            "mapping": body["mapping"],
            "crl_policy": body["crl_policy"],
            "home_status": body["status"],
            "home_version": body["version"],
            "received_at": act.now,
            "message_seq": message.seq,
        }
        if row is None:
            local = _local_ca_id(fingerprint)
            state = "trusted_already" if local is not None else "pending"
            row = PeerCaProposal.objects.create(
                peer=peer, fingerprint_sha256=fingerprint, state=state, ca_id=local, **values
            )
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.attention = row.state == "adopted" and body["status"] != "active"
            row.save()
        outcome = row.state
    act.witness(
        inbound,
        {
            "peer": peer.code,
            "seq": message.seq,
            "type": message.type,
            "fingerprint_sha256": fingerprint,
            "home_status": body["status"],
            "home_version": body["version"],
            "outcome": outcome,
        },
    )
    if outcome != "stale":
        act.emit(
            "federation.ca_proposed.v1",
            row,
            {
                "peer": peer.code,
                "fingerprint_sha256": fingerprint,
                "name": row.name,
                "home_status": row.home_status,
                "state": row.state,
                "attention": row.attention,
            },
        )


def do_decide_ca_proposal(*, actor: Actor, proposal_id: int, adopt: bool, note: str = "") -> PeerCaProposal:
    """A trust administrator adopts (the CA goes on this hub's trust list through the CA context, its origin in
    the note; the CA context checks the certificate and its chain) or declines a CA a peer hub proposed.
    Refusals: ``federation.forbidden`` (403), ``federation.ca_proposal_not_found`` (404),
    ``federation.ca_proposal_decided`` (409, only pending proposals), ``federation.ca_not_active_at_home``
    (409, the peer no longer trusts it), and the CA context's codes (``ca.*``) — each leaves nothing."""
    if not ca_actions.is_trust_admin(actor):
        raise _forbidden()
    note = (note or "").strip()[:500]
    with action(actor, "federation.decide_ca_proposal") as act:
        row = PeerCaProposal.objects.select_for_update().select_related("peer").filter(pk=proposal_id).first()
        if row is None:
            raise NotFound(
                "federation.ca_proposal_not_found", "没有这条CA推荐", "no such CA proposal", {"id": proposal_id}
            )
        if row.state != "pending":
            raise Conflict(
                "federation.ca_proposal_decided",
                "该CA推荐已处理",
                "this CA proposal has been decided",
                {"id": proposal_id, "state": row.state},
            )
        if adopt:
            if row.home_status != "active":
                raise Conflict(
                    "federation.ca_not_active_at_home",
                    "推荐平台已暂停或移出该CA，不能采纳",
                    "the proposing hub no longer trusts this CA",
                    {"id": proposal_id, "home_status": row.home_status},
                )
            authority = ca_actions.do_register_ca(
                actor=actor,
                certificate=row.certificate_pem,
                name=row.name,
                mapping=row.mapping or None,
                crl_policy=row.crl_policy,
                note=(f"互联平台推荐：{row.peer.name}（{row.peer.code}）" + (f"；{note}" if note else ""))[:500],
            )
            row.ca_id = authority.pk
        row.state = "adopted" if adopt else "declined"
        row.decided_by, row.decided_at, row.decision_note = actor.ref, act.now, note
        row.save(update_fields=["state", "ca_id", "decided_by", "decided_at", "decision_note"])
        payload = {
            "peer": row.peer.code,
            "fingerprint_sha256": row.fingerprint_sha256,
            "state": row.state,
            "ca_id": row.ca_id,
            "note": note,
        }
        act.witness(row, payload)
        act.emit("federation.ca_decided.v1", row, payload)
        return row


# -- remote-evaluation bookings spanning hubs (远程异地评标) -----------------------------------------------------
def _may_request_sites(actor: Actor) -> bool:
    return actor.is_system or actor.has_role(Role.STAFF)


def do_request_remote_site(
    *,
    actor: Actor,
    peer_code: str,
    room_id: int,
    start: datetime,
    end: datetime,
    seats: int,
    owner_ref: str,
    title: str = "",
    session_id: int | None = None,
) -> RemoteSiteRequest:
    """Ask a peer hub for a secondary site (副场) of a remote evaluation whose main site is booked here: its room
    ``room_id`` (an id on the peer, from its public room list) for ``[start, end)`` with ``seats`` seats. Sent as a
    signed message; the peer books the room in its venues context (pending its own staff's approval, like any
    secondary site) and answers, then answers again when its staff decide. Trading-centre staff. Refusals:
    ``federation.forbidden`` (403), ``federation.unknown_peer`` (404, or not an active hub),
    ``federation.bad_site_request`` (422: window in the past or reversed, seats 1–2000, owner reference, room id,
    title) — each stores nothing."""
    if not _may_request_sites(actor):
        raise PermissionDenied("federation.forbidden", "无权预约异地副场", "You may not book sites on peer hubs")

    def bad(field: str, zh: str, en: str) -> InvalidInput:
        return InvalidInput("federation.bad_site_request", zh, en, {"field": field})

    if not isinstance(room_id, int) or isinstance(room_id, bool) or room_id < 1:
        raise bad("room_id", "对方场所编号不正确", "room_id is the room's id on the peer")
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= 2000:
        raise bad("seats", "席位数须为 1–2000", "seats is 1-2000")
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise bad("end", "结束时间须晚于开始时间", "the window ends before it starts")
    if start <= now():
        raise bad("start", "开始时间须晚于当前时间", "the window must be in the future")
    owner_ref = (owner_ref or "").strip()
    if not owner_ref or len(owner_ref) > 120 or not owner_ref.isascii() or not owner_ref.isprintable():
        raise bad("owner_ref", "业务对象引用不正确", "owner_ref is 1-120 printable ASCII characters")
    title = (title or "").strip()
    if len(title) > 200:
        raise bad("title", "标题不超过 200 字", "the title is at most 200 characters")
    with action(actor, "federation.request_remote_site") as act:
        peer = Peer.objects.filter(code=(peer_code or "").strip().upper(), is_active=True, kind="hub").first()
        if peer is None:
            raise NotFound(
                "federation.unknown_peer", "没有这个在用的互联平台", "no such active peer hub", {"code": peer_code}
            )
        row = RemoteSiteRequest.objects.create(
            peer=peer,
            request_id=secrets.token_hex(16),
            session_id=session_id,
            owner_ref=owner_ref,
            room_id=room_id,
            start=start,
            end=end,
            seats=seats,
            title=title,
            state="requested",
            requested_by=actor.ref,
            requested_at=act.now,
        )
        body = _site_request_body(row)
        act.witness(row, {"peer": peer.code, "session_id": session_id, **body})
        act.emit(SITE_REQUESTED, row, {"peer": peer.code, **body}, visibility=Visibility.RESTRICTED)
        return row


def _site_request_body(row: RemoteSiteRequest) -> dict[str, Any]:
    """The ``venue.booking_request`` message of a secondary-site request (as sent, and as the sync resends it)."""
    return {
        "request_id": row.request_id,
        "room_id": row.room_id,
        "start": iso_utc(row.start),
        "end": iso_utc(row.end),
        "seats": row.seats,
        "owner_ref": row.owner_ref,
        "title": row.title,
    }


def _hub_actor(peer: Peer) -> Actor:
    """The peer hub as the booker of its secondary site here: a client holding the staff role over no region, so
    the booking waits for this hub's own staff (as a secondary site booked by another centre does)."""
    return Actor(ActorKind.CLIENT, f"hub-{peer.code}", f"互联平台 {peer.name}"[:200], (RoleGrant(Role.STAFF),))


def _apply_venue_request(act: Any, peer: Peer, inbound: InboundMessage, message: Message, body: dict) -> None:
    request_id = body["request_id"]
    booking_id, refusal, note = None, "", ""
    if HostedBooking.objects.filter(peer=peer, request_id=request_id).exists():
        outcome = "repeat"
    else:
        try:
            with transaction.atomic():  # a refusal rolls back the venues part only
                booking = venues.do_book_room(
                    actor=_hub_actor(peer),
                    room_id=body["room_id"],
                    owner_ref=f"{HOSTED_OWNER_PREFIX}{peer.code}:{request_id}",
                    purpose="evaluation",
                    start=rules.parse_timestamp(body["start"]),
                    end=rules.parse_timestamp(body["end"]),
                    seats=body["seats"],
                    title=f"{peer.name} 远程异地评标副场 {body['title']}".strip()[:200],
                )
            booking_id, outcome = booking.pk, str(booking.status)
        except YiwangError as exc:
            outcome, refusal, note = "refused", exc.code[:80], exc.message_zh[:300]
        HostedBooking.objects.create(
            peer=peer,
            request_id=request_id,
            booking_id=booking_id,
            refusal=refusal,
            received_at=act.now,
            message_seq=message.seq,
        )
    act.witness(
        inbound,
        {
            "peer": peer.code,
            "seq": message.seq,
            "type": message.type,
            "request_id": request_id,
            "room_id": body["room_id"],
            "booking_id": booking_id,
            "outcome": outcome,
            "refusal": refusal,
        },
    )
    if outcome != "repeat":
        answer = {"request_id": request_id, "status": outcome, "booking_id": booking_id, "code": refusal, "note": note}
        act.emit(SITE_HOSTED, inbound, {"peer": peer.code, **answer}, visibility=Visibility.RESTRICTED)


def _apply_venue_answer(act: Any, peer: Peer, inbound: InboundMessage, message: Message, body: dict) -> None:
    row = RemoteSiteRequest.objects.select_for_update().filter(peer=peer, request_id=body["request_id"]).first()
    outcome = "unknown" if row is None else body["status"]
    if row is not None:
        row.state = body["status"]
        row.booking_id = body.get("booking_id") or row.booking_id
        row.answer_code = str(body.get("code") or "")[:80]
        row.answer_note = str(body.get("note") or "")[:300]
        row.answered_at = act.now
        row.save()
    act.witness(
        inbound,
        {
            "peer": peer.code,
            "seq": message.seq,
            "type": message.type,
            "request_id": body["request_id"],
            "status": body["status"],
            "booking_id": body.get("booking_id"),
            "outcome": outcome,
        },
    )
    if row is not None:
        act.emit(
            "federation.remote_site_answered.v1",
            row,
            {
                "peer": peer.code,
                "request_id": row.request_id,
                "session_id": row.session_id,
                "owner_ref": row.owner_ref,
                "state": row.state,
                "booking_id": row.booking_id,
                "code": row.answer_code,
            },
            visibility=Visibility.RESTRICTED,
        )


# -- cross-region expert draws (跨区域抽取专家) ----------------------------------------------------------------------
def do_request_peer_draw(*, actor: Actor, peer_code: str, data: dict[str, Any]) -> PeerDrawRequest:
    """Ask a peer hub to draw experts from its pool for a project here (跨区域抽取): ``data`` is a draw request
    of the experts context (``project_ref``, ``kind``, ``region_code`` of the project, ``region_scope`` — the
    peer's regions —, ``meeting_start``/``meeting_end``, ``lines`` of specialties and counts,
    ``avoided_firms`` by USCC with reason and name, ``representatives`` …). The peer draws with its own rules
    and seed (witnessed there) and answers sealed: the seats without names and the sealed digest; the names follow
    when the draw is unsealed there at the meeting. Trading-centre staff over the project's region. Refusals:
    ``federation.forbidden`` (403), ``federation.unknown_peer`` (404), ``federation.bad_draw_request`` (422: not
    an object, no project reference, or an avoided firm named by this hub's entity id instead of its USCC)."""
    if not isinstance(data, dict) or not str(data.get("project_ref") or "").strip():
        raise InvalidInput(
            "federation.bad_draw_request",
            "抽取请求须为含项目编号的对象",
            "the draw request is an object with a project_ref",
            {"field": "project_ref"},
        )
    region = str(data.get("region_code") or "")
    if not (actor.is_system or actor.covers_region(region, Role.STAFF)):
        raise PermissionDenied("federation.forbidden", "无权为该区域的项目跨区域抽取专家", "You may not draw for it")
    firms = data.get("avoided_firms") or []
    if not isinstance(firms, list) or any(
        not isinstance(f, dict) or f.get("entity_id") not in (None, "") for f in firms
    ):
        raise InvalidInput(
            "federation.bad_draw_request",
            "回避单位须以统一社会信用代码列明（本平台的主体编号对方平台不认识）",
            "avoided firms are named by USCC (this hub's entity ids mean nothing on the peer)",
            {"field": "avoided_firms"},
        )
    request = {k: v for k, v in data.items() if k != "hub"}
    try:
        canonical_json(request)
    except (TypeError, ValueError):
        raise InvalidInput(
            "federation.bad_draw_request", "抽取请求须为 JSON 值", "the draw request is JSON", {"field": "data"}
        ) from None
    with action(actor, "federation.request_peer_draw") as act:
        peer = Peer.objects.filter(code=(peer_code or "").strip().upper(), is_active=True, kind="hub").first()
        if peer is None:
            raise NotFound(
                "federation.unknown_peer", "没有这个在用的互联平台", "no such active peer hub", {"code": peer_code}
            )
        row = PeerDrawRequest.objects.create(
            peer=peer,
            request_id=secrets.token_hex(16),
            project_ref=str(request["project_ref"])[:100],
            request=request,
            state="requested",
            requested_by=actor.ref,
            requested_at=act.now,
        )
        act.witness(row, {"peer": peer.code, "request_id": row.request_id, "request": request})
        act.emit(
            DRAW_REQUESTED,
            row,
            {"peer": peer.code, "request_id": row.request_id, "request": request},
            visibility=Visibility.RESTRICTED,
        )
        return row


def _draw_answer(hosted: HostedDraw, status: str) -> dict[str, Any]:
    """What the peer is told about a draw made here for it: sealed, the seats without names; unsealed, with the
    names and employers (never phone or identity numbers)."""
    if hosted.draw_id is None:
        return {
            "request_id": hosted.request_id,
            "status": "refused",
            "draw_id": None,
            "sealed_digest": "",
            "seats": [],
            "code": hosted.refusal,
            "note": "",
        }
    view = experts_queries.get_draw_for(SYSTEM, hosted.draw_id)
    names = not view.sealed
    seats = [
        {
            "line": seat.line,
            "specialty": seat.specialty,
            "role": seat.role,
            "rank": seat.rank,
            "status": seat.status,
            **({"name": seat.name, "employer": seat.employer_name} if names else {}),
        }
        for seat in view.seats
    ]
    digest = str((view.digests.get(hosted.draw_id) or {}).get("sealed_digest") or "")
    return {
        "request_id": hosted.request_id,
        "status": status,
        "draw_id": hosted.draw_id,
        "sealed_digest": digest,
        "seats": seats,
        "code": "",
        "note": "",
    }


def _hub_drawer(peer: Peer, region: str) -> Actor:
    """The peer hub as the requester of a draw here: a client holding the staff role over this hub's region, for
    this call only (the draw is made over this hub's region, so its own staff oversee it)."""
    return Actor(
        ActorKind.CLIENT, f"hub-{peer.code}", f"互联平台 {peer.name}"[:200], (RoleGrant(Role.STAFF, region=region),)
    )


def _apply_draw_request(act: Any, peer: Peer, inbound: InboundMessage, message: Message, body: dict) -> None:
    request_id, request = body["request_id"], dict(body["request"])
    draw_id, refusal = None, ""
    if HostedDraw.objects.filter(peer=peer, request_id=request_id).exists():
        outcome = "repeat"
    else:
        try:
            # The draw is this hub's: made over its own region (its staff oversee it, its clock unseals it), the
            # peer's project named in the title.
            region = str(getattr(settings, "YIWANG_PLATFORM_REGION", "310000"))
            title = f"{peer.name}项目 {request.get('project_ref', '')} {request.get('title', '')}".strip()[:200]
            with transaction.atomic():  # a refusal rolls back the experts part only
                draw = experts.do_request_draw(
                    actor=_hub_drawer(peer, region),
                    data={**request, "hub": "local", "region_code": region, "title": title},
                )
            draw_id, outcome = draw.pk, "drawn"
        except YiwangError as exc:
            outcome, refusal = "refused", exc.code[:80]
        hosted = HostedDraw.objects.create(
            peer=peer,
            request_id=request_id,
            draw_id=draw_id,
            refusal=refusal,
            received_at=act.now,
            message_seq=message.seq,
        )
    act.witness(
        inbound,
        {
            "peer": peer.code,
            "seq": message.seq,
            "type": message.type,
            "request_id": request_id,
            "draw_id": draw_id,
            "outcome": outcome,
            "refusal": refusal,
        },
    )
    if outcome != "repeat":
        act.emit(
            DRAW_HOSTED,
            inbound,
            {"peer": peer.code, **_draw_answer(hosted, outcome)},
            visibility=Visibility.RESTRICTED,
        )


def _apply_draw_answer(act: Any, peer: Peer, inbound: InboundMessage, message: Message, body: dict) -> None:
    row = PeerDrawRequest.objects.select_for_update().filter(peer=peer, request_id=body["request_id"]).first()
    if row is not None:
        row.state = body["status"]
        row.draw_id = body.get("draw_id") or row.draw_id
        row.sealed_digest = str(body.get("sealed_digest") or row.sealed_digest)[:64]
        row.seats = body["seats"]
        row.answer_code = str(body.get("code") or "")[:80]
        row.answer_note = str(body.get("note") or "")[:300]
        row.answered_at = act.now
        row.save()
    act.witness(
        inbound,
        {
            "peer": peer.code,
            "seq": message.seq,
            "type": message.type,
            "request_id": body["request_id"],
            "status": body["status"],
            "draw_id": body.get("draw_id"),
            "sealed_digest": body.get("sealed_digest", ""),
            "outcome": "unknown" if row is None else body["status"],
        },
    )
    if row is not None:
        act.emit(
            "federation.peer_draw_answered.v1",
            row,
            {
                "peer": peer.code,
                "request_id": row.request_id,
                "project_ref": row.project_ref,
                "state": row.state,
                "draw_id": row.draw_id,
                "seats": len(row.seats),
                "code": row.answer_code,
            },
            visibility=Visibility.RESTRICTED,
        )


def do_receive_batch(*, peer: Peer, batch: Batch, nonce: str) -> Receipt:
    """Apply the messages of an authenticated batch that this hub does not hold yet, in order (one action:
    each applied message is stored and witnessed, its notice indexed). Messages at or below the number already
    held are duplicates and change nothing; a batch starting above the next expected number applies nothing and
    says which number it expects, so the sender sends again from there."""
    applied = duplicates = 0
    expected = None
    try:
        with action(SYSTEM, "federation.receive_messages") as act:
            row = Peer.objects.select_for_update().get(pk=peer.pk)
            for message in batch.messages:
                if message.seq <= row.received:
                    duplicates += 1
                    continue
                if message.seq != row.received + 1:
                    expected = row.received + 1
                    break
                body = rules.check_body(message)
                inbound = InboundMessage.objects.create(
                    peer=row,
                    seq=message.seq,
                    message_type=message.type,
                    body=body,
                    received_at=act.now,
                    nonce=nonce,
                )
                row.received = message.seq
                applied += 1
                if message.type == rules.DATASET_RECORD:
                    _apply_record(act, row, inbound, message, body)
                    continue
                if message.type == rules.ENTITY_REGISTRATION:
                    _apply_entity(act, row, inbound, message, body)
                    continue
                if message.type == rules.CA_TRUST:
                    _apply_ca(act, row, inbound, message, body)
                    continue
                if message.type == rules.VENUE_REQUEST:
                    _apply_venue_request(act, row, inbound, message, body)
                    continue
                if message.type == rules.VENUE_ANSWER:
                    _apply_venue_answer(act, row, inbound, message, body)
                    continue
                if message.type == rules.DRAW_REQUEST:
                    _apply_draw_request(act, row, inbound, message, body)
                    continue
                if message.type == rules.DRAW_ANSWER:
                    _apply_draw_answer(act, row, inbound, message, body)
                    continue
                if message.type == rules.KEY_ROTATION:
                    _apply_key_rotation(act, row, inbound, message, body)
                    continue
                notice = _apply_notice(act, row, message, body)
                act.witness(
                    inbound,
                    {
                        "peer": row.code,
                        "seq": message.seq,
                        "type": message.type,
                        "chain": body.get("chain"),
                        "notice_id": body.get("notice_id"),
                        "remote_notice": notice.pk if notice else None,
                    },
                )
                if notice is not None:
                    event = (
                        "federation.notice_received.v1"
                        if message.type == rules.NOTICE_PUBLISHED
                        else "federation.notice_withdrawn.v1"
                    )
                    act.emit(
                        event,
                        notice,
                        {
                            "peer": row.code,
                            "hub_name": row.name,
                            "chain": notice.chain,
                            "version": notice.version,
                            "title": notice.title,
                            "url": notice.url,
                        },
                    )
            if not applied:
                raise _NothingNew
            row.save(
                update_fields=[
                    "received",
                    "public_key_pem",
                    "key_id",
                    "previous_key_pem",
                    "previous_key_id",
                    "previous_key_until",
                    "certificate_pem",
                ]
            )
            held = row.received
    except _NothingNew:
        held = Peer.objects.filter(pk=peer.pk).values_list("received", flat=True).get()
    return Receipt(held, applied, duplicates, expected)


def receive(*, payload: Any, signed: SignedBatch | None) -> Receipt:
    """Authenticate and apply a batch (the API's door)."""
    peer, batch = authenticate_batch(payload=payload, signed=signed)
    return do_receive_batch(peer=peer, batch=batch, nonce=signed.nonce if signed else "")


# -- key rotation notices (密钥轮换通知) -------------------------------------------------------------------------------
KEY_ROTATED = "keys.platform_key_rotated.v1"
ROTATION_HEADER = "X-Yiwang-Key-Rotation"
OVERLAP_SECONDS = 86_400  # YIWANG_FEDERATION["KEY_OVERLAP_SECONDS"]: the old key is still accepted this long
OVERLAP_MAX_SECONDS = 7 * 86_400  # a receiver never accepts a retired key longer than this


def _overlap() -> timedelta:
    seconds = int(_config().get("KEY_OVERLAP_SECONDS", OVERLAP_SECONDS))
    return timedelta(seconds=max(0, min(seconds, OVERLAP_MAX_SECONDS)))


def _rotation_message(event: Any) -> tuple[str, dict] | None:
    """This hub rotated its platform key (``yiwang keys rotate``): a notice for every peer with the new key's record
    from the platform keys document — endorsed there by the OLD key — the overlap window, this hub's certificate
    for the new key (if configured) and the NEW key's signature over all of it. None if the key has been rotated
    again since (the newer rotation's notice follows) or the new key was not endorsed (the old key was lost: the
    peers re-pin by hand)."""
    key_id = str((event.data or {}).get("key_id") or "")
    signer = keys.platform_signer()
    if signer.public_key.key_id != key_id:
        return None
    record = next((r for r in keys.public_keys_document()["keys"] if r["key_id"] == key_id), None)
    if record is None or not record.get("endorsement"):
        return None
    body = {
        "hub": own_code(),
        "key": record,
        "overlap_until": iso_utc(event.occurred_at + _overlap()),
        "certificate_pem": own_certificate(),
    }
    body["proof"] = base64.b64encode(signer.sign(rules.rotation_bytes(body))).decode("ascii")
    return rules.KEY_ROTATION, body


class _RotationRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _verify_rotation(peer: Peer, body: Any) -> KeyRecord:
    """Check a peer's key-rotation notice against the key pinned for it: the notice is the peer's, its new key
    record parses (the key id is the PEM's), the record is endorsed by the pinned key (the OLD key's signature)
    and the proof verifies under the new key (the NEW key's). Raises ``_RotationRefused(reason)``."""
    if not isinstance(body, dict) or set(body) != rules.ROTATION_FIELDS:
        raise _RotationRefused("malformed")
    if str(body["hub"]).upper() != peer.code:
        raise _RotationRefused("wrong_hub")
    try:
        record = KeyRecord.from_json(body["key"])
        proof = base64.b64decode(str(body["proof"]), validate=True)
        endorsement = base64.b64decode(record.endorsement, validate=True)
    except (YiwangError, binascii.Error, ValueError):
        raise _RotationRefused("malformed") from None
    if rules.parse_timestamp(body["overlap_until"]) is None:
        raise _RotationRefused("malformed")
    if record.endorsed_by != peer.key_id:
        raise _RotationRefused("not_endorsed_by_pinned_key")
    old = load_public_key(peer.public_key_pem.encode("ascii"))
    new = record.public_key()
    try:
        verify_signature(old, _algorithm_of(old), endorsement_bytes(record), endorsement)
    except CryptoError:
        raise _RotationRefused("endorsement_invalid") from None
    try:
        verify_signature(new, _algorithm_of(new), rules.rotation_bytes(body), proof)
    except (CryptoError, InvalidInput):
        raise _RotationRefused("proof_invalid") from None
    return record


def _refuse_rotation(peer: Peer, reason: str, body: Any, *, seq: int | None = None) -> NotAuthenticated:
    """Witness a refused key-rotation notice (in its own action: the batch is refused and stores nothing else) and
    return the error to raise."""
    key = body.get("key") if isinstance(body, dict) else None
    with action(SYSTEM, "federation.refuse_key_rotation") as act:
        act.witness(
            peer,
            {
                "peer": peer.code,
                "reason": reason,
                "key_id": str((key or {}).get("key_id") if isinstance(key, dict) else "")[:80],
                "endorsed_by": str((key or {}).get("endorsed_by") if isinstance(key, dict) else "")[:80],
                "seq": seq,
            },
        )
    return _unauthenticated(
        "federation.rotation_refused",
        f"密钥轮换通知未通过校验（{reason}）：须由已登记的公钥背书并由新密钥签名",
        f"the key-rotation notice does not verify ({reason}): it must be endorsed by the pinned key and signed by "
        "the new one",
        reason=reason,
    )


def _batch_key_pem(peer: Peer, signed: SignedBatch) -> str:
    """The public key a batch must verify under: the pinned key; the previous one within the overlap window after
    a rotation; or the new key a rotation notice in ``X-Yiwang-Key-Rotation`` announces, once the notice verifies
    against the pinned key (a notice that does not is refused and witnessed). Otherwise
    ``federation.key_not_registered``."""
    if signed.key_id == peer.key_id:
        return peer.public_key_pem
    if signed.key_id == peer.previous_key_id and peer.previous_key_until and now() <= peer.previous_key_until:
        return peer.previous_key_pem
    if signed.rotation:
        try:
            body = json.loads(base64.b64decode(signed.rotation, validate=True))
        except (binascii.Error, ValueError):
            body = None
        try:
            record = _verify_rotation(peer, body)
        except _RotationRefused as refused:
            raise _refuse_rotation(peer, refused.reason, body) from None
        if record.key_id == signed.key_id:
            return record.public_key_pem
    retired = signed.key_id == peer.previous_key_id
    raise _unauthenticated(
        "federation.key_not_registered",
        "签名密钥已过轮换重叠期" if retired else "签名密钥不是为该互联平台登记的公钥",
        "the signing key was rotated out (its overlap window has ended)"
        if retired
        else "the signing key is not the one registered for this peer",
        key_id=signed.key_id[:80],
    )


def _apply_key_rotation(act: Any, peer: Peer, inbound: InboundMessage, message: Message, body: dict) -> None:
    """A peer rotated its platform key: verified against the key pinned for it (old key's endorsement, new key's
    proof), the new key is pinned, the old one kept for the overlap window (at most seven days from now), and the
    certificate it sent pinned in place of the old one. A notice for a key pinned already changes nothing; one
    that does not verify is witnessed as refused and changes nothing (the stream goes on)."""
    outcome, reason, record = "rotated", "", None
    if body.get("key", {}).get("key_id") == peer.key_id:
        outcome = "already"
    else:
        try:
            record = _verify_rotation(peer, body)
        except _RotationRefused as refused:
            outcome, reason = "refused", refused.reason
    previous = peer.key_id
    if record is not None:
        until = min(rules.parse_timestamp(body["overlap_until"]), act.now + timedelta(seconds=OVERLAP_MAX_SECONDS))
        peer.previous_key_pem, peer.previous_key_id = peer.public_key_pem, peer.key_id
        peer.previous_key_until = max(until, act.now)
        peer.public_key_pem, peer.key_id = record.public_key_pem, record.key_id
        peer.certificate_pem = body["certificate_pem"]
    act.witness(
        inbound,
        {
            "peer": peer.code,
            "seq": message.seq,
            "type": message.type,
            "key_id": str(body.get("key", {}).get("key_id") or "")[:80],
            "previous_key_id": previous,
            "overlap_until": iso_utc(peer.previous_key_until) if record is not None else None,
            "certificate": bool(body.get("certificate_pem")),
            "outcome": outcome,
            "reason": reason,
        },
    )
    if record is not None:
        act.emit(
            "federation.peer_key_rotated.v1",
            peer,
            {
                "peer": peer.code,
                "key_id": record.key_id,
                "previous_key_id": previous,
                "overlap_until": iso_utc(peer.previous_key_until),
            },
        )


# -- initial sync (首次同步) ----------------------------------------------------------------------------------------
SYNC_PHASES = ("cas", "entities", "notices", "sites", "draws")
SYNC_REASONS = ("peered", "resumed", "manual")
SYNC_BATCH = 100  # messages per sync step (YIWANG_FEDERATION["SYNC_BATCH"], 1–200)
SYNC_STEPS_PER_RUN = 10


def _sync_batch() -> int:
    """Messages queued per sync step (``YIWANG_FEDERATION["SYNC_BATCH"]``, default 100, 1–200). The sync also
    waits while more than two steps' worth of messages are unacknowledged, so a peer that is down is not sent
    the whole history into its outbox at once."""
    return max(1, min(rules.MAX_BATCH, int(_config().get("SYNC_BATCH", SYNC_BATCH))))


def _begin_sync(peer: Peer, reason: str, moment: datetime) -> None:
    """Start (or restart from the beginning) the peer's initial sync, inside the caller's action (which saves the
    row). The relay's cursor is read under the relay's lock: the feed events up to it were looked at while the
    peer was not active (not queued for it) and are the sync's to replay; every later one is queued for it by
    the relay, which re-reads the active peers under the same lock before it queues (so none is missed or sent
    twice at that boundary)."""
    cursor = locked_singleton(FeedCursor)
    peer.sync_state, peer.sync_reason, peer.sync_phase = "running", reason, SYNC_PHASES[0]
    peer.sync_after, peer.sync_until, peer.sync_looked, peer.sync_queued = 0, cursor.after, 0, 0
    peer.sync_started_at, peer.sync_finished_at = moment, None


def do_start_peer_sync(*, actor: Actor, code: str) -> Peer:
    """Sync an active peer hub again from the beginning (staff administrators; ``yiwang federation sync``): its
    CA trust list, its own organisations, its public notices and the requests still waiting for the peer are
    queued for it again (the peer drops what it holds already). Registering a hub and resuming a suspended one
    start the sync by themselves. Refusals: ``federation.forbidden`` (403), ``federation.unknown_peer`` (404),
    ``federation.peer_inactive`` (409: suspended or the national uplink)."""
    with action(actor, "federation.start_peer_sync") as act:
        locked_singleton(FeedCursor)  # the relay's lock before the peer's row, in the relay's order
        peer = _managed_peer(actor, (code or "").strip().upper())
        if not peer.is_active or peer.kind != "hub":
            raise Conflict(
                "federation.peer_inactive",
                "只能同步在用的互联平台（已暂停的平台恢复时自动同步）",
                "only an active peer hub can be synced (a suspended one is synced when resumed)",
                {"code": peer.code},
            )
        _begin_sync(peer, "manual", act.now)
        peer.save()
        act.witness(peer, {"code": peer.code, "sync": "manual"})
        return peer


class _SyncGone(Exception):
    """The peer was suspended, removed or its sync finished meanwhile: the step changes nothing."""


def _sync_items(peer: Peer, room: int) -> tuple[list[tuple[int, str, dict]], int, int, bool]:
    """The next items of the peer's current phase after its cursor: ``(messages as (source event, type, body),
    new cursor, items looked at, phase exhausted)``. At most ``room`` items are looked at."""
    phase, after = peer.sync_phase, peer.sync_after
    out: list[tuple[int, str, dict]] = []
    if phase == "cas":
        # on first peering the CAs removed from the list are left out; on resuming their removal is news
        views = ca.list_trusted_cas(include_removed=peer.sync_reason != "peered")
        ids = sorted(v.id for v in views if v.id > after)[:room]
        for ca_id in ids:
            if (message := _ca_message(ca_id)) is not None:
                out.append((0, *message))
        return out, (ids[-1] if ids else after), len(ids), len(ids) < room
    if phase == "entities":
        ids = registry.list_own_organisation_ids(after=after, limit=room)
        for entity_id in ids:
            if (message := _entity_message(entity_id)) is not None:
                out.append((0, *message))
        return out, (ids[-1] if ids else after), len(ids), len(ids) < room
    if phase == "notices":
        # the feed's public notice events up to where the relay stood when the sync began (later ones reach the
        # peer through the relay): publications and corrections in order, withdrawals after them
        until = peer.sync_until or 0
        datasets = _record_datasets()
        types = [*rules.NOTICE_EVENTS, *(t for t, info in datasets.items() if info.notice)]
        page = feed.read(after, room, types) if after < until else None
        events = [e for e in page.events if e.seq <= until] if page else []
        home_url = str(getattr(settings, "YIWANG_PUBLIC_URL", ""))
        for event in events:
            if (message := _message_of(event, datasets, home_url, "hub")) is not None:
                out.append((event.seq, *message))
        exhausted = page is None or not page.has_more or len(events) < len(page.events)
        return out, (until if exhausted else events[-1].seq), len(events), exhausted
    model, message_type = (
        (RemoteSiteRequest, rules.VENUE_REQUEST) if phase == "sites" else (PeerDrawRequest, rules.DRAW_REQUEST)
    )
    rows = list(model.objects.filter(peer=peer, state="requested", pk__gt=after).order_by("pk")[:room])
    for row in rows:
        # a request whose message was queued before the peer was suspended is on its way already
        queued = OutboundMessage.objects.filter(peer=peer, message_type=message_type, body__request_id=row.request_id)
        if queued.exists():
            continue
        body = _site_request_body(row) if phase == "sites" else {"request_id": row.request_id, "request": row.request}
        out.append((0, message_type, body))
    return out, (rows[-1].pk if rows else after), len(rows), len(rows) < room


def sync_step(code: str) -> int | None:
    """One bounded step of a peer's initial sync, in one action: up to ``SYNC_BATCH`` items of the current phase
    are turned into ordinary messages for the peer (numbered after what is queued already, each witnessed) and
    the cursor moves with them — an interrupted sync continues where its last step committed and never queues
    an item twice. Returns the number of messages queued, or None when there is nothing to do (no sync
    running, the peer inactive, or too many messages unacknowledged: it waits for the deliveries)."""
    batch = _sync_batch()
    probe = Peer.objects.filter(code=code, is_active=True, kind="hub", sync_state="running").first()
    if probe is None or probe.last_queued - probe.acknowledged > 2 * batch:
        return None
    try:
        with action(SYSTEM, "federation.sync_peer") as act:
            peer = Peer.objects.select_for_update().filter(pk=probe.pk).first()
            if peer is None or not peer.is_active or peer.sync_state != "running":
                raise _SyncGone
            found: list[tuple[int, str, dict]] = []
            looked = 0
            while looked < batch and peer.sync_phase:
                items, peer.sync_after, seen, exhausted = _sync_items(peer, batch - looked)
                found += items
                looked += seen
                if exhausted:
                    following = SYNC_PHASES.index(peer.sync_phase) + 1
                    peer.sync_phase = SYNC_PHASES[following] if following < len(SYNC_PHASES) else ""
                    peer.sync_after = 0
            rows = _queue_for(act, peer, found, sync=peer.sync_reason)
            peer.sync_looked += looked
            peer.sync_queued += len(rows)
            if rows:
                peer.sync_last_seq = peer.last_queued
            finished = not peer.sync_phase
            if finished:
                peer.sync_state, peer.sync_finished_at = "done", act.now
            peer.save()
            progress = {
                "code": peer.code,
                "reason": peer.sync_reason,
                "phase": peer.sync_phase,
                "after": peer.sync_after,
                "until": peer.sync_until,
                "looked": peer.sync_looked,
                "queued": peer.sync_queued,
                "state": peer.sync_state,
            }
            act.witness(peer, progress)
            if finished:
                act.emit("federation.peer_synced.v1", peer, progress)
            return len(rows)
    except _SyncGone:
        return None


def sync_due(moment: datetime | None = None) -> int:
    """Due job (part of the relay): advance the initial sync of every active peer hub that has one running, a
    bounded number of steps each. Returns the number of messages queued."""
    queued = 0
    codes = Peer.objects.filter(is_active=True, kind="hub", sync_state="running").order_by("pk")
    for code in codes.values_list("code", flat=True):
        for _step in range(SYNC_STEPS_PER_RUN):
            done = sync_step(code)
            if done is None:
                break
            queued += done
    return queued


__all__ = [
    "Delivery",
    "Receipt",
    "SignedBatch",
    "authenticate_batch",
    "collect_feed",
    "deliver_due",
    "deliver_to",
    "do_decide_ca_proposal",
    "do_receive_batch",
    "do_register_peer",
    "do_replace_peer_key",
    "do_request_peer_draw",
    "do_request_remote_site",
    "do_set_peer_active",
    "do_set_peer_certificate",
    "do_start_peer_sync",
    "own_identity",
    "purge_nonces",
    "receive",
    "relay",
    "signed_headers",
    "sync_due",
    "sync_step",
]
