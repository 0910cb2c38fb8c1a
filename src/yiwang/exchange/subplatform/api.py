"""Sub-platform exchange API (``/api/v1/exchange``): the push side (single records and batches of the national
data-spec datasets, signed), the dataset definitions and their JSON Schemas, reconciliation, the registry of
sub-platforms and their data-quality rates. The pull side is the feed (``GET /api/v1/feed?type=…``), see
docs/exchange.md."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema, Status

from yiwang.exchange.subplatform import actions, export, queries
from yiwang.exchange.subplatform.domain.datasets import all_datasets, get_dataset
from yiwang.exchange.subplatform.domain.schema import dataset_schema
from yiwang.exchange.subplatform.schemas import (
    BatchIn,
    DatasetOut,
    DayOut,
    MonthlyReportOut,
    PushOut,
    QualityOut,
    RecordOut,
    SubPlatformCreatedOut,
    SubPlatformIn,
    SubPlatformOut,
)
from yiwang.kernel import xmlwire
from yiwang.kernel.actors import Role
from yiwang.kernel.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS

router = Router(tags=["exchange 分平台数据交换"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/exchange"

SIGNATURE_HEADERS = [
    {
        "in": "header",
        "name": name,
        "required": True,
        "schema": {"type": "string"},
        "description": text,
    }
    for name, text in (
        ("X-Yiwang-Timestamp", "签名时间 RFC 3339（±5 分钟内）/ signing time, RFC 3339 with offset"),
        ("X-Yiwang-Nonce", "一次性随机串 16–128 位 [A-Za-z0-9_-] / single-use nonce"),
        ("X-Yiwang-Signature", "对 yiwang-api-v1 签名输入的签名（base64）/ signature over the api signing input"),
        ("X-Yiwang-Certificate", "已登记的签名证书（base64 DER）/ the registered signing certificate"),
    )
]


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "parameters": SIGNATURE_HEADERS,
    }


def _raw_body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise InvalidInput(
            "exchange.body_too_large",
            f"请求体超过 {limit} 字节，请分批上报",
            f"the request body is larger than {limit} bytes; push smaller batches",
            {"field": "body", "max_bytes": limit},
        ) from None


XML_NAMESPACE = "urn:yiwang:exchange:v1"


def _xml_body(request: HttpRequest) -> Any:
    return xmlwire.from_xml(_raw_body(request), namespace=XML_NAMESPACE, code="exchange.malformed_xml")


def _json_body(request: HttpRequest) -> Any:
    body = _raw_body(request)
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "exchange.malformed_body", "请求体不是合法的 JSON", "the request body is not valid JSON", {"field": "body"}
        ) from None


def _signed(request: HttpRequest) -> actions.SignedRequest | None:
    values = [request.headers.get(f"X-Yiwang-{n}", "") for n in ("Timestamp", "Nonce", "Signature", "Certificate")]
    if not any(values):
        return None
    return actions.SignedRequest(*values)


def _out(result: actions.PushResult) -> dict[str, Any]:
    return {
        "receipt_id": result.receipt_id,
        "accepted": result.accepted,
        "unchanged": result.count("unchanged"),
        "refused": result.count("refused"),
        "results": [r.as_dict() for r in result.results],
    }


@acts(
    router,
    "/records/{dataset}",
    response={200: PushOut, **CREATE_ERRORS},
    openapi_extra=_body({"type": "object", "description": "one record: see GET /exchange/schemas/{dataset}.json"}),
)
def push_record(request: HttpRequest, dataset: str):
    """Push one record of ``dataset`` (``DATA_TYPE`` 1 add / 2 update / 3 delete), signed. 200 with the outcome
    (``created``, ``updated``, ``deleted``, ``unchanged`` for a replay of the same version); 422
    ``exchange.record_refused`` with ``details.errors`` (each with its ``field`` path and code) when refused —
    nothing is stored then. Authentication refusals: ``exchange.unknown_subplatform`` (403),
    ``exchange.unsigned``, ``exchange.certificate_not_registered``, ``ca.signature_invalid``,
    ``ca.timestamp_out_of_window`` … (401), ``ca.replayed`` (409)."""
    actor = actor_of(request)
    if get_dataset(dataset) is None:
        raise NotFound(
            "exchange.unknown_dataset", f"未知的数据集 {dataset}", f"unknown dataset {dataset}", {"field": "dataset"}
        )
    payload = _json_body(request)
    pusher = actions.authenticate_push(actor=actor, payload=payload, signed=_signed(request))
    result = actions.do_push_records(actor=actor, pusher=pusher, items=[(dataset, payload)], channel="single")
    (item,) = result.results
    if item.outcome == "refused":
        first = item.errors[0]
        raise InvalidInput(
            "exchange.record_refused",
            f"数据未被接收：{first.message_zh}",
            f"the record was refused: {first.message_en}",
            {"field": first.field, "dataset": dataset, "key": item.key, "errors": [e.as_dict() for e in item.errors]},
        )
    return _out(result)


@acts(
    router,
    "/batch",
    response={200: PushOut, **CREATE_ERRORS},
    openapi_extra=_body(BatchIn.model_json_schema()),
)
def push_batch(request: HttpRequest):
    """Push up to 1,000 records (``{"records": [{"dataset", "record"}, …]}``), signed over the whole body. Each
    record is accepted or refused on its own (valid records are stored even when others are refused); the
    answer lists every record's outcome and errors. A malformed batch is refused whole
    (``exchange.malformed_batch``)."""
    return _push_batch(request, _json_body(request))


@acts(
    router,
    "/batch.xml",
    response={200: PushOut, **CREATE_ERRORS},
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}},
        "parameters": SIGNATURE_HEADERS,
    },
)
def push_batch_xml(request: HttpRequest):
    """The XML adapter for legacy SOAP-style uplinks: the same batch as ``/batch`` as typed XML in a SOAP envelope
    (namespace ``urn:yiwang:exchange:v1``, docs/exchange.md), signed over the batch's canonical JSON with the same
    headers; the same answer (JSON). Also ``exchange.malformed_xml`` (422; DOCTYPE and entity declarations are
    refused)."""
    return _push_batch(request, _xml_body(request))


def _push_batch(request: HttpRequest, payload: Any) -> dict[str, Any]:
    actor = actor_of(request)
    records = payload.get("records") if isinstance(payload, dict) else None
    if not isinstance(records, list) or not 1 <= len(records) <= actions.MAX_BATCH:
        raise InvalidInput(
            "exchange.malformed_batch",
            f'批量请求须为 {{"records": [...]}}，含 1–{actions.MAX_BATCH} 条数据',
            f'a batch is {{"records": [...]}} with 1-{actions.MAX_BATCH} records',
            {"field": "records", "max": actions.MAX_BATCH},
        )
    bad = [i for i, r in enumerate(records) if not isinstance(r, dict) or set(r) - {"dataset", "record"}]
    if bad:
        raise InvalidInput(
            "exchange.malformed_batch",
            '批量中的每一项须为 {"dataset", "record"}',
            'every item of a batch is {"dataset", "record"}',
            {"field": f"records.{bad[0]}", "indexes": bad[:50]},
        )
    pusher = actions.authenticate_push(actor=actor, payload=payload, signed=_signed(request))
    items = [(r.get("dataset"), r.get("record")) for r in records]
    return _out(actions.do_push_records(actor=actor, pusher=pusher, items=items, channel="batch"))


# -- definitions -----------------------------------------------------------------------------------------------------
@router.get("/datasets", auth=PUBLIC, response={200: list[DatasetOut], **ERRORS})
def list_datasets(request: HttpRequest):
    """The dataset definition table: every dataset with its fields, keys and parent."""
    return [
        {
            "table": d.table,
            "data_no": d.data_no,
            "name_zh": d.name_zh,
            "category": d.category,
            "keys": list(d.keys),
            "parent": d.parent.dataset if d.parent else None,
            "notice": d.notice,
            "personal_data": d.personal_data,
            "feed_type": f"exchange.{d.table.lower()}.received.v1",
            "fields": [f.__dict__ for f in d.fields],
        }
        for d in all_datasets()
    ]


@router.get("/schemas/{dataset}.json", auth=PUBLIC, response={200: dict[str, Any], **ERRORS})
def get_schema(request: HttpRequest, dataset: str):
    """The JSON Schema (draft 2020-12) of one record of ``dataset``, generated from the definition table."""
    definition = get_dataset(dataset)
    if definition is None:
        raise NotFound("exchange.unknown_dataset", f"未知的数据集 {dataset}", f"unknown dataset {dataset}")
    catalog = {name: sorted(codes) for name, codes in actions.code_book().catalog.items()}
    return JsonResponse(dataset_schema(definition, catalog=catalog), json_dumps_params={"ensure_ascii": False})


# -- records and reconciliation ------------------------------------------------------------------------------------
class RecordQuery(Schema):
    key: str = Field(description="the record key (key field values joined by |)")


def _record_out(view: queries.RecordView) -> dict[str, Any]:
    return {
        "id": view.id,
        "dataset": view.dataset.table,
        "key": view.key,
        "platform_code": view.platform_code,
        "title": view.title,
        "version": view.version,
        "data_type": view.data_type,
        "data_timestamp": view.data_timestamp,
        "deleted": view.deleted,
        "digest": view.digest,
        "received_at": view.received_at,
        "full": view.full,
        "content": view.content,
    }


@router.get("/records/{dataset}", auth=PUBLIC, response={200: RecordOut, **ERRORS})
def get_record(request: HttpRequest, dataset: str, q: Query[RecordQuery]):
    """The current version of one record: every field for the owning sub-platform and staff readers, the public
    fields of non-personal records for everyone else."""
    return _record_out(queries.get_record_by_key(actor_of(request), dataset, q.key))


class DayQuery(Schema):
    dataset: str
    day: str = Field(pattern=r"^[0-9]{8}$", description="yyyyMMdd of DATA_TIMESTAMP")
    platform_code: str = Field("", description="staff readers: which sub-platform (clients: their own)")


@router.get("/reconciliation", response={200: DayOut, **ERRORS})
def reconciliation(request: HttpRequest, q: Query[DayQuery]):
    """Counts and digest of one dataset's records per DATA_TIMESTAMP day (docs/exchange.md §5), to prove both
    sides hold the same data."""
    actor = actor_of(request)
    code = q.platform_code
    if not code:
        code = actions.pushing_platform(actor).platform_code
    summary = queries.day_summary_for(actor, platform_code=code, dataset=q.dataset, day=q.day)
    return {
        "platform_code": code,
        "dataset": q.dataset,
        "day": q.day,
        "count": summary.count,
        "live": summary.live,
        "deleted": summary.deleted,
        "digest": summary.digest,
    }


# -- the registry and the quality rates ----------------------------------------------------------------------------
def _platform_out(platform: Any) -> dict[str, Any]:
    return {
        "platform_code": platform.platform_code,
        "catalog_key": platform.catalog_key,
        "name": platform.name,
        "client_id": platform.client_id,
        "region_code": platform.region_code,
        "is_active": platform.is_active,
        "registered_at": platform.registered_at,
        "certificates": [
            {"fingerprint": c.fingerprint, "subject": c.subject, "added_at": c.added_at, "removed_at": c.removed_at}
            for c in platform.certificates.all()
        ],
    }


@router.get("/subplatforms", response={200: list[SubPlatformOut], **ERRORS})
def list_subplatforms(request: HttpRequest):
    """The registered sub-platforms in the reader's regions (staff, regulators, auditors)."""
    return [_platform_out(p) for p in queries.list_subplatforms_for(actor_of(request))]


