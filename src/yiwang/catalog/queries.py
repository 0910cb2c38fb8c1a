"""Reads of the catalog context. Everything here is public reference data: no actor is needed.

Other contexts call these (never the models): regions, code tables, the rules catalogue (``rule()``), the
working-day calendar, the trading catalogue, platforms and disclosure requirements. "In effect on X" means
the published version of a list with the latest ``effective_from`` on or before X (Shanghai date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from yiwang.catalog.domain import lists as list_rules
from yiwang.catalog.domain import rules as rule_vocab
from yiwang.catalog.errors import RuleNotListed
from yiwang.catalog.models import (
    CalendarStamp,
    CodeTable,
    HolidayDay,
    HolidayRevision,
    HolidayYear,
    ListItem,
    ListVersion,
    Region,
)
from yiwang.catalog.models import (
    CodeEntry as CodeEntryRow,
)
from yiwang.kernel.errors import InvalidInput, NotFound
from yiwang.kernel.ids import validate_region_code_format
from yiwang.kernel.workdays import WorkdayCalendar
from yiwang.platform.clock import now

__all__ = [
    "CodeEntry",
    "NoticeRequirement",
    "PlatformInfo",
    "RegionInfo",
    "RuleNotListed",
    "RuleValue",
    "TradingCategory",
    "TradingItem",
    "code_entries",
    "code_label",
    "get_region",
    "list_platforms",
    "list_regions",
    "list_trading_categories",
    "provisional_years",
    "require_code",
    "require_region",
    "require_trading_item",
    "required_notices",
    "rule",
    "rules_snapshot",
    "today",
    "trading_item",
    "workday_calendar",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in Shanghai by the platform clock."""
    return now().astimezone(SHANGHAI).date()


def _as_date(on: date | datetime | None) -> date:
    if on is None:
        return today()
    if isinstance(on, datetime):
        if on.tzinfo is None:
            return on.date()  # a naive datetime is read as Shanghai wall time
        return on.astimezone(SHANGHAI).date()
    return on


# -- regions (GB/T 2260) ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionInfo:
    """A region code. ``valid_to`` is exclusive: the first day the code is no longer valid."""

    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)


def _region_info(row: Region) -> RegionInfo:
    return RegionInfo(row.code, row.name, row.level, row.parent_code or None, row.valid_from, row.valid_to)


def _regions_with_code(code: str) -> list[RegionInfo]:
    return [_region_info(r) for r in Region.objects.filter(code=code).order_by("valid_from")]


def get_region(code: str, *, on: date | None = None) -> RegionInfo | None:
    """The region with ``code`` valid on ``on`` (default today); ``None`` if unknown or not valid then."""
    day = _as_date(on)
    return next((r for r in _regions_with_code(code) if r.valid_on(day)), None)


def require_region(code: str, *, on: date | None = None) -> RegionInfo:
    """Like :func:`get_region` but refuses: ``region.format``/``region.province`` (malformed),
    ``catalog.region_unknown`` (no such code), ``catalog.region_not_valid`` (not valid on that date)."""
    code = validate_region_code_format(code)
    day = _as_date(on)
    found = _regions_with_code(code)
    if not found:
        raise InvalidInput(
            "catalog.region_unknown",
            f"行政区划代码 {code} 不存在",
            f"region code {code} does not exist",
            {"code": code},
        )
    for region in found:
        if region.valid_on(day):
            return region
    last = found[-1]
    raise InvalidInput(
        "catalog.region_not_valid",
        f"行政区划代码 {code}（{last.name}）在 {day.isoformat()} 无效",
        f"region code {code} ({last.name}) is not valid on {day.isoformat()}",
        {
            "code": code,
            "valid_from": last.valid_from.isoformat() if last.valid_from else None,
            "valid_to": last.valid_to.isoformat() if last.valid_to else None,
            "on": day.isoformat(),
        },
    )


def list_regions(*, parent: str | None = None, on: date | None = None) -> list[RegionInfo]:
    """Regions valid on ``on`` (default today): the province-level ones when ``parent`` is None, else the
    children of ``parent``."""
    day = _as_date(on)
    rows = Region.objects.filter(parent_code=parent) if parent else Region.objects.filter(level="province")
    return [r for r in map(_region_info, rows.order_by("code")) if r.valid_on(day)]


def list_all_regions() -> list[RegionInfo]:
    """Every region row, current and historical (for the public page)."""
    return [_region_info(r) for r in Region.objects.order_by("code", "valid_from")]


# -- code tables -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeEntry:
    table: str
    code: str
    label_zh: str
    label_en: str


