"""Reads of notices, restricted by the acting user, and the disclosure report.

* A published notice (and every version of it, corrected or withdrawn) is public.
* A draft or scheduled notice is visible to those who may manage it (the platform, staff over its region,
  users of the publishing entity) and to regulators and auditors over its region; to everyone else it does
  not exist (``notices.not_found``).
* Subscriptions are their owner's only.
* The disclosure report is for staff, regulators and auditors, over their regions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import InvalidInput, PermissionDenied, YiwangError
from yiwang.kernel.ids import region_level
from yiwang.platform.storage import links
from yiwang.platform.storage import queries as stored
from yiwang.services.notices import errors, rendering
from yiwang.services.notices.actions import can_manage, type_label
from yiwang.services.notices.domain import disclosure as rate_rules
from yiwang.services.notices.domain.fields import SHANGHAI
from yiwang.services.notices.domain.states import Status
from yiwang.services.notices.models import DisclosureObligation, Notice, NoticeAttachment, Subscription

__all__ = [
    "DisclosureReport",
    "NoticePage",
    "disclosure_report",
    "disclosure_report_for",
    "get_notice_for",
    "get_subscription_for",
    "list_notices_of",
    "list_public_notices",
    "list_subscriptions_for",
    "notice_json",
    "versions_of",
]

OVERSEERS = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)
MAX_PAGE_SIZE = 100


def region_prefix(code: str) -> str:
    """The code prefix a region covers: 310000 → 31, 310100 → 3101, 310112 → 310112."""
    return code[: {"province": 2, "prefecture": 4, "county": 6}[region_level(code)]]


def can_read(actor: Actor, notice: Notice) -> bool:
    if notice.published_at is not None:
        return True
    return can_manage(actor, notice.region_code, notice.publisher_entity_id) or actor.covers_region(
        notice.region_code, Role.REGULATOR, Role.AUDITOR
    )


def get_notice_for(actor: Actor, notice_id: int) -> Notice:
    """The notice, if ``actor`` may read it; otherwise ``notices.not_found``."""
    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None or not can_read(actor, notice):
        raise errors.notice_not_found(notice_id)
    return notice


def versions_of(notice: Notice) -> list[Notice]:
    """Every version of the notice's chain, oldest first."""
    return list(Notice.objects.filter(root_id=notice.root_id_or_self).order_by("notice_version", "pk"))


def list_notices_of(owner: str) -> list[Notice]:
    """For the owning context (which applies its own rules): every notice version about ``owner``, oldest
    first, drafts included."""
    return list(Notice.objects.filter(owner_ref=owner).order_by("pk"))


def attachments_of(notice: Notice) -> list[NoticeAttachment]:
    return list(notice.attachments.all())


def attachment_links(actor: Actor, notice: Notice) -> list[dict[str, Any]]:
    """Each attachment with a signed, short-lived download link for ``actor`` (a reader of the notice)."""
    out = []
    for a in attachments_of(notice):
        url = ""
        try:
            document = stored.get_document_for(Actor.system("notices"), a.document_id)
            version = next((v for v in stored.versions_of(document) if v.sha256 == a.sha256), None)
            if version is not None:
                url = links.download_url(actor, version)
        except YiwangError:  # a document gone from the store must not break the notice page
            url = ""
        out.append({"title": a.title, "filename": a.filename, "sha256": a.sha256, "size": a.size, "url": url})
    return out


def notice_json(notice: Notice, *, actor: Actor) -> dict[str, Any]:
    """The API view of a notice: ``data`` (data-spec names; what ``data_sha256`` covers once published) and
    the state around it (status, versions, the PDF)."""
    label = type_label(notice.notice_type)
    chain = versions_of(notice)
    successor = next((v for v in chain if v.supersedes_id == notice.pk and v.published_at is not None), None)
    data = rendering.notice_data(notice, attachments_of(notice), type_label=label)
    return {
        "id": notice.pk,
        "number": notice.number,
        "status": notice.status,
        "status_label": notice.status_label,
        "data": data,
        "data_sha256": notice.data_sha256 or None,
        "publish_at": notice.publish_at,
        "published_at": notice.published_at,
        "withdrawn_at": notice.withdrawn_at,
        "withdraw_reason": notice.withdraw_reason or None,
        "superseded_by": successor.pk if successor else None,
        "versions": [
            {"id": v.pk, "version": v.notice_version, "status": v.status, "published_at": v.published_at}
            for v in chain
            if can_read(actor, v)
        ],
        "url": rendering.notice_path(notice.pk),
        "pdf": (
            {
                "url": rendering.pdf_path(notice.pk),
                "sha256": notice.pdf_sha256,
                "document_id": str(notice.pdf_document_id),
            }
            if notice.pdf_document_id
            else None
        ),
        "publisher_entity_id": notice.publisher_entity_id,
        "version": notice.version,
    }


