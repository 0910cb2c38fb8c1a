"""Reads of the trading statistics, always restricted by the acting user.

The indicators, the report and the dashboard are for regulators (and auditors, who read): a regulator of 闵行
(310112) sees the trades of 310112 only, a regulator of the city (310000) all of Shanghai. Everybody else gets
``stats.forbidden``. The trades come from the trading contexts' queries (tender sections), the disclosure
tally from the notices' 公开目录 computation, the alerts from the red-flag engine — never from their tables.

Which period a trade counts in: a deal by its award day, any other trade by the day its notice was published
(Shanghai calendar days).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from yiwang.kernel.ids import region_covers, validate_region_code_format
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.clock import now
from yiwang.supervision.stats.domain import indicators as ind
from yiwang.supervision.stats.domain.periods import Granularity, Period, buckets, finer, parse_period, period_key

READERS = (Role.REGULATOR, Role.AUDITOR)


# -- who may -------------------------------------------------------------------------------------------------------


def may_read(actor: Actor) -> bool:
    return actor.is_system or bool(actor.region_scopes(*READERS))


def require_reader(actor: Actor) -> None:
    if not actor.is_authenticated and not actor.is_system:
        raise NotAuthenticated("stats.sign_in_required", "请先登录", "Sign in first")
    if not may_read(actor):
        raise PermissionDenied(
            "stats.forbidden",
            "交易指标与一屏管交易仅向监管和审计人员开放",
            "The trading statistics are for regulators and auditors",
        )


def scopes_of(actor: Actor) -> list[str]:
    """The regions the actor reads (the platform: all of Shanghai)."""
    return ["310000"] if actor.is_system else sorted(set(actor.region_scopes(*READERS)))


def _covered(actor: Actor, code: str) -> bool:
    try:
        return actor.is_system or any(region_covers(s, code) for s in scopes_of(actor))
    except InvalidInput:
        return False


def check_region(actor: Actor, region: str | None) -> str | None:
    """``region`` if the actor reads it (``region.format`` when malformed, ``stats.region_not_covered`` when it is
    outside the actor's regions)."""
    if not region:
        return None
    try:
        code = validate_region_code_format(region)
    except InvalidInput as exc:
        raise exc.at("region") from None
    if not _covered(actor, code):
        raise PermissionDenied(
            "stats.region_not_covered",
            f"您无权查看行政区划 {code} 的交易指标",
            f"You may not read the statistics of region {code}",
            {"region": code},
        )
    return code


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(SHANGHAI).date() if moment else None


def region_name(code: str) -> str:
    from yiwang.catalog import queries as catalog

    info = catalog.get_region(code)
    return info.name if info else code


def category_names() -> dict[str, str]:
    from yiwang.catalog import queries as catalog

    return {c.code: c.title_zh for c in catalog.list_trading_categories()}


# -- the trades ----------------------------------------------------------------------------------------------------


def trades_for(actor: Actor, *, region: str | None = None, category: str | None = None) -> list[ind.Trade]:
    """Every trade in the actor's regions (optionally one region and one category) as statistics facts."""
    from yiwang.trading.tender import queries as tender

    require_reader(actor)
    region = check_region(actor, region)
    out = []
    for f in tender.list_section_facts_for(actor, region=region):
        if not _covered(actor, f.region_code):
            continue  # staff grants do not widen a regulator's statistics
        if region and not region_covers(region, f.region_code):
            continue
        if category and f.category != category:
            continue
        out.append(
            ind.Trade(
                ref=f.ref,
                title=f.title,
                system="tender",
                category=f.category,
                region_code=f.region_code,
                procedure=f.procedure,
                procedure_label=f.procedure_title,
                status_label=f.status_label,
                project_id=f.project_id,
                published_at=f.published_at,
                awarded_at=f.awarded_at,
                award_due=f.award_due,
                budget_fen=f.budget_fen,
                deal_fen=f.deal_fen,
                bidders=f.bidders,
                electronic=f.electronic,
                rules_listed=f.rules_listed,
                failed=f.failed,
                deal_day=_day(f.awarded_at),
                published_day=_day(f.published_at),
            )
        )
    out += _auction_trades(actor, region=region, category=category)
    return out


def _auction_trades(actor: Actor, *, region: str | None, category: str | None) -> list[ind.Trade]:
    """Auction lots (judicial auctions, land, state assets …): a sold lot is a deal at its price. Auctions sell,
    so they have no budget (the savings rate is procurement's); bidding online on the platform is electronic."""
    from yiwang.trading.auction import queries as auction

    out = []
    for f in auction.list_lot_facts_for(actor, region=region):
        if not _covered(actor, f.region_code) or (category and f.category != category):
            continue
        awarded = f.closed_at if f.sold else None
        out.append(
            ind.Trade(
                ref=f.ref,
                title=f.title,
                system="auction",
                category=f.category,
                region_code=f.region_code,
                procedure=f.procedure,
                procedure_label=f.procedure_title,
                status_label=f.phase_label,
                published_at=f.created_at,
                awarded_at=awarded,
                deal_fen=f.deal_fen if f.sold else None,
                bidders=f.bidders,
                electronic=True if f.sold else None,
                rules_listed=f.rules_listed,
                failed=f.unsold,
                deal_day=_day(awarded),
                published_day=_day(f.created_at),
            )
        )
    return out


def day_of(trade: ind.Trade) -> date | None:
    """The day a trade counts on: its award day when it is a deal, else its notice day."""
    return trade.deal_day if trade.is_deal else trade.published_day


def in_period(trades: Sequence[ind.Trade], period: Period) -> list[ind.Trade]:
    return [t for t in trades if (d := day_of(t)) is not None and period.contains(d)]


# -- the indicators ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    period: Period
    region: str | None
    region_label: str
    category: str | None
    category_label: str

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period.key,
            "period_label": self.period.label_zh,
            "first_day": self.period.first.isoformat(),
            "last_day": self.period.last.isoformat(),
            "region": self.region,
            "region_label": self.region_label,
            "category": self.category,
            "category_label": self.category_label,
        }


