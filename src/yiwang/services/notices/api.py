"""Notices API (``/api/v1/notices``) and subscriptions API (``/api/v1/subscriptions``).

Notices: public reads (``GET ""``, ``GET /{id}``, ``GET /{id}/versions``) for everyone; writing for the
platform, staff over the notice's region, or users of the publishing entity (``publisher_entity_id``):
``POST ""`` (draft, or publish with ``publish: true`` now or at ``publish_at``), ``PATCH /{id}`` (drafts and
scheduled notices; ``If-Match``), ``POST /{id}/publish``, ``POST /{id}/corrections`` (a new version),
``POST /{id}/withdraw``; ``GET /mine`` (what the caller manages); disclosure: ``POST /obligations``,
``GET /disclosure`` (staff, regulators, auditors). Subscriptions are the caller's own.

Every POST takes ``Idempotency-Key``; PATCH requires ``If-Match`` (ETag = ``version``). Errors are
``notices.*`` (422 input, 403 ``notices.forbidden``, 404 ``notices.not_found``, 409 state conflicts such as
``notices.not_editable``, ``notices.already_corrected``, ``notices.correction_pending``, 503
``notices.pdf_unavailable``), ``storage.*`` for attachments and ``request.invalid`` for malformed JSON.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates, updates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS, ErrorOut
from yiwang.services.notices import actions, errors, queries, rendering
from yiwang.services.notices.models import DisclosureObligation, Notice, Subscription
from yiwang.services.notices.schemas import (
    CorrectionIn,
    DisclosureOut,
    DisclosureParams,
    NoticeIn,
    NoticeListOut,
    NoticeListParams,
    NoticeOut,
    NoticePatch,
    NoticeSummaryOut,
    ObligationIn,
    ObligationOut,
    PublishIn,
    ReasonIn,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    VersionOut,
)

PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/notices"
PUBLISH_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 503: ErrorOut}


def _out(response: HttpResponse, notice: Notice, actor: Any) -> dict[str, Any]:
    response["ETag"] = etag(notice.version)
    return queries.notice_json(notice, actor=actor)


def summary(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.pk,
        "number": notice.number,
        "title": notice.title,
        "notice_type": notice.notice_type,
        "type_label": actions.type_label(notice.notice_type),
        "category": notice.category,
        "region_code": notice.region_code,
        "stage": notice.stage,
        "status": notice.status,
        "version": notice.notice_version,
        "published_at": notice.published_at,
        "amount_fen": notice.amount_fen,
        "url": rendering.notice_path(notice.pk),
    }


def obligation_out(o: DisclosureObligation) -> dict[str, Any]:
    return {
        "id": o.pk,
        "owner": o.owner_ref,
        "occurrence": o.occurrence,
        "category": o.category,
        "stage": o.stage,
        "region_code": o.region_code,
        "requirement_key": o.requirement_key,
        "requirement_title": o.requirement_title,
        "notice_types": list(o.notice_types),
        "due_rule": o.due_rule,
        "rule_kind": o.rule_kind,
        "anchor_at": o.anchor_at,
        "due_at": o.due_at,
        "notice_id": o.notice_id,
        "published_at": o.published_at,
    }


def _tally(t: Any) -> dict[str, Any]:
    return {
        "required": t.required,
        "on_time": t.on_time,
        "late": t.late,
        "missing": t.missing,
        "pending": t.pending,
        "rate": str(t.rate) if t.rate is not None else None,
    }


def _row(r: Any) -> dict[str, Any]:
    return {
        "obligation": obligation_out(r.obligation),
        "outcome": r.outcome,
        "outcome_label": r.outcome_label,
        "late_by_seconds": int(r.late_by.total_seconds()) if r.late_by is not None else None,
        "overdue_by_seconds": int(r.overdue_by.total_seconds()) if r.overdue_by is not None else None,
    }


def build_router() -> Router:
    """A fresh notices router (a Ninja router can be mounted on one API only; tests mount their own)."""
    router = Router(tags=["notices 公告公示"])

    @router.get("", auth=PUBLIC, response={200: NoticeListOut, **ERRORS})
    def list_notices(request: HttpRequest, params: Query[NoticeListParams]) -> dict[str, Any]:
        """Current public notices, newest first (filters: category, type, region prefix, publication days)."""
        page = queries.list_public_notices(
            category=params.category,
            notice_type=params.type,
            region=_region_param(params.region),
            date_from=params.from_,
            date_to=params.to,
            page=params.page,
            size=params.size,
        )
        return {
            "items": [summary(n) for n in page.items],
            "total": page.total,
            "page": page.page,
            "size": page.size,
            "pages": page.pages,
        }

    @creates(router, "", response={201: NoticeOut, **PUBLISH_ERRORS})
    def create_notice(request: HttpRequest, response: HttpResponse, payload: NoticeIn):
        """A draft notice, or (``publish: true``) a notice published now or at ``publish_at``."""
        actor = actor_of(request)
        common = {
            "actor": actor,
            "owner": payload.owner,
            "notice_type": payload.notice_type,
            "category": payload.category,
            "region_code": payload.region_code,
            "title": payload.title,
            "body_html": payload.body_html,
            "fields": payload.fields,
            "attachments": payload.attachments,
            "deal_code": payload.deal_code,
            "stage": payload.stage,
            "publisher_entity_id": payload.publisher_entity_id,
        }
        if payload.publish:
            notice = actions.do_publish_notice(**common, publish_at=payload.publish_at)
        else:
            if payload.publish_at is not None:
                raise errors.invalid(
                    "publish_at_without_publish",
                    "定时发布须同时指定 publish: true",
                    "publish_at needs publish: true",
                    field="publish_at",
                )
            notice = actions.do_create_notice_draft(**common)
        response["Location"] = f"{BASE}/{notice.pk}"
        return Status(201, _out(response, notice, actor))

    @router.get("/mine", response={200: list[NoticeSummaryOut], **ERRORS})
    def my_notices(request: HttpRequest, status: str | None = None):
        """Notices the caller may manage (staff: their regions; entity users: their entities'), newest first."""
        return [summary(n) for n in queries.list_managed_notices_for(actor_of(request), status=status)]

    @router.get("/disclosure", response={200: DisclosureOut, **ERRORS})
    def disclosure(request: HttpRequest, params: Query[DisclosureParams]) -> dict[str, Any]:
        """信息公开率: required notices published on time ÷ required, for obligations due in the period, with
        the late and missing ones (staff, regulators, auditors over their regions)."""
        report = queries.disclosure_report_for(
            actor_of(request),
            period=(params.from_, params.to),
            category=params.category,
            region=_region_param(params.region),
        )
        return {
            "date_from": report.date_from,
            "date_to": report.date_to,
            "as_of": report.as_of,
            "category": report.category,
            "region": report.region,
            "tally": _tally(report.tally),
            "by_category": [{"key": g.key, "label": g.label, "tally": _tally(g.tally)} for g in report.by_category],
            "by_requirement": [
                {"key": g.key, "label": g.label, "tally": _tally(g.tally)} for g in report.by_requirement
            ],
            "late": [_row(r) for r in report.late],
            "missing": [_row(r) for r in report.missing],
        }

    @creates(router, "/obligations", response={201: list[ObligationOut], **PUBLISH_ERRORS})
    def register_obligation(request: HttpRequest, response: HttpResponse, payload: ObligationIn):
        """Register that the event a disclosure deadline counts from happened (e.g. evaluation report received)."""
        obligations = actions.do_register_disclosure_obligation(
            actor=actor_of(request),
            owner=payload.owner,
            category=payload.category,
            stage=payload.stage,
            anchor_at=payload.anchor_at,
            region_code=payload.region_code,
            occurrence=payload.occurrence,
            due_at=payload.due_at,
            publisher_entity_id=payload.publisher_entity_id,
        )
        return Status(201, [obligation_out(o) for o in obligations])

    @router.get("/{int:notice_id}", auth=PUBLIC, response={200: NoticeOut, **ERRORS})
    def get_notice(request: HttpRequest, response: HttpResponse, notice_id: int):
        """A notice as data (data-spec names) with its state, versions and PDF. Drafts: their managers only."""
        actor = actor_of(request)
        return _out(response, queries.get_notice_for(actor, notice_id), actor)

    @router.get("/{int:notice_id}/versions", auth=PUBLIC, response={200: list[VersionOut], **ERRORS})
    def get_versions(request: HttpRequest, notice_id: int):
        """Every version of the notice's chain (original and corrections), oldest first."""
        actor = actor_of(request)
        notice = queries.get_notice_for(actor, notice_id)
        return [
            {"id": v.pk, "version": v.notice_version, "status": v.status, "published_at": v.published_at}
            for v in queries.versions_of(notice)
            if queries.can_read(actor, v)
        ]

    @updates(router, "/{int:notice_id}", response={200: NoticeOut, **UPDATE_ERRORS})
    def update_notice(request: HttpRequest, response: HttpResponse, notice_id: int, payload: NoticePatch):
        """Change a draft or scheduled notice (``If-Match``). Published notices: publish a correction."""
        expected = if_match_version(request)
        actor = actor_of(request)
        changes = payload.model_dump(exclude_unset=True)
        notice = actions.do_update_notice_draft(actor=actor, notice_id=notice_id, expected_version=expected, **changes)
        return _out(response, notice, actor)

    @acts(router, "/{int:notice_id}/publish", response={200: NoticeOut, **PUBLISH_ERRORS})
    def publish(request: HttpRequest, response: HttpResponse, notice_id: int, payload: PublishIn):
        """Publish a draft now, or schedule it (``publish_at``); reschedules a scheduled one."""
        actor = actor_of(request)
        notice = actions.do_publish_draft(actor=actor, notice_id=notice_id, publish_at=payload.publish_at)
        return _out(response, notice, actor)

    @creates(router, "/{int:notice_id}/corrections", response={201: NoticeOut, **PUBLISH_ERRORS})
    def correct(request: HttpRequest, response: HttpResponse, notice_id: int, payload: CorrectionIn):
        """Publish a correction: a new version linked to this one (which is never edited)."""
        actor = actor_of(request)
        notice = actions.do_correct_notice(
            actor=actor,
            notice_id=notice_id,
            reason=payload.reason,
            title=payload.title,
            body_html=payload.body_html,
            fields=payload.fields,
            attachments=payload.attachments,
            publish_at=payload.publish_at,
        )
        response["Location"] = f"{BASE}/{notice.pk}"
        return Status(201, _out(response, notice, actor))

    @acts(router, "/{int:notice_id}/withdraw", response={200: NoticeOut, **CREATE_ERRORS})
    def withdraw(request: HttpRequest, response: HttpResponse, notice_id: int, payload: ReasonIn):
        """Withdraw (终止/撤销) with a reason; a published notice stays readable, marked."""
        actor = actor_of(request)
        notice = actions.do_withdraw_notice(actor=actor, notice_id=notice_id, reason=payload.reason)
        return _out(response, notice, actor)

    return router


def _region_param(value: str | None) -> str | None:
    if not value:
        return None
    return actions.check_region(value)


def subscription_out(s: Subscription) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "query": s.query_text,
        "categories": list(s.categories),
        "notice_types": list(s.notice_types),
        "stages": list(s.stages),
        "region": s.region,
        "min_amount_fen": s.min_amount_fen,
        "max_amount_fen": s.max_amount_fen,
        "email": s.email,
        "active": s.active,
        "created_at": s.created_at,
        "version": s.version,
    }