@creates(router, "/subplatforms", response={201: SubPlatformCreatedOut, **CREATE_ERRORS})
def register_subplatform(request: HttpRequest, response: HttpResponse, payload: SubPlatformIn):
    """Register a sub-platform of the 平台目录 with its OAuth2 client and signing certificate (staff
    administrators over the region). The client secret is in the answer, once. Refusals:
    ``exchange.not_in_catalog``, ``exchange.certificate_malformed`` (422), ``exchange.subplatform_exists``,
    ``exchange.certificate_taken``, ``identity.client_id_taken`` (409), ``exchange.forbidden`` (403)."""
    platform, secret = actions.do_register_subplatform(
        actor=actor_of(request),
        platform_code=payload.platform_code,
        client_id=payload.client_id,
        region_code=payload.region_code,
        certificate=payload.certificate,
        name=payload.name,
    )
    response["Location"] = f"{BASE}/subplatforms"
    return Status(201, {**_platform_out(platform), "client_secret": secret})


class CertificateIn(Schema):
    certificate: str = Field(description="PEM or base64 DER")


@creates(router, "/subplatforms/{platform_code}/certificates", response={201: SubPlatformOut, **CREATE_ERRORS})
def add_certificate(request: HttpRequest, platform_code: str, payload: CertificateIn):
    """Register a further signing certificate for a sub-platform (staff administrators)."""
    actor = actor_of(request)
    actions.do_add_certificate(actor=actor, platform_code=platform_code, certificate=payload.certificate)
    return Status(201, _platform_out(queries.get_subplatform_for(actor, platform_code)))