@dataclass(frozen=True)
class Disclosure:
    on_time: int
    late: int
    missing: int
    pending: int

    @property
    def required(self) -> int:
        return self.on_time + self.late + self.missing


@dataclass(frozen=True)
class IndicatorSet:
    filters: Filters
    indicators: list[ind.Indicator]
    by_category: list[ind.Group]
    by_region: list[ind.Group]
    by_procedure: list[ind.Group]
    disclosure: Disclosure
    trades: list[ind.Trade] = field(default_factory=list)  # the trades of the period
    all_trades: list[ind.Trade] = field(default_factory=list)  # every trade under the filters, any period

    def get(self, code: str) -> ind.Indicator:
        return next(i for i in self.indicators if i.code == code)


def default_period() -> str:
    return period_key(now().astimezone(SHANGHAI).date(), Granularity.YEAR)


def filters_for(actor: Actor, *, period: str | None, region: str | None, category: str | None) -> Filters:
    require_reader(actor)
    p = parse_period(period or default_period())
    code = check_region(actor, region)
    names = category_names()
    if category and category not in names:
        raise InvalidInput(
            "stats.category_unknown",
            f"交易目录中没有品类“{category}”",
            f"No category {category!r} in the trading catalogue",
            {"category": category, "field": "category"},
        )
    label = region_name(code) if code else "、".join(region_name(s) for s in scopes_of(actor))
    return Filters(p, code, label, category or None, names.get(category or "", "全部品类"))


def _disclosure(actor: Actor, filters: Filters) -> Disclosure:
    from yiwang.services.notices import queries as notices

    region = filters.region
    if region is None and not actor.is_system:
        scopes = scopes_of(actor)
        if len(scopes) == 1:
            region = scopes[0]
    report = notices.disclosure_report_for(
        actor, period=(filters.period.first, filters.period.last), category=filters.category, region=region
    )
    t = report.tally
    return Disclosure(t.on_time, t.late, t.missing, t.pending)