def code_entries(table: str) -> list[CodeEntry]:
    """The valid entries of a code table in display order (empty for an unknown table)."""
    rows = CodeEntryRow.objects.filter(table__name=table, valid=True).order_by("sort", "code")
    return [CodeEntry(table, r.code, r.label_zh, r.label_en) for r in rows]


def code_label(table: str, code: str) -> str | None:
    row = CodeEntryRow.objects.filter(table__name=table, code=code, valid=True).values_list("label_zh", flat=True)
    return row.first()


def require_code(table: str, code: str) -> CodeEntry:
    """The entry ``code`` of ``table``, or ``catalog.code_unknown`` (details: table, code, allowed)."""
    entries = code_entries(table)
    for entry in entries:
        if entry.code == code:
            return entry
    raise InvalidInput(
        "catalog.code_unknown",
        f"代码“{code}”不在代码表“{table}”中",
        f"code {code!r} is not in code table {table!r}",
        {"table": table, "code": code, "allowed": [e.code for e in entries]},
    )


def list_code_tables() -> list[CodeTable]:
    return list(CodeTable.objects.order_by("name"))


def get_code_table(name: str) -> CodeTable:
    table = CodeTable.objects.filter(name=name).first()
    if table is None:
        raise NotFound(
            "catalog.code_table_unknown", f"代码表“{name}”不存在", f"no code table {name!r}", {"table": name}
        )
    return table


# -- versions of the six lists ---------------------------------------------------------------------------------
def version_in_effect(kind: str, on: date | datetime | None = None) -> ListVersion | None:
    """The version of list ``kind`` in effect on ``on`` (default today), or ``None``."""
    day = _as_date(on)
    return (
        ListVersion.objects.filter(kind=kind, status__in=list_rules.IN_FORCE_STATUSES, effective_from__lte=day)
        .order_by("-effective_from", "-number")
        .first()
    )


def list_versions(kind: str) -> list[ListVersion]:
    list_rules.require_kind(kind)
    return list(ListVersion.objects.filter(kind=kind).order_by("-number"))


def get_version(kind: str, number: int) -> ListVersion:
    list_rules.require_kind(kind)
    found = ListVersion.objects.filter(kind=kind, number=number).first()
    if found is None:
        raise NotFound(
            "catalog.version_not_found",
            f"{list_rules.LIST_LABELS_ZH[kind]}没有第 {number} 版",
            f"the {kind} list has no version {number}",
            {"list": kind, "number": number},
        )
    return found


def current_draft(kind: str) -> ListVersion | None:
    return ListVersion.objects.filter(kind=kind, status=list_rules.VersionStatus.DRAFT.value).first()


def version_items(version: ListVersion, *, item_type: str | None = None) -> list[ListItem]:
    qs = ListItem.objects.filter(version=version)
    if item_type:
        qs = qs.filter(item_type=item_type)
    return list(qs.order_by("sort", "key"))


def get_item(version: ListVersion, key: str) -> ListItem:
    found = ListItem.objects.filter(version=version, key=key).first()
    if found is None:
        raise NotFound(
            "catalog.item_not_found",
            f"第 {version.number} 版中没有条目“{key}”",
            f"version {version.number} has no item {key!r}",
            {"key": key, "number": version.number},
        )
    return found


def diff_versions(kind: str, old: int, new: int) -> list[list_rules.ItemChange]:
    def snapshot(number: int) -> dict[str, dict[str, Any]]:
        return {
            i.key: {"title_zh": i.title_zh, "item_type": i.item_type, "data": i.data}
            for i in version_items(get_version(kind, number))
        }

    return list_rules.diff_items(snapshot(old), snapshot(new))


# -- the rules catalogue -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleValue:
    rule_id: str
    value: int | Decimal | Fraction
    unit: str
    kind: str
    anchor: str
    title_zh: str
    source: str  # people's citation: 《document》article ✔/◇
    document: str  # the key of the document item in the rules catalogue
    article: str
    version: int  # the rules-catalogue version the value comes from
    effective_from: date  # when that version took effect

    @property
    def confidence(self) -> str:
        return self.source[-1:] if self.source[-1:] in rule_vocab.CONFIDENCE_MARKS else ""

    def describe(self) -> str:
        """``20 日`` / ``2%`` / ``3 个工作日``."""
        return rule_vocab.describe_value(self.value, self.unit)

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "value": rule_vocab.json_value(self.value),
            "unit": self.unit,
            "kind": self.kind,
            "anchor": self.anchor,
            "title_zh": self.title_zh,
            "source": self.source,
            "document": self.document,
            "article": self.article,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
        }


def _documents(version: ListVersion, keys: set[str]) -> dict[str, ListItem]:
    return {i.key: i for i in ListItem.objects.filter(version=version, key__in=keys, item_type="document")}