# -- the public list ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoticePage:
    items: list[Notice]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def list_public_notices(
    *,
    category: str | None = None,
    notice_type: str | None = None,
    region: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    size: int = 20,
) -> NoticePage:
    """Current public notices (the newest version of each chain, withdrawn ones included), newest first.
    ``region`` is a prefix (310000: all of Shanghai); dates are Shanghai days, both inclusive."""
    size = max(1, min(int(size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    qs = Notice.objects.filter(status__in=[Status.PUBLISHED, Status.WITHDRAWN], published_at__isnull=False)
    if category:
        qs = qs.filter(category=category)
    if notice_type:
        qs = qs.filter(notice_type=notice_type)
    if region:
        qs = qs.filter(region_code__startswith=region_prefix(region))
    if date_from:
        qs = qs.filter(published_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(published_at__lt=_day_start(date_to + timedelta(days=1)))
    total = qs.count()
    items = list(qs.order_by("-published_at", "-pk")[(page - 1) * size : page * size])
    return NoticePage(items, total, page, size)


def list_managed_notices_for(actor: Actor, *, status: str | None = None, limit: int = 50) -> list[Notice]:
    """Notices the actor may manage (staff: their regions; entity users: their entities'), newest first."""
    if actor.is_system:
        qs = Notice.objects.all()
    else:
        condition = Q(pk__in=[])
        for scope in actor.region_scopes(Role.STAFF):
            condition |= Q(region_code__startswith=region_prefix(scope))
        entities = actor.entity_ids()
        if entities:
            condition |= Q(publisher_entity_id__in=list(entities))
        qs = Notice.objects.filter(condition)
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-updated_at", "-pk")[: max(1, min(limit, 200))])


# -- subscriptions -----------------------------------------------------------------------------------------------
def list_subscriptions_for(actor: Actor) -> list[Subscription]:
    if not actor.is_authenticated:
        return []
    return list(Subscription.objects.filter(subscriber=actor.ref).order_by("-pk"))


def get_subscription_for(actor: Actor, subscription_id: int) -> Subscription:
    found = (
        Subscription.objects.filter(pk=subscription_id, subscriber=actor.ref).first()
        if actor.is_authenticated
        else None
    )
    if found is None:
        raise errors.subscription_not_found(subscription_id)
    return found


# -- the disclosure report ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ObligationRow:
    obligation: DisclosureObligation
    outcome: str
    late_by: timedelta | None  # how late it was published (late ones)
    overdue_by: timedelta | None  # how long past its deadline it still is (missing ones)

    @property
    def outcome_label(self) -> str:
        return rate_rules.OUTCOME_LABELS_ZH[self.outcome]


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    tally: rate_rules.Tally


@dataclass(frozen=True)
class DisclosureReport:
    date_from: date
    date_to: date
    as_of: datetime
    category: str | None
    region: str | None
    tally: rate_rules.Tally
    by_category: list[Group]
    by_requirement: list[Group]
    rows: list[ObligationRow] = field(default_factory=list)

    @property
    def rate(self) -> Any:
        return self.tally.rate

    @property
    def late(self) -> list[ObligationRow]:
        return [r for r in self.rows if r.outcome == rate_rules.LATE]

    @property
    def missing(self) -> list[ObligationRow]:
        return [r for r in self.rows if r.outcome == rate_rules.MISSING]

    @property
    def pending(self) -> list[ObligationRow]:
        return [r for r in self.rows if r.outcome == rate_rules.PENDING]


def _period(period: Any) -> tuple[date, date]:
    try:
        start, end = period
    except (TypeError, ValueError):
        raise InvalidInput(
            "notices.period_invalid",
            "统计期间须为（起始日, 截止日）",
            "period must be (first day, last day)",
            {"field": "period"},
        ) from None
    start = start.astimezone(SHANGHAI).date() if isinstance(start, datetime) else start
    end = end.astimezone(SHANGHAI).date() if isinstance(end, datetime) else end
    if not isinstance(start, date) or not isinstance(end, date) or start > end or (end - start).days > 3660:
        raise InvalidInput(
            "notices.period_invalid",
            "统计期间无效：起始日须不晚于截止日，且不超过十年",
            "the period is invalid: the first day must not be after the last, at most ten years",
            {"field": "period"},
        )
    return start, end


def disclosure_report(
    *,
    period: Any,
    category: str | None = None,
    region: str | None = None,
    regions: Iterable[str] | None = None,
    as_of: datetime | None = None,
) -> DisclosureReport:
    """信息公开率 over obligations falling due in ``period`` (first and last Shanghai day, inclusive; an
    obligation without a deadline counts by the day its anchor happened). ``region`` narrows to a region
    (prefix); ``regions`` limits to several (an overseer's scopes). See domain/disclosure.py for outcomes."""
    from yiwang.platform.clock import now

    first, last = _period(period)
    moment = as_of or now()
    start, end = _day_start(first), _day_start(last + timedelta(days=1))
    qs = DisclosureObligation.objects.filter(
        Q(due_at__gte=start, due_at__lt=end) | Q(due_at__isnull=True, anchor_at__gte=start, anchor_at__lt=end)
    )
    if category:
        qs = qs.filter(category=category)
    if region:
        qs = qs.filter(region_code__startswith=region_prefix(region))
    if regions is not None:
        condition = Q(pk__in=[])
        for scope in regions:
            condition |= Q(region_code__startswith=region_prefix(scope))
        qs = qs.filter(condition)
    rows = []
    for o in qs.order_by("due_at", "pk"):
        outcome = rate_rules.classify(o.due_at, o.published_at, moment, period_end=end)
        late_by = o.published_at - o.due_at if outcome == rate_rules.LATE and o.due_at else None
        overdue = moment - (o.due_at or end) if outcome == rate_rules.MISSING else None
        rows.append(ObligationRow(o, outcome, late_by, overdue))
    category_titles = {c.code: c.title_zh for c in catalog.list_trading_categories()}
    by_category = _groups(rows, lambda r: r.obligation.category, lambda k, r: category_titles.get(k, k))
    by_requirement = _groups(rows, lambda r: r.obligation.requirement_key, lambda k, r: r.obligation.requirement_title)
    return DisclosureReport(
        date_from=first,
        date_to=last,
        as_of=moment,
        category=category,
        region=region,
        tally=rate_rules.tally(r.outcome for r in rows),
        by_category=by_category,
        by_requirement=by_requirement,
        rows=rows,
    )


def _groups(rows: list[ObligationRow], key: Any, label: Any) -> list[Group]:
    grouped: dict[str, list[ObligationRow]] = {}
    for r in rows:
        grouped.setdefault(key(r), []).append(r)
    return [
        Group(k, label(k, members[0]), rate_rules.tally(m.outcome for m in members))
        for k, members in sorted(grouped.items())
    ]


def can_see_disclosure(actor: Actor) -> bool:
    return actor.is_system or actor.has_role(*OVERSEERS)


def disclosure_report_for(
    actor: Actor, *, period: Any, category: str | None = None, region: str | None = None
) -> DisclosureReport:
    """The report as ``actor`` may see it: staff, regulators and auditors over the regions they hold those
    roles for (a grant without a region: everywhere); ``notices.forbidden`` for anyone else."""
    if not can_see_disclosure(actor):
        raise PermissionDenied(
            "notices.forbidden",
            "信息公开率仅向交易中心工作人员、监管和审计人员开放",
            "the disclosure report is for staff, regulators and auditors",
        )
    if actor.is_system or any(g.role in OVERSEERS and not g.region for g in actor.grants):
        scopes = None
    else:
        scopes = actor.region_scopes(*OVERSEERS)
    if region and scopes is not None and not any(region_prefix(region).startswith(region_prefix(s)) for s in scopes):
        raise PermissionDenied(
            "notices.forbidden", "无权查看该区域的信息公开率", "not allowed to see that region's disclosure report"
        )
    return disclosure_report(period=period, category=category, region=region, regions=scopes)
