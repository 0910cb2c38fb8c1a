"""State changes of notices: drafts, publication (now or scheduled), corrections, withdrawal, disclosure
obligations, subscriptions and the messages they produce.

What the trading contexts call (inside their own actions; these nest and commit with them):

* :func:`do_publish_notice` — create and publish (or schedule) a notice in one step;
* :func:`do_correct_notice` — publish a correction: a new version that supersedes the old one;
* :func:`do_withdraw_notice` — withdraw (终止/撤销) with a reason; the notice stays readable, marked;
* :func:`do_register_disclosure_obligation` — "the event a deadline counts from happened" (evaluation report
  received, contract signed …): the disclosure list decides which notices become due, and when;
* :func:`yiwang.services.notices.queries.list_notices_of` — the notices of an owner.

Who may act on a notice: the platform itself (``Actor.system``), staff (交易中心工作人员) holding the staff
role over the notice's region, or a user (market-entity user or agency) acting for the entity the caller
names as ``publisher_entity_id`` — the tenderer or agency publishing it. The trading context knows who that
is and passes it; this context does not second-guess the owner reference.

Publishing a version, in one transaction: the status and publication time (the action's time: when it
actually became public), the data digest, the PDF rendered and stored in platform.storage (kind ``notice``,
public), the search document (keyed by the chain, so a correction replaces it), fulfilment of disclosure
obligations (first publication of a chain only), a witness entry and the public event
``notices.notice_published.v1``. Subscribers are told by the clock job ``notices.match_subscriptions``
after commit (the notice is flagged ``match_pending`` in the same transaction).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import digest_json
from yiwang.kernel.errors import InvalidInput, ServiceUnavailable, YiwangError
from yiwang.kernel.ids import validate_deal_code
from yiwang.kernel.periods import earliest_allowed
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.clock import now as clock_now
from yiwang.platform.notify.html import DOCUMENT, MAX_HTML_CHARS, clean_html, html_to_text
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.search.index import index_document
from yiwang.platform.search.labels import register_labels
from yiwang.platform.storage import actions as storage
from yiwang.platform.storage import queries as stored
from yiwang.services.notices import errors, lock_objects, rendering
from yiwang.services.notices.domain import due as due_rules
from yiwang.services.notices.domain import fields as field_rules
from yiwang.services.notices.domain import states
from yiwang.services.notices.domain.states import NATURE_CORRECTION, Status
from yiwang.services.notices.models import DisclosureObligation, Notice, NoticeAttachment, Subscription
from yiwang.services.notices.search import notice_document

__all__ = [
    "OWNER_CONTEXT",
    "do_correct_notice",
    "do_create_notice_draft",
    "do_create_subscription",
    "do_delete_subscription",
    "do_notify_subscribers",
    "do_publish_draft",
    "do_publish_due_notice",
    "do_publish_notice",
    "do_register_disclosure_obligation",
    "do_update_notice_draft",
    "do_update_subscription",
    "do_withdraw_notice",
]

OWNER_CONTEXT = "services.notices"  # the platform.storage owner context of notice PDFs and attachments
MAX_TITLE = 300
MAX_REASON = 2000
MAX_ATTACHMENTS = 50
MAX_SCHEDULE_AHEAD = timedelta(days=366)
_OWNER = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)*:[\x21-\x7e]{1,80}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Which rule of the rules catalogue sets the minimum publicity period of a notice type, per category. The
# numbers themselves come from the catalogue in effect (a rule that is not listed is not enforced).
PUBLICITY_RULES: dict[tuple[str, str], str] = {
    ("candidates", "works"): "tender.candidate_publicity_period_min",
    ("candidates", "me_equipment"): "tender.candidate_publicity_period_min",
    ("award_result", "gp"): "gp.award_notice_period",
    ("single_source_publicity", "gp"): "gp.single_source_publicity_min",
    ("deal_result", "state_assets"): "equity.result_notice_period_min",
}


# -- permissions -------------------------------------------------------------------------------------------------
def can_manage(actor: Actor, region_code: str, publisher_entity_id: int | None) -> bool:
    """The platform, staff over the region, or a user of the publishing entity."""
    if actor.is_system:
        return True
    if actor.covers_region(region_code, Role.STAFF):
        return True
    return publisher_entity_id is not None and actor.acts_for(publisher_entity_id)


def _require_manage(actor: Actor, region_code: str, publisher_entity_id: int | None, zh: str, en: str) -> None:
    if not can_manage(actor, region_code, publisher_entity_id):
        raise errors.forbidden(zh, en)


# -- input -------------------------------------------------------------------------------------------------------
_labels_registered = False


def type_label(code: str) -> str:
    return catalog.code_label("notice_type", code) or code


def register_search_labels() -> None:
    """Names of categories and stages for the search page's filters (once per process, from the catalogue)."""
    global _labels_registered
    if _labels_registered:
        return
    register_labels("category", {c.code: c.title_zh for c in catalog.list_trading_categories()})
    stages: dict[str, str] = {}
    for item in _disclosure_items():
        for requirement in catalog.required_notices(item["category"], item["stage"]):
            stages[requirement.stage] = requirement.stage_label
    register_labels("stage", stages)
    _labels_registered = True


def _disclosure_items() -> list[dict[str, Any]]:
    version = catalog.version_in_effect("disclosure")
    if version is None:
        return []
    return [dict(i.data) for i in catalog.version_items(version, item_type="requirement")]


def infer_stage(category: str, notice_type: str) -> str:
    """The stage whose disclosure requirement lists ``notice_type`` for ``category`` ("" if none does)."""
    for item in _disclosure_items():
        if item.get("category") == category and notice_type in item.get("notice_types", ()):
            return str(item["stage"])
    return ""


