"""Reads of the auction context, restricted by the actor.

What everyone may see of a lot: its rules (without the reserve), the price, the leader's 竞买号, the end, the bid
history under 竞买号 and the number of registered bidders. Who the bidders are is never shown to bidders or the
public (staff see it; after the close the buyer is named in the 成交公告)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import NotFound, PermissionDenied
from yiwang.platform.clock import now as clock_now
from yiwang.platform.commands import engine as commands
from yiwang.trading.auction.domain.engine import CLOSED, COUNTDOWN, OPEN
from yiwang.trading.auction.domain.engine import Lot as EngineLot
from yiwang.trading.auction.domain.rules import RuleSet
from yiwang.trading.auction.lot_engine import ENGINE, from_us, to_us
from yiwang.trading.auction.models import Bid, Bidder, Intervention, Lot
from yiwang.trading.auction.presets import PRESETS

RECENT = 20  # bids in the public live state

PHASE_LABELS = {
    "scheduled": "即将开始",
    "open": "正在竞价",
    "countdown": "限时竞价（倒计时）",
    "await_continue": "等待竞买人表示继续竞价",
    "sale": "变卖中",
    "sealing": "接受密封报价",
    "opening": "开启报价",
    "matching": "事后行权期",
    "pause": "轮间暂停",
    "turn": "轮流报价",
    "suspended": "已暂停",
    "closed": "已结束",
}
BIDDING = frozenset({OPEN, COUNTDOWN, "sale"})
SEALED_KINDS = frozenset({"equity_sealed", "equity_weighted"})

# what a bidder's private channel says (auction.bidder:<lot>.<竞买号>)
BIDDER_STATUS_LABELS = {
    "registered": "报名成功",
    "accepted": "您的出价已被接受",
    "outbid": "您的出价已被超过",
    "continuing": "已表示继续竞价",
    "cancelled": "您已撤销本轮次的报价",
    "sealed": "您的密封报价已收到",
    "won": "您已竞得",
    "lost": "竞价结束，您未竞得",
}


def bidder_channel(lot_id: int, code: str) -> str:
    """The private live channel of one bidder in one lot: only accounts acting for its entity get a token."""
    return f"auction.bidder:{lot_id}.{code}"


def box_owner(lot: Lot) -> tuple[str, str]:
    """The owner reference of a sealed lot's bid box (services.bidbox)."""
    return ("auction.lot", str(lot.pk))


def may_watch_bidder_channel(actor: Actor, channel: str) -> bool:
    """The live token policy of ``auction.bidder``: the actor acts for the entity registered under that 竞买号."""
    key = channel.split(":", 1)[1] if ":" in channel else ""
    lot_id, _, code = key.partition(".")
    if not lot_id.isdigit() or not code or not actor.is_authenticated:
        return False
    bidder = Bidder.objects.filter(lot_id=int(lot_id), code=code).first()
    return bidder is not None and actor.acts_for(bidder.entity_id)


def is_staff(actor: Actor, region_code: str = "310000") -> bool:
    return actor.is_system or actor.covers_region(region_code, Role.STAFF)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def shown_price(kind: str, phase: str, price: int, start_price: int) -> int:
    """The price the read model shows: a reverse auction's sealed opening bids stay secret until it starts."""
    return start_price if kind == "reverse" and phase == "scheduled" else price


def public_state(lot: Lot, state: EngineLot | None = None) -> dict[str, Any]:
    """The whole public state of a lot (what the live channel carries): 竞买号 only, never the reserve or names."""
    price = lot.price_fen
    min_next = None
    if lot.kind == "dutch" and lot.phase in ("scheduled", OPEN):
        rules = state.rules if state is not None else RuleSet.from_json(lot.rules)
        price = rules.dutch_price(to_us(clock_now()) - (state.shift if state is not None else _shift(lot)))
    elif lot.phase in BIDDING:
        min_next = lot.price_fen + lot.step_fen if lot.leader_code else lot.start_price_fen
    data: dict[str, Any] = {
        "lot": lot.pk,
        "ref": lot.ref,
        "phase": lot.phase,
        "phase_label": PHASE_LABELS.get(lot.phase, lot.phase),
        "price": price,
        "min_next": min_next,
        "leader": lot.leader_code or None,
        "end_at": _iso(lot.end_at),
        "next_at": _iso(lot.next_check),  # the countdown: the start before it, then the end of the phase
        "ext_count": lot.ext_count,
        "bid_count": lot.bid_count,
        "bidders": lot.bidder_count,
        "seq": lot.seq,
        "outcome": lot.outcome or None,
        "deal_price": lot.deal_price_fen,
        "winner": lot.winner_code or None,
    }
    if lot.kind == "reverse" and state is not None and state.phase not in ("scheduled", "suspended"):
        data["round"] = state.round
        data["turn"] = state.order[state.turn_idx] if state.phase == "turn" else None
        data["standings"] = [
            {"code": code, "amount": amount}
            for code, (amount, _t) in sorted(state.amounts.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0]))
        ]
    if lot.kind in SEALED_KINDS and state is not None and state.phase == CLOSED:
        # the opened sealed bids are public once the lot is decided (the bid box's record names the bidders);
        # highest price first, equal prices in the order they were sealed
        data["opened"] = [
            {"code": code, "amount": amount, "score": score, "sealed_at": from_us(state.sealed[code][0]).isoformat()}
            for code, (amount, score) in sorted(
                state.revealed.items(), key=lambda kv: (-kv[1][0], state.sealed[kv[0]][0], kv[0])
            )
        ]
    if state is not None:
        data["recent"] = [
            {"code": h[1], "amount": h[2], "at": from_us(h[3]).isoformat(), "how": h[4]}
            for h in reversed(state.history[-RECENT:])
        ]
    else:
        data["recent"] = [
            {"code": b.code, "amount": b.amount_fen, "at": b.at.isoformat(), "how": b.how}
            for b in Bid.objects.filter(lot=lot).order_by("-seq")[:RECENT]
        ]
    return data


