"""Credit API (``/api/v1/credit``).

- ``GET /search?q=`` (anyone): entities by name or USCC with their count of published records;
- ``GET /entities/{id}`` (anyone): 信用信息 — published records; in full with grade and restrictions for the
  entity's users and officers over its region;
- ``GET /entities/{id}/restrictions?action=bidding&on=YYYY-MM-DD``: is the entity barred, and why;
- ``POST /records`` (officers), ``GET /records``, ``GET /records/{id}`` (ETag),
  ``POST /records/{id}/end`` (撤销 / 移出名单; ``If-Match`` optional, checked when given);
- ``POST /entities/{id}/checks`` (officers), ``GET /entities/{id}/checks``: 外部信用核查 with the answers kept;
- ``POST /repairs`` (the entity's users), ``GET /repairs``, ``GET /repairs/{id}``,
  ``POST /repairs/{id}/decide`` (regulators; ``If-Match`` optional).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import ERRORS
from yiwang.supervision.credit import actions, inputs, queries
from yiwang.supervision.credit.schemas import (
    ACT_ERRORS,
    READ_ERRORS,
    CheckIn,
    CheckOut,
    DecideIn,
    EndIn,
    ProfileOut,
    RecordIn,
    RecordOut,
    RecordPageOut,
    RecordQuery,
    RepairIn,
    RepairOut,
    RestrictionOut,
    SearchHitOut,
)

router = Router(tags=["credit 信用"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/credit"
OPTIONAL_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "当前的 ETag（可选；给出时须一致）",
}


def _expected(request: HttpRequest) -> int | None:
    return if_match_version(request) if request.headers.get("If-Match") else None


def _record(request: HttpRequest, response: HttpResponse, record_id: int) -> dict[str, Any]:
    view = queries.get_record_for(actor_of(request), record_id)
    response["ETag"] = etag(view.version)
    return view.__dict__


def _repair(request: HttpRequest, response: HttpResponse, repair_id: int) -> dict[str, Any]:
    view = queries.get_repair_for(actor_of(request), repair_id)
    response["ETag"] = etag(view.version)
    return view.__dict__


@router.get("/search", auth=PUBLIC, response={200: list[SearchHitOut], **READ_ERRORS})
def search(request: HttpRequest, q: str = ""):
    """公共信用信息查询 by name (part of it) or USCC."""
    return queries.search_public(actor_of(request), q)


@router.get("/entities/{int:entity_id}", auth=PUBLIC, response={200: ProfileOut, **READ_ERRORS})
def profile(request: HttpRequest, entity_id: int):
    """信用信息 of one entity. ``404 credit.entity_not_found``."""
    p = queries.get_profile_for(actor_of(request), entity_id)
    return {**p.__dict__, "records": [r.__dict__ for r in p.records]}


@router.get("/entities/{int:entity_id}/restrictions", response={200: RestrictionOut, **READ_ERRORS})
def restrictions(request: HttpRequest, entity_id: int, action: str = "bidding", on: str | None = None):
    """Is the entity barred from ``action`` on ``on`` (default today), and on which records.
    ``422 credit.action_invalid`` / ``credit.date_invalid``."""
    day = inputs.a_date(on, "on", required=False)
    r = queries.get_restriction_for(actor_of(request), entity_id, on=day, action=action)
    return {
        "entity_id": r.entity_id,
        "action": r.action,
        "on": r.on,
        "restricted": r.restricted,
        "reasons": [x.as_json() for x in r.reasons],
    }


@creates(router, "/entities/{int:entity_id}/checks", response={201: CheckOut, 503: ERRORS[422], **ACT_ERRORS})
def check_external(request: HttpRequest, entity_id: int, payload: CheckIn):
    """外部信用核查 (officers of any region): every configured platform is asked; one that cannot answer is
    recorded as ``unavailable``, never as clean. ``409 credit.no_uscc``, ``404 credit.entity_not_found``."""
    actor = actor_of(request)
    check = actions.do_check_external(
        actor=actor, entity_id=entity_id, checkpoint=payload.checkpoint, owner_ref=payload.owner_ref
    )
    return Status(201, queries.get_check_for(actor, check.pk).__dict__)


@router.get("/entities/{int:entity_id}/checks", response={200: list[CheckOut], **READ_ERRORS})
def checks(request: HttpRequest, entity_id: int):
    """The entity's external checks, newest first (officers, auditors, the entity's users)."""
    return [c.__dict__ for c in queries.list_checks_for(actor_of(request), entity_id)]


@creates(router, "/records", response={201: RecordOut, **ACT_ERRORS})
def create_record(request: HttpRequest, response: HttpResponse, payload: RecordIn):
    """录入信用记录 (regulators and staff over ``region_code``). ``422 credit.*`` per field (all listed in
    ``details.errors``), ``422 catalog.rule_not_listed`` when a publication period is missing from the rules
    catalogue, ``403 credit.region_not_covered``, ``404 credit.entity_not_found``."""
    record = actions.do_record_credit(actor=actor_of(request), data=payload.model_dump())
    response["Location"] = f"{BASE}/records/{record.pk}"
    return Status(201, _record(request, response, record.pk))


@router.get("/records", response={200: RecordPageOut, **READ_ERRORS})
def records(request: HttpRequest, q: Query[RecordQuery]):
    """Records in full you may read (officers: your regions; entity users: your entities)."""
    page = queries.list_records_for(actor_of(request), **q.model_dump())
    return {"total": page.total, "limit": page.limit, "offset": page.offset, "records": [r.__dict__ for r in page.rows]}


@router.get("/records/{int:record_id}", auth=PUBLIC, response={200: RecordOut, **READ_ERRORS})
def record(request: HttpRequest, response: HttpResponse, record_id: int):
    """One record (the public view of a published record for everyone else)."""
    return _record(request, response, record_id)


@acts(
    router,
    "/records/{int:record_id}/end",
    response={200: RecordOut, **ACT_ERRORS},
    openapi_extra={"parameters": [OPTIONAL_IF_MATCH]},
)
def end_record(request: HttpRequest, response: HttpResponse, record_id: int, payload: EndIn):
    """撤销 (``revoked``) or 移出名单 (``removed``, lists only), with the reason. ``409 credit.record_not_active``."""
    actions.do_end_record(
        actor=actor_of(request),
        record_id=record_id,
        how=payload.how,
        reason=payload.reason,
        expected_version=_expected(request),
    )
    return _record(request, response, record_id)


@creates(router, "/repairs", response={201: RepairOut, **ACT_ERRORS})
def request_repair(request: HttpRequest, response: HttpResponse, payload: RepairIn):
    """信用修复申请 (users of the entity). ``422 credit.repair_too_early`` (with the rule and the date),
    ``credit.repair_not_applicable``; ``409 credit.repair_pending``."""
    repair = actions.do_request_repair(
        actor=actor_of(request), record_id=payload.record_id, reason=payload.reason, commitment=payload.commitment
    )
    response["Location"] = f"{BASE}/repairs/{repair.pk}"
    return Status(201, _repair(request, response, repair.pk))


@router.get("/repairs", response={200: list[RepairOut], **READ_ERRORS})
def repairs(request: HttpRequest, status: str | None = None):
    """Repair requests you may see, pending first by due time."""
    return [r.__dict__ for r in queries.list_repairs_for(actor_of(request), status=status)]


@router.get("/repairs/{int:repair_id}", response={200: RepairOut, **READ_ERRORS})
def repair(request: HttpRequest, response: HttpResponse, repair_id: int):
    return _repair(request, response, repair_id)


@acts(
    router,
    "/repairs/{int:repair_id}/decide",
    response={200: RepairOut, **ACT_ERRORS},
    openapi_extra={"parameters": [OPTIONAL_IF_MATCH]},
)
def decide_repair(request: HttpRequest, response: HttpResponse, repair_id: int, payload: DecideIn):
    """同意 or 不予修复 (regulators over the region; a refusal needs a reason). ``409 credit.repair_decided``."""
    actions.do_decide_repair(
        actor=actor_of(request),
        repair_id=repair_id,
        approve=payload.approve,
        reason=payload.reason,
        expected_version=_expected(request),
    )
    return _repair(request, response, repair_id)