@dataclass(frozen=True)
class _Input:
    owner_ref: str
    notice_type: str
    category: str
    region_code: str
    stage: str
    deal_code: str
    title: str
    body_html: str
    body_text: str
    fields: dict[str, Any]
    amount_fen: int | None
    publisher_entity_id: int | None


def _owner(owner: str) -> str:
    owner = (owner or "").strip()
    if len(owner) > 120 or not _OWNER.match(owner):
        raise errors.invalid(
            "owner_invalid",
            "公告所属对象引用格式应为“业务域.对象:编号”，如 tender.section:34",
            "the owner reference must look like tender.section:34",
            field="owner",
        )
    return owner


def _notice_type(code: str) -> str:
    try:
        return catalog.require_code("notice_type", code).code
    except YiwangError as exc:
        raise errors.invalid(
            "type_unknown",
            f"公告类型“{str(code)[:40]}”不在代码表（notice_type）中",
            f"notice type {str(code)[:40]!r} is not in the notice_type code table",
            field="notice_type",
            allowed=exc.details.get("allowed", []),
        ) from None


def _category(code: str) -> str:
    known = [c.code for c in catalog.list_trading_categories()]
    if code not in known:
        raise errors.invalid(
            "category_unknown",
            f"交易类别“{str(code)[:40]}”不在现行交易目录中",
            f"category {str(code)[:40]!r} is not in the trading catalogue in effect",
            field="category",
            allowed=known,
        )
    return code


def check_region(code: str) -> str:
    try:
        return catalog.require_region(code).code
    except YiwangError as exc:
        raise errors.invalid(
            "region_invalid", exc.message_zh, exc.message_en, field="region_code", cause=exc.code
        ) from None


def _stage(stage: str | None, category: str, notice_type: str) -> str:
    if stage is None or stage == "":
        return infer_stage(category, notice_type)
    if not _CODE.match(stage):
        raise errors.invalid("stage_invalid", "阶段代码格式不正确", "the stage code is not valid", field="stage")
    return stage


