"""The seeded collusion scenario: in a 闵行 (310112) section, two bidders' bids were authored on the same machine
and their deposits left the same account, and the three bids stand in an arithmetic progression. A red-flag run
over it raises one alert on the section that explains itself.

Two ways to seed it:

- :func:`seed_collusion_on_platform` (``yiwang redflags demo`` and ``yiwang demo-markets`` after
  ``yiwang seed-demo``) — through the platform's real path: a works tender is published, the three demo bidders
  pay their deposits through finance's simulated bank (绿源环保's from 浦江建设's account), seal their bids with
  the bid tool's fingerprints in the envelopes' signed metadata (two on one machine) and submit them into the
  section's bid box; at the deadline they decrypt, the opening record is published, and a platform screen
  finds the pair from the bid box's and finance's own records. The section then waits for its committee.
- :func:`seed_collusion_scenario` — the same facts given directly as snapshot frames (section
  ``tender.section:demo-collusion-1``): fast, for the tests and for a database without the demo's seed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from yiwang.kernel.actors import Actor
from yiwang.supervision.redflags.domain.frames import Snapshot, make_snapshot

SECTION = "tender.section:demo-collusion-1"
REGION = "310112"
DEMO_USCC = ("91310115MA1FL2X37F", "91310112MA1G8K4P1Q", "91310117MA1J5R6T2U")  # 浦江建设, 绿源环保, 松江智造
FALLBACK = (("9001", "甲建设工程有限公司"), ("9002", "乙建设工程有限公司"), ("9003", "丙建设工程有限公司"))
MACHINE_MAC = "3C-7C-3F-1A-2B-4D"
PAYER = "6222****8899"


def _bidders() -> list[tuple[str, str]]:
    try:
        from yiwang.registry import queries as registry

        refs = [registry.find_entity_by_uscc(u) for u in DEMO_USCC]
    except Exception:
        refs = []
    if refs and all(r is not None for r in refs):
        return [(str(r.id), r.name) for r in refs]  # type: ignore[union-attr]
    return list(FALLBACK)


def collusion_frames(bidders: list[tuple[str, str]] | None = None, deadline: datetime | None = None) -> dict[str, Any]:
    (a, a_name), (b, b_name), (c, c_name) = bidders or list(FALLBACK)
    end = deadline or datetime(2026, 2, 27, 1, 30, tzinfo=UTC)
    tenders = [
        {
            "ocid": SECTION,
            "title": "闵行区某道路综合改造工程施工（一标段）",
            "status": "active",
            "procurement_method": "open",
            "procurement_method_details": "公开招标",
            "number_of_tenderers": 3,
            "tender_start": end - timedelta(days=20),
            "tender_end": end,
            "buyer_id": "buyer-mh-1",
            "region": REGION,
            "value_amount": 1_100_000.0,
            "value_currency": "CNY",
            "has_bids": True,
            "has_awards": False,
        }
    ]
    bids = [
        {
            "ocid": SECTION,
            "bid_id": "YWR-DEMO-A",
            "status": "pending",
            "amount": 1_000_000.0,
            "currency": "CNY",
            "date": end - timedelta(hours=3),
            "tenderer_ids": [a],
        },
        {
            "ocid": SECTION,
            "bid_id": "YWR-DEMO-B",
            "status": "pending",
            "amount": 1_020_000.0,
            "currency": "CNY",
            "date": end - timedelta(hours=2),
            "tenderer_ids": [b],
        },
        {
            "ocid": SECTION,
            "bid_id": "YWR-DEMO-C",
            "status": "pending",
            "amount": 1_040_000.0,
            "currency": "CNY",
            "date": end - timedelta(hours=1),
            "tenderer_ids": [c],
        },
    ]
    parties = [
        {"ocid": SECTION, "party_id": a, "name": a_name, "roles": ["tenderer"], "region": REGION},
        {"ocid": SECTION, "party_id": b, "name": b_name, "roles": ["tenderer"], "region": REGION},
        {"ocid": SECTION, "party_id": c, "name": c_name, "roles": ["tenderer"], "region": REGION},
        {"ocid": SECTION, "party_id": "buyer-mh-1", "name": "闵行区某街道办事处", "roles": ["buyer"], "region": REGION},
    ]
    fingerprints = [
        {
            "ocid": SECTION,
            "tenderer_id": a,
            "bid_id": "YWR-DEMO-A",
            "kind": "machine_mac",
            "value": MACHINE_MAC,
            "source": "bidbox.envelope",
        },
        {
            "ocid": SECTION,
            "tenderer_id": b,
            "bid_id": "YWR-DEMO-B",
            "kind": "machine_mac",
            "value": MACHINE_MAC.lower().replace("-", ":"),
            "source": "bidbox.envelope",
        },
        {
            "ocid": SECTION,
            "tenderer_id": c,
            "bid_id": "YWR-DEMO-C",
            "kind": "machine_mac",
            "value": "90-E2-BA-11-22-33",
            "source": "bidbox.envelope",
        },
        {
            "ocid": SECTION,
            "tenderer_id": a,
            "bid_id": None,
            "kind": "deposit_payer",
            "value": f"{SECTION}|{PAYER}",
            "source": "finance.alert",
        },
        {
            "ocid": SECTION,
            "tenderer_id": b,
            "bid_id": None,
            "kind": "deposit_payer",
            "value": f"{SECTION}|{PAYER}",
            "source": "finance.alert",
        },
    ]
    return {"tenders": tenders, "bids": bids, "parties": parties, "fingerprints": fingerprints}


def collusion_snapshot(bidders: list[tuple[str, str]] | None = None) -> Snapshot:
    from yiwang.supervision.redflags.domain.frames import SCHEMAS

    frames = {
        name: pl.DataFrame(rows, schema=SCHEMAS[name], orient="row") for name, rows in collusion_frames(bidders).items()
    }
    return make_snapshot(frames, currency="CNY", label="演示：串通投标情形")


def seed_collusion_scenario(actor: Actor | None = None) -> Any:
    """Run the indicators over the scenario (as the platform would) and return the run; idempotent (a rerun with
    the same findings raises nothing new)."""
    from yiwang.supervision.redflags import actions

    return actions.do_run_snapshot(
        actor=actor or Actor.system("seed-demo"),
        snapshot=collusion_snapshot(_bidders()),
        region_code=REGION,
        source="platform",
        label="演示：串通投标情形（闵行）",
        codes=["CN-40-1", "CN-40-6", "CN-40-4P", "SCREENS", "R018"],
    )


# -- through the platform's real path ----------------------------------------------------------------------------

PLATFORM_CODES = ["CN-40-1", "CN-40-1F", "CN-40-IP", "CN-40-6", "CN-40-4P", "SCREENS", "R018"]
SHARED_MACHINE = {"tool.machine.mac": MACHINE_MAC, "tool.machine.disk": "WD-WCC4N7RH2L9K"}
OTHER_MACHINE = {"tool.machine.mac": "90-E2-BA-11-22-33", "tool.machine.disk": "S3Z9NB0K612345"}
# one legal day lasts ten seconds: room for a loaded machine between the notice and the downloads; the waits are
# skipped (the demo clock jumps to the deadline), so a slower factor costs no time
ACCELERATION = 8_640
PLATFORM_PRICES = {"pujiang": 480_000_000, "lvyuan": 485_000_000, "songjiang": 490_000_000}  # equal steps


class DemoUnavailable(Exception):
    """The real path cannot run here (no demo seed); the message says why, in Chinese."""


def seed_collusion_on_platform(*, out: Any = print, actor: Actor | None = None, ca_dir: Any = None) -> Any:
    """Seed the scenario through tendering, finance and the bid box (see the module's docstring) and screen the
    platform's data of 闵行; returns the run. ``DemoUnavailable`` without ``yiwang seed-demo``; a failing step
    raises ``trading.tender.demo.DemoFailed`` with its reason."""
    import uuid

    from yiwang.identity import queries as identity_queries
    from yiwang.kernel.crypto import envelope, signer_for
    from yiwang.kernel.crypto.envelope import BidMeta, Recipient
    from yiwang.kernel.crypto.keys import load_public_key
    from yiwang.platform.clock import use_clock
    from yiwang.services.bidbox import queries as bidbox_queries
    from yiwang.services.finance import actions as finance
    from yiwang.services.finance import bank
    from yiwang.supervision.redflags import actions
    from yiwang.trading.tender import actions as tender
    from yiwang.trading.tender import demo as tender_demo
    from yiwang.trading.tender.bidformat import make_bid_document

    if identity_queries.find_account(tender_demo.STAFF) is None:
        raise DemoUnavailable("未找到演示账户（请先运行 yiwang seed-demo）")

    class CollusionDemo(tender_demo.Demo):
        """The tender demo's people and steps, with a bid tool that records its machine and a shared payer."""

        def _seal(self, section: Any, bidder: Any, price_fen: int) -> bytes:
            section.refresh_from_db()
            key = str(section.pk) if section.round == 1 else f"{section.pk}-r{section.round}"
            view = bidbox_queries.get_box_of_owner(("tender.section", key))
            if view is None:
                raise tender_demo.DemoFailed("投标箱未开设")
            uscc = tender_demo.SEED_USCC[bidder.username]
            plaintext = make_bid_document(
                price_fen=price_fen, section_code=section.code, bidder_uscc=uscc, bidder_name=bidder.name
            )
            machine = OTHER_MACHINE if bidder.username == "songjiang" else SHARED_MACHINE
            meta = BidMeta(
                project_code=view.project_code,
                section_code=view.section_code,
                bidder_id=uscc,
                deadline=view.deadline,
                file_name="投标文件.json",
                file_size=len(plaintext),
                extra={**machine, "tool.file_creation_id": str(uuid.uuid4()), "tool.name": "演示投标工具"},
            )
            return envelope.seal(
                plaintext,
                meta=meta,
                bidder_signer=signer_for(bidder.key),
                recipients=[
                    Recipient("bidder", bidder.key.public_key),
                    Recipient("opening", load_public_key(view.opening_key_pem.encode())),
                ],
                bidder_certificate=bidder.cert_der,
            )

        def _pay_deposit(self, section: Any, bidder: Any) -> None:
            payer = "pujiang" if bidder.username in ("pujiang", "lvyuan") else bidder.username
            deposit = finance.do_open_deposit_account(
                actor=bidder.actor, lot_ref=section.lot_ref, entity_id=bidder.entity_id
            )
            notice = bank.SimulatedBank().pay_in(
                virtual_account=deposit.virtual_account,
                amount_fen=section.deposit_fen,
                payer_account=tender_demo.BASIC_ACCOUNTS[payer],
                payer_name=self.parties[payer].name,
            )
            finance.receive_bank_notice(bank_code=notice.bank_code, body=notice.body, signature=notice.signature)

        def collusion(self) -> Any:
            agency, tenderer = self.parties[tender_demo.AGENCY], self.parties[tender_demo.TENDERER]
            self.say("【串通投标情形】两家投标人同机制作投标文件、保证金同一账户转出、报价等差")
            with self.step("创建招标项目"):
                project = tender.do_create_project(
                    actor=agency.actor,
                    procedure="tender.open",
                    name="闵行区某道路综合改造工程施工（演示·串通投标情形）",
                    region_code=REGION,
                    tenderer_entity_id=tenderer.entity_id,
                    agency_entity_id=agency.entity_id,
                    subject="works",
                    content="道路综合改造，含排水管道",
                    fund_source="区财政",
                    sections=[
                        {
                            "name": "一标段（施工）",
                            "estimate_fen": 500_000_000,
                            "deposit_fen": 10_000_000,
                            "duration_text": "180日历天",
                            "evaluation_method": "lowest_evaluated_price",
                            "evaluation_config": {"meeting_hours": tender_demo.MEETING_HOURS},
                        }
                    ],
                    is_test_data=True,
                    acceleration=self.acceleration,
                )
            section = self._notice_to_opening(project, agency, doc_days=6, prices=PLATFORM_PRICES, ask=False)
            self.say(f"开标记录已公布，标段 {section.code} 转入评标；监管部门运行风险筛查（闵行）")
            with self.step("风险筛查"):
                run = actions.do_run_platform(
                    actor=actor or Actor.system("seed-demo"), region_code=REGION, codes=PLATFORM_CODES
                )
            self.say(
                f"筛查完成：{run.findings_count} 条发现，新预警 {run.alerts_raised} 条（预警对象 {section.lot_ref}）"
            )
            return run

    demo = CollusionDemo(out=out, ca_dir=ca_dir, acceleration=ACCELERATION)
    with use_clock(demo.clock):
        demo.prepare()
        return demo.collusion()