def build_subscriptions_router() -> Router:
    """A fresh subscriptions router (the caller's saved searches)."""
    router = Router(tags=["subscriptions 订阅"])

    @router.get("", response={200: list[SubscriptionOut], **ERRORS})
    def list_subscriptions(request: HttpRequest):
        """The caller's subscriptions."""
        return [subscription_out(s) for s in queries.list_subscriptions_for(actor_of(request))]

    @creates(router, "", response={201: SubscriptionOut, **CREATE_ERRORS})
    def create_subscription(request: HttpRequest, response: HttpResponse, payload: SubscriptionIn):
        """Save a search: new matching notices produce an in-site message (and an e-mail when ``email`` is set)."""
        subscription = actions.do_create_subscription(actor=actor_of(request), **payload.model_dump())
        response["Location"] = f"/api/v1/subscriptions/{subscription.pk}"
        response["ETag"] = etag(subscription.version)
        return Status(201, subscription_out(subscription))

    @router.get("/{int:subscription_id}", response={200: SubscriptionOut, **ERRORS})
    def get_subscription(request: HttpRequest, response: HttpResponse, subscription_id: int):
        subscription = queries.get_subscription_for(actor_of(request), subscription_id)
        response["ETag"] = etag(subscription.version)
        return subscription_out(subscription)

    @updates(router, "/{int:subscription_id}", response={200: SubscriptionOut, **UPDATE_ERRORS})
    def update_subscription(
        request: HttpRequest, response: HttpResponse, subscription_id: int, payload: SubscriptionPatch
    ):
        """Change a subscription (``If-Match``); ``active: false`` pauses it."""
        expected = if_match_version(request)
        subscription = actions.do_update_subscription(
            actor=actor_of(request),
            subscription_id=subscription_id,
            expected_version=expected,
            **payload.model_dump(exclude_unset=True),
        )
        response["ETag"] = etag(subscription.version)
        return subscription_out(subscription)

    @router.delete("/{int:subscription_id}", response={204: None, **ERRORS})
    def delete_subscription(request: HttpRequest, subscription_id: int):
        actions.do_delete_subscription(actor=actor_of(request), subscription_id=subscription_id)
        return Status(204, None)

    return router


router = build_router()
subscriptions_router = build_subscriptions_router()
