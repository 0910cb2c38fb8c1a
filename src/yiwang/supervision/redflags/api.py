"""Red-flag API (``/api/v1/redflags``), for regulators (auditors read); never for market participants.

- ``GET /indicators``, ``GET /indicators/{code}``: the catalogue (public).
- ``POST /runs`` (JSON: the platform's data), ``POST /runs/ocds`` (multipart ``file`` + form fields): screening
  runs; ``GET /runs``, ``GET /runs/{id}``, ``GET /runs/{id}/findings``, ``GET /runs/{id}/cardinal`` (Cardinal's
  JSON shape).
- ``GET /alerts``, ``GET /alerts/{id}`` (ETag); ``POST /alerts/{id}/assign|investigate|confirm|dismiss|close``
  (``If-Match`` optional, checked when given).
- ``GET /feedback``: verdicts per indicator and the weight factors they give.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from yiwang.kernel.errors import InvalidInput, YiwangError
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import ERRORS
from yiwang.platform.storage.conf import storage_settings
from yiwang.supervision.redflags import actions, queries
from yiwang.supervision.redflags.domain import errors
from yiwang.supervision.redflags.schemas import (
    ACT_ERRORS,
    READ_ERRORS,
    AlertOut,
    AlertPageOut,
    AlertQuery,
    AssignIn,
    DecisionIn,
    FeedbackStatOut,
    IndicatorOut,
    PlatformRunIn,
    ReasonIn,
    RunFindingsOut,
    RunOut,
)

router = Router(tags=["redflags 预警"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/redflags"
OPTIONAL_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "预警当前的 ETag（可选；给出时须一致）",
}


class UploadTooLarge(YiwangError):
    status = 413


def _expected(request: HttpRequest) -> int | None:
    return if_match_version(request) if request.headers.get("If-Match") else None


def _run_out(actor: Any, run_id: int) -> dict[str, Any]:
    return queries.get_run_for(actor, run_id).__dict__


# -- catalogue ------------------------------------------------------------------------------------------------------


@router.get("/indicators", auth=PUBLIC, response={200: list[IndicatorOut], **ERRORS})
def indicators(request: HttpRequest):
    """预警指标目录: definitions, units, legal basis or source, parameters with defaults."""
    return [i.__dict__ for i in queries.list_indicators()]


@router.get("/indicators/{code}", auth=PUBLIC, response={200: IndicatorOut, **ERRORS})
def indicator(request: HttpRequest, code: str):
    return queries.get_indicator(code).__dict__


# -- runs --------------------------------------------------------------------------------------------------------


@creates(router, "/runs", response={201: RunOut, **ACT_ERRORS})
def run_platform(request: HttpRequest, response: HttpResponse, payload: PlatformRunIn):
    """筛查平台交易数据 (regulators over the region). ``422 redflags.unknown_indicator`` /
    ``redflags.parameter_invalid``, ``403 redflags.region_not_covered``."""
    actor = actor_of(request)
    run = actions.do_run_platform(
        actor=actor,
        region_code=payload.region_code,
        codes=payload.codes,
        overrides=payload.parameters,
        min_alert_score=payload.min_alert_score,
        max_alerts=payload.max_alerts,
    )
    response["Location"] = f"{BASE}/runs/{run.pk}"
    return Status(201, _run_out(actor, run.pk))


@creates(router, "/runs/ocds", response={201: RunOut, **ACT_ERRORS})
def run_ocds(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    region_code: Form[str],
    currency: Form[str | None] = None,
    codes: Form[str | None] = None,
    parameters: Form[str | None] = None,
    min_alert_score: Form[float] = 0.5,
):
    """导入 OCDS 文件并筛查: multipart ``file`` (JSON Lines of compiled releases or records), ``region_code``,
    optional ``currency``, ``codes`` (comma-separated; default: Cardinal's indicators) and ``parameters`` (JSON).
    Malformed lines are skipped and listed with their line numbers in ``ingest.errors``. Files above the upload
    limit: use ``yiwang redflags run --ocds FILE``."""
    actor = actor_of(request)
    limit = storage_settings().largest_limit
    if file.size is not None and file.size > limit:
        raise UploadTooLarge(
            "redflags.upload_too_large",
            f"上传文件超过 {limit // (1024 * 1024)} MB，请用命令行导入",
            f"The upload is larger than {limit} bytes; import it with the command line",
            {"limit": limit},
        )
    try:
        overrides = json.loads(parameters) if parameters else None
    except json.JSONDecodeError:
        raise InvalidInput("redflags.parameters_invalid", "参数应为 JSON 对象", "parameters must be a JSON object").at(
            "parameters"
        ) from None
    if overrides is not None and not isinstance(overrides, dict):
        raise InvalidInput("redflags.parameters_invalid", "参数应为 JSON 对象", "parameters must be a JSON object").at(
            "parameters"
        )
    run = actions.do_import_ocds(
        actor=actor,
        source=file.read(),
        region_code=region_code,
        label=file.name or "",
        currency=currency or None,
        codes=[c.strip() for c in codes.split(",") if c.strip()] if codes else None,
        overrides=overrides,
        min_alert_score=min_alert_score,
        workers=1,
    )
    response["Location"] = f"{BASE}/runs/{run.pk}"
    return Status(201, _run_out(actor, run.pk))


@router.get("/runs", response={200: list[RunOut], **READ_ERRORS})
def runs(request: HttpRequest, limit: int = 50):
    return [r.__dict__ for r in queries.list_runs_for(actor_of(request), limit=limit)]


@router.get("/runs/{int:run_id}", response={200: RunOut, **READ_ERRORS})
def run(request: HttpRequest, run_id: int):
    return _run_out(actor_of(request), run_id)


@router.get("/runs/{int:run_id}/findings", response={200: RunFindingsOut, **READ_ERRORS})
def run_findings(
    request: HttpRequest,
    run_id: int,
    code: str | None = None,
    unit: str | None = None,
    limit: int = 100,
    offset: int = 0,
):
    total, rows = queries.list_run_findings_for(
        actor_of(request), run_id, code=code, unit=unit, limit=limit, offset=offset
    )
    return {"total": total, "findings": [r.__dict__ for r in rows]}


@router.get("/runs/{int:run_id}/cardinal", response={200: dict[str, Any], **READ_ERRORS})
def run_cardinal(request: HttpRequest, run_id: int, meta: bool = True, maps: bool = False):
    """The run's Cardinal indicators in Cardinal's output shape (``OCID``, ``Buyer``, ``ProcuringEntity``,
    ``Tenderer``, ``Meta``)."""
    return queries.cardinal_output_for(actor_of(request), run_id, meta=meta, maps=maps)


# -- alerts -----------------------------------------------------------------------------------------------------


def _alert_out(request: HttpRequest, response: HttpResponse, alert_id: int) -> dict[str, Any]:
    detail = queries.get_alert_for(actor_of(request), alert_id)
    response["ETag"] = etag(detail.version)
    data = dict(detail.__dict__)
    data["findings"] = [{**f.__dict__, "indicator": f.indicator.__dict__} for f in detail.findings]
    data["events"] = [e.__dict__ for e in detail.events]
    data["feedback"] = [f.__dict__ for f in detail.feedback]
    data["related"] = [list(r) for r in detail.related]
    data["score_explained"] = [list(x) for x in detail.score_explained]
    return data


@router.get("/alerts", response={200: AlertPageOut, **READ_ERRORS})
def alerts(request: HttpRequest, q: Query[AlertQuery]):
    """Alerts in your regions, strongest first."""
    page = queries.list_alerts_for(actor_of(request), **q.model_dump())
    return {"total": page.total, "limit": page.limit, "offset": page.offset, "alerts": [r.__dict__ for r in page.rows]}


@router.get("/alerts/{int:alert_id}", response={200: AlertOut, **READ_ERRORS})
def alert(request: HttpRequest, response: HttpResponse, alert_id: int):
    """An alert that explains itself (definitions, parameters, evidence, history, verdicts)."""
    return _alert_out(request, response, alert_id)


def _transition_route(path: str, verb: str):
    def register(fn):
        return acts(
            router, path, response={200: AlertOut, **ACT_ERRORS}, openapi_extra={"parameters": [OPTIONAL_IF_MATCH]}
        )(fn)

    return register


@_transition_route("/alerts/{int:alert_id}/assign", "assign")
def assign(request: HttpRequest, response: HttpResponse, alert_id: int, payload: AssignIn):
    """分派 to a regulator over the alert's region (``me``: yourself). ``422 redflags.assignee_invalid``."""
    actor = actor_of(request)
    assignee = actor if payload.assignee.strip() in ("me", "") else actions.assignee_for_username(payload.assignee)
    if assignee is None:
        raise errors.assignee_invalid(payload.assignee)
    actions.do_assign_alert(actor=actor, alert_id=alert_id, assignee=assignee, expected_version=_expected(request))
    return _alert_out(request, response, alert_id)


@_transition_route("/alerts/{int:alert_id}/investigate", "investigate")
def investigate(request: HttpRequest, response: HttpResponse, alert_id: int):
    """开始核查. ``409 redflags.wrong_status``."""
    actions.do_start_investigation(actor=actor_of(request), alert_id=alert_id, expected_version=_expected(request))
    return _alert_out(request, response, alert_id)


@_transition_route("/alerts/{int:alert_id}/confirm", "confirm")
def confirm(request: HttpRequest, response: HttpResponse, alert_id: int, payload: DecisionIn):
    """确认问题 with the reason; verdicts per indicator are recorded."""
    actions.do_confirm_alert(
        actor=actor_of(request),
        alert_id=alert_id,
        reason=payload.reason,
        false_positive_codes=payload.false_positive_codes or (),
        expected_version=_expected(request),
    )
    return _alert_out(request, response, alert_id)


@_transition_route("/alerts/{int:alert_id}/dismiss", "dismiss")
def dismiss(request: HttpRequest, response: HttpResponse, alert_id: int, payload: DecisionIn):
    """排除 with the reason; the indicators named (default all) are recorded as false positives."""
    actions.do_dismiss_alert(
        actor=actor_of(request),
        alert_id=alert_id,
        reason=payload.reason,
        false_positive_codes=payload.false_positive_codes,
        expected_version=_expected(request),
    )
    return _alert_out(request, response, alert_id)


@_transition_route("/alerts/{int:alert_id}/close", "close")
def close(request: HttpRequest, response: HttpResponse, alert_id: int, payload: ReasonIn):
    """办结 with the reason."""
    actions.do_close_alert(
        actor=actor_of(request), alert_id=alert_id, reason=payload.reason, expected_version=_expected(request)
    )
    return _alert_out(request, response, alert_id)


@router.get("/feedback", response={200: list[FeedbackStatOut], **READ_ERRORS})
def feedback(request: HttpRequest):
    """误报反馈: verdicts per indicator and the factor they give its weight."""
    return [s.__dict__ for s in queries.feedback_stats_for(actor_of(request))]
