"""The dataset definitions, read from the one table ``datasets/datasets.json`` (pure Python).

Every dataset is a national data-spec table (``TENDER_PROJECT``, ``SECTION`` …) with its fields in the spec's
names. A field has a type (string, int, decimal, datetime ``yyyyMMddHHmmss``, date ``yyyyMMdd``, code), a
maximum length, whether it is mandatory, and for codes the code table it draws from: a lower-case name is a
catalogue code table, an upper-case name a spec code set defined in the same file, ``region`` the GB/T 2260
regions. Each dataset also says its key fields, its parent (``SECTION`` needs its ``TENDER_PROJECT``), the
field that groups its records into one chain (the tender project), its stage in that chain and the field
holding the event's own time (for timeliness).

Three groups of fields are added to every dataset: the transport fields (``DATA_TYPE``, ``DATA_KEY``: how to
apply a record, not part of it), the common fields (``PLATFORM_CODE``, ``PUB_SERVICE_PLAT_CODE``,
``DATA_TIMESTAMP``) and, for works datasets, ``TRADE_PLAT`` and ``PUB_SERVICE_PLAT``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

TABLE_PATH = Path(__file__).resolve().parent.parent / "datasets" / "datasets.json"

TYPES = ("string", "int", "decimal", "datetime", "date", "code")
TRANSPORT_FIELDS = ("DATA_TYPE", "DATA_KEY")
# Keys that identify business objects and may never change once reported (福建 V4 CannotModify ✔).
IMMUTABLE_KEYS = frozenset({"PROJECT_CODE", "TENDER_PROJECT_CODE", "BID_SECTION_CODE"})
REGION_TABLE = "region"


@dataclass(frozen=True)
class FieldDef:
    name: str
    name_zh: str
    type: str
    max_length: int
    mandatory: bool
    code_table: str | None
    inferred: bool
    public: bool

    @property
    def code_source(self) -> str | None:
        """``catalog`` (a catalogue code table), ``spec`` (a code set of this file), ``region`` or None."""
        if self.code_table is None:
            return None
        if self.code_table == REGION_TABLE:
            return "region"
        return "spec" if self.code_table.isupper() else "catalog"


@dataclass(frozen=True)
class ParentRef:
    dataset: str
    fields: Mapping[str, str]  # child field → parent field


@dataclass(frozen=True)
class Dataset:
    table: str
    data_no: str
    data_no_inferred: bool
    name_zh: str
    category: str
    stage: int
    keys: tuple[str, ...]
    parent: ParentRef | None
    chain_field: str
    event_time_field: str | None
    title_field: str | None
    notice: bool
    personal_data: bool
    fields: tuple[FieldDef, ...]  # content fields: common + dataset's own (no transport fields)
    own_fields: tuple[str, ...]  # the dataset's own field names (what completeness is measured on)

    @property
    def field_map(self) -> Mapping[str, FieldDef]:
        return _field_maps()[self.table]

    @property
    def public_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.public)

    def key_of(self, record: Mapping[str, Any]) -> str:
        """The record key: key field values joined by ``|`` in the table's order (values as text)."""
        return "|".join(str(record.get(k, "")) for k in self.keys)


@dataclass(frozen=True)
class CodeSet:
    name: str
    title_zh: str
    spec_ref: str
    entries: tuple[tuple[str, str], ...]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for code, _ in self.entries)


def _field(row: list[Any]) -> FieldDef:
    name, name_zh, typ, max_length, mandatory, code_table, flags = row
    if typ not in TYPES:
        raise ValueError(f"field {name}: unknown type {typ!r}")
    if (typ == "code") != bool(code_table):
        raise ValueError(f"field {name}: code fields (and only they) name a code table")
    return FieldDef(
        name=name,
        name_zh=name_zh,
        type=typ,
        max_length=int(max_length),
        mandatory=bool(mandatory),
        code_table=code_table,
        inferred="i" in flags,
        public="p" not in flags,
    )


@cache
def _raw() -> dict[str, Any]:
    return json.loads(TABLE_PATH.read_text(encoding="utf-8"))


@cache
def _load() -> tuple[dict[str, Dataset], dict[str, CodeSet], tuple[FieldDef, ...]]:
    raw = _raw()
    transport = tuple(_field(r) for r in raw["transport_fields"])
    common = [_field(r) for r in raw["common_fields"]]
    works_common = [_field(r) for r in raw["works_common_fields"]]
    code_sets = {
        name: CodeSet(name, v["title_zh"], v["spec_ref"], tuple((e[0], e[1]) for e in v["entries"]))
        for name, v in raw["code_sets"].items()
    }
    datasets: dict[str, Dataset] = {}
    for d in raw["datasets"]:
        own = [_field(r) for r in d["fields"]]
        extra = works_common if d["category"] == "works" else []
        fields = (*common, *extra, *own)
        names = [f.name for f in fields]
        if len(names) != len(set(names)):
            raise ValueError(f"dataset {d['table']}: duplicate field names")
        parent = d.get("parent")
        ds = Dataset(
            table=d["table"],
            data_no=d["data_no"],
            data_no_inferred=bool(d.get("data_no_inferred")),
            name_zh=d["name_zh"],
            category=d["category"],
            stage=int(d["stage"]),
            keys=tuple(d["keys"]),
            parent=ParentRef(parent["dataset"], MappingProxyType(dict(parent["fields"]))) if parent else None,
            chain_field=d["chain_field"],
            event_time_field=d.get("event_time_field"),
            title_field=d.get("title_field"),
            notice=bool(d.get("notice")),
            personal_data=bool(d.get("personal_data")),
            fields=fields,
            own_fields=tuple(f.name for f in own),
        )
        for name in (*ds.keys, ds.chain_field):
            if name not in names:
                raise ValueError(f"dataset {ds.table}: {name} is not one of its fields")
        datasets[ds.table] = ds
    for ds in datasets.values():
        if ds.parent and ds.parent.dataset not in datasets:
            raise ValueError(f"dataset {ds.table}: unknown parent {ds.parent.dataset}")
        for f in ds.fields:
            if f.code_source == "spec" and f.code_table not in code_sets:
                raise ValueError(f"dataset {ds.table}: unknown code set {f.code_table}")
    return datasets, code_sets, transport


@cache
def _field_maps() -> dict[str, Mapping[str, FieldDef]]:
    return {name: MappingProxyType({f.name: f for f in d.fields}) for name, d in _load()[0].items()}


def all_datasets() -> tuple[Dataset, ...]:
    return tuple(_load()[0].values())


def get_dataset(table: str) -> Dataset | None:
    return _load()[0].get(table)


def dataset_by_data_no(data_no: str) -> Dataset | None:
    return next((d for d in all_datasets() if d.data_no == str(data_no).strip()), None)


def code_sets() -> Mapping[str, CodeSet]:
    return MappingProxyType(_load()[1])


def transport_fields() -> tuple[FieldDef, ...]:
    return _load()[2]


def children_of(table: str) -> tuple[Dataset, ...]:
    return tuple(d for d in all_datasets() if d.parent and d.parent.dataset == table)


def catalog_tables() -> frozenset[str]:
    """The catalogue code tables the definitions refer to."""
    return frozenset(f.code_table for d in all_datasets() for f in d.fields if f.code_source == "catalog")


def table_metadata() -> dict[str, Any]:
    """Title, source and note of the table (for docs and the API)."""
    raw = _raw()
    return {"title_zh": raw["title_zh"], "source": raw["source"], "note": raw["note"], "version": raw["version"]}
