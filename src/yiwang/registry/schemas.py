"""API schemas of the registry. Identifiers are validated at the edge with the kernel's error codes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from yiwang.kernel.ids import validate_uscc
from yiwang.platform.api.types import checked_str

Uscc = checked_str(validate_uscc)
Kind = Literal["legal_person", "other_org", "individual_business", "natural_person"]


class EntityIn(Schema):
    """A registration. Organisations give ``uscc``; natural persons ``id_document_type`` + ``id_number``.
    Fields the authoritative source knows (name, legal representative, region, establishment date, capital,
    nature, address, scope) may be left out: they are filled from it (零提供)."""

    kind: Kind
    uscc: Uscc | None = Field(None, description="统一社会信用代码 (organisations)")
    id_document_type: str | None = Field(None, description="证件类型 code (natural persons; default resident_id)")
    id_number: str | None = Field(None, description="证件号码 (natural persons)")
    name: str | None = None
    legal_rep_name: str | None = None
    legal_rep_id_type: str | None = None
    legal_rep_id_number: str | None = None
    region_code: str | None = Field(None, description="GB/T 2260 code valid today")
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    registered_capital_fen: int | None = Field(None, description="注册资本, integer fen (分)")
    established_on: date | None = None
    enterprise_nature: str | None = Field(None, description="enterprise_nature code")
    business_scope: str | None = None
    roles: list[str] = Field(default_factory=list, description="party_role codes")


class EntityPatch(Schema):
    """Only the fields to change (the key fields never change)."""

    name: str | None = None
    legal_rep_name: str | None = None
    legal_rep_id_type: str | None = None
    legal_rep_id_number: str | None = None
    region_code: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    registered_capital_fen: int | None = None
    established_on: date | None = None
    enterprise_nature: str | None = None
    business_scope: str | None = None
    roles: list[str] | None = None


class StatusIn(Schema):
    status: Literal["active", "suspended", "cancelled"]
    reason: str = Field(..., max_length=300)


class BankAccountOut(Schema):
    id: int
    bank_name: str
    branch_name: str
    account_name: str
    account_number: str = Field(description="masked (****1234) unless the caller may see it in full")
    permit_number: str | None
    valid_from: datetime
    valid_to: datetime | None
    masked: bool


class EntityRefOut(Schema):
    id: int
    kind: str
    kind_label: str
    uscc: str | None
    name: str
    region_code: str
    region_name: str
    status: str
    status_label: str
    roles: list[str]
    role_labels: list[str]


class EntityOut(EntityRefOut):
    full: bool = Field(description="true when the caller sees every field (own users, staff, regulators)")
    version: int
    id_document_type: str | None
    id_number: str | None
    legal_rep_name: str | None
    legal_rep_id_type: str | None
    legal_rep_id_number: str | None
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    registered_capital_fen: int | None
    established_on: date | None
    enterprise_nature: str | None
    enterprise_nature_label: str | None
    business_scope: str | None
    verified_source: str
    verified_at: datetime | None
    registered_at: datetime | None
    updated_at: datetime | None
    basic_account: BankAccountOut | None


class EntityListOut(Schema):
    total: int
    limit: int
    offset: int
    items: list[EntityRefOut]


class LookupOut(Schema):
    uscc: str
    found: bool
    registered_entity_id: int | None = Field(None, description="set when this USCC is already registered")
    source: str | None = None
    status: str | None = None
    prefill: dict[str, Any] = Field(default_factory=dict)


class QualificationIn(Schema):
    qualification_type: str
    certificate_no: str = Field(..., max_length=64)
    level: str | None = None
    scope: str | None = None
    issuing_authority: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class QualificationPatch(Schema):
    qualification_type: str | None = None
    certificate_no: str | None = Field(None, max_length=64)
    level: str | None = None
    scope: str | None = None
    issuing_authority: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class QualificationOut(Schema):
    id: int
    entity_id: int
    qualification_type: str
    qualification_type_label: str
    certificate_no: str
    level: str
    scope: str
    issuing_authority: str
    valid_from: date | None
    valid_to: date | None
    status: str = Field(description="valid | expiring | expired | not_yet_valid | withdrawn")
    status_label: str
    in_force: bool
    withdrawn_at: datetime | None
    version: int


class CertificateIn(Schema):
    certificate_type: str
    number: str = Field(..., max_length=64)
    specialty: str | None = None
    valid_to: date | None = None


class CertificateOut(Schema):
    certificate_type: str
    certificate_type_label: str
    number: str
    specialty: str
    valid_to: date | None


class PersonnelIn(Schema):
    name: str
    id_document_type: str | None = None
    id_number: str
    personnel_role: str
    title: str | None = None
    certificates: list[CertificateIn] = Field(default_factory=list)


class PersonnelPatch(Schema):
    name: str | None = None
    id_document_type: str | None = None
    id_number: str | None = None
    personnel_role: str | None = None
    title: str | None = None
    is_active: bool | None = None
    certificates: list[CertificateIn] | None = None


class PersonnelOut(Schema):
    id: int
    entity_id: int
    name: str
    personnel_role: str
    personnel_role_label: str
    title: str
    is_active: bool
    id_document_type: str | None
    id_number: str | None = Field(description="in full for the entity's users and officials, masked for others")
    certificates: list[CertificateOut]
    version: int


class BankAccountIn(Schema):
    bank_name: str
    branch_name: str | None = None
    account_name: str = Field(description="must be the entity's registered name")
    account_number: str
    permit_number: str | None = Field(None, description="基本存款账户编号: J + 13 digits")


class ChangeOut(Schema):
    version: int
    action: str
    field: str
    old_value: Any
    new_value: Any
    note: str
    actor_ref: str
    actor_label: str
    changed_at: datetime