def indicators_for(
    actor: Actor, *, period: str | None = None, region: str | None = None, category: str | None = None
) -> IndicatorSet:
    """The indicators of ``period`` (``2026``, ``2026-Q1``, ``2026-03``, ``2026-03-02``; default this year) over
    the actor's regions or one of them, one category or all, with the breakdowns by category, district and
    procedure."""
    filters = filters_for(actor, period=period, region=region, category=category)
    everything = trades_for(actor, region=filters.region, category=filters.category)
    trades = in_period(everything, filters.period)
    disclosure = _disclosure(actor, filters)
    names = category_names()
    procedures = {t.procedure: t.procedure_label or t.procedure for t in trades}
    return IndicatorSet(
        filters=filters,
        indicators=ind.compute_all(trades, disclosure=(disclosure.on_time, disclosure.required)),
        by_category=ind.group_by(trades, lambda t: t.category, lambda k: names.get(k, k)),
        by_region=ind.group_by(trades, lambda t: t.region_code, region_name),
        by_procedure=ind.group_by(trades, lambda t: t.procedure, lambda k: procedures.get(k, k)),
        disclosure=disclosure,
        trades=trades,
        all_trades=everything,
    )


# -- the trades behind a number -----------------------------------------------------------------------------------

TRADE_KINDS = {
    "all": "全部交易",
    "deals": "成交",
    "in_progress": "在途交易",
    "single_bid": "只有一家投标",
    "failed": "流标/未成交",
}


@dataclass(frozen=True)
class TradeList:
    filters: Filters
    kind: str
    kind_label: str
    procedure: str | None
    rows: list[ind.Trade]
    total: int


def list_trades_for(
    actor: Actor,
    *,
    period: str | None = None,
    region: str | None = None,
    category: str | None = None,
    procedure: str | None = None,
    kind: str = "all",
    limit: int = 200,
) -> TradeList:
    """The trades behind a dashboard number (in ``period``; ``in_progress``: any period), newest first."""
    filters = filters_for(actor, period=period, region=region, category=category)
    if kind not in TRADE_KINDS:
        raise InvalidInput(
            "stats.kind_invalid",
            "交易范围应为 all、deals、in_progress、single_bid 或 failed",
            "kind must be all, deals, in_progress, single_bid or failed",
            {"kind": str(kind)[:20], "field": "kind"},
        )
    everything = trades_for(actor, region=filters.region, category=filters.category)
    rows = everything if kind == "in_progress" else in_period(everything, filters.period)
    if procedure:
        rows = [t for t in rows if t.procedure == procedure]
    match kind:
        case "deals":
            rows = [t for t in rows if t.is_deal]
        case "in_progress":
            rows = [t for t in rows if not t.is_deal and not t.failed]
        case "single_bid":
            rows = [t for t in rows if t.bidders == 1]
        case "failed":
            rows = [t for t in rows if t.failed]
    rows = sorted(rows, key=lambda t: (day_of(t) or date.min, t.ref), reverse=True)
    return TradeList(filters, kind, TRADE_KINDS[kind], procedure, rows[: max(1, min(limit, 500))], len(rows))


# -- trends --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    key: str
    label: str
    volume: int
    value_fen: int
    published: int


@dataclass(frozen=True)
class Trend:
    granularity: Granularity
    points: list[TrendPoint]


def trend_for(
    actor: Actor,
    *,
    period: str | None = None,
    region: str | None = None,
    category: str | None = None,
    granularity: str | None = None,
    trades: Sequence[ind.Trade] | None = None,
) -> Trend:
    """Deals, deal value and published trades per day/month/quarter/year over ``period``."""
    filters = filters_for(actor, period=period, region=region, category=category)
    try:
        g = Granularity(granularity) if granularity else finer(filters.period.granularity)
    except ValueError:
        raise InvalidInput(
            "stats.granularity_invalid",
            "统计粒度应为 day、month、quarter 或 year",
            "granularity must be day, month, quarter or year",
            {"granularity": str(granularity)[:20], "field": "granularity"},
        ) from None
    if trades is None:
        trades = trades_for(actor, region=filters.region, category=filters.category)
    points = []
    for b in buckets(filters.period, g):
        deals = [t for t in trades if t.is_deal and t.deal_day and b.contains(t.deal_day)]
        published = sum(1 for t in trades if t.published_day and b.contains(t.published_day))
        points.append(TrendPoint(b.key, b.label_zh, len(deals), sum(t.deal_fen or 0 for t in deals), published))
    return Trend(g, points)


