"""Checking registration data: the pure rules (``domain``) plus the catalogue (regions, code tables).

Used by the actions; each function collects every field error, so a form can show them all at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from yiwang.catalog import queries as catalog
from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.ids import validate_resident_id, validate_uscc
from yiwang.registry.domain.rules import (
    FieldErrors,
    check_capital,
    check_not_future,
    clean_text,
    parse_date,
    validate_document_number,
    validate_email,
    validate_phone,
)
from yiwang.registry.models import EntityKind

# Code tables of the catalogue used here.
T_NATURE = "enterprise_nature"
T_PARTY_ROLE = "party_role"
T_QUALIFICATION = "qualification_type"
T_PRACTISING = "practising_certificate_type"
T_PERSONNEL_ROLE = "personnel_role"
T_ID_DOCUMENT = "id_document_type"

ORGANISATION_KINDS = frozenset({EntityKind.LEGAL_PERSON, EntityKind.OTHER_ORGANISATION, EntityKind.INDIVIDUAL_BUSINESS})


# The ``id_document_type`` code of the 居民身份证, the default document (validated by GB 11643).
RESIDENT_ID = "resident_id"


def resident_id_type() -> str:
    return RESIDENT_ID


def check_code(table: str, code: str) -> str:
    catalog.require_code(table, code)
    return code


def check_region(code: str, on: date) -> str:
    return catalog.require_region(code, on=on).code


def check_person_document(doc_type: str, number: str, today: date) -> str:
    """Validate an identity number of the given document type; returns the canonical number."""
    if doc_type == resident_id_type():
        return validate_resident_id(number, today=today).number
    return validate_document_number(number)


def _kind(value: Any) -> EntityKind:
    try:
        return EntityKind(value)
    except ValueError:
        raise InvalidInput(
            "registry.kind",
            "主体类型应为法人、非法人组织、个体工商户或自然人",
            "kind must be legal_person, other_org, individual_business or natural_person",
            {"field": "kind", "value": str(value), "allowed": [k.value for k in EntityKind]},
        ) from None


def _text(data: Mapping[str, Any], field: str, zh: str, en: str, limit: int, *, needed: bool = False) -> Any:
    return clean_text(data.get(field), field=field, label_zh=zh, label_en=en, limit=limit, needed=needed)


def check_key(data: Mapping[str, Any], errors: FieldErrors, today: date) -> dict[str, Any]:
    """The unified key: kind, and the USCC of an organisation or the document of a natural person."""
    out: dict[str, Any] = {}
    kind = errors.run("kind", _kind, data.get("kind"))
    out["kind"] = kind
    if kind is None:
        return out
    if kind in ORGANISATION_KINDS:
        raw = data.get("uscc") or ""
        if not str(raw).strip():
            errors.add(InvalidInput("uscc.empty", "请填写统一社会信用代码", "USCC is required", {"field": "uscc"}))
            return out
        uscc = errors.run("uscc", validate_uscc, str(raw))
        out["uscc"] = uscc
        if uscc is not None and (uscc.startswith("92") != (kind == EntityKind.INDIVIDUAL_BUSINESS)):
            errors.add(
                InvalidInput(
                    "registry.kind_mismatch",
                    "统一社会信用代码以 92 开头的是个体工商户，主体类型须与之一致",
                    "USCCs starting with 92 belong to individual businesses; the kind must agree",
                    {"field": "kind", "uscc": uscc, "kind": kind.value},
                )
            )
        if data.get("id_number"):
            errors.add(
                InvalidInput(
                    "registry.kind_key",
                    "组织以统一社会信用代码登记，不填写个人证件号码",
                    "organisations are registered by USCC, not by a personal document",
                    {"field": "id_number"},
                )
            )
    else:
        if data.get("uscc"):
            errors.add(
                InvalidInput(
                    "registry.kind_key",
                    "自然人以身份证件登记，不填写统一社会信用代码",
                    "natural persons are registered by an identity document, not by a USCC",
                    {"field": "uscc"},
                )
            )
        doc_type = str(data.get("id_document_type") or "").strip() or errors.run("id_document_type", resident_id_type)
        doc_type = errors.run("id_document_type", check_code, T_ID_DOCUMENT, doc_type) if doc_type else None
        out["id_document_type"] = doc_type
        number = str(data.get("id_number") or "").strip()
        if not number:
            errors.add(
                InvalidInput("ric.empty", "请填写证件号码", "the document number is required", {"field": "id_number"})
            )
        elif doc_type:
            out["id_number"] = errors.run("id_number", check_person_document, doc_type, number, today)
    return out


# (field, label zh, label en, max length)
_TEXT_FIELDS: tuple[tuple[str, str, str, int], ...] = (
    ("name", "名称", "name", 200),
    ("legal_rep_name", "法定代表人（负责人）姓名", "legal representative", 100),
    ("address", "住所（经营场所）", "address", 300),
    ("contact_name", "联系人", "contact person", 100),
    ("business_scope", "经营范围", "business scope", 4000),
)
PROFILE_FIELDS: tuple[str, ...] = (
    "name",
    "legal_rep_name",
    "legal_rep_id_type",
    "legal_rep_id_number",
    "region_code",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
    "registered_capital_fen",
    "established_on",
    "enterprise_nature",
    "business_scope",
    "roles",
)
KEY_FIELDS: tuple[str, ...] = ("kind", "uscc", "id_document_type", "id_number")
_REQUIRED_FOR_ORGANISATIONS = frozenset({"legal_rep_name"})
_REQUIRED = frozenset({"name", "region_code", "contact_name", "contact_phone", "roles"})


def check_profile(
    data: Mapping[str, Any], errors: FieldErrors, today: date, *, kind: EntityKind | None, only: Iterable[str] | None
) -> dict[str, Any]:
    """Check the descriptive fields (all of them, or ``only`` those named). Returns the cleaned values."""
    wanted = set(PROFILE_FIELDS if only is None else only)
    needed = set(_REQUIRED)
    if kind in ORGANISATION_KINDS:
        needed |= _REQUIRED_FOR_ORGANISATIONS
    out: dict[str, Any] = {}
    for field, zh, en, limit in _TEXT_FIELDS:
        if field in wanted:
            out[field] = errors.run(
                field,
                clean_text,
                data.get(field),
                field=field,
                label_zh=zh,
                label_en=en,
                limit=limit,
                needed=field in needed,
            )
    if kind == EntityKind.NATURAL_PERSON:
        for field in ("legal_rep_name", "legal_rep_id_type", "legal_rep_id_number"):
            if field in wanted:
                out[field] = ""
    elif "legal_rep_id_number" in wanted or "legal_rep_id_type" in wanted:
        number = str(data.get("legal_rep_id_number") or "").strip()
        doc_type = str(data.get("legal_rep_id_type") or "").strip()
        if number:
            doc_type = doc_type or (errors.run("legal_rep_id_type", resident_id_type) or "")
            if doc_type and errors.run("legal_rep_id_type", check_code, T_ID_DOCUMENT, doc_type):
                number = errors.run("legal_rep_id_number", check_person_document, doc_type, number, today) or ""
        else:
            doc_type = ""
        out["legal_rep_id_type"], out["legal_rep_id_number"] = doc_type, number
    if "region_code" in wanted:
        region = str(data.get("region_code") or "").strip()
        if not region:
            errors.add(
                InvalidInput("region.format", "请选择所在行政区划", "region is required", {"field": "region_code"})
            )
        else:
            out["region_code"] = errors.run("region_code", check_region, region, today)
    if "contact_phone" in wanted:
        phone = str(data.get("contact_phone") or "").strip()
        if phone:
            out["contact_phone"] = errors.run("contact_phone", validate_phone, phone)
        elif "contact_phone" in needed:
            errors.add(
                InvalidInput(
                    "registry.required", "请填写联系电话", "contact phone is required", {"field": "contact_phone"}
                )
            )
        else:
            out["contact_phone"] = ""
    if "contact_email" in wanted:
        email = str(data.get("contact_email") or "").strip()
        out["contact_email"] = errors.run("contact_email", validate_email, email) if email else ""
    if "registered_capital_fen" in wanted:
        out["registered_capital_fen"] = errors.run(
            "registered_capital_fen", check_capital, data.get("registered_capital_fen")
        )
    if "established_on" in wanted:
        day = errors.run(
            "established_on",
            parse_date,
            data.get("established_on"),
            field="established_on",
            label_zh="成立日期",
            label_en="establishment date",
        )
        errors.run(
            "established_on",
            check_not_future,
            day,
            today,
            field="established_on",
            label_zh="成立日期",
            label_en="establishment date",
        )
        out["established_on"] = day
    if "enterprise_nature" in wanted:
        nature = str(data.get("enterprise_nature") or "").strip()
        out["enterprise_nature"] = errors.run("enterprise_nature", check_code, T_NATURE, nature) if nature else ""
    if "roles" in wanted:
        out["roles"] = check_roles(data.get("roles"), errors, needed="roles" in needed)
    return out


def check_roles(value: Any, errors: FieldErrors, *, needed: bool) -> list[str] | None:
    if isinstance(value, str):
        value = [part for part in value.replace("，", ",").split(",") if part.strip()]
    if value is None:
        value = []
    if not isinstance(value, list | tuple):
        errors.add(InvalidInput("registry.type", "主体角色应为列表", "roles must be a list", {"field": "roles"}))
        return None
    roles: list[str] = []
    for raw in value:
        code = str(raw).strip()
        if code and code not in roles and errors.run("roles", check_code, T_PARTY_ROLE, code):
            roles.append(code)
    if needed and not roles and not any(e.details.get("field") == "roles" for e in errors.errors):
        errors.add(
            InvalidInput("registry.required", "请至少选择一个主体角色", "choose at least one role", {"field": "roles"})
        )
    return sorted(roles)


# -- qualifications and personnel ---------------------------------------------------------------------------------


def check_qualification(data: Mapping[str, Any], *, only: Iterable[str] | None = None) -> dict[str, Any]:
    errors = FieldErrors()
    wanted = set(QUALIFICATION_FIELDS if only is None else only)
    out: dict[str, Any] = {}
    if "qualification_type" in wanted:
        code = str(data.get("qualification_type") or "").strip()
        if not code:
            errors.add(
                InvalidInput(
                    "registry.required",
                    "请选择资质类别",
                    "qualification type is required",
                    {"field": "qualification_type"},
                )
            )
        else:
            out["qualification_type"] = errors.run("qualification_type", check_code, T_QUALIFICATION, code)
    for field, zh, en, limit, needed in (
        ("certificate_no", "证书编号", "certificate number", 64, True),
        ("level", "资质等级", "level", 50, False),
        ("scope", "资质范围", "scope", 2000, False),
        ("issuing_authority", "发证机关", "issuing authority", 200, False),
    ):
        if field in wanted:
            out[field] = errors.run(
                field, clean_text, data.get(field), field=field, label_zh=zh, label_en=en, limit=limit, needed=needed
            )
    for field, zh, en in (("valid_from", "有效期起", "valid from"), ("valid_to", "有效期至", "valid to")):
        if field in wanted:
            out[field] = errors.run(field, parse_date, data.get(field), field=field, label_zh=zh, label_en=en)
    errors.raise_if_any()
    return out


QUALIFICATION_FIELDS = (
    "qualification_type",
    "certificate_no",
    "level",
    "scope",
    "issuing_authority",
    "valid_from",
    "valid_to",
)


PERSONNEL_FIELDS = ("name", "id_document_type", "id_number", "personnel_role", "title", "certificates")


def check_personnel(data: Mapping[str, Any], today: date, *, only: Iterable[str] | None = None) -> dict[str, Any]:
    errors = FieldErrors()
    wanted = set(PERSONNEL_FIELDS if only is None else only)
    out: dict[str, Any] = {}
    if "name" in wanted:
        out["name"] = errors.run(
            "name", clean_text, data.get("name"), field="name", label_zh="姓名", label_en="name", limit=100, needed=True
        )
    if "title" in wanted:
        out["title"] = errors.run(
            "title", clean_text, data.get("title"), field="title", label_zh="职称", label_en="title", limit=100
        )
    if "personnel_role" in wanted:
        code = str(data.get("personnel_role") or "").strip()
        if not code:
            errors.add(
                InvalidInput(
                    "registry.required", "请选择人员类别", "personnel role is required", {"field": "personnel_role"}
                )
            )
        else:
            out["personnel_role"] = errors.run("personnel_role", check_code, T_PERSONNEL_ROLE, code)
    if wanted & {"id_document_type", "id_number"}:
        doc_type = str(data.get("id_document_type") or "").strip() or errors.run("id_document_type", resident_id_type)
        if doc_type:
            doc_type = errors.run("id_document_type", check_code, T_ID_DOCUMENT, doc_type)
        out["id_document_type"] = doc_type
        number = str(data.get("id_number") or "").strip()
        if not number:
            errors.add(
                InvalidInput("ric.empty", "请填写证件号码", "the document number is required", {"field": "id_number"})
            )
        elif doc_type:
            out["id_number"] = errors.run("id_number", check_person_document, doc_type, number, today)
    if "certificates" in wanted:
        out["certificates"] = _check_certificates(data.get("certificates"), errors)
    errors.raise_if_any()
    return out


def _check_certificates(value: Any, errors: FieldErrors) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors.add(
            InvalidInput(
                "registry.type", "执业资格证书应为列表", "certificates must be a list", {"field": "certificates"}
            )
        )
        return []
    out = []
    for index, raw in enumerate(value):
        if not isinstance(raw, Mapping):
            errors.add(
                InvalidInput(
                    "registry.type",
                    "执业资格证书格式不正确",
                    "a certificate must be an object",
                    {"field": f"certificates.{index}"},
                )
            )
            continue
        prefix = f"certificates.{index}."
        code = str(raw.get("certificate_type") or "").strip()
        if not code:
            errors.add(
                InvalidInput(
                    "registry.required",
                    "请选择执业资格类别",
                    "certificate type is required",
                    {"field": prefix + "certificate_type"},
                )
            )
        else:
            errors.run(prefix + "certificate_type", check_code, T_PRACTISING, code)
        number = errors.run(
            prefix + "number",
            clean_text,
            raw.get("number"),
            field=prefix + "number",
            label_zh="证书编号",
            label_en="certificate number",
            limit=64,
            needed=True,
        )
        specialty = errors.run(
            prefix + "specialty",
            clean_text,
            raw.get("specialty"),
            field=prefix + "specialty",
            label_zh="专业",
            label_en="specialty",
            limit=100,
        )
        valid_to = errors.run(
            prefix + "valid_to",
            parse_date,
            raw.get("valid_to"),
            field=prefix + "valid_to",
            label_zh="有效期至",
            label_en="valid to",
        )
        out.append(
            {"certificate_type": code, "number": number or "", "specialty": specialty or "", "valid_to": valid_to}
        )
    return out
