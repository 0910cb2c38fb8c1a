"""Test helpers of the notices context: actors, valid notices of each kind, running the clock jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.platform.clock import now
from yiwang.services.notices import actions, jobs

AGENCY_ENTITY = 77


def person(n: int, *grants: RoleGrant, label: str | None = None) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label or f"测试用户{n}", tuple(grants))


def staff(region: str = "310000", n: int = 200) -> Actor:
    return person(n, RoleGrant(Role.STAFF, region=region), label=f"交易中心{n}")


def regulator(region: str = "310000", n: int = 300) -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region=region), label=f"监管{n}")


def agency(entity_id: int = AGENCY_ENTITY, n: int = 400) -> Actor:
    return person(n, RoleGrant(Role.AGENCY, entity_id=entity_id), label=f"代理机构用户{n}")


def visitor(n: int = 500) -> Actor:
    return person(n, label=f"社会公众{n}")


TENDER_FIELDS: dict[str, Any] = {
    "DOC_GET_START_TIME": "2026-03-03T09:00:00+08:00",
    "DOC_GET_END_TIME": "2026-03-09 17:00:00",
    "BID_DOC_REFER_END_TIME": "2026-03-25T09:30:00+08:00",
    "BID_OPEN_TIME": "2026-03-25T09:30:00+08:00",
    "CONTRACT_RECKON_PRICE": 1_250_000_000,
    "TENDERER_NAME": "上海市闵行区建设和管理委员会",
    "TENDER_PROJECT_CODE": "SH2026-0012",
}

CANDIDATE_FIELDS: dict[str, Any] = {
    "PUBLICITY_START_TIME": "2026-03-02T09:00:00+08:00",
    "PUBLICITY_END_TIME": "2026-03-05T17:00:00+08:00",
    "OBJECTION_METHOD": "在公示期内以书面形式向招标人提出",
    "CANDIDATES": [
        {"WIN_CANDIDATE_ORDER": 2, "WIN_CANDIDATE_NAME": "上海乙建设集团有限公司", "BID_PRICE": 1_190_000_000},
        {"WIN_CANDIDATE_ORDER": 1, "WIN_CANDIDATE_NAME": "上海甲建设集团有限公司", "BID_PRICE": 1_180_000_000},
    ],
}

BODY = "<p>本招标项目闵行区七宝镇道路大修工程已由区发改委批准建设，现对该项目的施工进行公开招标。</p>"


def tender_notice(
    actor: Actor | None = None,
    *,
    owner: str = "tender.section:34",
    publish_at: datetime | None = None,
    **overrides: Any,
):
    """Publish (or schedule) a valid works tender notice."""
    kwargs: dict[str, Any] = {
        "actor": actor or Actor.system("test"),
        "owner": owner,
        "notice_type": "tender_notice",
        "category": "works",
        "region_code": "310112",
        "title": "闵行区七宝镇道路大修工程施工招标公告",
        "body_html": BODY,
        "fields": dict(TENDER_FIELDS),
        "publisher_entity_id": AGENCY_ENTITY,
        "publish_at": publish_at,
    }
    kwargs.update(overrides)
    return actions.do_publish_notice(**kwargs)


def draft(actor: Actor | None = None, **overrides: Any):
    kwargs: dict[str, Any] = {
        "actor": actor or Actor.system("test"),
        "owner": "tender.section:34",
        "notice_type": "tender_notice",
        "category": "works",
        "region_code": "310112",
        "title": "闵行区七宝镇道路大修工程施工招标公告（草稿）",
        "body_html": BODY,
        "fields": dict(TENDER_FIELDS),
        "publisher_entity_id": AGENCY_ENTITY,
    }
    kwargs.update(overrides)
    return actions.do_create_notice_draft(**kwargs)


def run_clock(moment: datetime | None = None) -> tuple[int, int]:
    """Run the notices' due jobs once: (published, messages sent)."""
    moment = moment or now()
    return jobs.publish_due(moment), jobs.match_subscriptions(moment)
