"""Registry API (``/api/v1/registry``): entities, the authoritative lookup, qualifications, personnel, the basic
account and the change history.

Reads are open to everyone (with fields restricted by the caller); changes need a signed-in caller who may
manage the entity. Creating POSTs take ``Idempotency-Key``; updates require ``If-Match`` (ETag = version).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from yiwang.kernel.errors import NotFound
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import creates, updates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS, ErrorOut
from yiwang.registry import actions, queries
from yiwang.registry.schemas import (
    BankAccountIn,
    BankAccountOut,
    ChangeOut,
    EntityIn,
    EntityListOut,
    EntityOut,
    EntityPatch,
    LookupOut,
    PersonnelIn,
    PersonnelOut,
    PersonnelPatch,
    QualificationIn,
    QualificationOut,
    QualificationPatch,
    StatusIn,
    Uscc,
)

router = Router(tags=["registry 主体库"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/registry"


def _entity(request: HttpRequest, response: HttpResponse, entity_id: int):
    view = queries.get_entity_for(actor_of(request), entity_id)
    response["ETag"] = etag(view.version)
    return view


def _optional_if_match(request: HttpRequest) -> int | None:
    """For DELETE: If-Match is checked when sent (412 when stale), not required."""
    return if_match_version(request) if request.headers.get("If-Match") else None


# -- entities -------------------------------------------------------------------------------------------------------


@creates(router, "/entities", response={201: EntityOut, **CREATE_ERRORS})
def register_entity(request: HttpRequest, response: HttpResponse, payload: EntityIn):
    """Register a market entity once, for every platform and region (一地注册、区域通用).

    Missing official fields are filled from the authoritative source; contradicting ones are refused
    (``registry.authoritative_mismatch``). A second registration of the same USCC or document is refused
    with ``409 registry.duplicate`` (``details.existing_id``)."""
    entity = actions.do_register_entity(actor=actor_of(request), data=payload.model_dump(exclude_none=True))
    response["Location"] = f"{BASE}/entities/{entity.pk}"
    return Status(201, _entity(request, response, entity.pk))


class SearchQuery(Schema):
    q: str = ""
    region: str | None = None
    role: str | None = None
    limit: int = 20
    offset: int = 0


@router.get("/entities", auth=PUBLIC, response={200: EntityListOut, **ERRORS})
def search_entities(request: HttpRequest, filters: Query[SearchQuery]):
    """Search by name (any part) or USCC, in a region (310000 = all of Shanghai), by role (party_role code)."""
    result = queries.search_entities_for(
        actor_of(request), filters.q, filters.region, filters.role, limit=filters.limit, offset=filters.offset
    )
    return {"total": result.total, "limit": result.limit, "offset": result.offset, "items": result.items}


@router.get("/entities/{entity_id}", auth=PUBLIC, response={200: EntityOut, **ERRORS})
def get_entity(request: HttpRequest, response: HttpResponse, entity_id: int):
    """One entity, as the caller may see it. ``ETag`` = its version (send it back in ``If-Match``)."""
    return _entity(request, response, entity_id)


@updates(router, "/entities/{entity_id}", response={200: EntityOut, **UPDATE_ERRORS})
def update_entity(request: HttpRequest, response: HttpResponse, entity_id: int, payload: EntityPatch):
    """Change registration data (变更登记): only the fields sent. ``If-Match`` required (428 / 412)."""
    expected = if_match_version(request)
    actions.do_update_entity(
        actor=actor_of(request),
        entity_id=entity_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=expected,
    )
    return _entity(request, response, entity_id)


@updates(router, "/entities/{entity_id}/status", method="PUT", response={200: EntityOut, **UPDATE_ERRORS})
def change_status(request: HttpRequest, response: HttpResponse, entity_id: int, payload: StatusIn):
    """Suspend, reinstate or cancel an entity (staff over its region). ``If-Match`` required."""
    expected = if_match_version(request)
    actions.do_change_entity_status(
        actor=actor_of(request),
        entity_id=entity_id,
        status=payload.status,
        reason=payload.reason,
        expected_version=expected,
    )
    return _entity(request, response, entity_id)


@creates(router, "/entities/{entity_id}/sync", response={200: EntityOut, **CREATE_ERRORS})
def sync_entity(request: HttpRequest, response: HttpResponse, entity_id: int):
    """Pull the official fields from the authoritative source again (零提供)."""
    actions.do_sync_entity_from_source(actor=actor_of(request), entity_id=entity_id)
    return _entity(request, response, entity_id)


@router.get("/entities/{entity_id}/history", response={200: list[ChangeOut], **ERRORS})
def history(request: HttpRequest, entity_id: int, limit: int = 200, offset: int = 0):
    """The change timeline, newest first (the entity's users and officials only)."""
    return queries.list_entity_changes_for(actor_of(request), entity_id, limit=limit, offset=offset)


@router.get("/lookup/{uscc}", auth=PUBLIC, response={200: LookupOut, **ERRORS})
def lookup(request: HttpRequest, uscc: Uscc):
    """What the authoritative source says about a USCC: the prefill of a registration (零提供)."""
    record = queries.lookup_official_record(uscc)
    existing = queries.find_entity_by_uscc(uscc)
    if record is None:
        if existing is None:
            raise NotFound(
                "registry.lookup_not_found",
                "权威来源中未查到该统一社会信用代码，请手工填写登记信息",
                "The authoritative source has no record of this USCC; fill in the registration by hand",
                {"uscc": uscc},
            )
        return {"uscc": uscc, "found": False, "registered_entity_id": existing.id}
    prefill = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in record.as_prefill().items()}
    return {
        "uscc": uscc,
        "found": True,
        "registered_entity_id": existing.id if existing else None,
        "source": record.source,
        "status": record.status,
        "prefill": prefill,
    }


