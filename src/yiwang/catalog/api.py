"""Catalog API (``/api/v1/catalog``): the six lists and their versions, the rules catalogue, regions, code
tables, the holiday calendar and a legal-period calculator. Reading is public; changes need staff admins."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from yiwang.catalog import actions, queries
from yiwang.catalog.domain import lists as list_rules
from yiwang.catalog.domain import rules as rule_vocab
from yiwang.catalog.models import HolidayYear, ListVersion
from yiwang.catalog.schemas import (
    ChangeOut,
    CodeTableOut,
    DraftIn,
    DraftPatch,
    HolidayYearIn,
    HolidayYearOut,
    ItemIn,
    ItemOut,
    ListOut,
    PeriodOut,
    PeriodQuery,
    RegionOut,
    RuleOut,
    VersionOut,
    VersionSummary,
)
from yiwang.kernel import periods
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates, updates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS, ErrorOut

router = Router(tags=["catalog 目录清单"])
PUBLIC = ActorAuth(required=False)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _summary(v: ListVersion) -> dict[str, Any]:
    return {
        "list": v.kind,
        "number": v.number,
        "status": v.status,
        "status_label": list_rules.VersionStatus(v.status).label_zh,
        "effective_from": v.effective_from,
        "title": v.title,
        "note": v.note,
        "source": v.source,
        "created_at": v.created_at,
        "created_by": v.created_by,
        "published_at": v.published_at,
        "published_by": v.published_by,
        "based_on": v.based_on,
        "etag_version": v.etag_version,
    }


def _full(v: ListVersion, response: HttpResponse | None = None) -> dict[str, Any]:
    if response is not None:
        response["ETag"] = etag(v.etag_version)
    items = [
        {"key": i.key, "item_type": i.item_type, "title_zh": i.title_zh, "sort": i.sort, "data": i.data}
        for i in queries.version_items(v)
    ]
    return {**_summary(v), "items": items}


# -- the six lists ----------------------------------------------------------------------------------------------
@router.get("/lists", auth=PUBLIC, response={200: list[ListOut], **ERRORS})
def lists_index(request: HttpRequest):
    """The six lists with the version in effect today and the open draft (if any)."""
    out = []
    for kind in list_rules.ListKind:
        current = queries.version_in_effect(kind.value)
        draft = queries.current_draft(kind.value)
        out.append(
            {
                "list": kind.value,
                "label_zh": kind.label_zh,
                "description_zh": list_rules.LIST_DESCRIPTIONS_ZH[kind.value],
                "in_effect": _summary(current) if current else None,
                "draft": draft.number if draft else None,
            }
        )
    return out


@router.get("/lists/{kind}/current", auth=PUBLIC, response={200: VersionOut, **ERRORS})
def current_version(request: HttpRequest, response: HttpResponse, kind: str, on: date | None = None):
    """The version in effect on ``on`` (default today), with its items."""
    list_rules.require_kind(kind)
    found = queries.version_in_effect(kind, on)
    if found is None:
        raise InvalidInput(
            "catalog.no_version_in_effect",
            f"{list_rules.LIST_LABELS_ZH[kind]}在该日期没有生效版本",
            f"no version of the {kind} list is in effect on that date",
            {"list": kind, "on": (on or queries.today()).isoformat()},
        )
    return _full(found, response)


@router.get("/lists/{kind}/versions", auth=PUBLIC, response={200: list[VersionSummary], **ERRORS})
def versions(request: HttpRequest, kind: str):
    return [_summary(v) for v in queries.list_versions(kind)]


@router.get("/lists/{kind}/versions/{number}", auth=PUBLIC, response={200: VersionOut, **ERRORS})
def version(request: HttpRequest, response: HttpResponse, kind: str, number: int):
    return _full(queries.get_version(kind, number), response)


@router.get("/lists/{kind}/versions/{number}/items/{key}", auth=PUBLIC, response={200: ItemOut, **ERRORS})
def item(request: HttpRequest, kind: str, number: int, key: str):
    return queries.get_item(queries.get_version(kind, number), key)


@router.get("/lists/{kind}/diff", auth=PUBLIC, response={200: list[ChangeOut], **ERRORS})
def diff(request: HttpRequest, kind: str, old: int, new: int):
    """Items added, removed or changed between two versions."""
    return [
        {"key": c.key, "change": c.change, "title_zh": c.title_zh, "fields": [list(f) for f in c.fields]}
        for c in queries.diff_versions(kind, old, new)
    ]


@creates(router, "/lists/{kind}/drafts", response={201: VersionOut, **CREATE_ERRORS})
def create_draft(request: HttpRequest, response: HttpResponse, kind: str, payload: DraftIn):
    """Staff: copy the latest published version into a new draft."""
    draft = actions.do_create_draft(
        actor=actor_of(request),
        kind=kind,
        effective_from=payload.effective_from,
        title=payload.title,
        note=payload.note,
    )
    return Status(201, _full(draft, response))


@updates(router, "/lists/{kind}/versions/{number}", response={200: VersionOut, **UPDATE_ERRORS})
def update_draft(request: HttpRequest, response: HttpResponse, kind: str, number: int, payload: DraftPatch):
    """Staff: change a draft's effective date, title or note (If-Match: the draft's ETag)."""
    draft = actions.do_update_draft(
        actor=actor_of(request),
        kind=kind,
        number=number,
        expected_version=if_match_version(request),
        **payload.model_dump(exclude_unset=True),
    )
    return _full(draft, response)


@creates(router, "/lists/{kind}/versions/{number}/items", response={201: ItemOut, **CREATE_ERRORS, 412: ErrorOut})
def add_item(request: HttpRequest, response: HttpResponse, kind: str, number: int, payload: ItemIn):
    """Staff: add an item to a draft (If-Match optional)."""
    expected = if_match_version(request) if request.headers.get("If-Match") else None
    row = actions.do_put_item(
        actor=actor_of(request), kind=kind, number=number, item=payload.model_dump(), expected_version=expected
    )
    response["ETag"] = etag(queries.get_version(kind, number).etag_version)
    return Status(201, row)


@updates(router, "/lists/{kind}/versions/{number}/items/{key}", response={200: ItemOut, **UPDATE_ERRORS})
def replace_item(request: HttpRequest, response: HttpResponse, kind: str, number: int, key: str, payload: ItemIn):
    """Staff: replace an item of a draft (If-Match: the draft's ETag)."""
    row = actions.do_put_item(
        actor=actor_of(request),
        kind=kind,
        number=number,
        item=payload.model_dump(),
        expected_version=if_match_version(request),
        replace_key=key,
    )
    response["ETag"] = etag(queries.get_version(kind, number).etag_version)
    return row


@router.delete(
    "/lists/{kind}/versions/{number}/items/{key}", response={200: VersionOut, **UPDATE_ERRORS}, openapi_extra={}
)
def delete_item(request: HttpRequest, response: HttpResponse, kind: str, number: int, key: str):
    """Staff: remove an item from a draft (If-Match: the draft's ETag)."""
    draft = actions.do_delete_item(
        actor=actor_of(request), kind=kind, number=number, key=key, expected_version=if_match_version(request)
    )
    return _full(draft, response)


@acts(router, "/lists/{kind}/versions/{number}/publish", response={200: VersionOut, **UPDATE_ERRORS})
def publish(request: HttpRequest, response: HttpResponse, kind: str, number: int):
    """Staff: publish a draft (If-Match optional). It becomes immutable and takes effect on its date."""
    expected = if_match_version(request) if request.headers.get("If-Match") else None
    published = actions.do_publish_version(actor=actor_of(request), kind=kind, number=number, expected_version=expected)
    return _full(published, response)


# -- rules ---------------------------------------------------------------------------------------------------------
def _rule_out(r: queries.RuleValue) -> dict[str, Any]:
    return {**r.as_json(), "value_text": r.describe()}


@router.get("/rules", auth=PUBLIC, response={200: list[RuleOut], **ERRORS})
def rules(request: HttpRequest, prefix: str = "", on: date | None = None):
    """Every rule of the rules catalogue in effect (optionally under a prefix such as ``tender.``)."""
    return [_rule_out(r) for r in queries.list_rules_in_effect(on=on) if r.rule_id.startswith(prefix)]


@router.get("/rules/{rule_id}", auth=PUBLIC, response={200: RuleOut, **ERRORS})
def get_rule(request: HttpRequest, rule_id: str, on: date | None = None):
    """One rule: value, unit, kind and source. 422 ``catalog.rule_not_listed`` if it is not listed."""
    return _rule_out(queries.rule(rule_id, on=on))


# -- regions and code tables ------------------------------------------------------------------------------------
@router.get("/regions", auth=PUBLIC, response={200: list[RegionOut], **ERRORS})
def regions(request: HttpRequest, parent: str | None = None, on: date | None = None):
    """Province-level regions, or the children of ``parent``, valid on ``on`` (default today)."""
    return queries.list_regions(parent=parent, on=on)


@router.get("/regions/{code}", auth=PUBLIC, response={200: RegionOut, **ERRORS})
def region(request: HttpRequest, code: str, on: date | None = None):
    """One region; 422 ``region.format``, ``catalog.region_unknown`` or ``catalog.region_not_valid``."""
    return queries.require_region(code, on=on)


@router.get("/codes", auth=PUBLIC, response={200: list[CodeTableOut], **ERRORS})
def code_tables(request: HttpRequest):
    return queries.list_code_tables()


@router.get("/codes/{table}", auth=PUBLIC, response={200: CodeTableOut, **ERRORS})
def code_table(request: HttpRequest, table: str):
    found = queries.get_code_table(table)
    return {
        "name": found.name,
        "title_zh": found.title_zh,
        "title_en": found.title_en,
        "spec_ref": found.spec_ref,
        "note": found.note,
        "entries": queries.code_entries(table),
    }


# -- holidays and periods ---------------------------------------------------------------------------------------
def _year_out(row: HolidayYear, response: HttpResponse | None = None) -> dict[str, Any]:
    if response is not None:
        response["ETag"] = etag(row.revision)
    return {
        "year": row.year,
        "provisional": row.provisional,
        "notice": row.notice,
        "source": row.source,
        "note": row.note,
        "revision": row.revision,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
        "days": [{"day": d.day, "kind": d.kind, "name": d.name} for d in queries.holiday_days(row)],
    }


@router.get("/holidays", auth=PUBLIC, response={200: list[HolidayYearOut], **ERRORS})
def holiday_years(request: HttpRequest):
    return [{**_year_out(y), "days": []} for y in queries.list_holiday_years()]


@router.get("/holidays/{year}", auth=PUBLIC, response={200: HolidayYearOut, **ERRORS})
def holiday_year(request: HttpRequest, response: HttpResponse, year: int):
    return _year_out(queries.get_holiday_year(year), response)


@updates(router, "/holidays/{year}", method="PUT", response={200: HolidayYearOut, **UPDATE_ERRORS})
def set_holiday_year(request: HttpRequest, response: HttpResponse, year: int, payload: HolidayYearIn):
    """Staff admins: replace a year's schedule (If-Match: the year's revision; ``"0"`` or ``*`` for a new year)."""
    row = actions.do_set_holiday_year(
        actor=actor_of(request), year=year, expected_revision=if_match_version(request), **payload.model_dump()
    )
    return _year_out(row, response)


@router.get("/periods", auth=PUBLIC, response={200: PeriodOut, **ERRORS, 503: ErrorOut})
def period(request: HttpRequest, q: Query[PeriodQuery]):
    """Compute a legal period with the catalogue's working-day calendar: ``kind=min_gap`` gives the earliest
    allowed instant of the later event, ``kind=max_delay`` the exclusive end of "within N". Give either
    ``amount`` + ``unit`` or a ``rule`` id (its value, unit and kind are used)."""
    start = q.start if q.start.tzinfo else q.start.replace(tzinfo=SHANGHAI)
    amount, unit, kind, rule_id = q.amount, q.unit, q.kind, None
    if q.rule:
        r = queries.rule(q.rule, on=start)
        if not isinstance(r.value, int) or r.unit not in rule_vocab.PERIOD_UNITS:
            raise InvalidInput(
                "catalog.rule_not_a_period",
                f"规则“{q.rule}”不是期限",
                f"rule {q.rule!r} is not a period",
                {"rule_id": q.rule, "unit": r.unit},
            )
        amount, unit, kind, rule_id = r.value, r.unit, r.kind, r.rule_id
    if amount is None or amount < 0 or amount > 3650:
        raise InvalidInput(
            "catalog.period_amount_invalid", "期限数值应为 0–3650 的整数", "amount must be 0–3650", {"field": "amount"}
        )
    if unit not in rule_vocab.PERIOD_UNITS:
        raise InvalidInput(
            "catalog.rule_unit_unknown",
            "期限单位应为 day、workday、hour 或 minute",
            "unit must be day, workday, hour or minute",
            {"field": "unit", "unit": unit, "allowed": sorted(rule_vocab.PERIOD_UNITS)},
        )
    calendar = queries.workday_calendar()
    if kind == "min_gap":
        result = periods.earliest_allowed(start, amount, unit, calendar)
        last_day = result.astimezone(SHANGHAI).date()
    elif kind in ("max_delay", "duration"):
        result = periods.deadline_end(start, amount, unit, calendar)
        end_local = result.astimezone(SHANGHAI)
        last_day = end_local.date() - timedelta(days=1) if end_local.time() == time(0) else end_local.date()
    else:
        raise InvalidInput(
            "catalog.rule_kind_unknown",
            "kind 应为 min_gap 或 max_delay",
            "kind must be min_gap or max_delay",
            {"field": "kind", "kind": kind},
        )
    return {
        "start": start,
        "amount": amount,
        "unit": unit,
        "kind": kind,
        "rule_id": rule_id,
        "result": result,
        "last_day": last_day,
        "calendar_years": sorted(calendar.years),
        "provisional_years": sorted(queries.provisional_years()),
    }
