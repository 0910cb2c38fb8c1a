"""Snapshots of the platform's own data for the red-flag engine, built by small adapters over what the other
contexts record (read through their ``queries``, never their models).

An adapter is any object with ``name`` and ``contribute(parts, region=…)`` that appends rows to the frames it
knows about. The list is the setting ``YIWANG_REDFLAGS_SOURCES`` (dotted paths), by default:

- :class:`BidboxOpenings` — closed bid boxes' opening records: one process per box (``<owner context>:<owner ref>``,
  e.g. ``tender.section:12``, the same reference finance uses for the lot), its deadline and region, one bid per
  envelope (receipt id, bidder, time received, read-out price ``price_fen``);
- :class:`BidboxFingerprints` — the bid tool's machine codes, file-creation id and dongle serial kept from the
  envelope's signed metadata, and the upload address (supervision only, after the opening; docs/redflags.md §4);
- :class:`FinanceDepositPayers` — finance's "shared payer" findings (two bidders' deposits paid from one
  account in one lot);
- :class:`RegistryContacts` — the bidders' contact phone and e-mail and their registered personnel (identity
  numbers) from the registry;
- :class:`TenderOutcomes` — the tendering context's awards, expert panels and each expert's scores;
- :class:`TenderBidTexts` — the readable text of each decrypted tender bid, for the near-identical-documents
  screen (after the opening, supervision only).

Tests and the fallback demo can also give frames directly (:class:`GivenFrames`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import polars as pl
from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import InvalidInput, YiwangError
from yiwang.kernel.ids import region_covers
from yiwang.supervision.redflags.domain.frames import SCHEMAS, Snapshot, make_snapshot

SYSTEM = Actor.system("redflags")


def _covers(scope: str, code: str) -> bool:
    try:
        return region_covers(scope, code)
    except InvalidInput:
        return False


@dataclass
class Parts:
    """Rows collected by the adapters, per frame."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {name: [] for name in SCHEMAS})
    notes: list[str] = field(default_factory=list)

    def add(self, frame: str, **row: Any) -> None:
        self.rows[frame].append(row)

    def processes(self) -> dict[str, dict[str, Any]]:
        return {r["ocid"]: r for r in self.rows["tenders"]}

    def bidders_by_process(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for b in self.rows["bids"]:
            for t in b.get("tenderer_ids") or []:
                out.setdefault(b["ocid"], set()).add(t)
        return out

    def snapshot(self, label: str) -> Snapshot:
        frames = {
            name: pl.DataFrame(rows, schema=SCHEMAS[name], orient="row") if rows else None
            for name, rows in self.rows.items()
        }
        return make_snapshot(frames, currency="CNY", label=label, notes=tuple(self.notes))


class Source(Protocol):
    name: str

    def contribute(self, parts: Parts, *, region: str) -> None: ...


# -- adapters --------------------------------------------------------------------------------------------------------


class BidboxOpenings:
    """Processes and bids from the opening records of closed bid boxes."""

    name = "bidbox.openings"
    STATUS = {"decrypted": "pending", "revoked": "withdrawn", "withdrawn": "withdrawn", "not_opened": "withdrawn"}

    def __init__(self, limit: int = 500):
        self.limit = limit

    def contribute(self, parts: Parts, *, region: str) -> None:
        from yiwang.registry import queries as registry
        from yiwang.services.bidbox import queries as bidbox

        boxes = [
            b
            for b in bidbox.list_boxes_for(SYSTEM, status="closed", limit=self.limit)
            if b.region and _covers(region, b.region)
        ]
        entity_ids: set[int] = set()
        for box in boxes:
            try:
                record = bidbox.get_opening_record(box.id)
            except YiwangError as exc:
                parts.notes.append(f"投标箱 {box.id}：{exc.message_zh}")
                continue
            ocid = f"{box.owner_context}:{box.owner_ref}"
            entries = record.get("entries", [])
            opened = [e for e in entries if e.get("opening_status") == "decrypted"]
            parts.add(
                "tenders",
                ocid=ocid,
                title=box.title,
                status="active",
                procurement_method="open",
                procurement_method_details=box.owner_context,
                number_of_tenderers=len({e["entity_id"] for e in entries}),
                tender_start=None,
                tender_end=box.deadline,
                region=box.region,
                value_currency="CNY",
                has_bids=True,
                has_awards=False,
            )
            for e in entries:
                price = (e.get("readout") or {}).get("price_fen")
                try:
                    amount = int(price) / 100 if price not in (None, "") else None
                except (TypeError, ValueError):
                    amount = None
                entity_ids.add(int(e["entity_id"]))
                parts.add(
                    "bids",
                    ocid=ocid,
                    bid_id=e["receipt_id"],
                    status=self.STATUS.get(e.get("opening_status", ""), "withdrawn"),
                    amount=amount,
                    currency="CNY",
                    date=datetime.fromisoformat(e["received_at"].replace("Z", "+00:00"))
                    if e.get("received_at")
                    else None,
                    tenderer_ids=[str(e["entity_id"])],
                )
            if not opened:
                parts.notes.append(f"{ocid}: 无解密成功的投标文件")
        refs = registry.get_entity_refs(sorted(entity_ids))
        for ocid, bidders in parts.bidders_by_process().items():
            for t in sorted(bidders):
                ref = refs.get(int(t)) if t.isdigit() else None
                if ref is not None:
                    parts.add(
                        "parties", ocid=ocid, party_id=t, name=ref.name, roles=["tenderer"], region=ref.region_code
                    )
        parts.notes.append(f"开标记录：{len(boxes)} 个已关闭的投标箱")


class BidboxFingerprints:
    """The bid tool's fingerprints (machine codes, file-creation id, dongle) and the upload address of each current
    envelope of the closed boxes found by :class:`BidboxOpenings`, from
    ``services.bidbox.queries.list_submission_fingerprints`` (readable by supervision only, after the opening
    record). The values come normalised by the bid box (docs/trust/bidbox.md §4a): a MAC as ``3C-7C-3F-1A-2B-4D``,
    serials upper case; a machine may give several MAC addresses, each one row."""

    name = "bidbox.fingerprints"
    EXTRA_KEYS = {
        "tool.machine.mac": "machine_mac",
        "tool.machine.cpu": "machine_cpu",
        "tool.machine.disk": "machine_disk",
        "tool.machine.board": "machine_board",
        "tool.file_creation_id": "file_creation_id",
        "tool.dongle_serial": "dongle_serial",
    }

    def contribute(self, parts: Parts, *, region: str) -> None:
        from yiwang.services.bidbox import queries as bidbox

        envelopes = with_tool = with_ip = dropped = 0
        for ocid in parts.processes():
            context, _, ref = ocid.partition(":")
            if not ref:
                continue
            try:
                rows = bidbox.list_submission_fingerprints((context, ref), actor=SYSTEM)
            except YiwangError as exc:
                if exc.code != "bidbox.box_not_found":
                    parts.notes.append(f"{ocid}：{exc.message_zh}")
                continue
            for row in rows:
                envelopes += 1
                dropped += len(row.notes)
                kept = False
                for key, kind in self.EXTRA_KEYS.items():
                    for value in row.extra.get(key, []):
                        kept = True
                        parts.add(
                            "fingerprints",
                            ocid=ocid,
                            tenderer_id=str(row.entity_id),
                            bid_id=row.receipt_id,
                            kind=kind,
                            value=value,
                            source="bidbox.envelope",
                        )
                with_tool += kept
                if row.upload_ip:
                    with_ip += 1
                    parts.add(
                        "fingerprints",
                        ocid=ocid,
                        tenderer_id=str(row.entity_id),
                        bid_id=row.receipt_id,
                        kind="upload_ip",
                        value=row.upload_ip,
                        source=f"bidbox.upload:{row.upload_ip_source or 'remote_addr'}",
                    )
        parts.notes.append(
            f"投标工具特征码：{envelopes} 份投标文件，{with_tool} 份带机器码或文件标识，{with_ip} 份有上传 IP"
            + (f"，{dropped} 个格式不符的特征值未采用" if dropped else "")
        )


class FinanceDepositPayers:
    """Deposits paid from one account for several bidders of one lot (finance's ``shared_payer`` findings)."""

    name = "finance.shared_payer"

    def contribute(self, parts: Parts, *, region: str) -> None:
        from yiwang.services.finance import queries as finance

        processes = parts.processes()
        count = 0
        for alert in finance.list_alerts_for(SYSTEM, kind="shared_payer"):
            ocid = alert.lot_ref
            if not ocid or alert.entity_id is None:
                continue
            if processes and ocid not in processes:
                continue
            account = str(alert.details.get("payer_account") or "")
            if not account:
                continue
            holders = {alert.entity_id, *[int(i) for i in alert.details.get("other_entity_ids", [])]}
            for entity_id in sorted(holders):
                parts.add(
                    "fingerprints",
                    ocid=ocid,
                    tenderer_id=str(entity_id),
                    bid_id=None,
                    kind="deposit_payer",
                    value=f"{ocid}|{account}",  # masked by finance; the same account within the lot
                    source=f"finance.alert:{alert.id}",
                )
                count += 1
        parts.notes.append(f"保证金同一付款账户记录：{count} 条")


class RegistryContacts:
    """The bidders' registered contact phone and e-mail and registered personnel (identity numbers)."""

    name = "registry.contacts"

    def contribute(self, parts: Parts, *, region: str) -> None:
        from yiwang.registry import queries as registry

        by_process = parts.bidders_by_process()
        cache: dict[str, list[tuple[str, str]]] = {}
        for ocid, bidders in by_process.items():
            for t in sorted(bidders):
                if not t.isdigit():
                    continue
                if t not in cache:
                    values: list[tuple[str, str]] = []
                    try:
                        entity = registry.get_entity_for(SYSTEM, int(t))
                        people = registry.list_personnel_for(SYSTEM, int(t))
                    except Exception:
                        cache[t] = []
                        continue
                    if entity.contact_phone:
                        values.append(("contact_phone", entity.contact_phone))
                    if entity.contact_email:
                        values.append(("contact_email", entity.contact_email))
                    for p in people:
                        if p.id_number:
                            values.append(("registered_person", p.id_number))
                    cache[t] = values
                for kind, value in cache[t]:
                    parts.add(
                        "fingerprints", ocid=ocid, tenderer_id=t, bid_id=None, kind=kind, value=value, source="registry"
                    )


def procurement_method_of(procedure: str) -> str:
    """The OCDS procurement method of a tendering procedure code (``tender.open`` → ``open`` …)."""
    tail = procedure.partition(".")[2]
    if "open" in tail:
        return "open"
    if "invit" in tail or "selective" in tail:
        return "selective"
    if "single" in tail or "direct" in tail:
        return "direct"
    return "limited"


class TenderOutcomes:
    """Awards, expert panels and each member's scores from the tendering context
    (``trading.tender.queries.list_section_outcomes_for``), so the expert screens (EXP-AFFINITY, EXP-DEVIATION,
    EXP-PIVOT), the network screens (NET-ROTATE, NET-COBID) and the award-based Cardinal indicators run on the
    platform's own evaluations. A section already found by :class:`BidboxOpenings` gets its procurement method
    and ``has_awards``; an evaluated section without a closed box in the run (bids recorded outside the box)
    is added as a process of its own. An expert is the experts pool's id (``expert:<id>``) when the
    evaluation's member is matched to the draw; other members are local to their evaluation."""

    name = "tender.outcomes"
    AWARD_STATUS = {"issued": "active", "contracted": "active", "declined": "cancelled"}

    def __init__(self, limit: int = 2000):
        self.limit = limit

    def contribute(self, parts: Parts, *, region: str) -> None:
        from yiwang.trading.tender import queries as tender

        processes = parts.processes()
        awards = panels = scores = 0
        for outcome in tender.list_section_outcomes_for(SYSTEM, region=region, limit=self.limit):
            if not (outcome.region_code and _covers(region, outcome.region_code)):
                continue
            ocid = outcome.ref
            method = procurement_method_of(outcome.procedure)
            row = processes.get(ocid)
            if row is None:
                row = {
                    "ocid": ocid,
                    "title": outcome.title,
                    "status": "active",
                    "procurement_method": method,
                    "procurement_method_details": outcome.procedure,
                    "number_of_tenderers": None,
                    "tender_start": None,
                    "tender_end": outcome.bid_deadline,
                    "region": outcome.region_code,
                    "value_currency": "CNY",
                    "has_bids": False,
                    "has_awards": False,
                }
                parts.add("tenders", **row)
                processes = parts.processes()
                row = processes[ocid]
            else:
                row["procurement_method"] = method
                row["procurement_method_details"] = outcome.procedure
            for award in outcome.awards:
                row["has_awards"] = True
                awards += 1
                parts.add(
                    "awards",
                    ocid=ocid,
                    award_id=award.award_id,
                    status=self.AWARD_STATUS.get(award.status, "pending"),
                    amount=award.price_fen / 100,
                    currency="CNY",
                    date=award.issued_at,
                    supplier_ids=[str(award.entity_id)],
                )
            for seat in outcome.panel:
                if seat.kind != "expert":
                    continue  # the tenderer's representatives are not screened as experts
                panels += 1
                parts.add("panels", ocid=ocid, expert_id=seat.expert_key, drawn=seat.drawn)
            experts = {seat.expert_key for seat in outcome.panel if seat.kind == "expert"}
            for score in outcome.scores:
                if score.expert_key not in experts:
                    continue
                scores += 1
                parts.add(
                    "scores",
                    ocid=ocid,
                    expert_id=score.expert_key,
                    tenderer_id=str(score.entity_id),
                    criterion_id=score.item,
                    score=float(score.score),
                    max_points=float(score.max_points) if score.max_points is not None else None,
                    subjective=not score.objective,
                )
        parts.notes.append(f"评标结果：{awards} 条中标记录，{panels} 个评标专家席位，{scores} 条专家评分")


class TenderBidTexts:
    """The text of each decrypted tender bid (``trading.tender.queries.list_bid_texts_for``: JSON bids' technical,
    commercial and qualification parts, bundles' text files; PDF/OFD are not read) as the ``documents`` frame, so
    the near-identical-documents screen (CN-40-4D, MinHash over word shingles) runs on the platform's own bids —
    only after the opening, for supervision only."""

    name = "tender.bid_texts"

    def __init__(self, limit: int = 200):
        self.limit = limit

    def contribute(self, parts: Parts, *, region: str) -> None:
        from yiwang.trading.tender import queries as tender

        read = empty = 0
        for bid in tender.list_bid_texts_for(SYSTEM, region=region, limit=self.limit):
            if not bid.text.strip():
                empty += 1
                continue
            read += 1
            parts.add("documents", ocid=bid.ref, tenderer_id=str(bid.entity_id), bid_id=bid.receipt_id, text=bid.text)
        parts.notes.append(
            f"投标文件文本：{read} 份可比对" + (f"，{empty} 份无可读文本（PDF/OFD 不解析）" if empty else "")
        )


class GivenFrames:
    """Frames given directly (tests, the demo scenario, an adapter under development)."""

    name = "given"

    def __init__(self, frames: Mapping[str, pl.DataFrame | list[dict[str, Any]]]):
        self.frames = frames

    def contribute(self, parts: Parts, *, region: str) -> None:
        for name, data in self.frames.items():
            rows = data.to_dicts() if isinstance(data, pl.DataFrame) else list(data)
            parts.rows[name].extend(rows)


DEFAULT_SOURCES = (
    "yiwang.supervision.redflags.snapshots.BidboxOpenings",
    "yiwang.supervision.redflags.snapshots.BidboxFingerprints",
    "yiwang.supervision.redflags.snapshots.TenderOutcomes",
    "yiwang.supervision.redflags.snapshots.TenderBidTexts",
    "yiwang.supervision.redflags.snapshots.FinanceDepositPayers",
    "yiwang.supervision.redflags.snapshots.RegistryContacts",
)


def configured_sources() -> list[Source]:
    paths = getattr(settings, "YIWANG_REDFLAGS_SOURCES", DEFAULT_SOURCES)
    return [import_string(p)() for p in paths]


def build_platform_snapshot(region: str, sources: Iterable[Source] | None = None) -> Snapshot:
    """The platform's data in ``region`` as a snapshot, from each adapter in turn."""
    parts = Parts()
    for source in sources if sources is not None else configured_sources():
        source.contribute(parts, region=region)
    return parts.snapshot(label=f"平台数据（{region}）")


def snapshot_digest(snapshot: Snapshot) -> str:
    """SHA-256 of the snapshot's frames in a canonical form (columns in schema order, rows sorted)."""
    digest = hashlib.sha256()
    for name in sorted(snapshot.frames):
        df = snapshot.frames[name]
        digest.update(f"\0{name}\0{df.height}\0".encode())
        if df.height:
            flat = df.with_columns([pl.col(c).list.join("|") for c, t in df.schema.items() if isinstance(t, pl.List)])
            digest.update(flat.sort(flat.columns, nulls_last=True).write_csv().encode("utf-8"))
    return digest.hexdigest()