# -- live totals and the district tiles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    in_progress: int  # published, neither awarded nor failed
    deals_today: int
    value_today_fen: int
    deals_year: int
    value_year_fen: int
    open_alerts: int
    as_of: datetime


def totals_for(actor: Actor, *, region: str | None = None, trades: Sequence[ind.Trade] | None = None) -> Totals:
    """``trades``: the actor's trades in ``region`` when the caller already has them."""
    from yiwang.supervision.redflags import queries as redflags

    if trades is None:
        trades = trades_for(actor, region=region)
    today = now().astimezone(SHANGHAI).date()
    deals = [t for t in trades if t.is_deal]
    deals_today = [t for t in deals if t.deal_day == today]
    deals_year = [t for t in deals if t.deal_day and t.deal_day.year == today.year]
    alerts = redflags.list_alerts_for(actor, open_only=True, region=region, limit=1).total
    return Totals(
        in_progress=sum(1 for t in trades if not t.is_deal and not t.failed),
        deals_today=len(deals_today),
        value_today_fen=sum(t.deal_fen or 0 for t in deals_today),
        deals_year=len(deals_year),
        value_year_fen=sum(t.deal_fen or 0 for t in deals_year),
        open_alerts=alerts,
        as_of=now(),
    )


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    volume: int
    value_fen: int
    open_alerts: int
    heat: int  # 0–4, by value relative to the biggest district


