"""JSON Schemas (draft 2020-12) generated from the dataset definition table (pure Python).

One schema per dataset, for one record as a sub-platform pushes it: the transport fields plus the content
fields, ``additionalProperties: false``, the mandatory fields ``required`` (for add and update; a delete needs
only the keys and the common fields, expressed with ``if``/``then`` on ``DATA_TYPE``). Codes are ``enum`` of
the code table's values when they are known (catalogue tables as given by the caller, spec code sets from the
table); regions are a 6-digit pattern (whether a region exists is checked on receipt). Every property carries
its Chinese name (``title``), ``x-code-table`` and ``x-inferred`` where they apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .datasets import Dataset, FieldDef, code_sets, transport_fields
from .validation import DELETE

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def field_schema(f: FieldDef, catalog: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"title": f.name_zh}
    if f.type == "string":
        out.update(type="string", maxLength=f.max_length)
    elif f.type == "int":
        out["anyOf"] = [
            {"type": "integer"},
            {"type": "string", "pattern": "^-?[0-9]+$", "maxLength": f.max_length},
        ]
    elif f.type == "decimal":
        out["anyOf"] = [
            {"type": "number"},
            {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "maxLength": f.max_length},
        ]
    elif f.type == "datetime":
        out.update(type="string", pattern="^[0-9]{14}$", description="yyyyMMddHHmmss")
    elif f.type == "date":
        out.update(type="string", pattern="^[0-9]{8}$", description="yyyyMMdd")
    elif f.type == "code":
        out.update(type=["string", "integer"], maxLength=f.max_length, **{"x-code-table": f.code_table})
        if f.code_source == "spec":
            out["enum"] = [c for c, _ in code_sets()[f.code_table or ""].entries]
        elif f.code_source == "catalog" and catalog and f.code_table in catalog:
            out["enum"] = list(catalog[f.code_table or ""])
        elif f.code_source == "region":
            out.update(type="string", pattern="^[0-9]{6}$")
    if f.inferred:
        out["x-inferred"] = True
    if not f.public:
        out["x-public"] = False
    return out


def dataset_schema(
    dataset: Dataset, *, base_url: str = "", catalog: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for f in (*transport_fields(), *dataset.fields):
        properties[f.name] = field_schema(f, catalog)
    mandatory = [f.name for f in dataset.fields if f.mandatory or f.name in dataset.keys]
    for_delete = sorted({*dataset.keys, "PLATFORM_CODE", "DATA_TIMESTAMP", "DATA_TYPE"})
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"{base_url}/api/v1/exchange/schemas/{dataset.table}.json",
        "title": f"{dataset.name_zh}（{dataset.table}）",
        "description": f"数据集 {dataset.table}，DATA_NO {dataset.data_no}；主键 {'+'.join(dataset.keys)}"
        + (f"；上级数据集 {dataset.parent.dataset}" if dataset.parent else ""),
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": ["DATA_TYPE"],
        "if": {"properties": {"DATA_TYPE": {"const": DELETE}}},
        "then": {"required": for_delete},
        "else": {"required": ["DATA_TYPE", *mandatory]},
        "x-data-no": dataset.data_no,
        "x-keys": list(dataset.keys),
        "x-parent": (
            {"dataset": dataset.parent.dataset, "fields": dict(dataset.parent.fields)} if dataset.parent else None
        ),
        "x-personal-data": dataset.personal_data,
    }
    return schema