def _shift(lot: Lot) -> int:
    """Time a Dutch lot spent suspended (its price schedule moves by it), from the interventions."""
    total, since = 0, None
    for i in Intervention.objects.filter(lot=lot).order_by("at", "pk"):
        if i.kind == "suspend":
            since = i.at
        elif since is not None:
            total += to_us(i.at) - to_us(since)
            since = None
    return total


def _lot(lot_id: int) -> Lot:
    lot = Lot.objects.filter(pk=lot_id).first()
    if lot is None:
        raise NotFound("auction.lot_not_found", "竞价标的不存在", "No such lot", {"lot_id": lot_id})
    return lot


def get_lot_for(actor: Actor, lot_id: int) -> Lot:
    """Every lot is public (its notice was); the reserve and the bidders' identities are not part of the row's
    public reading (use :func:`public_rules`, :func:`public_state`)."""
    return _lot(lot_id)


def list_lots_for(
    actor: Actor, *, phase: str | None = None, category: str | None = None, limit: int = 100
) -> list[Lot]:
    qs = Lot.objects.all()
    if phase == "live":
        qs = qs.exclude(phase__in=("scheduled", CLOSED))
    elif phase:
        qs = qs.filter(phase=phase)
    if category:
        qs = qs.filter(category=category)
    return list(qs.order_by("-start_at", "-pk")[: max(1, min(limit, 500))])


def public_rules(lot: Lot) -> dict[str, Any]:
    """The rule set as bidders may see it: without the secret reserve (底价 / 保留价)."""
    rules = dict(lot.rules)
    rules["reserve"] = None if rules.get("reserve") else 0
    rules["has_reserve"] = bool(lot.rules.get("reserve"))
    return rules


def preset_label(lot: Lot) -> str:
    preset = PRESETS.get(lot.preset)
    return preset.label_zh if preset else lot.preset


def engine_state(lot: Lot) -> EngineLot | None:
    """The engine's current state from the log (snapshot + suffix)."""
    state, _ = commands.load_state(lot.stream, ENGINE)
    return state


@dataclass(frozen=True)
class MyStatus:
    """The viewer's own standing on a lot (never anybody else's)."""

    registered: bool
    code: str = ""
    priority: int = 0
    status: str = ""
    leading: bool = False
    won: bool = False
    entity_id: int | None = None
    continuing: bool = False


def my_status_for(actor: Actor, lot: Lot, state: EngineLot | None = None) -> MyStatus:
    ids = sorted(actor.entity_ids()) if actor.is_authenticated else []
    bidder = Bidder.objects.filter(lot=lot, entity_id__in=ids).order_by("pk").first() if ids else None
    if bidder is None:
        return MyStatus(False)
    return MyStatus(
        True,
        bidder.code,
        bidder.priority,
        bidder.status,
        leading=lot.leader_code == bidder.code and lot.phase != CLOSED,
        won=lot.winner_code == bidder.code,
        entity_id=bidder.entity_id,
        continuing=bool(state is not None and bidder.code in state.continuing),
    )


def list_bids_for(actor: Actor, lot_id: int, *, limit: int = 100) -> list[Bid]:
    return list(Bid.objects.filter(lot_id=_lot(lot_id).pk).order_by("-seq")[: max(1, min(limit, 1000))])


@dataclass(frozen=True)
class BidderRow:
    code: str
    entity_id: int
    name: str
    priority: int
    status: str
    registered_at: datetime