def _rule_value(item: ListItem, version: ListVersion, docs: dict[str, ListItem]) -> RuleValue:
    data = item.data
    doc = docs.get(data["document"])
    doc_name = f"《{doc.title_zh}》" if doc else data["document"]
    number = f"（{doc.data['number']}）" if doc and doc.data.get("number") else ""
    source = f"{doc_name}{number}{data.get('article', '')} {data.get('confidence', '')}".strip()
    return RuleValue(
        rule_id=item.key,
        value=rule_vocab.parse_rule_value(data["value"]),
        unit=data["unit"],
        kind=data["kind"],
        anchor=data.get("anchor", ""),
        title_zh=item.title_zh,
        source=source,
        document=data["document"],
        article=data.get("article", ""),
        version=version.number,
        effective_from=version.effective_from,
    )


def rule(rule_id: str, *, on: date | datetime | None = None) -> RuleValue:
    """The value of a listed rule in the rules catalogue in effect on ``on`` (default today).

    Raises :class:`RuleNotListed` (``catalog.rule_not_listed``) when no rules catalogue is in effect or it does
    not list ``rule_id``: an unlisted rule may not be enforced.
    """
    day = _as_date(on)
    version = version_in_effect(list_rules.ListKind.RULES.value, day)
    item = (
        ListItem.objects.filter(version=version, key=rule_id, item_type="rule").first() if version is not None else None
    )
    if version is None or item is None:
        raise RuleNotListed(rule_id, day.isoformat())
    return _rule_value(item, version, _documents(version, {item.data["document"]}))


def rules_snapshot(prefix: str, *, on: date | datetime | None = None) -> dict[str, dict]:
    """Every listed rule whose id starts with ``prefix`` (``"tender."``), JSON-able, to store on a procedure
    when it is created (so later catalogue changes do not alter a running procedure)."""
    day = _as_date(on)
    version = version_in_effect(list_rules.ListKind.RULES.value, day)
    if version is None:
        return {}
    items = list(ListItem.objects.filter(version=version, item_type="rule", key__startswith=prefix).order_by("key"))
    docs = _documents(version, {i.data["document"] for i in items})
    return {i.key: _rule_value(i, version, docs).as_json() for i in items}


def list_rules_in_effect(*, on: date | datetime | None = None) -> list[RuleValue]:
    day = _as_date(on)
    version = version_in_effect(list_rules.ListKind.RULES.value, day)
    if version is None:
        return []
    items = version_items(version, item_type="rule")
    docs = _documents(version, {i.data["document"] for i in items})
    return [_rule_value(i, version, docs) for i in items]


# -- the working-day calendar --------------------------------------------------------------------------------------
_calendar_cache: tuple[str, WorkdayCalendar] | None = None


def _build_calendar() -> WorkdayCalendar:
    years = list(HolidayYear.objects.values_list("year", flat=True))
    off, makeup = [], []
    for day, kind in HolidayDay.objects.values_list("day", "kind"):
        (off if kind == HolidayDay.OFF else makeup).append(day)
    return WorkdayCalendar(off, makeup, years)


def workday_calendar() -> WorkdayCalendar:
    """The State Council calendar built from the holiday data, cached in this process until the data changes
    (a token in the database changes with every edit, so other processes notice too)."""
    global _calendar_cache
    token = CalendarStamp.objects.filter(pk=1).values_list("token", flat=True).first()
    cached = _calendar_cache
    if token and cached is not None and cached[0] == token:
        return cached[1]
    calendar = _build_calendar()
    if token:
        _calendar_cache = (token, calendar)
    return calendar


def provisional_years() -> frozenset[int]:
    """Years whose schedule is provisional (not yet confirmed against the State Council notice)."""
    return frozenset(HolidayYear.objects.filter(provisional=True).values_list("year", flat=True))


def list_holiday_years() -> list[HolidayYear]:
    return list(HolidayYear.objects.order_by("year"))


def get_holiday_year(year: int) -> HolidayYear:
    found = HolidayYear.objects.filter(year=year).first()
    if found is None:
        raise NotFound(
            "catalog.holiday_year_unknown",
            f"尚未载入 {year} 年的节假日安排",
            f"no holiday schedule for {year}",
            {"year": year},
        )
    return found


def holiday_days(year: HolidayYear) -> list[HolidayDay]:
    return list(HolidayDay.objects.filter(year=year).order_by("day"))


def holiday_revisions(year: HolidayYear) -> list[HolidayRevision]:
    return list(HolidayRevision.objects.filter(year=year).order_by("-revision"))


# -- trading catalogue, platforms, disclosure ----------------------------------------------------------------------
@dataclass(frozen=True)
class TradingItem:
    code: str
    title_zh: str
    category: str
    category_title: str
    tier: str  # must (应进必进) | may (能进则进)
    tier_label: str
    authority: str
    platforms: tuple[str, ...]
    inferred: bool

    @property
    def must_trade_on_platform(self) -> bool:
        """应进必进: the item must be traded on the platform system."""
        return self.tier == "must"


