"""The snapshot: columnar frames every indicator reads (the one schema for imported OCDS and platform data).

A *process* is one contracting process: an OCDS ``ocid``, or on the platform one 标段 (section), whose id is the
section's reference (``tender.section:12``). Ids of organisations are strings (OCDS ids, or registry entity ids
written as text). Amounts are floats in the process's currency (platform data: yuan, from integer fen); times
are UTC.

Frames (columns in order; every column may be null unless said otherwise):

``tenders``      one row per process: ``ocid`` (not null), ``title``, ``status`` (OCDS tender/status),
                 ``procurement_method`` (open|selective|limited|direct), ``procurement_method_details`` (free text,
                 e.g. 公开招标), ``number_of_tenderers``, ``tender_start``/``tender_end`` (tenderPeriod),
                 ``buyer_id``, ``procuring_entity_id``, ``region`` (GB/T 2260), ``value_amount``/``value_currency``
                 (the estimate), ``has_bids``/``has_awards`` (the release carries ``bids/details`` / ``awards``),
                 ``line`` (source line of an OCDS file).
``bids``         one row per bid: ``ocid``, ``bid_id``, ``status`` (pending|valid|disqualified|invited|withdrawn),
                 ``amount``, ``currency``, ``date`` (received), ``tenderer_ids`` (list; several for a consortium).
``awards``       ``ocid``, ``award_id``, ``status`` (pending|active|cancelled|unsuccessful), ``amount``, ``currency``,
                 ``date``, ``supplier_ids`` (list).
``award_items``  ``ocid``, ``award_id``, ``classification_scheme``, ``classification_id``.
``parties``      ``ocid``, ``party_id``, ``name``, ``roles`` (list), ``region``.
``contracts``    ``ocid``, ``contract_id``, ``award_id``, ``status``, ``amount``, ``currency``, ``date_signed``.
``subcontracts`` ``ocid``, ``contractor_id``, ``subcontractor_id``, ``amount``.
``fingerprints`` e-bidding fingerprints, long format: ``ocid``, ``tenderer_id``, ``bid_id``, ``kind``, ``value``,
                 ``source``. Kinds: see :data:`FINGERPRINT_KINDS`.
``documents``    ``ocid``, ``tenderer_id``, ``bid_id``, ``text`` (the bid document's text, for similarity).
``panels``       evaluation committees: ``ocid``, ``expert_id``, ``drawn`` (randomly drawn, not appointed).
``scores``       ``ocid``, ``expert_id``, ``tenderer_id``, ``criterion_id``, ``score``, ``max_points``,
                 ``subjective`` (a judgement criterion; objective ones must agree across experts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from yiwang.supervision.redflags.domain import errors

UTC_TIME = pl.Datetime("us", "UTC")
S = pl.String
F = pl.Float64
I = pl.Int64  # noqa: E741
B = pl.Boolean
L = pl.List(pl.String)

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "tenders": {
        "ocid": S,
        "title": S,
        "status": S,
        "procurement_method": S,
        "procurement_method_details": S,
        "number_of_tenderers": I,
        "tender_start": UTC_TIME,
        "tender_end": UTC_TIME,
        "buyer_id": S,
        "procuring_entity_id": S,
        "region": S,
        "value_amount": F,
        "value_currency": S,
        "has_bids": B,
        "has_awards": B,
        "line": I,
    },
    "bids": {
        "ocid": S,
        "bid_id": S,
        "status": S,
        "amount": F,
        "currency": S,
        "date": UTC_TIME,
        "tenderer_ids": L,
    },
    "awards": {
        "ocid": S,
        "award_id": S,
        "status": S,
        "amount": F,
        "currency": S,
        "date": UTC_TIME,
        "supplier_ids": L,
    },
    "award_items": {"ocid": S, "award_id": S, "classification_scheme": S, "classification_id": S},
    "parties": {"ocid": S, "party_id": S, "name": S, "roles": L, "region": S},
    "contracts": {
        "ocid": S,
        "contract_id": S,
        "award_id": S,
        "status": S,
        "amount": F,
        "currency": S,
        "date_signed": UTC_TIME,
    },
    "subcontracts": {"ocid": S, "contractor_id": S, "subcontractor_id": S, "amount": F},
    "fingerprints": {"ocid": S, "tenderer_id": S, "bid_id": S, "kind": S, "value": S, "source": S},
    "documents": {"ocid": S, "tenderer_id": S, "bid_id": S, "text": S},
    "panels": {"ocid": S, "expert_id": S, "drawn": B},
    "scores": {
        "ocid": S,
        "expert_id": S,
        "tenderer_id": S,
        "criterion_id": S,
        "score": F,
        "max_points": F,
        "subjective": B,
    },
}
NOT_NULL: dict[str, tuple[str, ...]] = {
    "tenders": ("ocid",),
    "bids": ("ocid",),
    "awards": ("ocid",),
    "award_items": ("ocid",),
    "parties": ("ocid",),
    "contracts": ("ocid",),
    "subcontracts": ("ocid", "contractor_id", "subcontractor_id"),
    "fingerprints": ("ocid", "tenderer_id", "kind", "value"),
    "documents": ("ocid", "tenderer_id", "text"),
    "panels": ("ocid", "expert_id"),
    "scores": ("ocid", "expert_id", "tenderer_id", "criterion_id", "score"),
}

# What the bid tool, the bid box, finance and the registry record about a bid (条例 Art.40, 87号令 Art.37).
FINGERPRINT_KINDS: dict[str, str] = {
    "machine_mac": "文件制作机器网卡 MAC 地址",
    "machine_cpu": "文件制作机器 CPU 序列号",
    "machine_disk": "文件制作机器硬盘序列号",
    "machine_board": "文件制作机器主板序列号",
    "file_creation_id": "投标文件创建标识码",
    "dongle_serial": "造价软件加密锁序列号",
    "upload_ip": "投标文件上传 IP 地址",
    "deposit_payer": "投标保证金付款账户",
    "contact_phone": "联系人电话",
    "contact_email": "联系人电子邮箱",
    "contact_name": "联系人姓名",
    "key_person": "投标文件载明的项目负责人/项目管理成员（证件号）",
    "registered_person": "主体库登记的人员（证件号）",
    "agent": "投标委托代理人（证件号）",
}


@dataclass(frozen=True)
class Snapshot:
    """The frames of one run. Missing frames are empty frames of the right schema."""

    frames: Mapping[str, pl.DataFrame]
    currency: str | None = None  # the main currency (Cardinal: configured, else the first seen)
    label: str = ""
    notes: tuple[str, ...] = field(default=())

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames[name]

    @property
    def tenders(self) -> pl.DataFrame:
        return self.frames["tenders"]

    @property
    def bids(self) -> pl.DataFrame:
        return self.frames["bids"]

    @property
    def awards(self) -> pl.DataFrame:
        return self.frames["awards"]

    def counts(self) -> dict[str, int]:
        return {name: df.height for name, df in self.frames.items()}

    def main_currency(self) -> str | None:
        """Configured, else the first currency seen on a bid (Cardinal's rule, in file order)."""
        if self.currency:
            return self.currency
        seen = self.frames["bids"].get_column("currency").drop_nulls()
        return seen[0] if seen.len() else None


def empty(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[name])


def conform(name: str, df: pl.DataFrame | None) -> pl.DataFrame:
    """The frame with exactly the schema's columns, in order, cast to their types (missing columns → null).
    A column that cannot be cast, or a null in a required column, is refused (``redflags.frame_invalid``)."""
    schema = SCHEMAS.get(name)
    if schema is None:
        raise errors.frame_invalid(name, "未知的数据表", "unknown frame")
    if df is None:
        return empty(name)
    columns = []
    for column, dtype in schema.items():
        if column in df.columns:
            series = df.get_column(column)
            if series.dtype != dtype:
                try:
                    series = series.cast(dtype, strict=True)
                except Exception as exc:  # polars raises several error types for failed casts
                    raise errors.frame_invalid(
                        name,
                        f"列“{column}”的类型不正确（应为 {dtype}）",
                        f"column {column!r} has type {series.dtype}, not {dtype}",
                        {"column": column},
                    ) from exc
            columns.append(series.alias(column))
        else:
            columns.append(pl.Series(column, [None] * df.height, dtype=dtype))
    out = pl.DataFrame(columns) if columns else empty(name)
    for column in NOT_NULL.get(name, ()):
        nulls = out.get_column(column).null_count()
        if nulls:
            raise errors.frame_invalid(
                name, f"列“{column}”有 {nulls} 个空值", f"column {column!r} has {nulls} nulls", {"column": column}
            )
    return out


def make_snapshot(
    frames: Mapping[str, pl.DataFrame | None] | None = None,
    *,
    currency: str | None = None,
    label: str = "",
    notes: tuple[str, ...] = (),
) -> Snapshot:
    """A snapshot from whatever frames are given (conformed); the others are empty."""
    given = dict(frames or {})
    unknown = sorted(set(given) - set(SCHEMAS))
    if unknown:
        raise errors.frame_invalid(unknown[0], "未知的数据表", "unknown frame")
    return Snapshot(
        {name: conform(name, given.get(name)) for name in SCHEMAS}, currency=currency, label=label, notes=notes
    )


def bid_tenderers(bids: pl.DataFrame) -> pl.DataFrame:
    """One row per (bid, tenderer): ``ocid, bid_id, status, amount, currency, date, tenderer_id, n_tenderers``."""
    return (
        bids.with_columns(n_tenderers=pl.col("tenderer_ids").list.len().fill_null(0))
        .explode("tenderer_ids")
        .rename({"tenderer_ids": "tenderer_id"})
        .filter(pl.col("tenderer_id").is_not_null())
    )