def district_tiles_for(actor: Actor, set_: IndicatorSet) -> list[Tile]:
    """The districts the actor reads as a tile grid (no map: no approved boundary file), with deals, value and
    open alerts; ``heat`` ranks the value in five steps."""
    from yiwang.catalog import queries as catalog
    from yiwang.supervision.redflags import queries as redflags

    districts: list[tuple[str, str]] = []
    for scope in [set_.filters.region] if set_.filters.region else scopes_of(actor):
        if scope.endswith("0000") or scope.endswith("00"):
            districts += [(r.code, r.name) for r in catalog.list_regions(parent=scope)]
        else:
            districts.append((scope, region_name(scope)))
    by_region = {g.key: g for g in set_.by_region}
    alerts: dict[str, int] = {}
    for row in redflags.list_alerts_for(actor, open_only=True, limit=200).rows:
        alerts[row.region_code] = alerts.get(row.region_code, 0) + 1
    top = max([g.value_fen for g in set_.by_region] or [0])
    tiles = []
    for code, name in dict.fromkeys(districts):
        g = by_region.get(code)
        value = g.value_fen if g else 0
        heat = 0 if not top or not value else min(4, 1 + (4 * value) // (top + 1))
        tiles.append(Tile(code, name, g.volume if g else 0, value, alerts.get(code, 0), heat))
    return tiles


# -- drill-down: a project's whole timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    at: datetime | None
    stage: str
    text: str
    link: str = ""


@dataclass(frozen=True)
class SectionTimeline:
    section_id: int
    code: str
    name: str
    status_label: str
    budget_fen: int | None
    bidders: int | None
    deal_fen: int | None
    items: list[TimelineItem]
    objections: list[Any]
    alerts: list[Any]


@dataclass(frozen=True)
class ProjectTimeline:
    project_id: int
    name: str
    code: str
    region_code: str
    region_label: str
    category_label: str
    procedure_label: str
    status_label: str
    sections: list[SectionTimeline]
    notices: list[Any]
    complaints: list[Any]
    witness: list[Any]


def _not_found(project_id: object) -> NotFound:
    return NotFound(
        "stats.project_not_found", "招标项目不存在", "No such project", {"project_id": str(project_id)[:40]}
    )


def project_timeline_for(actor: Actor, project_id: Any) -> ProjectTimeline:
    """A project's full timeline for a regulator over its region: each section's stages (notice, deadline,
    opening with the number of bids, evaluation, candidates, award, contract), its objections and complaints,
    its notices, the alerts about it and its witness-log entries."""
    from yiwang.platform.audit import queries as audit
    from yiwang.services.notices import queries as notices
    from yiwang.supervision.redflags import queries as redflags
    from yiwang.trading.tender import queries as tender

    require_reader(actor)
    try:
        view = tender.get_project_for(actor, int(project_id))
    except (NotFound, TypeError, ValueError):
        raise _not_found(project_id) from None
    project = view.project
    if not _covered(actor, project.region_code):
        raise _not_found(project_id)
    sections = []
    refs: list[tuple[str, Any]] = [("tender.project", project.pk)]
    for summary in view.sections:
        s = tender.get_section_for(actor, summary.section.pk)
        sec = s.section
        refs.append(("tender.section", sec.pk))
        items = [TimelineItem(e.at, e.kind, e.text) for e in s.events]
        stages = (
            (project.published_at, "notice", "招标公告发布"),
            (sec.bid_deadline, "deadline", "投标截止"),
            (sec.opening_started_at, "opening", "开标"),
            (sec.handed_over_at, "evaluation", "移交评标"),
            (sec.report_received_at, "evaluated", "评标报告"),
            (sec.publicity_start, "candidates", "中标候选人公示"),
            (sec.awarded_at, "award", "发出中标通知书"),
            (sec.contract_signed_at, "contract", "合同签订"),
        )
        items += [TimelineItem(at, stage, text) for at, stage, text in stages if at is not None]
        items.sort(key=lambda i: (i.at is None, i.at or datetime.min.replace(tzinfo=SHANGHAI)))
        fact_bidders = None
        if s.evaluation is not None:
            fact_bidders = len(s.evaluation.bids) + len(s.evaluation.excluded or [])
        elif s.receipt_count is not None and tender.opened(sec):
            fact_bidders = s.receipt_count
        section_alerts = redflags.list_alerts_for(actor, q=f"tender.section:{sec.pk}", limit=20).rows
        sections.append(
            SectionTimeline(
                section_id=sec.pk,
                code=sec.code,
                name=sec.name,
                status_label=s.status_label,
                budget_fen=sec.estimate_fen,
                bidders=fact_bidders,
                deal_fen=s.award.price_fen if s.award else None,
                items=items,
                objections=list(s.objections),
                alerts=[
                    a
                    for a in section_alerts
                    if a.subject_id == f"tender.section:{sec.pk}" or a.ocid == f"tender.section:{sec.pk}"
                ],
            )
        )
    witness = []
    for ref in refs:
        witness += audit.entries_about(ref, limit=200)
    witness.sort(key=lambda w: w.seq)
    project_notices = []
    for ref in [f"tender.project:{project.pk}", *(f"tender.section:{s.section_id}" for s in sections)]:
        project_notices += notices.list_notices_of(ref)
    complaints = _complaints_of(actor, [s.section_id for s in sections])
    return ProjectTimeline(
        project_id=project.pk,
        name=project.name,
        code=project.tender_project_code,
        region_code=project.region_code,
        region_label=region_name(project.region_code),
        category_label=category_names().get(project.category, project.category),
        procedure_label=view.procedure.title_zh,
        status_label=view.status_label,
        sections=sections,
        notices=project_notices,
        complaints=complaints,
        witness=witness,
    )


def _complaints_of(actor: Actor, section_ids: list[int]) -> list[Any]:
    """The complaints (质疑/投诉) about these sections the actor reads."""
    from yiwang.supervision.complaints import queries as complaints

    wanted = {f"tender.section:{i}" for i in section_ids}
    rows = complaints.list_complaints_for(actor, limit=200).rows
    return [c for c in rows if c.procedure_ref.split("-r")[0] in wanted]


def since(days: int) -> datetime:
    return now() - timedelta(days=days)