@acts(
    router,
    "/subplatforms/{platform_code}/certificates/{fingerprint}/remove",
    response={200: SubPlatformOut, **CREATE_ERRORS},
)
def remove_certificate(request: HttpRequest, platform_code: str, fingerprint: str):
    """Stop accepting one certificate's signatures, at once (``exchange.last_certificate`` for the last one)."""
    actor = actor_of(request)
    actions.do_remove_certificate(actor=actor, platform_code=platform_code, fingerprint=fingerprint)
    return _platform_out(queries.get_subplatform_for(actor, platform_code))


class RefusalOut(Schema):
    platform_code: str
    dataset: str
    key: str
    data_timestamp: str
    received_at: datetime
    errors: list[dict[str, Any]]


@router.get("/refusals", response={200: list[RefusalOut], **ERRORS})
def list_refusals(request: HttpRequest, dataset: str = "", limit: int = Query(100, ge=1, le=1000)):
    """The newest refused records (a sub-platform's client sees its own; staff readers those of their regions)."""
    return [
        {
            "platform_code": r.platform.platform_code,
            "dataset": r.dataset,
            "key": r.record_key,
            "data_timestamp": r.data_timestamp,
            "received_at": r.received_at,
            "errors": r.errors,
        }
        for r in queries.list_refusals_for(actor_of(request), dataset=dataset, limit=limit)
    ]