def _deal_code(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        validate_deal_code(value)
    except YiwangError as exc:
        raise errors.invalid(
            "deal_code_invalid", exc.message_zh, exc.message_en, field="deal_code", cause=exc.code
        ) from None
    return value


def _title(title: str) -> str:
    title = " ".join((title or "").split())
    if not 1 <= len(title) <= MAX_TITLE or _CONTROL.search(title):
        raise errors.invalid(
            "title_invalid", f"公告标题须为 1–{MAX_TITLE} 个字符", f"the title must be 1-{MAX_TITLE} characters",
            field="title",
        )  # fmt: skip
    return title


def _body(body_html: str) -> tuple[str, str]:
    if not isinstance(body_html, str):
        raise errors.invalid("body_required", "公告正文不能为空", "the notice needs a body", field="body_html")
    if len(body_html) > MAX_HTML_CHARS:
        raise errors.invalid(
            "body_too_long",
            f"公告正文最长 {MAX_HTML_CHARS} 个字符",
            f"the body is longer than {MAX_HTML_CHARS} characters",
            field="body_html",
            max=MAX_HTML_CHARS,
        )
    clean = clean_html(body_html, DOCUMENT)
    text = html_to_text(clean)
    if not text:
        raise errors.invalid("body_required", "公告正文不能为空", "the notice needs a body", field="body_html")
    return clean, text


def _publisher(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise errors.invalid(
            "publisher_invalid", "发布主体须为主体库编号", "publisher_entity_id must be a registry entity id",
            field="publisher_entity_id",
        )  # fmt: skip
    return value


def check_publicity(notice_type: str, category: str, values: Mapping[str, Any]) -> None:
    """A publicity period shorter than the catalogue's minimum is refused (``notices.publicity_too_short``)."""
    rule_id = PUBLICITY_RULES.get((notice_type, category))
    period = field_rules.publicity_period(notice_type, values)
    if rule_id is None or period is None:
        return
    start, end = period
    try:
        rule = catalog.rule(rule_id, on=start)
    except YiwangError:
        return  # not listed in the catalogue in effect: not enforced
    earliest = earliest_allowed(start, int(rule.value), rule.unit, catalog.workday_calendar())
    if end < earliest:
        raise errors.publicity_too_short(
            rule,
            field_rules.format_datetime(start),
            field_rules.format_datetime(end),
            field_rules.format_datetime(earliest),
        )


def _clean(
    *,
    owner: str,
    notice_type: str,
    category: str,
    region_code: str,
    title: str,
    body_html: str,
    fields: Any,
    deal_code: str | None,
    stage: str | None,
    publisher_entity_id: Any,
) -> _Input:
    owner_ref = _owner(owner)
    notice_type = _notice_type(notice_type)
    category = _category(category)
    region = check_region(region_code)
    title = _title(title)
    clean_body, text = _body(body_html)
    values = field_rules.validate_fields(notice_type, fields)
    check_publicity(notice_type, category, values)
    return _Input(
        owner_ref=owner_ref,
        notice_type=notice_type,
        category=category,
        region_code=region,
        stage=_stage(stage, category, notice_type),
        deal_code=_deal_code(deal_code),
        title=title,
        body_html=clean_body,
        body_text=text,
        fields=values,
        amount_fen=field_rules.amount_of(notice_type, values),
        publisher_entity_id=_publisher(publisher_entity_id),
    )


def _publish_at(publish_at: datetime | None, moment: datetime) -> datetime | None:
    if publish_at is None:
        return None
    if not isinstance(publish_at, datetime) or publish_at.utcoffset() is None:
        raise errors.invalid(
            "publish_at_invalid", "定时发布时间须带时区", "publish_at must be an aware datetime", field="publish_at"
        )
    if publish_at <= moment:
        raise errors.invalid(
            "publish_at_past",
            "定时发布时间须晚于当前时间；立即发布请不填",
            "publish_at must be in the future; leave it out to publish now",
            field="publish_at",
            now=rendering.local_iso(moment),
        )
    if publish_at > moment + MAX_SCHEDULE_AHEAD:
        raise errors.invalid(
            "publish_at_too_far",
            "定时发布时间最多提前一年",
            "publish_at may be at most a year ahead",
            field="publish_at",
        )
    return publish_at


def _reason(reason: str, field: str) -> str:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= MAX_REASON or _CONTROL.search(reason):
        raise errors.invalid(
            "reason_required",
            f"请填写理由（1–{MAX_REASON} 个字符）",
            f"a reason of 1-{MAX_REASON} characters is required",
            field=field,
        )
    return reason


# -- attachments -------------------------------------------------------------------------------------------------
def _attachment_documents(actor: Actor, attachments: Iterable[Any]) -> list[Any]:
    """The storage documents to attach. An id (str/UUID, e.g. from the API) must name an upload of ``actor``
    through the generic files API (else ``storage.document_not_found``); a document *object* is trusted — the
    calling context looked it up through its own queries and vouches that it may be published."""
    items = list(attachments or ())
    if len(items) > MAX_ATTACHMENTS:
        raise errors.invalid(
            "too_many_attachments", f"附件最多 {MAX_ATTACHMENTS} 个", f"at most {MAX_ATTACHMENTS} attachments",
            field="attachments",
        )  # fmt: skip
    documents: dict[Any, Any] = {}
    for item in items:
        if hasattr(item, "owner_context") and hasattr(item, "pk"):
            documents.setdefault(item.pk, item)
            continue
        document_id = str(item)
        try:
            UUID(document_id)
        except ValueError:
            raise errors.invalid(
                "attachment_invalid", "附件编号格式不正确", "an attachment id is not a document id",
                field="attachments", value=document_id[:40],
            ) from None  # fmt: skip
        try:
            document = stored.get_document_for(actor, document_id)
        except YiwangError as exc:
            raise exc.at("attachments") from None
        documents.setdefault(document.pk, document)
    return list(documents.values())


def _attach(actor: Actor, notice: Notice, documents: Sequence[Any]) -> None:
    """Attach the documents to ``notice``: uploads of the actor become the notice's; documents another
    context owns are referenced as they are."""
    owner = stored.Owner(OWNER_CONTEXT, f"notice:{notice.pk}")
    NoticeAttachment.objects.filter(notice=notice).delete()
    for sort, document in enumerate(documents):
        if document.owner_context == stored.UPLOADS:
            document = storage.do_attach_document(actor=actor, document=document.pk, owner=owner)
        version = stored.get_version(document)
        NoticeAttachment.objects.create(
            notice=notice,
            document_id=document.pk,
            title=document.title[:200],
            filename=version.filename[:255],
            sha256=version.sha256,
            size=version.size,
            sort=sort,
        )


def _copy_attachments(source: Notice, target: Notice) -> None:
    NoticeAttachment.objects.bulk_create(
        NoticeAttachment(
            notice=target,
            document_id=a.document_id,
            title=a.title,
            filename=a.filename,
            sha256=a.sha256,
            size=a.size,
            sort=a.sort,
        )
        for a in source.attachments.all()
    )


# -- drafts ------------------------------------------------------------------------------------------------------
def _draft_row(act: ActionRecorder, actor: Actor, data: _Input, **extra: Any) -> Notice:
    notice = Notice.objects.create(
        owner_ref=data.owner_ref,
        publisher_entity_id=data.publisher_entity_id,
        notice_type=data.notice_type,
        category=data.category,
        region_code=data.region_code,
        stage=data.stage,
        deal_code=data.deal_code,
        title=data.title,
        body_html=data.body_html,
        body_text=data.body_text,
        fields=data.fields,
        amount_fen=data.amount_fen,
        status=Status.DRAFT,
        created_by=actor.ref,
        created_at=act.now,
        updated_at=act.now,
        **extra,
    )
    if notice.root_id is None:
        notice.root = notice
        notice.save(update_fields=["root"])
    return notice


def _witness_draft(act: ActionRecorder, notice: Notice) -> None:
    act.witness(
        notice,
        {
            "owner": notice.owner_ref,
            "notice_type": notice.notice_type,
            "category": notice.category,
            "region_code": notice.region_code,
            "version": notice.notice_version,
            "supersedes": notice.supersedes_id,
            "content_sha256": digest_json([notice.title, notice.body_html, notice.fields]),
        },
    )


def do_create_notice_draft(
    *,
    actor: Actor,
    owner: str,
    notice_type: str,
    category: str,
    region_code: str,
    title: str,
    body_html: str,
    fields: Mapping[str, Any] | None = None,
    attachments: Iterable[Any] = (),
    deal_code: str | None = None,
    stage: str | None = None,
    publisher_entity_id: int | None = None,
) -> Notice:
    """A draft notice (not public, not searchable) to be edited and published later."""
    data = _clean(
        owner=owner, notice_type=notice_type, category=category, region_code=region_code, title=title,
        body_html=body_html, fields=fields, deal_code=deal_code, stage=stage, publisher_entity_id=publisher_entity_id,
    )  # fmt: skip
    _require_manage(actor, data.region_code, data.publisher_entity_id, "起草公告", "draft this notice")
    documents = _attachment_documents(actor, attachments)
    with action(actor, "notices.create_draft") as act:
        notice = _draft_row(act, actor, data)
        _attach(actor, notice, documents)
        _witness_draft(act, notice)
        act.emit(
            "notices.draft_created.v1",
            notice,
            {"notice_id": notice.pk, "owner": notice.owner_ref, "notice_type": notice.notice_type},
            visibility=Visibility.RESTRICTED,
        )
        return notice


def _editable(notice_id: int, actor: Actor, expected_version: int | None) -> Notice:
    notice = lock_objects.notice_for_update(notice_id)
    return _check_manage(notice, notice_id, actor, expected_version)


def _check_manage(notice: Notice | None, notice_id: int, actor: Actor, expected_version: int | None) -> Notice:
    if notice is None:
        raise errors.notice_not_found(notice_id)
    if not can_manage(actor, notice.region_code, notice.publisher_entity_id):
        if notice.published_at is None:
            raise errors.notice_not_found(notice_id)  # drafts of others are not revealed
        raise errors.forbidden("修改此公告", "change this notice")
    check_version(notice.version, expected_version)
    return notice


_UNSET: Any = object()


def do_update_notice_draft(
    *,
    actor: Actor,
    notice_id: int,
    expected_version: int | None = None,
    title: str = _UNSET,
    body_html: str = _UNSET,
    fields: Mapping[str, Any] = _UNSET,
    attachments: Iterable[Any] = _UNSET,
    deal_code: str | None = _UNSET,
    stage: str | None = _UNSET,
) -> Notice:
    """Change a draft or a scheduled notice (the schedule stays). Published notices are corrected instead
    (``notices.not_editable``). ``expected_version`` (If-Match) refuses a stale edit with 412."""
    documents = None if attachments is _UNSET else _attachment_documents(actor, attachments)
    with action(actor, "notices.update_draft") as act:
        notice = _editable(notice_id, actor, expected_version)
        states.check_editable(notice.status)
        data = _clean(
            owner=notice.owner_ref,
            notice_type=notice.notice_type,
            category=notice.category,
            region_code=notice.region_code,
            title=notice.title if title is _UNSET else title,
            body_html=notice.body_html if body_html is _UNSET else body_html,
            fields=notice.fields if fields is _UNSET else fields,
            deal_code=notice.deal_code if deal_code is _UNSET else deal_code,
            stage=notice.stage if stage is _UNSET else stage,
            publisher_entity_id=notice.publisher_entity_id,
        )
        for name in ("title", "body_html", "body_text", "fields", "amount_fen", "deal_code", "stage"):
            setattr(notice, name, getattr(data, name))
        notice.updated_at, notice.version = act.now, notice.version + 1
        notice.save()
        if documents is not None:
            _attach(actor, notice, documents)
        _witness_draft(act, notice)
        return notice


# -- publication -------------------------------------------------------------------------------------------------
def _schedule(act: ActionRecorder, notice: Notice, publish_at: datetime) -> None:
    notice.status, notice.publish_at = Status.SCHEDULED, publish_at
    notice.updated_at, notice.version = act.now, notice.version + 1
    notice.save(update_fields=["status", "publish_at", "updated_at", "version"])
    act.witness(notice, {"scheduled_for": rendering.local_iso(publish_at), "version": notice.notice_version})
    act.emit(
        "notices.notice_scheduled.v1",
        notice,
        {"notice_id": notice.pk, "publish_at": rendering.local_iso(publish_at)},
        visibility=Visibility.RESTRICTED,
    )


def _render(notice: Notice, attachments: Sequence[NoticeAttachment], label: str, digest: str, preview: bool) -> bytes:
    try:
        return rendering.render_pdf(
            rendering.pdf_context(notice, attachments, type_label=label, data_sha256=digest, preview=preview)
        )
    except Exception as exc:  # a renderer failure must refuse the publication, not half-publish it
        raise ServiceUnavailable(
            "notices.pdf_unavailable",
            "公告 PDF 生成失败，请稍后重试",
            "the notice PDF could not be rendered; try again later",
            {"error": type(exc).__name__},
        ) from exc


def _publish(act: ActionRecorder, actor: Actor, notice: Notice, old: Notice | None) -> None:
    """Make ``notice`` public now (see the module docstring); ``old`` is the version it corrects (locked)."""
    register_search_labels()
    notice.status, notice.published_at, notice.match_pending = Status.PUBLISHED, act.now, True
    if old is not None:
        old.status, old.superseded_at = Status.CORRECTED, act.now
        old.updated_at, old.version = act.now, old.version + 1
        old.save(update_fields=["status", "superseded_at", "updated_at", "version"])
        act.witness(old, {"corrected_by": notice.pk, "version": old.notice_version})
    attachments = list(notice.attachments.all())
    label = type_label(notice.notice_type)
    data = rendering.notice_data(notice, attachments, type_label=label)
    notice.data_sha256 = digest_json(data)
    pdf = _render(notice, attachments, label, notice.data_sha256, preview=False)
    version = storage.do_store_document(
        actor=actor,
        owner=stored.Owner(OWNER_CONTEXT, f"notice:{notice.pk}"),
        title=f"{notice.number} {notice.title}"[:200],
        kind="notice",
        stream=io.BytesIO(pdf),
        filename=f"{notice.number}.pdf",
        public=True,
    )
    notice.pdf_document_id, notice.pdf_sha256 = version.document.pk, version.sha256
    notice.updated_at, notice.version = act.now, notice.version + 1
    notice.save()
    index_document(notice_document(notice, label))
    if notice.notice_version == 1:
        _fulfil_obligations(act, notice)
    published = rendering.local_iso(act.now)
    act.witness(
        notice,
        {
            "number": notice.number,
            "owner": notice.owner_ref,
            "notice_type": notice.notice_type,
            "version": notice.notice_version,
            "supersedes": notice.supersedes_id,
            "published_at": published,
            "data_sha256": notice.data_sha256,
            "pdf_sha256": notice.pdf_sha256,
        },
    )
    act.emit(
        "notices.notice_published.v1",
        notice,
        {
            "notice_id": notice.pk,
            "number": notice.number,
            "root_id": notice.root_id_or_self,
            "version": notice.notice_version,
            "supersedes": notice.supersedes_id,
            "notice_type": notice.notice_type,
            "category": notice.category,
            "region_code": notice.region_code,
            "stage": notice.stage,
            "owner": notice.owner_ref,
            "deal_code": notice.deal_code or None,
            "title": notice.title,
            "published_at": published,
            "url": rendering.notice_path(notice.pk),
            "data_sha256": notice.data_sha256,
        },
    )


def _lock_with_predecessor(notice_id: int) -> tuple[Notice | None, Notice | None]:
    """The notice and the version it supersedes, locked together in pk order."""
    head = Notice.objects.filter(pk=notice_id).values_list("supersedes_id", flat=True).first()
    ids = [notice_id] + ([head] if head else [])
    locked = {n.pk: n for n in lock_objects.notices_for_update(ids)}
    return locked.get(notice_id), locked.get(head) if head else None


def _go(act: ActionRecorder, actor: Actor, notice: Notice, old: Notice | None, publish_at: datetime | None) -> None:
    states.check_publishable(notice.status)
    if old is not None:
        states.check_correctable(old.status)
    check_publicity(notice.notice_type, notice.category, notice.fields)
    if publish_at is None:
        _publish(act, actor, notice, old)
    else:
        _schedule(act, notice, publish_at)


def do_publish_draft(
    *, actor: Actor, notice_id: int, publish_at: datetime | None = None, expected_version: int | None = None
) -> Notice:
    """Publish a draft (or a scheduled notice) now, or schedule it for ``publish_at`` (rescheduling a
    scheduled one)."""
    with action(actor, "notices.publish_notice") as act:
        moment = _publish_at(publish_at, act.now)
        notice, old = _lock_with_predecessor(notice_id)
        _check_manage(notice, notice_id, actor, expected_version)
        assert notice is not None
        _go(act, actor, notice, old, moment)
        return notice


def do_publish_notice(
    *,
    actor: Actor,
    owner: str,
    notice_type: str,
    category: str,
    region_code: str,
    title: str,
    body_html: str,
    fields: Mapping[str, Any] | None = None,
    attachments: Iterable[Any] = (),
    publish_at: datetime | None = None,
    deal_code: str | None = None,
    stage: str | None = None,
    publisher_entity_id: int | None = None,
) -> Notice:
    """Create a notice and publish it now — or at ``publish_at`` (the clock publishes it then, once).
    The call the trading contexts make; it nests inside their action."""
    data = _clean(
        owner=owner, notice_type=notice_type, category=category, region_code=region_code, title=title,
        body_html=body_html, fields=fields, deal_code=deal_code, stage=stage, publisher_entity_id=publisher_entity_id,
    )  # fmt: skip
    _require_manage(actor, data.region_code, data.publisher_entity_id, "发布公告", "publish this notice")
    documents = _attachment_documents(actor, attachments)
    with action(actor, "notices.publish_notice") as act:
        moment = _publish_at(publish_at, act.now)
        notice = _draft_row(act, actor, data)
        _attach(actor, notice, documents)
        _witness_draft(act, notice)
        _go(act, actor, notice, None, moment)
        return notice


def do_publish_due_notice(*, actor: Actor, notice_id: int, now: datetime | None = None) -> bool:
    """The clock's half of scheduled publication: publish ``notice_id`` if it is still scheduled and due.
    Guarded under the row lock, so two clocks (or a retry) publish it once; returns whether it did."""
    moment = now or clock_now()
    if not Notice.objects.filter(pk=notice_id, status=Status.SCHEDULED, publish_at__lte=moment).exists():
        return False
    with action(actor, "notices.publish_scheduled") as act:
        notice, old = _lock_with_predecessor(notice_id)
        if notice is None or notice.status != Status.SCHEDULED or notice.publish_at > act.now:
            act.witness(("services.notices.schedule", str(notice_id)), {"outcome": "not_due"})
            return False
        if old is not None and old.status != Status.PUBLISHED:
            # the version it corrects was withdrawn meanwhile: the correction cannot go out
            notice.status, notice.withdrawn_at = Status.WITHDRAWN, act.now
            notice.withdraw_reason = "所更正的公告已撤销，更正公告未发布"
            notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
            act.witness(notice, {"outcome": "cancelled", "reason": "corrected notice no longer published"})
            return False
        _publish(act, actor, notice, old)
        return True


# -- corrections and withdrawal -----------------------------------------------------------------------------------
def do_correct_notice(
    *,
    actor: Actor,
    notice_id: int,
    reason: str,
    title: str | None = None,
    body_html: str | None = None,
    fields: Mapping[str, Any] | None = None,
    attachments: Iterable[Any] | None = None,
    publish_at: datetime | None = None,
) -> Notice:
    """Publish a correction (更正/澄清/变更) of a published notice: a new version with the full corrected
    content (what is not given is taken from the old version), ``NOTICE_NATURE`` 2, linked to the old one,
    published now or at ``publish_at``. The old version is never edited; it becomes ``corrected`` when the
    new one is published."""
    reason = _reason(reason, "reason")
    documents = None if attachments is None else _attachment_documents(actor, attachments)
    with action(actor, "notices.correct_notice") as act:
        moment = _publish_at(publish_at, act.now)
        old = lock_objects.notice_for_update(notice_id)
        if old is None or (
            old.published_at is None and not can_manage(actor, old.region_code, old.publisher_entity_id)
        ):
            raise errors.notice_not_found(notice_id)
        _require_manage(actor, old.region_code, old.publisher_entity_id, "更正此公告", "correct this notice")
        states.check_correctable(old.status)
        pending = old.successors.exclude(status=Status.WITHDRAWN).first()
        if pending is not None:
            raise errors.correction_pending(old.pk, pending.pk)
        data = _clean(
            owner=old.owner_ref,
            notice_type=old.notice_type,
            category=old.category,
            region_code=old.region_code,
            title=old.title if title is None else title,
            body_html=old.body_html if body_html is None else body_html,
            fields=old.fields if fields is None else fields,
            deal_code=old.deal_code,
            stage=old.stage,
            publisher_entity_id=old.publisher_entity_id,
        )
        notice = _draft_row(
            act,
            actor,
            data,
            root_id=old.root_id_or_self,
            supersedes=old,
            notice_version=old.notice_version + 1,
            nature=NATURE_CORRECTION,
            correction_reason=reason,
        )
        if documents is None:
            _copy_attachments(old, notice)
        else:
            _attach(actor, notice, documents)
        _witness_draft(act, notice)
        _go(act, actor, notice, old, moment)
        return notice


def do_withdraw_notice(*, actor: Actor, notice_id: int, reason: str) -> Notice:
    """Withdraw a notice (终止/撤销) with a reason. A published notice stays readable, marked withdrawn (and
    stays in search, marked); a draft or scheduled one is cancelled before it was ever public."""
    reason = _reason(reason, "reason")
    with action(actor, "notices.withdraw_notice") as act:
        notice = lock_objects.notice_for_update(notice_id)
        if notice is None or (
            notice.published_at is None and not can_manage(actor, notice.region_code, notice.publisher_entity_id)
        ):
            raise errors.notice_not_found(notice_id)
        _require_manage(actor, notice.region_code, notice.publisher_entity_id, "撤销此公告", "withdraw this notice")
        states.check_withdrawable(notice.status)
        pending = notice.successors.exclude(status=Status.WITHDRAWN).first()
        if pending is not None:
            raise errors.correction_pending(notice.pk, pending.pk)
        was_public = notice.status == Status.PUBLISHED
        notice.status, notice.withdrawn_at, notice.withdraw_reason = Status.WITHDRAWN, act.now, reason
        notice.updated_at, notice.version = act.now, notice.version + 1
        notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason", "updated_at", "version"])
        if was_public:
            index_document(notice_document(notice, type_label(notice.notice_type)))
        act.witness(notice, {"reason": reason, "was_public": was_public})
        act.emit(
            "notices.notice_withdrawn.v1",
            notice,
            {"notice_id": notice.pk, "number": notice.number, "reason": reason, "owner": notice.owner_ref},
            visibility=Visibility.PUBLIC if was_public else Visibility.RESTRICTED,
        )
        return notice


# -- disclosure obligations ---------------------------------------------------------------------------------------
def _due_rule(rule_id: str | None, on: datetime) -> tuple[due_rules.DueRule | None, str]:
    if not rule_id:
        return None, ""
    try:
        value = catalog.rule(rule_id, on=on)
    except YiwangError:
        return None, ""  # not listed in the catalogue in effect: no deadline can be enforced
    return due_rules.DueRule(rule_id, value.kind, int(value.value), value.unit), value.source


def _fulfil_obligations(act: ActionRecorder, notice: Notice) -> None:
    """The first publication of a chain fulfils the earliest open obligation of its owner for its type."""
    open_ones = [
        o for o in lock_objects.open_obligations_for_update(notice.owner_ref) if notice.notice_type in o.notice_types
    ]
    if not open_ones:
        return
    far = datetime.max.replace(tzinfo=notice.published_at.tzinfo)
    target = min(open_ones, key=lambda o: (o.due_at or far, o.pk))
    target.notice, target.published_at, target.updated_at = notice, notice.published_at, act.now
    target.save(update_fields=["notice", "published_at", "updated_at"])
    act.witness(target, {"fulfilled_by": notice.pk, "published_at": rendering.local_iso(notice.published_at)})


def _published_unclaimed(owner_ref: str, notice_types: Sequence[str]) -> Notice | None:
    claimed = DisclosureObligation.objects.filter(owner_ref=owner_ref, notice__isnull=False).values("notice_id")
    return (
        Notice.objects.filter(
            owner_ref=owner_ref, notice_type__in=list(notice_types), notice_version=1, published_at__isnull=False
        )
        .exclude(pk__in=claimed)
        .order_by("published_at", "pk")
        .first()
    )


def do_register_disclosure_obligation(
    *,
    actor: Actor,
    owner: str,
    category: str,
    stage: str,
    anchor_at: datetime,
    region_code: str,
    occurrence: str = "",
    due_at: datetime | None = None,
    publisher_entity_id: int | None = None,
) -> list[DisclosureObligation]:
    """Record that the event ``anchor_at`` happened for ``owner`` at ``stage``: every notice the disclosure
    list in effect on that date requires for (``category``, ``stage``) becomes an obligation with its
    deadline from the listed rule (domain/due.py; ``due_at`` overrides it). ``occurrence`` tells repeated
    obligations of one owner apart (each clarification). Registering again with the same anchor changes
    nothing; with another anchor it moves an unfulfilled obligation's deadline (a postponed bid deadline)."""
    owner_ref = _owner(owner)
    category = _category(category)
    region = check_region(region_code)
    publisher = _publisher(publisher_entity_id)
    if not isinstance(anchor_at, datetime) or anchor_at.utcoffset() is None:
        raise errors.invalid(
            "anchor_invalid", "起算时间须带时区", "anchor_at must be an aware datetime", field="anchor_at"
        )
    if due_at is not None and (not isinstance(due_at, datetime) or due_at.utcoffset() is None):
        raise errors.invalid("due_at_invalid", "截止时间须带时区", "due_at must be an aware datetime", field="due_at")
    occurrence = (occurrence or "").strip()
    if len(occurrence) > 40 or _CONTROL.search(occurrence):
        raise errors.invalid(
            "occurrence_invalid", "序次标识最长 40 个字符", "occurrence is at most 40 characters", field="occurrence"
        )
    if not _CODE.match(stage or ""):
        raise errors.invalid("stage_invalid", "阶段代码格式不正确", "the stage code is not valid", field="stage")
    requirements = catalog.required_notices(category, stage, on=anchor_at)
    if not requirements:
        raise errors.invalid(
            "no_requirement",
            f"公开目录未要求“{category}”类在“{stage}”阶段公开公告",
            f"the disclosure list requires no notice for {category} at stage {stage}",
            field="stage",
        )
    _require_manage(actor, region, publisher, "登记公开义务", "register disclosure obligations")
    planned = []
    calendar = catalog.workday_calendar()
    for requirement in requirements:
        rule, source = _due_rule(requirement.due_rule, anchor_at)
        deadline = due_at if due_at is not None else due_rules.due_at(anchor_at, rule, calendar)
        planned.append((requirement, rule, source, deadline))
    existing = {
        o.requirement_key: o
        for o in DisclosureObligation.objects.filter(
            owner_ref=owner_ref, occurrence=occurrence, requirement_key__in=[p[0].key for p in planned]
        )
    }
    if all(
        (o := existing.get(r.key)) is not None
        and (o.notice_id is not None or (o.anchor_at, o.due_at) == (anchor_at, d))
        for r, _, _, d in planned
    ):
        return [existing[r.key] for r, *_ in planned]
    out = []
    with action(actor, "notices.register_obligation") as act:
        for requirement, rule, source, deadline in planned:
            obligation = lock_objects.obligation_for_update(owner_ref, requirement.key, occurrence)
            if obligation is None:
                obligation = DisclosureObligation.objects.create(
                    owner_ref=owner_ref,
                    occurrence=occurrence,
                    category=category,
                    stage=stage,
                    region_code=region,
                    requirement_key=requirement.key,
                    requirement_title=requirement.title_zh[:200],
                    notice_types=list(requirement.notice_types),
                    due_rule=rule.rule_id if rule else "",
                    rule_kind=rule.kind if rule else "",
                    rule_source=source[:300],
                    anchor_at=anchor_at,
                    due_at=deadline,
                    publisher_entity_id=publisher,
                    registered_by=actor.ref,
                    created_at=act.now,
                    updated_at=act.now,
                )
                published = _published_unclaimed(owner_ref, requirement.notice_types)
                if published is not None:
                    obligation.notice, obligation.published_at = published, published.published_at
                    obligation.save(update_fields=["notice", "published_at"])
            elif obligation.notice_id is None and (obligation.anchor_at, obligation.due_at) != (anchor_at, deadline):
                obligation.anchor_at, obligation.due_at, obligation.updated_at = anchor_at, deadline, act.now
                obligation.save(update_fields=["anchor_at", "due_at", "updated_at"])
            else:
                out.append(obligation)
                continue
            act.witness(
                obligation,
                {
                    "owner": owner_ref,
                    "requirement": requirement.key,
                    "occurrence": occurrence,
                    "rule": obligation.due_rule,
                    "anchor_at": rendering.local_iso(anchor_at),
                    "due_at": rendering.local_iso(deadline),
                    "fulfilled_by": obligation.notice_id,
                },
            )
            act.emit(
                "notices.obligation_registered.v1",
                obligation,
                {
                    "owner": owner_ref,
                    "requirement": requirement.key,
                    "due_at": rendering.local_iso(deadline),
                },
                visibility=Visibility.RESTRICTED,
            )
            out.append(obligation)
        return out


# -- subscriptions -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _SubscriptionInput:
    name: str
    query_text: str
    categories: list[str]
    notice_types: list[str]
    stages: list[str]
    region: str
    min_amount_fen: int | None
    max_amount_fen: int | None
    email: str


def _codes(values: Iterable[str] | None, field: str, check: Any) -> list[str]:
    out = list(dict.fromkeys(v for v in (values or ()) if v))
    if len(out) > 20:
        raise errors.invalid(
            "subscription_invalid", "每个筛选条件最多 20 个取值", "at most 20 values per filter", field=field
        )
    for value in out:
        check(value)
    return out


def _check_subscription(
    *,
    name: str,
    query: str,
    categories: Iterable[str] | None,
    notice_types: Iterable[str] | None,
    stages: Iterable[str] | None,
    region: str,
    min_amount_fen: int | None,
    max_amount_fen: int | None,
    email: str,
) -> _SubscriptionInput:
    from yiwang.platform.search.params import build_query  # the saved query must be one search accepts

    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 60 or _CONTROL.search(name):
        raise errors.invalid(
            "subscription_name_invalid", "订阅名称须为 1–60 个字符", "the name must be 1-60 characters", field="name"
        )
    region = (region or "").strip()
    if region:
        check_region(region)
    for amount, field in ((min_amount_fen, "min_amount_fen"), (max_amount_fen, "max_amount_fen")):
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount < 0):
            raise errors.invalid(
                "subscription_invalid", "金额须为非负整数（分）", "amounts are non-negative fen", field=field
            )
    data = _SubscriptionInput(
        name=name,
        query_text=" ".join((query or "").split()),
        categories=_codes(categories, "categories", _category),
        notice_types=_codes(notice_types, "notice_types", _notice_type),
        stages=_codes(stages, "stages", lambda s: _stage(s, "", "")),
        region=region,
        min_amount_fen=min_amount_fen,
        max_amount_fen=max_amount_fen,
        email=(email or "").strip(),
    )
    try:
        build_query(
            q=data.query_text, categories=data.categories, region=data.region, stages=data.stages,
            min_amount_fen=data.min_amount_fen, max_amount_fen=data.max_amount_fen,
        )  # fmt: skip
    except InvalidInput as exc:
        raise errors.invalid(
            "subscription_invalid",
            exc.message_zh,
            exc.message_en,
            field=exc.details.get("field", "query"),
            cause=exc.code,
        ) from None
    if data.email:
        try:
            validate_email(data.email)
        except ValidationError:
            raise errors.invalid(
                "subscription_email_invalid", "电子邮箱地址格式不正确", "the e-mail address is not valid", field="email"
            ) from None
    if not (data.query_text or data.categories or data.notice_types or data.stages or data.region):
        raise errors.invalid(
            "subscription_empty",
            "请至少填写关键词或一个筛选条件",
            "give words or at least one filter",
            field="query",
        )
    return data


def do_create_subscription(
    *,
    actor: Actor,
    name: str,
    query: str = "",
    categories: Iterable[str] | None = None,
    notice_types: Iterable[str] | None = None,
    stages: Iterable[str] | None = None,
    region: str = "",
    min_amount_fen: int | None = None,
    max_amount_fen: int | None = None,
    email: str = "",
) -> Subscription:
    """Save a search: new public notices that match it produce an in-site message for the actor (and an
    e-mail to ``email`` when given)."""
    if not actor.is_authenticated:
        raise errors.forbidden("订阅", "subscribe")
    data = _check_subscription(
        name=name, query=query, categories=categories, notice_types=notice_types, stages=stages, region=region,
        min_amount_fen=min_amount_fen, max_amount_fen=max_amount_fen, email=email,
    )  # fmt: skip
    with action(actor, "notices.create_subscription") as act:
        subscription = Subscription.objects.create(
            subscriber=actor.ref, created_at=act.now, updated_at=act.now, **data.__dict__
        )
        act.witness(subscription, {"subscriber": actor.ref, "query_sha256": digest_json(data.__dict__)})
        return subscription


def _own_subscription(actor: Actor, subscription_id: int) -> Subscription:
    subscription = lock_objects.subscription_for_update(subscription_id)
    if subscription is None or subscription.subscriber != actor.ref:
        raise errors.subscription_not_found(subscription_id)
    return subscription


def do_update_subscription(
    *, actor: Actor, subscription_id: int, expected_version: int | None = None, **changes: Any
) -> Subscription:
    """Change a subscription (any of the fields of :func:`do_create_subscription`, plus ``active``)."""
    allowed = {
        "name",
        "query",
        "categories",
        "notice_types",
        "stages",
        "region",
        "min_amount_fen",
        "max_amount_fen",
        "email",
        "active",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown subscription fields: {sorted(unknown)}")
    with action(actor, "notices.update_subscription") as act:
        subscription = _own_subscription(actor, subscription_id)
        check_version(subscription.version, expected_version)
        current = {
            "name": subscription.name, "query": subscription.query_text, "categories": subscription.categories,
            "notice_types": subscription.notice_types, "stages": subscription.stages, "region": subscription.region,
            "min_amount_fen": subscription.min_amount_fen, "max_amount_fen": subscription.max_amount_fen,
            "email": subscription.email,
        }  # fmt: skip
        active = changes.pop("active", subscription.active)
        if not isinstance(active, bool):
            raise errors.invalid(
                "subscription_invalid", "启用状态须为是/否", "active must be true or false", field="active"
            )
        data = _check_subscription(**{**current, **changes})
        for name, value in data.__dict__.items():
            setattr(subscription, name, value)
        subscription.active = active
        subscription.updated_at, subscription.version = act.now, subscription.version + 1
        subscription.save()
        act.witness(subscription, {"query_sha256": digest_json(data.__dict__), "active": active})
        return subscription


def do_delete_subscription(*, actor: Actor, subscription_id: int) -> None:
    with action(actor, "notices.delete_subscription") as act:
        subscription = _own_subscription(actor, subscription_id)
        act.witness(subscription, {"deleted": True})
        subscription.delete()


def do_notify_subscribers(*, actor: Actor, notice_id: int) -> int:
    """Tell every subscriber whose saved search matches the newly published ``notice_id`` (one message per
    subscription and notice, however often this runs); clears the notice's ``match_pending``. Returns how
    many messages were sent."""
    from yiwang.services.notices.subscriptions import matching_subscriptions

    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None or not notice.match_pending:
        return 0
    matched = matching_subscriptions(notice) if notice.status == Status.PUBLISHED else []
    with action(actor, "notices.notify_subscribers") as act:
        locked = lock_objects.notice_for_update(notice_id)
        if locked is None or not locked.match_pending:
            act.witness(("services.notices.matching", str(notice_id)), {"outcome": "done_elsewhere"})
            return 0
        from yiwang.services.notices.subscriptions import record_matches

        sent = record_matches(act, actor, locked, matched)
        locked.match_pending = False
        locked.save(update_fields=["match_pending"])
        act.witness(locked, {"subscriptions_matched": len(matched), "messages": sent})
        return sent
