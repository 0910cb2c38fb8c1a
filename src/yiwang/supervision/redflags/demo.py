"""The seeded collusion scenario (for the demo and the tests): in a 闵行 (310112) section, two bidders' bids were
authored on the same machine and their deposits left the same account, and the three bids stand in an
arithmetic progression. A red-flag run over it raises one alert on the section that explains itself.

The fingerprints are what the bid tool and finance will record (docs/redflags.md §4); here they are given as
snapshot frames, the way the platform adapters will build them. When the demo's market entities exist in the
registry (``yiwang seed-demo``), the scenario uses them, so their names appear on the alert.
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
