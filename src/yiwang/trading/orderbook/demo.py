"""A demonstration of the carbon market: a few trading days with several participants, run on a manual clock.

Used by ``yiwang demo-carbon`` (``manage.py demo_carbon``). Everything goes through the ordinary actions and the
clock's session job: accounts opened and funded by staff, listings (挂牌) and takes (摘牌) by the participants,
a block trade (大宗协议) and a repo (配额回购) with its repurchase the next trading day, the midday break, the
close at 15:00. Each day prints the closing price (VWAP of the day's 挂牌协议 trades), the carbon price index
and the reconciliation (engine = ledger = custody, read model = engine).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.clock import ManualClock
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import now as clock_now
from yiwang.platform.clock import use_clock
from yiwang.registry import actions as registry_actions
from yiwang.registry import queries as registry_queries
from yiwang.trading.orderbook import actions, jobs, queries
from yiwang.trading.orderbook.models import Market, Participant, TradingDay
from yiwang.trading.orderbook.streams import SHANGHAI
from yiwang.trading.orderbook.views import yuan

DEMO = Actor.system("demo")
CODE = "SHEA"
# companies of the registry's authoritative demo source
USCCS = ("91310115MA1FL2X37F", "91310112MA1G8K4P1Q", "91310104132203571A", "91310000132260947A", "91310117MA1J5R6T2U")
CASH_FEN = 5_000_000_000  # 5,000 万元 each
ALLOWANCES_T = 400_000


@dataclass
class DayReport:
    day: date
    summary: dict
    refused: dict[str, int] = field(default_factory=dict)


def _participants() -> list[tuple[int, str]]:
    out = []
    for uscc in USCCS:
        ref = registry_queries.find_entity_by_uscc(uscc)
        if ref is None:
            entity = registry_actions.do_register_entity(
                actor=DEMO,
                data={
                    "kind": "legal_person",
                    "uscc": uscc,
                    "contact_name": "王芳",
                    "contact_phone": "13812345678",
                    "roles": ["transferor", "transferee"],
                },
            )
            out.append((entity.pk, entity.name))
        else:
            out.append((ref.id, ref.name))
    return out


def _user(entity_id: int) -> Actor:
    return Actor(
        ActorKind.ACCOUNT,
        f"demo-{entity_id}",
        f"演示交易员{entity_id}",
        (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id),),
    )


def _first_day(market: Market) -> date:
    last = TradingDay.objects.filter(market=market).order_by("-day").values_list("day", flat=True).first()
    start = (last + timedelta(days=1)) if last else clock_now().astimezone(SHANGHAI).date()
    return catalog.workday_calendar().next_workday(start, include_self=True)


def _at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI).astimezone(UTC)


def run(days: int = 3, seed: int = 20260302, out: Callable[[str], None] = print) -> list[DayReport]:
    """Run ``days`` trading days; returns the reports (raises SystemExit-free: the caller checks ``ok``)."""
    rnd = random.Random(seed)  # noqa: S311 - a reproducible demo, not a secret
    market = Market.objects.filter(code=CODE).first()
    if market is None:
        market = actions.do_create_market(
            actor=DEMO, code=CODE, name="上海碳排放配额（演示）", mode="listing", reference_fen=6000
        )
    people = _participants()
    for entity_id, _ in people:
        if not Participant.objects.filter(market=market, entity_id=entity_id).exists():
            actions.do_open_account(actor=DEMO, market_code=CODE, entity_id=entity_id)
            actions.do_deposit_cash(actor=DEMO, market_code=CODE, entity_id=entity_id, amount_fen=CASH_FEN)
            actions.do_deposit_allowances(actor=DEMO, market_code=CODE, entity_id=entity_id, quantity_t=ALLOWANCES_T)
    traders = [(eid, name, _user(eid)) for eid, name in people]
    day = _first_day(market)
    clock = ManualClock(_at(day, 9, 0))
    reports: list[DayReport] = []
    out(f"碳排放权交易演示：{market.name}（{CODE}，挂牌协议），{len(traders)} 家交易主体")
    with use_clock(clock):
        for n in range(days):
            report = DayReport(day, {})
            clock.set(_at(day, 9, 30))
            jobs.run_sessions(clock.now())  # opens the day (and settles repos due today)
            market.refresh_from_db()
            _trade_session(rnd, market, traders, clock, report, minutes=(9 * 60 + 31, 11 * 60 + 20))
            if n == 0:
                _negotiated(market, traders, day, days, report)
            clock.set(_at(day, 11, 30))
            jobs.run_sessions(clock.now())  # the midday break
            clock.set(_at(day, 13, 0))
            jobs.run_sessions(clock.now())
            market.refresh_from_db()
            _trade_session(rnd, market, traders, clock, report, minutes=(13 * 60 + 1, 14 * 60 + 50))
            clock.set(_at(day, 15, 0))
            jobs.run_sessions(clock.now())  # the close: closing price, index, reconciliation
            row = TradingDay.objects.get(market=market, day=day)
            report.summary = {
                "close_fen": row.close_fen,
                "open_fen": row.open_fen,
                "high_fen": row.high_fen,
                "low_fen": row.low_fen,
                "eligible_volume_t": row.eligible_volume_t,
                "volume_t": row.volume_t,
                "value_fen": row.value_fen,
                "reconciliation": row.reconciliation,
                "index": next((p.value_e4 for p in queries.index_series() if p.day == day), None),
            }
            reports.append(report)
            _print_day(out, report)
            day = catalog.workday_calendar().next_workday(day)
    return reports


def _trade_session(
    rnd: random.Random, market: Market, traders: list, clock: ManualClock, report: DayReport, minutes: tuple[int, int]
) -> None:
    start, end = minutes
    mid = market.last_close_fen or market.reference_fen
    for minute in range(start, end, 4):
        clock.set(_at(market.current_day, minute // 60, minute % 60))
        _, _, actor = rnd.choice(traders)
        try:
            if rnd.random() < 0.55:
                side = rnd.choice(("buy", "sell"))
                offset = rnd.randint(1, 25) * (1 if side == "sell" else -1)
                price = min(max(mid + offset + rnd.randint(-8, 8), market.lower_fen), market.upper_fen)
                actions.do_place_order(
                    actor=actor, market_code=CODE, side=side, price_fen=price, quantity_t=rnd.randint(1, 40) * 100
                )
            else:
                book = queries.listings(CODE, actor)
                side = rnd.choice(("asks", "bids"))
                choices = [listing for listing in book[side] if not listing.mine]
                if choices:
                    target = rnd.choice(choices)
                    qty = min(target.open_t, rnd.randint(1, 30) * 100)
                    actions.do_take_listing(actor=actor, market_code=CODE, order_id=target.order_id, quantity_t=qty)
                    mid = target.price_fen
        except YiwangError as exc:  # e.g. a listing that would cross the other side: counted, not fatal
            report.refused[exc.code] = report.refused.get(exc.code, 0) + 1


def _negotiated(market: Market, traders: list, day: date, days: int, report: DayReport) -> None:
    (a, _, actor_a), (b, _, actor_b), (_, _, actor_c) = traders[:3]
    mid = market.last_close_fen or market.reference_fen
    pid = actions.do_propose_block(
        actor=actor_a, market_code=CODE, side="sell", counterparty_entity_id=b, price_fen=mid + 150, quantity_t=120_000
    )
    actions.do_answer_block(actor=actor_b, market_code=CODE, proposal_id=pid, answer="confirm")
    if days > 1:
        repurchase = catalog.workday_calendar().next_workday(day)
        rid = actions.do_propose_repo(
            actor=actor_c,
            market_code=CODE,
            counterparty_entity_id=a,
            quantity_t=20_000,
            price_open_fen=mid - 300,
            price_close_fen=mid - 290,
            repurchase_day=repurchase,
            margin_fen=2_000_000,
        )
        actions.do_answer_repo(actor=actor_a, market_code=CODE, repo_id=rid, answer="confirm")


def _print_day(out: Callable[[str], None], r: DayReport) -> None:
    s = r.summary
    rec = s["reconciliation"]
    index = s["index"]
    out(
        f"\n交易日 {r.day}：开盘 {yuan(s['open_fen'])} 最高 {yuan(s['high_fen'])} 最低 {yuan(s['low_fen'])} "
        f"收盘 {yuan(s['close_fen'])} 元/吨（挂牌协议成交 {s['eligible_volume_t']:,} 吨的加权均价）"
    )
    others = {k: v for k, v in s["volume_t"].items() if v and k != "listing"}
    if others:
        labels = {
            "block": "大宗协议",
            "repo_open": "回购初始交易",
            "repo_close": "回购购回交易",
            "continuous": "连续竞价",
        }
        out("  不计入收盘价：" + "，".join(f"{labels[k]} {v:,} 吨" for k, v in others.items()))
    out(
        f"  上海碳价指数：{index // 10_000}.{index % 10_000:04d}"
        if index is not None
        else "  上海碳价指数：尚无基期（成交量不足）"
    )
    out(
        f"  对账：资金 {yuan(rec.get('cash_fen'))} 元 = 托管 {yuan(rec.get('custody_cash_fen'))} 元；"
        f"配额 {rec.get('allowances_t', 0):,} 吨 = 托管 {rec.get('custody_allowances_t', 0):,} 吨；"
        f"引擎 = 账簿 = 读模型：{'差额为零' if rec.get('ok') else '有差额！'}"
    )
    if not rec.get("ok"):
        for d in rec.get("differences", []):
            out(f"    差额：{d}")
    if r.refused:
        out("  被拒绝的申报（按原因）：" + "，".join(f"{k} ×{v}" for k, v in sorted(r.refused.items())))
