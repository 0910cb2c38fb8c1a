"""Complaints API (``/api/v1/complaints``).

- ``POST /`` 投诉 (users of the complaining entity; ``422 complaints.filed_late`` with the rule after the period);
- ``GET /`` (regulators and auditors: their regions; entity users: their own; ``?overdue=true``), ``GET /{id}``;
- ``POST /{id}/accept|reject|investigate|suspend|resume|decide`` (regulators over the region; ``If-Match``
  optional), ``POST /{id}/withdraw`` (the complainant);
- ``GET /decisions`` (anyone): 投诉处理决定.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates
from yiwang.supervision.complaints import actions, queries
from yiwang.supervision.complaints.schemas import (
    ACT_ERRORS,
    READ_ERRORS,
    ComplaintIn,
    ComplaintOut,
    ComplaintPageOut,
    DecisionOut,
    StepIn,
)

router = Router(tags=["complaints 投诉"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/complaints"
OPTIONAL_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "投诉当前的 ETag（可选；给出时须一致）",
}


def _out(request: HttpRequest, response: HttpResponse, complaint_id: int) -> dict[str, Any]:
    view = queries.get_complaint_for(actor_of(request), complaint_id)
    response["ETag"] = etag(view.version)
    return view.__dict__


@creates(router, "/", response={201: ComplaintOut, **ACT_ERRORS})
def file_complaint(request: HttpRequest, response: HttpResponse, payload: ComplaintIn):
    """投诉. ``422 complaints.filed_late`` (details: rule_id, source, deadline), ``complaints.objection_first``,
    ``catalog.rule_not_listed``; ``403 complaints.forbidden``."""
    c = actions.do_file_complaint(actor=actor_of(request), data=payload.model_dump())
    response["Location"] = f"{BASE}/{c.pk}"
    return Status(201, _out(request, response, c.pk))


@router.get("/", response={200: ComplaintPageOut, **READ_ERRORS})
def complaints(request: HttpRequest, status: str | None = None, overdue: bool = False):
    page = queries.list_complaints_for(actor_of(request), status=status, overdue=overdue)
    return {"total": page.total, "complaints": [c.__dict__ for c in page.rows]}


@router.get("/decisions", auth=PUBLIC, response={200: list[DecisionOut], **READ_ERRORS})
def decisions(request: HttpRequest):
    """投诉处理决定 (public)."""
    return [d.__dict__ for d in queries.list_public_decisions()]


@router.get("/{int:complaint_id}", response={200: ComplaintOut, **READ_ERRORS})
def complaint(request: HttpRequest, response: HttpResponse, complaint_id: int):
    return _out(request, response, complaint_id)


def _step(verb: str):
    def handler(request: HttpRequest, response: HttpResponse, complaint_id: int, payload: StepIn):
        expected = if_match_version(request) if request.headers.get("If-Match") else None
        actions.do_act_on_complaint(
            actor=actor_of(request),
            complaint_id=complaint_id,
            verb=verb,
            reason=payload.reason,
            outcome=payload.outcome,
            pause_kind=payload.pause_kind,
            expected_version=expected,
        )
        return _out(request, response, complaint_id)

    handler.__name__ = f"{verb}_complaint"
    handler.__doc__ = f"{verb} (regulators over the complaint's region). ``409 complaints.wrong_status``."
    acts(
        router,
        f"/{{int:complaint_id}}/{verb}",
        response={200: ComplaintOut, **ACT_ERRORS},
        openapi_extra={"parameters": [OPTIONAL_IF_MATCH]},
    )(handler)


for _verb in ("accept", "reject", "investigate", "suspend", "resume", "pause_clock", "resume_clock", "decide"):
    _step(_verb)


@acts(router, "/{int:complaint_id}/withdraw", response={200: ComplaintOut, **ACT_ERRORS})
def withdraw(request: HttpRequest, response: HttpResponse, complaint_id: int, payload: StepIn):
    """撤回 (the complainant, while open)."""
    actions.do_withdraw_complaint(actor=actor_of(request), complaint_id=complaint_id, reason=payload.reason)
    return _out(request, response, complaint_id)