def list_bidders_for(actor: Actor, lot_id: int) -> list[BidderRow]:
    """Who the bidders are: staff only (bidders see pseudonyms, never this list)."""
    from yiwang.registry import queries as registry

    lot = _lot(lot_id)
    if not is_staff(actor, lot.region_code):
        raise PermissionDenied(
            "auction.bidders_secret", "竞买人名单仅工作人员可见", "Only staff see who the bidders are"
        )
    rows = list(Bidder.objects.filter(lot=lot).order_by("registered_at", "pk"))
    refs = registry.get_entity_refs([b.entity_id for b in rows])
    return [
        BidderRow(
            b.code, b.entity_id, getattr(refs.get(b.entity_id), "name", ""), b.priority, b.status, b.registered_at
        )
        for b in rows
    ]


def list_interventions_for(actor: Actor, lot_id: int) -> list[Intervention]:
    return list(Intervention.objects.filter(lot_id=_lot(lot_id).pk).order_by("at", "pk"))


@dataclass(frozen=True)
class Check:
    """Replay of a lot's stream against its snapshots and its read model (staff console, tests)."""

    ok: bool
    head: int
    digest: str
    problems: tuple[str, ...]


def check_lot_for(actor: Actor, lot_id: int) -> Check:
    """Verify the lot's stream (gap-free, snapshots equal to the replay) and that the read model shows the
    replayed state (phase, price, leader, end, bid count)."""
    lot = _lot(lot_id)
    if not is_staff(actor, lot.region_code):
        raise PermissionDenied("auction.staff_only", "仅交易中心工作人员可核验", "Only staff may verify lots")
    report = commands.verify(lot.stream, ENGINE)
    problems = list(report.problems)
    state, seq = commands.replay(lot.stream, ENGINE)
    if state is not None:
        expected = {
            "phase": state.phase,
            "price_fen": shown_price(lot.kind, state.phase, state.price, lot.start_price_fen),
            "leader_code": state.leader or "",
            "bid_count": len(state.history),
            "seq": seq,
            "next_check": from_us(state.deadline) if state.end_at is not None else None,
        }
        for name, value in expected.items():
            if getattr(lot, name) != value:
                problems.append(f"read_model: {name} is {getattr(lot, name)!r}, the log says {value!r}")
        if Bid.objects.filter(lot=lot).count() != len(state.history):
            problems.append("read_model: the bid rows differ from the log's history")
    return Check(not problems, report.head, report.digest, tuple(problems))


# -- facts for the supervision statistics (supervision.stats) --------------------------------------------------
@dataclass(frozen=True)
class LotFact:
    """One lot as the trading statistics count it (read-only; the buyer is not named, the reserve not shown)."""

    ref: str  # auction.lot:<id>
    lot_id: int
    title: str
    category: str
    region_code: str
    procedure: str  # the preset
    procedure_title: str
    phase: str
    phase_label: str
    created_at: datetime
    closed_at: datetime | None
    sold: bool
    unsold: bool
    start_price_fen: int
    deal_fen: int | None
    bidders: int | None  # registered bidders, known once the lot closed
    rules_listed: bool  # catalogue rules were snapshotted onto the lot (规则目录)


def _covers(scope: str, code: str) -> bool:
    """``region_covers`` for stored codes that may be malformed (those are nobody's region)."""
    from yiwang.kernel.errors import InvalidInput
    from yiwang.kernel.ids import region_covers

    try:
        return region_covers(scope, code)
    except InvalidInput:
        return False


def list_lot_facts_for(actor: Actor, *, region: str | None = None) -> list[LotFact]:
    """Every lot over the regions the actor oversees (staff, regulators, auditors; the platform: all), for the
    trading statistics."""
    scopes = None if actor.is_system else actor.region_scopes(Role.STAFF, Role.REGULATOR, Role.AUDITOR)
    if scopes is not None and not scopes:
        return []
    out = []
    for lot in Lot.objects.order_by("pk"):
        code = (lot.region_code or "")[:6]
        if scopes is not None and not any(_covers(s, code) for s in scopes):
            continue
        if region and not _covers(region, code):
            continue
        closed = lot.phase == CLOSED
        out.append(
            LotFact(
                ref=f"auction.lot:{lot.pk}",
                lot_id=lot.pk,
                title=lot.title,
                category=lot.category,
                region_code=code,
                procedure=f"auction.{lot.preset}",
                procedure_title=preset_label(lot),
                phase=lot.phase,
                phase_label=PHASE_LABELS.get(lot.phase, lot.phase),
                created_at=lot.created_at,
                closed_at=lot.closed_at,
                sold=lot.outcome == "sold" and lot.deal_price_fen is not None,
                unsold=lot.outcome == "unsold",
                start_price_fen=lot.start_price_fen,
                deal_fen=lot.deal_price_fen if lot.outcome == "sold" else None,
                bidders=lot.bidder_count if closed else None,
                rules_listed=bool(lot.legal),
            )
        )
    return out