@dataclass(frozen=True)
class TradingCategory:
    code: str
    title_zh: str
    number: str
    authority: str
    platforms: tuple[str, ...]
    items: tuple[TradingItem, ...]


def _trading(on: date | datetime | None) -> tuple[dict[str, ListItem], list[ListItem]]:
    version = version_in_effect(list_rules.ListKind.TRADING.value, on)
    if version is None:
        return {}, []
    items = version_items(version)
    categories = {i.key: i for i in items if i.item_type == "category"}
    return categories, [i for i in items if i.item_type == "item"]


def _trading_item(item: ListItem, categories: dict[str, ListItem]) -> TradingItem:
    cat = categories.get(item.data["category"])
    return TradingItem(
        code=item.key,
        title_zh=item.title_zh,
        category=item.data["category"],
        category_title=cat.title_zh if cat else "",
        tier=item.data["tier"],
        tier_label=list_rules.TIERS[item.data["tier"]],
        authority=item.data.get("authority", ""),
        platforms=tuple(item.data.get("platforms", [])),
        inferred=bool(item.data.get("inferred")),
    )


def trading_item(code: str, *, on: date | datetime | None = None) -> TradingItem | None:
    """A sub-item of the trading catalogue in effect, with its tier; ``None`` if it is not listed."""
    categories, items = _trading(on)
    found = next((i for i in items if i.key == code), None)
    return _trading_item(found, categories) if found else None


def require_trading_item(code: str, *, on: date | datetime | None = None) -> TradingItem:
    found = trading_item(code, on=on)
    if found is None:
        raise InvalidInput(
            "catalog.trading_item_unknown",
            f"“{code}”不在现行交易目录中",
            f"{code!r} is not in the trading catalogue in effect",
            {"code": code},
        )
    return found


def list_trading_categories(*, on: date | datetime | None = None) -> list[TradingCategory]:
    categories, items = _trading(on)
    out = []
    for key, cat in categories.items():
        members = tuple(_trading_item(i, categories) for i in items if i.data["category"] == key)
        out.append(
            TradingCategory(
                code=key,
                title_zh=cat.title_zh,
                number=cat.data.get("code", ""),
                authority=cat.data.get("authority", ""),
                platforms=tuple(cat.data.get("platforms", [])),
                items=members,
            )
        )
    return out


@dataclass(frozen=True)
class PlatformInfo:
    code: str  # the key in the platform list (sh.gp)
    name: str
    kind: str  # hub | sub | market
    operator: str
    uscc: str  # PLATFORM_CODE
    uscc_demo: bool
    market_run: bool
    categories: tuple[str, ...]
    status: str


def list_platforms(*, on: date | datetime | None = None) -> list[PlatformInfo]:
    version = version_in_effect(list_rules.ListKind.PLATFORMS.value, on)
    if version is None:
        return []
    return [
        PlatformInfo(
            code=i.key,
            name=i.title_zh,
            kind=i.data["kind"],
            operator=i.data["operator"],
            uscc=i.data["uscc"],
            uscc_demo=bool(i.data.get("uscc_demo")),
            market_run=bool(i.data.get("market_run")),
            categories=tuple(i.data.get("categories", [])),
            status=i.data["status"],
        )
        for i in version_items(version)
    ]


def platform_by_uscc(uscc: str, *, on: date | datetime | None = None) -> PlatformInfo | None:
    return next((p for p in list_platforms(on=on) if p.uscc == uscc), None)


@dataclass(frozen=True)
class NoticeRequirement:
    key: str
    category: str
    stage: str
    stage_label: str
    title_zh: str
    notice_types: tuple[str, ...]
    due_rule: str | None
    where: str
    basis: str


def required_notices(category: str, stage: str, *, on: date | datetime | None = None) -> list[NoticeRequirement]:
    """What the disclosure list in effect requires to be published for ``category`` at ``stage``."""
    version = version_in_effect(list_rules.ListKind.DISCLOSURE.value, on)
    if version is None:
        return []
    return [
        NoticeRequirement(
            key=i.key,
            category=i.data["category"],
            stage=i.data["stage"],
            stage_label=list_rules.STAGES.get(i.data["stage"], i.data["stage"]),
            title_zh=i.title_zh,
            notice_types=tuple(i.data["notice_types"]),
            due_rule=i.data.get("due_rule") or None,
            where=i.data.get("where", ""),
            basis=i.data.get("basis", ""),
        )
        for i in version_items(version)
        if i.data.get("category") == category and i.data.get("stage") == stage
    ]