# -- qualifications -------------------------------------------------------------------------------------------------


@router.get("/entities/{entity_id}/qualifications", auth=PUBLIC, response={200: list[QualificationOut], **ERRORS})
def list_qualifications(request: HttpRequest, entity_id: int, on: date | None = None):
    """Qualifications with their status on day ``on`` (default today). The public sees those in force."""
    return queries.list_qualifications_for(actor_of(request), entity_id, on)


@creates(router, "/entities/{entity_id}/qualifications", response={201: QualificationOut, **CREATE_ERRORS})
def add_qualification(request: HttpRequest, response: HttpResponse, entity_id: int, payload: QualificationIn):
    q = actions.do_add_qualification(actor=actor_of(request), entity_id=entity_id, data=payload.model_dump())
    response["Location"] = f"{BASE}/entities/{entity_id}/qualifications/{q.pk}"
    response["ETag"] = etag(q.version)
    return Status(201, queries.get_qualification_for(actor_of(request), entity_id, q.pk))


@router.get(
    "/entities/{entity_id}/qualifications/{qualification_id}", auth=PUBLIC, response={200: QualificationOut, **ERRORS}
)
def get_qualification(request: HttpRequest, response: HttpResponse, entity_id: int, qualification_id: int):
    view = queries.get_qualification_for(actor_of(request), entity_id, qualification_id)
    response["ETag"] = etag(view.version)
    return view


@updates(
    router, "/entities/{entity_id}/qualifications/{qualification_id}", response={200: QualificationOut, **UPDATE_ERRORS}
)
def update_qualification(
    request: HttpRequest, response: HttpResponse, entity_id: int, qualification_id: int, payload: QualificationPatch
):
    """Change a qualification; ``If-Match`` with its ETag."""
    expected = if_match_version(request)
    q = actions.do_update_qualification(
        actor=actor_of(request),
        entity_id=entity_id,
        qualification_id=qualification_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=expected,
    )
    response["ETag"] = etag(q.version)
    return queries.get_qualification_for(actor_of(request), entity_id, q.pk)


@router.delete(
    "/entities/{entity_id}/qualifications/{qualification_id}",
    response={200: QualificationOut, 409: ErrorOut, 412: ErrorOut, **ERRORS},
)
def withdraw_qualification(
    request: HttpRequest, response: HttpResponse, entity_id: int, qualification_id: int, reason: str = ""
):
    """Withdraw a qualification (it stays on record as 已撤回). ``If-Match`` is checked when sent."""
    q = actions.do_withdraw_qualification(
        actor=actor_of(request),
        entity_id=entity_id,
        qualification_id=qualification_id,
        reason=reason,
        expected_version=_optional_if_match(request),
    )
    response["ETag"] = etag(q.version)
    return queries.get_qualification_for(actor_of(request), entity_id, q.pk)


# -- personnel -----------------------------------------------------------------------------------------------------


@router.get("/entities/{entity_id}/personnel", auth=PUBLIC, response={200: list[PersonnelOut], **ERRORS})
def list_personnel(request: HttpRequest, entity_id: int, include_inactive: bool = False):
    """Key personnel; identity numbers masked unless the caller is the entity's user or an official."""
    return queries.list_personnel_for(actor_of(request), entity_id, include_inactive=include_inactive)