@router.get("/quality", response={200: list[QualityOut], **ERRORS})
def quality(request: HttpRequest):
    """数据质量: accepted and refused records per sub-platform (a client sees its own)."""
    return [
        {
            "platform_code": row.platform.platform_code,
            "name": row.platform.name,
            "accepted": row.accepted,
            "refused": row.refused,
            "rate": row.rate,
            "top_codes": [list(c) for c in row.top_codes],
            "completeness": row.completeness,
            "mean_lag_hours": row.mean_lag_hours,
        }
        for row in queries.quality_for(actor_of(request))
    ]


class ReportQuery(Schema):
    month: str = Field("", description="yyyy-MM (Beijing time); default: last month")
    platform_code: str = Field("", description="staff readers: which sub-platform (operators and clients: their own)")


def _report(request: HttpRequest, q: ReportQuery) -> queries.MonthlyReport:
    actor = actor_of(request)
    if not (queries.may_read_quality(actor) or actor.has_role(Role.SUBPLATFORM_CLIENT)):
        raise PermissionDenied(
            "exchange.forbidden",
            "仅限交易中心、监管、审计人员与分平台",
            "Staff, regulators, auditors and sub-platforms only",
        )
    code = q.platform_code or queries.own_platform_code(actor)
    if not code:
        raise InvalidInput(
            "exchange.platform_code_required",
            "请指定分平台（platform_code）",
            "Say which sub-platform (platform_code)",
            {"field": "platform_code"},
        )
    return queries.monthly_report_for(actor, platform_code=code, month=q.month or queries.last_month())


def _finding_out(f: Any) -> dict[str, Any]:
    return {
        "measure": f.measure,
        "rule": f.rule,
        "dataset": f.dataset,
        "key": f.key,
        "record_id": f.record_id,
        "message_zh": f.message_zh,
        "related": [list(r) for r in f.related],
        "value": f.value,
    }


@router.get("/quality/report", response={200: MonthlyReportOut, **ERRORS}, auth=ActorAuth())
def quality_report(request: HttpRequest, q: Query[ReportQuery]):
    """数据质量月报: one sub-platform's measures for a month with their thresholds, pass/fail, findings and the
    trend of earlier months (docs/exchange.md §8). Another sub-platform's report is 404, as a code nobody
    registered."""
    rep = _report(request, q)
    return {
        "platform_code": rep.platform.platform_code,
        "name": rep.platform.name,
        "month": rep.month,
        "passed": rep.passed,
        "measures": [m.as_json() for m in rep.measures],
        "timely_within": rep.timely_within.as_json() if rep.timely_within else None,
        "findings": [_finding_out(f) for f in rep.findings],
        "trend": [{"month": month, "measures": [m.as_json() for m in ms]} for month, ms in rep.trend],
        "disclosure": rep.disclosure_note,
    }


@router.get(
    "/quality/report.csv",
    response={200: None, **ERRORS},
    auth=ActorAuth(),
    openapi_extra={"responses": {200: {"description": "CSV (UTF-8 with BOM)", "content": {"text/csv": {}}}}},
)
def quality_report_csv(request: HttpRequest, q: Query[ReportQuery]):
    """The findings of a monthly report as CSV (UTF-8 with BOM, for spreadsheet programs)."""
    rep = _report(request, q)
    return export.findings_csv_response(rep)
