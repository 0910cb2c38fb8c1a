"""The doors to the exchange's state: registering sub-platforms, and accepting the records they push.

A push is authenticated twice: the bearer token of the sub-platform's OAuth2 client (identity) names the
sub-platform, and the request body is signed with one of its registered certificates (identity.ca: chain,
validity, revocation, the certificate's USCC = the sub-platform's PLATFORM_CODE, timestamp window, nonce
once). Then every record is validated against its dataset definition; valid records are stored, witnessed,
indexed for search and published to the feed in one action, refused ones are answered with their errors and
logged in the quality log. See docs/exchange.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from yiwang.catalog import queries as catalog
from yiwang.exchange.subplatform.domain import quality
from yiwang.exchange.subplatform.domain import validation as rules
from yiwang.exchange.subplatform.domain.datasets import catalog_tables, children_of, get_dataset
from yiwang.exchange.subplatform.domain.validation import Checked, CodeBook, FieldError, Stored
from yiwang.exchange.subplatform.models import (
    Receipt,
    Record,
    RecordVersion,
    Refusal,
    SubPlatform,
    SubPlatformCertificate,
)
from yiwang.exchange.subplatform.search import KIND, record_document
from yiwang.identity import actions as identity
from yiwang.identity.ca import actions as ca
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from yiwang.kernel.ids import region_covers, validate_region_code_format
from yiwang.platform.actions import action
from yiwang.platform.clock import now
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.search.index import deferred_statistics, index_document, remove_document

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_BATCH = 1000
FUTURE_SKEW = timedelta(minutes=5)  # DATA_TIMESTAMP may run this far ahead of our clock (clock skew)
CATALOG_KINDS = ("sub", "market")  # 平台目录 entries that may push (the hub itself does not)
OPERATIONS = {rules.INSERT: "add", rules.REPLACE: "update", rules.REMOVE: "delete"}


class _NothingStored(Exception):
    """Raised inside the push action when no record was accepted: rolls back the (empty) receipt."""


def _is_staff_admin_over(actor: Actor, region: str) -> bool:
    if actor.is_system:
        return True
    return any(g.role is Role.STAFF and g.admin and g.region and region_covers(g.region, region) for g in actor.grants)


def _certificate_der(certificate: bytes | str) -> bytes:
    """A certificate as DER, from DER bytes, PEM text or base64 text."""
    from asn1crypto import pem

    data = certificate.encode() if isinstance(certificate, str) else certificate
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
        return data
    if data[:1] == b"\x30":
        return data
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "exchange.certificate_malformed",
            "证书须为 PEM、DER 或 base64",
            "the certificate must be PEM, DER or base64",
            {"field": "certificate"},
        ) from None


def _subject_text(der: bytes) -> str:
    from asn1crypto import x509

    try:
        return x509.Certificate.load(der).subject.human_friendly[:300]
    except (ValueError, TypeError):
        raise InvalidInput(
            "exchange.certificate_malformed",
            "证书无法解析",
            "the certificate does not parse",
            {"field": "certificate"},
        ) from None


# -- registering sub-platforms -------------------------------------------------------------------------------------
def do_register_subplatform(
    *,
    actor: Actor,
    platform_code: str,
    client_id: str,
    region_code: str,
    certificate: bytes | str,
    name: str = "",
) -> tuple[SubPlatform, str]:
    """Register a sub-platform of the 平台目录 (by its PLATFORM_CODE = the operator's USCC): its OAuth2 client
    (the secret is returned once), the ``subplatform_client`` role over ``region_code`` and its first signing
    certificate. Staff administrators over the region only."""
    region_code = validate_region_code_format(region_code)
    if not _is_staff_admin_over(actor, region_code):
        raise PermissionDenied("exchange.forbidden", "无权登记分平台", "You may not register sub-platforms here")
    entry = catalog.platform_by_uscc(platform_code)
    if entry is None or entry.kind not in CATALOG_KINDS or entry.status != "active":
        raise InvalidInput(
            "exchange.not_in_catalog",
            f"交易系统标识码 {platform_code} 不在平台目录中（或不是可对接的分平台）",
            f"PLATFORM_CODE {platform_code} is not an active sub-platform of the platform catalogue",
            {"field": "platform_code", "platform_code": platform_code},
        )
    der = _certificate_der(certificate)
    subject = _subject_text(der)
    fingerprint = hashlib.sha256(der).hexdigest()
    with action(actor, "exchange.register_subplatform") as act:
        if SubPlatform.objects.filter(platform_code=platform_code).exists():
            raise Conflict(
                "exchange.subplatform_exists",
                f"分平台 {platform_code} 已登记",
                f"sub-platform {platform_code} is already registered",
                {"field": "platform_code"},
            )
        if SubPlatformCertificate.objects.filter(fingerprint=fingerprint).exists():
            raise Conflict(
                "exchange.certificate_taken",
                "该证书已登记给其他分平台",
                "this certificate is registered for another sub-platform",
                {"field": "certificate", "fingerprint": fingerprint},
            )
        display = (name or entry.name)[:200]
        client, secret = identity.do_register_client(actor=actor, client_id=client_id, name=display)
        identity.do_grant_role(actor=actor, role=Role.SUBPLATFORM_CLIENT, client=client, region=region_code)
        platform = SubPlatform.objects.create(
            platform_code=platform_code,
            catalog_key=entry.code,
            name=display,
            client_id=client_id,
            region_code=region_code,
            registered_at=act.now,
            registered_by=actor.ref,
        )
        SubPlatformCertificate.objects.create(
            subplatform=platform, fingerprint=fingerprint, der=der, subject=subject, added_at=act.now
        )
        act.witness(
            platform,
            {
                "platform_code": platform_code,
                "catalog_key": entry.code,
                "name": display,
                "client_id": client_id,
                "region_code": region_code,
                "certificate_sha256": fingerprint,
            },
        )
        act.emit(
            "exchange.subplatform_registered.v1",
            platform,
            {"platform_code": platform_code, "name": display, "catalog_key": entry.code},
        )
        return platform, secret


def do_set_subplatform_active(*, actor: Actor, platform_code: str, active: bool) -> SubPlatform:
    """Suspend (or resume) a sub-platform's pushes. Staff administrators over its region only."""
    with action(actor, "exchange.set_subplatform_active") as act:
        platform = _managed_platform(actor, platform_code)
        platform.is_active = active
        platform.save(update_fields=["is_active"])
        act.witness(platform, {"platform_code": platform_code, "active": active})
        act.emit("exchange.subplatform_status_changed.v1", platform, {"platform_code": platform_code, "active": active})
        return platform


def _managed_platform(actor: Actor, platform_code: str) -> SubPlatform:
    platform = SubPlatform.objects.select_for_update().filter(platform_code=platform_code).first()
    if platform is None:
        raise NotFound(
            "exchange.subplatform_not_found", "分平台不存在", "No such sub-platform", {"platform_code": platform_code}
        )
    if not _is_staff_admin_over(actor, platform.region_code):
        raise PermissionDenied("exchange.forbidden", "无权管理该分平台", "You may not manage this sub-platform")
    return platform


def do_add_certificate(*, actor: Actor, platform_code: str, certificate: bytes | str) -> SubPlatformCertificate:
    """Register a further signing certificate (a renewal, a second signing server). Staff administrators."""
    der = _certificate_der(certificate)
    subject = _subject_text(der)
    fingerprint = hashlib.sha256(der).hexdigest()
    with action(actor, "exchange.add_certificate") as act:
        platform = _managed_platform(actor, platform_code)
        if SubPlatformCertificate.objects.filter(fingerprint=fingerprint).exists():
            raise Conflict(
                "exchange.certificate_taken",
                "该证书已登记",
                "this certificate is already registered",
                {"field": "certificate", "fingerprint": fingerprint},
            )
        row = SubPlatformCertificate.objects.create(
            subplatform=platform, fingerprint=fingerprint, der=der, subject=subject, added_at=act.now
        )
        act.witness(platform, {"platform_code": platform_code, "certificate_sha256": fingerprint, "added": True})
        return row


def do_remove_certificate(*, actor: Actor, platform_code: str, fingerprint: str) -> SubPlatformCertificate:
    """Stop accepting signatures by one certificate of a sub-platform (at once). The last one cannot go: suspend
    the sub-platform instead. Staff administrators."""
    with action(actor, "exchange.remove_certificate") as act:
        platform = _managed_platform(actor, platform_code)
        live = SubPlatformCertificate.objects.filter(subplatform=platform, removed_at__isnull=True)
        row = live.filter(fingerprint=fingerprint).first()
        if row is None:
            raise NotFound(
                "exchange.certificate_not_found",
                "该分平台没有这张在用的证书",
                "no such certificate in use by this sub-platform",
                {"fingerprint": fingerprint},
            )
        if live.count() == 1:
            raise Conflict(
                "exchange.last_certificate",
                "不能停用最后一张签名证书（可暂停该分平台）",
                "the last signing certificate cannot be removed (suspend the sub-platform instead)",
            )
        row.removed_at = act.now
        row.save(update_fields=["removed_at"])
        act.witness(platform, {"platform_code": platform_code, "certificate_sha256": fingerprint, "added": False})
        return row


def _unknown_platform(platform_code: str = "") -> PermissionDenied:
    return PermissionDenied(
        "exchange.unknown_subplatform",
        "调用方不是已登记（且在用）的分平台",
        "the caller is not a registered, active sub-platform",
        {"platform_code": platform_code} if platform_code else {},
    )


# -- authenticating a push -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignedRequest:
    """The signature headers of a push (docs/exchange.md §3)."""

    timestamp: str
    nonce: str
    signature: str  # base64
    certificate: str  # base64 DER or PEM


@dataclass(frozen=True)
class Pusher:
    """An authenticated, signature-checked sub-platform request."""

    platform: SubPlatform
    fingerprint: str
    nonce: str


def pushing_platform(actor: Actor) -> SubPlatform:
    """The active sub-platform whose OAuth2 client is calling, or ``exchange.unknown_subplatform`` (403)."""
    platform = None
    if actor.kind is ActorKind.CLIENT and actor.has_role(Role.SUBPLATFORM_CLIENT):
        platform = SubPlatform.objects.filter(client_id=actor.id, is_active=True).first()
    if platform is None:
        raise _unknown_platform()
    return platform


def authenticate_push(*, actor: Actor, payload: Any, signed: SignedRequest | None) -> Pusher:
    """Check who pushes and the request signature. Refusals: ``exchange.unknown_subplatform`` (403),
    ``exchange.unsigned`` (401), ``exchange.certificate_not_registered`` (401), the trust layer's reason
    (``ca.signature_invalid``, ``ca.timestamp_out_of_window``, ``ca.revoked``, ``ca.wrong_entity`` …, 401) and
    ``ca.replayed`` (409). The nonce is remembered in its own transaction: a replayed request is refused even
    when the first one's records were refused."""
    platform = pushing_platform(actor)
    if signed is None or not all((signed.timestamp, signed.nonce, signed.signature, signed.certificate)):
        raise NotAuthenticated(
            "exchange.unsigned",
            "请求未签名：须提供 X-Yiwang-Timestamp、X-Yiwang-Nonce、X-Yiwang-Signature 与 X-Yiwang-Certificate",
            "unsigned request: X-Yiwang-Timestamp, X-Yiwang-Nonce, X-Yiwang-Signature and X-Yiwang-Certificate "
            "are required",
        )
    try:
        der = _certificate_der(signed.certificate)
        signature = base64.b64decode(signed.signature, validate=True)
    except (InvalidInput, binascii.Error, ValueError):
        raise NotAuthenticated(
            "exchange.signature_malformed",
            "签名或证书不是合法的 base64",
            "the signature or the certificate is not valid base64",
        ) from None
    fingerprint = hashlib.sha256(der).hexdigest()
    registered = SubPlatformCertificate.objects.filter(
        subplatform=platform, fingerprint=fingerprint, removed_at__isnull=True
    ).exists()
    if not registered:
        raise NotAuthenticated(
            "exchange.certificate_not_registered",
            "该证书未登记为本分平台的签名证书",
            "the certificate is not registered for this sub-platform",
            {"fingerprint": fingerprint},
        )
    with transaction.atomic():
        check = ca.accept_signed_api_request(
            payload=payload,
            timestamp=signed.timestamp,
            nonce=signed.nonce,
            signature=signature,
            certificate=der,
            expected_uscc=platform.platform_code,
        )
    if not check.ok:
        reason = check.reason or "ca.signature_invalid"
        error_class = Conflict if reason == "ca.replayed" else NotAuthenticated
        raise error_class(reason, check.message_zh, check.message_en, dict(check.details))
    return Pusher(platform=platform, fingerprint=fingerprint, nonce=signed.nonce)


# -- accepting records ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemResult:
    index: int
    dataset: str
    key: str | None
    outcome: str  # created | updated | deleted | unchanged | refused
    version: int | None = None
    record_id: int | None = None
    errors: tuple[FieldError, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "dataset": self.dataset,
            "key": self.key,
            "outcome": self.outcome,
            "version": self.version,
            "record_id": self.record_id,
            "errors": [e.as_dict() for e in self.errors],
        }


@dataclass
class PushResult:
    receipt_id: int | None
    results: list[ItemResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r.outcome in ("created", "updated", "deleted"))


def code_book() -> CodeBook:
    """The valid codes of the catalogue code tables the definitions use, and today's region codes."""
    today = catalog.today()
    return CodeBook(
        catalog={name: frozenset(e.code for e in catalog.code_entries(name)) for name in catalog_tables()},
        regions=frozenset(r.code for r in catalog.list_all_regions() if r.valid_on(today)),
    )


def _stored(record: Record) -> Stored:
    return Stored(
        platform_code=record.platform.platform_code,
        data_timestamp=record.data_timestamp,
        digest=record.digest,
        deleted=record.deleted,
        content=record.content,
    )


def _decide(checked: Checked, platform: SubPlatform) -> tuple[str | None, FieldError | None, Record | None]:
    dataset = checked.dataset
    existing = (
        Record.objects.select_for_update()
        .select_related("platform")
        .filter(dataset=dataset.table, record_key=checked.key)
        .first()
    )
    parent: Stored | bool | None = True
    parent_key = rules.parent_key(checked)
    if dataset.parent is not None:
        row = (
            Record.objects.select_related("platform")
            .filter(dataset=dataset.parent.dataset, record_key=parent_key, deleted=False)
            .first()
        )
        parent = _stored(row) if row else None
    target = None
    if checked.data_key:
        target = (
            Record.objects.filter(platform=platform, dataset=dataset.table, data_key=checked.data_key)
            .values_list("record_key", flat=True)
            .first()
        )

    def has_live_children() -> bool:
        return any(
            Record.objects.filter(dataset=child.table, parent_key=checked.key, deleted=False).exists()
            for child in children_of(dataset.table)
        )

    outcome, error = rules.decide(
        checked,
        _stored(existing) if existing else None,
        platform_code=platform.platform_code,
        parent=parent,
        has_live_children=has_live_children,
        data_key_target=target,
    )
    return outcome, error, existing


def _public_content(checked: Checked) -> dict[str, Any]:
    public = set(checked.dataset.public_fields)
    return {k: v for k, v in checked.content.items() if k in public}


def _write(
    act: Any, checked: Checked, outcome: str, existing: Record | None, platform: SubPlatform, receipt: Receipt
) -> Record:
    dataset = checked.dataset
    content = checked.content
    title_value = content.get(dataset.title_field) if dataset.title_field else None
    title = str(title_value) if title_value else f"{dataset.name_zh} {checked.key}"
    values = {
        "data_type": checked.data_type,
        "data_timestamp": checked.data_timestamp,
        "deleted": outcome == rules.REMOVE,
        "content": content if outcome != rules.REMOVE else (existing.content if existing else content),
        "digest": checked.digest,
        "received_at": act.now,
    }
    if outcome != rules.REMOVE:
        values.update(
            title=title[:600],
            region_code=str(content.get("REGION_CODE", ""))[:6],
            chain=str(content.get(dataset.chain_field, ""))[:100],
            parent_key=rules.parent_key(checked) or "",
        )
        if checked.data_key:
            values["data_key"] = checked.data_key
    if existing is None:
        record = Record.objects.create(
            platform=platform,
            dataset=dataset.table,
            record_key=checked.key,
            stage=dataset.stage,
            first_received_at=act.now,
            version=1,
            **values,
        )
    else:
        record = existing
        for name, value in values.items():
            setattr(record, name, value)
        record.version += 1
        record.save()
    RecordVersion.objects.create(
        record=record,
        number=record.version,
        receipt=receipt,
        data_type=checked.data_type,
        data_timestamp=checked.data_timestamp,
        digest=checked.digest,
        content=content,
        received_at=act.now,
        completeness=None if outcome == rules.REMOVE else quality.completeness_permille(dataset, content),
        lag_seconds=None if outcome == rules.REMOVE else quality.lag_seconds(dataset, content, act.now, SHANGHAI),
    )
    operation = OPERATIONS[outcome]
    act.witness(
        record,
        {
            "platform_code": platform.platform_code,
            "dataset": dataset.table,
            "key": checked.key,
            "operation": operation,
            "data_timestamp": checked.data_timestamp,
            "digest": checked.digest,
            "version": record.version,
            "receipt": receipt.pk,
        },
    )
    act.emit(
        f"exchange.{dataset.table.lower()}.received.v1",
        record,
        {
            "dataset": dataset.table,
            "data_no": dataset.data_no,
            # a personal-data record's key holds an identity number: consumers get its hash
            "key": checked.key
            if not dataset.personal_data
            else "sha256:" + hashlib.sha256(checked.key.encode()).hexdigest(),
            "platform_code": platform.platform_code,
            "operation": operation,
            "data_timestamp": checked.data_timestamp,
            "version": record.version,
            "digest": checked.digest,
            "record": _public_content(checked) if operation != "delete" else None,
        },
        visibility=Visibility.RESTRICTED if dataset.personal_data else Visibility.PUBLIC,
    )
    if outcome == rules.REMOVE:
        remove_document(KIND, str(record.pk))
    else:
        record.platform = platform
        index_document(record_document(record))
    return record


def _raw_key(dataset_name: Any, record: Any) -> str | None:
    """The key a refused record would have had (for the sender and the quality log), when it can be told."""
    dataset = get_dataset(dataset_name) if isinstance(dataset_name, str) else None
    if dataset is None or not isinstance(record, dict):
        return None
    key = dataset.key_of(record)
    return key[:300] if key.strip("|") else None


def _apply(act: Any, index: int, checked: Checked, platform: SubPlatform, receipt: Receipt) -> ItemResult | FieldError:
    """Decide and write one checked record in a savepoint. When another transaction inserted the same key
    between our read and our insert (PostgreSQL: the unique index waits for it, then fails), the savepoint
    rolls back and the decision is taken again against the committed row (a replay then is ``unchanged``)."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                outcome, error, existing = _decide(checked, platform)
                if error is not None:
                    return error
                if outcome == rules.UNCHANGED:
                    assert existing is not None
                    return ItemResult(
                        index, checked.dataset.table, checked.key, "unchanged", existing.version, existing.pk
                    )
                assert outcome is not None
                row = _write(act, checked, outcome, existing, platform, receipt)
        except IntegrityError:
            continue
        done = {rules.INSERT: "created", rules.REPLACE: "updated", rules.REMOVE: "deleted"}[outcome]
        return ItemResult(index, checked.dataset.table, checked.key, done, row.version, row.pk)
    return rules.error("exchange.concurrent_push", "", key=checked.key)


def _latest_allowed_timestamp() -> str:
    return (now() + FUTURE_SKEW).astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")


def do_push_records(
    *, actor: Actor, pusher: Pusher, items: Sequence[tuple[Any, Any]], channel: str = "single"
) -> PushResult:
    """Apply pushed records ``(dataset, record)`` in order. Each record is accepted or refused on its own:
    accepted ones are stored (current row + version), witnessed, indexed and published in one action with one
    :class:`Receipt`; refused ones get their errors in the result and a row in the quality log. A record never
    leaves anything behind when refused. Replaying an accepted record (same key, same ``DATA_TIMESTAMP``, same
    content) is ``unchanged`` and stores nothing."""
    platform = pusher.platform
    if actor.kind is not ActorKind.CLIENT or actor.id != platform.client_id:
        raise _unknown_platform()
    codes = code_book()
    latest = _latest_allowed_timestamp()
    results: list[ItemResult] = []
    refused: list[tuple[ItemResult, str]] = []

    def refuse(index: int, dataset: Any, key: str | None, errors: list[FieldError], ts: str = "") -> None:
        result = ItemResult(index, str(dataset)[:64], key, "refused", errors=tuple(errors))
        results.append(result)
        refused.append((result, ts))

    receipt_id = None
    try:
        # the search statistics of every record indexed are summed and written once, at the end (platform/search)
        with action(actor, "exchange.push_records") as act, deferred_statistics():
            # made first, rolled back with everything else when no record is accepted
            receipt = Receipt.objects.create(
                platform=platform,
                channel=channel,
                received_at=act.now,
                certificate_fingerprint=pusher.fingerprint,
                nonce=pusher.nonce,
            )
            for index, (dataset_name, record) in enumerate(items):
                checked, errors = rules.check_record(dataset_name, record, codes)
                if checked is None:
                    ts = record.get("DATA_TIMESTAMP") if isinstance(record, dict) else None
                    refuse(index, dataset_name, _raw_key(dataset_name, record), errors, str(ts or "")[:14])
                    continue
                future = rules.check_not_future(checked, latest)
                if future is not None:
                    refuse(index, dataset_name, checked.key, [future], checked.data_timestamp)
                    continue
                outcome = _apply(act, index, checked, platform, receipt)
                if isinstance(outcome, FieldError):
                    refuse(index, dataset_name, checked.key, [outcome], checked.data_timestamp)
                else:
                    results.append(outcome)
            result = PushResult(receipt.pk, results)
            if not result.accepted:
                raise _NothingStored
            Receipt.objects.filter(pk=receipt.pk).update(
                accepted=result.accepted, unchanged=result.count("unchanged"), refused=result.count("refused")
            )
            receipt_id = receipt.pk
    except _NothingStored:
        pass
    if refused:
        _log_refusals(platform, channel, refused)
    return PushResult(receipt_id, results)


def _log_refusals(platform: SubPlatform, channel: str, refused: list[tuple[ItemResult, str]]) -> None:
    """The quality log: what was refused and why (bookkeeping of the exchange, not a witnessed act)."""
    moment = now()
    with transaction.atomic():
        Refusal.objects.bulk_create(
            Refusal(
                platform=platform,
                channel=channel,
                dataset=result.dataset,
                record_key=(result.key or "")[:300],
                data_timestamp=ts if ts.isdigit() else "",
                errors=[e.as_dict() for e in result.errors],
                first_code=result.errors[0].code if result.errors else "",
                received_at=moment,
            )
            for result, ts in refused
        )