@creates(router, "/entities/{entity_id}/personnel", response={201: PersonnelOut, **CREATE_ERRORS})
def add_personnel(request: HttpRequest, response: HttpResponse, entity_id: int, payload: PersonnelIn):
    p = actions.do_add_personnel(actor=actor_of(request), entity_id=entity_id, data=payload.model_dump())
    response["Location"] = f"{BASE}/entities/{entity_id}/personnel/{p.pk}"
    response["ETag"] = etag(p.version)
    return Status(201, queries.get_personnel_for(actor_of(request), entity_id, p.pk))


@router.get("/entities/{entity_id}/personnel/{personnel_id}", auth=PUBLIC, response={200: PersonnelOut, **ERRORS})
def get_personnel(request: HttpRequest, response: HttpResponse, entity_id: int, personnel_id: int):
    view = queries.get_personnel_for(actor_of(request), entity_id, personnel_id)
    response["ETag"] = etag(view.version)
    return view


@updates(router, "/entities/{entity_id}/personnel/{personnel_id}", response={200: PersonnelOut, **UPDATE_ERRORS})
def update_personnel(
    request: HttpRequest, response: HttpResponse, entity_id: int, personnel_id: int, payload: PersonnelPatch
):
    expected = if_match_version(request)
    p = actions.do_update_personnel(
        actor=actor_of(request),
        entity_id=entity_id,
        personnel_id=personnel_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=expected,
    )
    response["ETag"] = etag(p.version)
    return queries.get_personnel_for(actor_of(request), entity_id, p.pk)


@router.delete(
    "/entities/{entity_id}/personnel/{personnel_id}",
    response={200: PersonnelOut, 409: ErrorOut, 412: ErrorOut, **ERRORS},
)
def remove_personnel(request: HttpRequest, response: HttpResponse, entity_id: int, personnel_id: int):
    """Remove a key person (离职); the record stays. ``If-Match`` is checked when sent."""
    p = actions.do_remove_personnel(
        actor=actor_of(request),
        entity_id=entity_id,
        personnel_id=personnel_id,
        expected_version=_optional_if_match(request),
    )
    response["ETag"] = etag(p.version)
    return queries.get_personnel_for(actor_of(request), entity_id, p.pk)


# -- the basic account ----------------------------------------------------------------------------------------------


@router.get("/entities/{entity_id}/bank-account", auth=PUBLIC, response={200: BankAccountOut, **ERRORS})
def get_bank_account(request: HttpRequest, response: HttpResponse, entity_id: int):
    """The current basic deposit account (masked to the last 4 digits for the public). ETag = the entity's."""
    view = _entity(request, response, entity_id)
    if view.basic_account is None:
        raise NotFound(
            "registry.no_basic_account",
            "该主体尚未登记基本存款账户",
            "This entity has no basic account on record",
            {"entity_id": entity_id},
        )
    return view.basic_account


@updates(router, "/entities/{entity_id}/bank-account", method="PUT", response={200: BankAccountOut, **UPDATE_ERRORS})
def set_bank_account(request: HttpRequest, response: HttpResponse, entity_id: int, payload: BankAccountIn):
    """Record or change the basic deposit account; the previous one is kept in the history. ``If-Match``
    with the entity's ETag."""
    expected = if_match_version(request)
    actions.do_set_basic_account(
        actor=actor_of(request), entity_id=entity_id, data=payload.model_dump(), expected_version=expected
    )
    return _entity(request, response, entity_id).basic_account


@router.delete(
    "/entities/{entity_id}/bank-account",
    response={200: list[BankAccountOut], 409: ErrorOut, 412: ErrorOut, 428: ErrorOut, **ERRORS},
)
def close_bank_account(request: HttpRequest, response: HttpResponse, entity_id: int):
    """Record that the basic account was closed (销户). ``If-Match`` with the entity's ETag required."""
    expected = if_match_version(request)
    actions.do_close_basic_account(actor=actor_of(request), entity_id=entity_id, expected_version=expected)
    _entity(request, response, entity_id)
    return queries.list_bank_accounts_for(actor_of(request), entity_id)


@router.get("/entities/{entity_id}/bank-accounts", response={200: list[BankAccountOut], **ERRORS})
def bank_account_history(request: HttpRequest, entity_id: int):
    """Every basic account the entity had, newest first (the entity's users and officials only)."""
    return queries.list_bank_accounts_for(actor_of(request), entity_id)
