"""Writing one command's outcome into the read model and the ledger (inside the action that journalled it).

Private to the orderbook context. Everything here runs under the stream lock, in the command's transaction:
the rows and the ledger entries commit with the command or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F

from yiwang.trading.orderbook.domain import engine as eng
from yiwang.trading.orderbook.domain import settlement as st
from yiwang.trading.orderbook.domain.outcome import Outcome
from yiwang.trading.orderbook.domain.rules import MarketRules, price_limits
from yiwang.trading.orderbook.models import (
    BlockProposal,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    Market,
    Order,
    Repo,
    Trade,
    TradingDay,
)
from yiwang.trading.orderbook.streams import day_of, from_micros

SIDE = ("buy", "sell")
PARTICIPANT_BUCKETS = st.ENGINE_BUCKETS
CUSTODY_BUCKETS = (st.CASH_CUSTODY, st.ALLOW_CUSTODY)


@dataclass
class Projected:
    """What the action reports, witnesses and publishes."""

    orders: list[Order] = field(default_factory=list)  # the command's own order(s), as written
    trades: list[Trade] = field(default_factory=list)
    touched_entities: set[int] = field(default_factory=set)
    summary: dict[str, Any] | None = None


def ensure_accounts(market: Market, entity_id: int) -> None:
    buckets = PARTICIPANT_BUCKETS if entity_id else CUSTODY_BUCKETS
    LedgerAccount.objects.bulk_create(
        [LedgerAccount(market=market, bucket=b, entity_id=entity_id, unit=st.UNIT_OF[b]) for b in buckets],
        ignore_conflicts=True,
    )


def _write_postings(market: Market, out: Outcome, at: datetime) -> None:
    posts = st.postings(out)
    if not posts:
        return
    owners = {owner for p in posts for m in p.moves for _, owner in (m.debit, m.credit)}
    accounts = {
        (a.bucket, a.entity_id): a.pk for a in LedgerAccount.objects.filter(market=market, entity_id__in=owners)
    }
    entries = LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                market=market,
                kind=p.kind,
                ref=p.ref,
                trade_tid=p.trade_id or None,
                command_seq=out.seq,
                recorded_at=at,
            )
            for p in posts
        ]
    )
    lines = []
    for entry, p in zip(entries, posts, strict=True):
        for m in p.moves:
            lines.append(LedgerLine(entry=entry, account_id=accounts[m.debit], debit=m.amount))
            lines.append(LedgerLine(entry=entry, account_id=accounts[m.credit], credit=m.amount))
    LedgerLine.objects.bulk_create(lines)


def _trade_rows(market: Market, out: Outcome, at: datetime, day) -> list[Trade]:
    rows = [
        Trade(
            market=market,
            tid=t[0],
            kind=eng.TRADE_KIND_NAMES[t[1]],
            price_fen=t[2],
            quantity_t=t[3],
            amount_fen=t[2] * t[3],
            buy_oid=t[4] or None,
            sell_oid=t[5] or None,
            buyer_entity_id=t[6],
            seller_entity_id=t[7],
            aggressor=SIDE[t[8]],
            ref=t[10],
            eligible=t[1] in eng.ELIGIBLE_KINDS,
            day=day,
            executed_at=at,
            command_seq=out.seq,
        )
        for t in out.trades
    ]
    return Trade.objects.bulk_create(rows) if rows else []


def _fill_makers(market: Market, out: Outcome, taker_oid: int | None, at: datetime) -> None:
    """Resting orders that traded: filled quantity up, open quantity down, filled when nothing is left."""
    filled: dict[int, int] = defaultdict(int)
    for t in out.trades:
        if t[1] not in (eng.T_CONTINUOUS, eng.T_LISTING):
            continue
        maker = t[5] if t[8] == eng.BUY else t[4]
        if maker != taker_oid:
            filled[maker] += t[3]
    for oid, qty in filled.items():
        Order.objects.filter(market=market, oid=oid).update(
            filled_t=F("filled_t") + qty, open_t=F("open_t") - qty, updated_at=at, version=F("version") + 1
        )
    if filled:
        Order.objects.filter(market=market, oid__in=list(filled), open_t=0, status="open").update(status="filled")


def _removed(market: Market, out: Outcome, at: datetime) -> None:
    for oid, reason, _qty, _side, _price, _owner in out.removed:
        if reason == "stp":
            Order.objects.filter(market=market, oid=oid).update(
                status="cancelled", reason="stp", open_t=0, updated_at=at, version=F("version") + 1
            )
        elif reason == "expired":
            Order.objects.filter(market=market, oid=oid).update(
                status="expired", reason="expired", open_t=0, updated_at=at, version=F("version") + 1
            )


def _own_fills(out: Outcome, oid: int) -> tuple[int, int]:
    """(quantity, last price) this order traded as the taker in this command."""
    qty = price = 0
    for t in out.trades:
        if oid in (t[4], t[5]):
            qty += t[3]
            price = t[2]
    return qty, price


def project(market: Market, out: Outcome, at_us: int | None = None) -> Projected:
    """Write ``out`` (command number ``out.seq`` of the market's stream)."""
    at = from_micros(out.now if at_us is None else at_us)
    cmd = out.command
    op = cmd.get("op")
    res = Projected()
    day = market.current_day or at.date()
    market_changes: dict[str, Any] = {"projected_seq": out.seq}
    owner = cmd.get("owner", 0)
    if owner:
        res.touched_entities.add(owner)

    if op == "create_market":
        ensure_accounts(market, 0)
    elif op == "open_account":
        ensure_accounts(market, owner)
    elif op == "open_day":
        d = day_of(cmd["day"])
        rules = cmd["rules"]
        r = MarketRules.from_json(rules)
        reference = cmd.get("reference_fen") or market.last_close_fen or market.reference_fen
        block_lo, block_hi = price_limits(reference, r.block_band_bp, r.tick_fen)
        TradingDay.objects.create(
            market=market,
            day=d,
            rules=rules,
            previous_close_fen=reference,
            lower_fen=out.result["lower_fen"],
            upper_fen=out.result["upper_fen"],
            block_lower_fen=block_lo,
            block_upper_fen=block_hi,
            opened_at=at,
        )
        market_changes.update(
            phase="open", current_day=d, lower_fen=out.result["lower_fen"], upper_fen=out.result["upper_fen"]
        )
        if not market.last_close_fen:
            market_changes["last_close_fen"] = reference
    elif op == "set_phase":
        market_changes["phase"] = cmd["phase"]
    elif op == "close_day":
        s = out.result["summary"]
        res.summary = s
        TradingDay.objects.filter(market=market, day=day).update(
            status="closed",
            open_fen=s["open_fen"],
            high_fen=s["high_fen"],
            low_fen=s["low_fen"],
            close_fen=s["close_fen"],
            eligible_volume_t=s["eligible_volume_t"],
            eligible_value_fen=s["eligible_value_fen"],
            volume_t=s["volume_t"],
            value_fen=s["value_fen"],
            trades=s["trades"],
            closed_at=at,
        )
        _removed(market, out, at)
        for note in out.notes:
            if note[0] == "proposal_expired":
                BlockProposal.objects.filter(market=market, pid=note[1]).update(status="expired", decided_at=at)
            elif note[0] == "repo_expired":
                Repo.objects.filter(market=market, rid=note[1]).update(status="expired", updated_at=at)
            res.touched_entities.add(note[2])
        res.touched_entities.update(r[5] for r in out.removed)
        market_changes.update(phase="closed", last_close_fen=s["close_fen"])
    elif op == "place":
        oid = out.result["order_id"]
        after = out.after
        qty, last = _own_fills(out, oid)
        killed = next((r for r in out.removed if r[0] == oid), None)
        if after is not None:
            status, reason, price, open_t = "open", "", after[3], after[4]
        elif killed is not None:
            status, reason, price, open_t = "killed", killed[1], cmd.get("price_fen") or last, 0
        else:
            status, reason, price, open_t = "filled", "", cmd.get("price_fen") or last, 0
        order = Order.objects.create(
            market=market,
            oid=oid,
            entity_id=owner,
            client_order_id=cmd.get("client_order_id") or "",
            side=cmd["side"],
            order_type=cmd.get("type", "limit"),
            price_fen=price or 0,
            quantity_t=cmd["quantity_t"],
            open_t=open_t,
            filled_t=qty,
            status=status,
            reason=reason,
            day=day,
            command_seq=out.seq,
            created_at=at,
            updated_at=at,
        )
        res.orders.append(order)
        _fill_makers(market, out, oid, at)
        _removed(market, out, at)
    elif op == "amend":
        before = out.before
        assert before is not None
        oid = before[0]
        after = out.after
        changes: dict[str, Any] = {"updated_at": at, "version": F("version") + 1}
        if after is not None:
            changes.update(price_fen=after[3], open_t=after[4], quantity_t=after[5], filled_t=after[6])
        else:  # the amended order traded in full at once
            qty, _ = _own_fills(out, oid)
            changes.update(
                price_fen=cmd.get("price_fen") or before[3],
                open_t=0,
                filled_t=before[6] + qty,
                status="filled",
                quantity_t=before[5] + max((cmd.get("quantity_t") or before[4]) - before[4], 0),
            )
        Order.objects.filter(market=market, oid=oid).update(**changes)
        _fill_makers(market, out, oid, at)
        _removed(market, out, at)
        res.orders.append(Order.objects.get(market=market, oid=oid))
    elif op == "cancel":
        oid = cmd["order_id"]
        Order.objects.filter(market=market, oid=oid).update(
            status="cancelled", reason="cancelled", open_t=0, updated_at=at, version=F("version") + 1
        )
        res.orders.append(Order.objects.get(market=market, oid=oid))
    elif op == "take":
        oid = out.result["order_id"]
        target = out.before
        assert target is not None
        order = Order.objects.create(
            market=market,
            oid=oid,
            entity_id=owner,
            client_order_id=cmd.get("client_order_id") or "",
            side="sell" if target[2] == eng.BUY else "buy",
            order_type="take",
            target_oid=target[0],
            price_fen=target[3],
            quantity_t=cmd["quantity_t"],
            open_t=0,
            filled_t=cmd["quantity_t"],
            status="filled",
            day=day,
            command_seq=out.seq,
            created_at=at,
            updated_at=at,
        )
        res.orders.append(order)
        _fill_makers(market, out, oid, at)
    elif op == "propose_block":
        BlockProposal.objects.create(
            market=market,
            pid=out.result["proposal_id"],
            proposer_entity_id=owner,
            counterparty_entity_id=cmd["counterparty"],
            side=cmd["side"],
            price_fen=cmd["price_fen"],
            quantity_t=cmd["quantity_t"],
            status="pending",
            day=day,
            created_at=at,
        )
        res.touched_entities.add(cmd["counterparty"])
    elif op in ("confirm_block", "reject_block", "withdraw_block"):
        status = {"confirm_block": "confirmed", "reject_block": "rejected", "withdraw_block": "withdrawn"}[op]
        BlockProposal.objects.filter(market=market, pid=cmd["proposal_id"]).update(
            status=status, decided_at=at, trade_tid=out.result.get("trade_id")
        )
        if out.before is not None:
            res.touched_entities.update((out.before[1], out.before[3]))
    elif op == "propose_repo":
        Repo.objects.create(
            market=market,
            rid=out.result["repo_id"],
            seller_entity_id=owner,
            buyer_entity_id=cmd["counterparty"],
            quantity_t=cmd["quantity_t"],
            price_open_fen=cmd["price_open_fen"],
            price_close_fen=cmd["price_close_fen"],
            repurchase_day=day_of(cmd["repurchase_day"]),
            margin_fen=cmd.get("margin_fen", 0),
            status="proposed",
            created_at=at,
            updated_at=at,
        )
        res.touched_entities.add(cmd["counterparty"])
    elif op in ("confirm_repo", "reject_repo", "withdraw_repo", "settle_repo"):
        changes = {"updated_at": at}
        if op == "confirm_repo":
            changes.update(status="open", open_tid=out.result["trade_id"])
        elif op == "settle_repo":
            tid = out.result["trade_id"]
            changes.update(status="closed", close_tid=tid) if tid else changes.update(status="defaulted")
        else:
            changes["status"] = "rejected" if op == "reject_repo" else "withdrawn"
        Repo.objects.filter(market=market, rid=cmd["repo_id"]).update(**changes)
        if out.before is not None:
            res.touched_entities.update((out.before[1], out.before[2]))

    res.trades = _trade_rows(market, out, at, day)
    for t in res.trades:
        res.touched_entities.update((t.buyer_entity_id, t.seller_entity_id))
    eligible = [t for t in res.trades if t.eligible]
    if eligible:
        market_changes["last_price_fen"] = eligible[-1].price_fen
    _write_postings(market, out, at)
    Market.objects.filter(pk=market.pk).update(**market_changes)
    for name, value in market_changes.items():
        setattr(market, name, value)
    return res
