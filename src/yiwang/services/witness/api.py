"""On-site witness records API (``/api/v1/onsite``).

- ``POST /records``: record an event (staff over the region); attachments uploaded beforehand through
  ``/api/v1/files`` are named by ``document_ids``. ``POST /records/{id}/corrections``: a correcting record.
- ``GET /records``, ``GET /records/{id}`` (staff, regulators, auditors over the region; attachments with signed
  download links), ``GET /irregularities?region=&start=&end=`` (records reported to supervision).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from yiwang.platform.api.auth import actor_of
from yiwang.platform.api.routing import creates
from yiwang.services.witness import actions, queries
from yiwang.services.witness.schemas import (
    ACT_ERRORS,
    READ_ERRORS,
    CorrectionIn,
    PeriodQuery,
    RecordIn,
    RecordOut,
    RecordQuery,
)

router = Router(tags=["onsite 现场见证记录"])
BASE = "/api/v1/onsite"


@creates(router, "/records", response={201: RecordOut, **ACT_ERRORS})
def record_event(request: HttpRequest, response: HttpResponse, payload: RecordIn):
    """现场见证记录. ``422 onsite.kind_invalid`` / ``onsite.description_required`` / ``onsite.occurred_in_future``;
    attaching someone else's upload is refused by the document store."""
    data = payload.model_dump()
    record = actions.do_record_onsite_event(actor=actor_of(request), **data)
    response["Location"] = f"{BASE}/records/{record.pk}"
    return Status(201, queries.get_record_for(actor_of(request), record.pk))


@creates(router, "/records/{record_id}/corrections", response={201: RecordOut, **ACT_ERRORS})
def correct_record(request: HttpRequest, response: HttpResponse, record_id: int, payload: CorrectionIn):
    """更正: a new record naming the one it corrects (which stays). ``409 onsite.already_corrected``."""
    record = actions.do_correct_onsite_record(actor=actor_of(request), record_id=record_id, **payload.model_dump())
    response["Location"] = f"{BASE}/records/{record.pk}"
    return Status(201, queries.get_record_for(actor_of(request), record.pk))


@router.get("/records", response={200: list[RecordOut], **READ_ERRORS})
def list_records(request: HttpRequest, q: Query[RecordQuery]):
    return queries.list_records_for(actor_of(request), **q.model_dump())


@router.get("/records/{record_id}", response={200: RecordOut, **READ_ERRORS})
def get_record(request: HttpRequest, record_id: int):
    return queries.get_record_for(actor_of(request), record_id)


@router.get("/irregularities", response={200: list[RecordOut], **READ_ERRORS})
def irregularities(request: HttpRequest, q: Query[PeriodQuery]):
    """异常情况报送: records reported to supervision in the region and period, as corrected."""
    return queries.irregularities_for(actor_of(request), q.region, q.start, q.end)
