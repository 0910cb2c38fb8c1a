"""A demonstration (``yiwang demo_auction``): a judicial auction closed by soft-close extensions and a land
listing that ends in a countdown auction, on the real database, with a manual clock set in the past so that
both lots are over when it ends. Every step goes through the actions (command log, witness, feed, live events,
finance deposits, 成交公告); at the end each stream is replayed and compared with the read model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.clock import ManualClock
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import now, use_clock
from yiwang.registry import actions as registry_actions
from yiwang.registry import queries as registry_queries
from yiwang.services.finance import actions as finance
from yiwang.services.finance import bank
from yiwang.trading.auction import actions, jobs, queries
from yiwang.trading.auction.models import Lot

SYSTEM = Actor.system("demo")
STAFF = Actor(ActorKind.ACCOUNT, "demo-staff", "交易中心工作人员（演示）", (RoleGrant(Role.STAFF, region="310000"),))
SHANGHAI = ZoneInfo("Asia/Shanghai")
USCCS = ("91310115MA1FL2X37F", "91310112MA1G8K4P1Q", "91310104132203571A")


@dataclass(frozen=True)
class Bidder:
    entity_id: int
    name: str
    account: str
    actor: Actor


def _bidder(i: int) -> Bidder:
    uscc = USCCS[i]
    account = f"62220210099{i:05d}"
    ref = registry_queries.find_entity_by_uscc(uscc)
    if ref is None:
        entity = registry_actions.do_register_entity(
            actor=SYSTEM,
            data={
                "kind": "legal_person",
                "uscc": uscc,
                "contact_name": "刘敏",
                "contact_phone": "13812345678",
                "roles": ["bidder"],
            },
        )
        registry_actions.do_set_basic_account(
            actor=SYSTEM,
            entity_id=entity.pk,
            expected_version=None,
            data={
                "bank_name": "中国工商银行",
                "branch_name": "上海分行",
                "account_name": entity.name,
                "account_number": account,
            },
        )
        entity_id, name = entity.pk, entity.name
    else:
        entity_id, name = ref.id, ref.name
    actor = Actor(
        ActorKind.ACCOUNT, f"demo-u{entity_id}", name, (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id),)
    )
    return Bidder(entity_id, name, account, actor)


def _pay(lot: Lot, who: Bidder) -> None:
    deposit = finance.do_open_deposit_account(actor=who.actor, lot_ref=lot.finance_ref, entity_id=who.entity_id)
    notice = bank.SimulatedBank().pay_in(
        virtual_account=deposit.virtual_account,
        amount_fen=lot.deposit_fen,
        payer_account=who.account,
        payer_name=who.name,
        booked_at=now(),
    )
    finance.receive_bank_notice(bank_code=notice.bank_code, body=notice.body, signature=notice.signature, post=True)


def _hms(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%H:%M:%S") if moment else "—"


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:,.2f} 元"


def run(out: Callable[[str], object] = print) -> list[Lot]:
    start = now()
    clock = ManualClock(start - timedelta(days=14))
    with use_clock(clock):
        people = [_bidder(i) for i in range(3)]
        a, b, c = people
        code = {}

        # -- a judicial auction: 24 h of bidding, soft close -----------------------------------------------------
        t0 = clock.now() + timedelta(hours=1)
        lot = actions.do_create_lot(
            actor=STAFF,
            spec=actions.LotSpec(
                preset="judicial",
                title="（演示）浦东新区某路 88 号 1201 室房产",
                start_price_fen=2_100_000_00,
                step_fen=1_000_00,
                start_at=t0,
                end_at=t0 + timedelta(hours=24),
                appraisal_fen=3_000_000_00,
                deposit_fen=300_000_00,
            ),
        )
        out(f"网络司法拍卖 {lot.ref}：起拍价 {_yuan(lot.start_price_fen)}，保证金 {_yuan(lot.deposit_fen)}")
        for p in people:
            _pay(lot, p)
            code[p.entity_id] = actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id).code
        out(f"  报名 3 家，竞买号 {', '.join(code.values())}（竞价中只显示竞买号）")
        clock.set(t0)
        jobs.run_due_lots(clock.now())
        price = lot.start_price_fen
        actions.do_place_bid(actor=a.actor, lot_id=lot.pk, amount_fen=price)
        end = t0 + timedelta(hours=24)
        clock.set(end - timedelta(minutes=2))
        order = [b, c, a, b, c, b]
        for i, p in enumerate(order):
            price += lot.step_fen * (i + 1)
            r = actions.do_place_bid(actor=p.actor, lot_id=lot.pk, amount_fen=price)
            out(f"  {_hms(r.accepted_at)} {r.code} 出价 {_yuan(r.amount_fen)}，结束时间 → {_hms(r.end_at)}")
            clock.advance(timedelta(minutes=3, seconds=10))
        lot.refresh_from_db()
        clock.set(lot.end_at + timedelta(milliseconds=1))
        try:
            actions.do_place_bid(actor=a.actor, lot_id=lot.pk, amount_fen=price + 10 * lot.step_fen)
        except YiwangError as error:
            out(f"  结束后 1 毫秒的出价被拒绝：{error.code}（{error.message_zh}）")
        jobs.run_due_lots(clock.now())
        lot.refresh_from_db()
        out(
            f"  结束：{lot.outcome}，延时 {lot.ext_count} 次，成交价 {_yuan(lot.deal_price_fen)}，"
            f"竞得人竞买号 {lot.winner_code}，成交公告 #{lot.result_notice_id}"
        )

        # -- a land listing ending in a countdown auction -------------------------------------------------------
        clock.set(start - timedelta(days=13))
        t1 = clock.now() + timedelta(hours=1)
        land = actions.do_create_lot(
            actor=STAFF,
            spec=actions.LotSpec(
                preset="land_listing",
                title="（演示）闵行区某地块国有建设用地使用权",
                start_price_fen=50_000_000_00,
                step_fen=1_000_000_00,
                start_at=t1,
                end_at=t1 + timedelta(days=10),
                reserve_fen=55_000_000_00,
                params={"countdown": 240, "continue_window": 600},
            ),
        )
        out(f"\n土地挂牌 {land.ref}：起始价 {_yuan(land.start_price_fen)}，挂牌 10 日，设底价（保密）")
        for p in people:
            code[p.entity_id] = actions.do_register_bidder(actor=p.actor, lot_id=land.pk, entity_id=p.entity_id).code
        clock.set(t1)
        jobs.run_due_lots(clock.now())
        actions.do_place_bid(actor=a.actor, lot_id=land.pk, amount_fen=50_000_000_00)
        clock.advance(timedelta(days=3))
        actions.do_place_bid(actor=b.actor, lot_id=land.pk, amount_fen=51_000_000_00)
        for p in (a, b):
            actions.do_declare_continue(actor=p.actor, lot_id=land.pk)
        out("  挂牌期内 2 家报价并表示愿意继续竞价")
        clock.set(t1 + timedelta(days=10))
        jobs.run_due_lots(clock.now())
        clock.advance(timedelta(minutes=10))
        jobs.run_due_lots(clock.now())
        land.refresh_from_db()
        out(f"  挂牌截止后转入限时竞价，倒计时至 {_hms(land.end_at)}")
        amount = 51_000_000_00
        for p in (a, b, a, b, a):
            clock.advance(timedelta(minutes=3))
            amount += land.step_fen
            r = actions.do_place_bid(actor=p.actor, lot_id=land.pk, amount_fen=amount)
            out(f"  {_hms(r.accepted_at)} {r.code} 报价 {_yuan(r.amount_fen)}，倒计时重置至 {_hms(r.end_at)}")
        land.refresh_from_db()
        clock.set(land.end_at)
        jobs.run_due_lots(clock.now())
        land.refresh_from_db()
        out(f"  结束：{land.outcome}，成交价 {_yuan(land.deal_price_fen)}，竞得人竞买号 {land.winner_code}")

        for row in (lot, land):
            check = queries.check_lot_for(STAFF, row.pk)
            out(
                f"\n{row.ref} 指令日志重放：{'一致' if check.ok else '不一致'}"
                f"（{check.head} 条，摘要 {check.digest[:16]}）"
            )
        return [lot, land]
