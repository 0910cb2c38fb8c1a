"""CN-40-4D (near-identical bid documents) on the platform's own bids: three bidders seal JSON bids through the
tender's bid box, two of them with the same technical text; after the opening the snapshot carries every bid's
text and the screen names the pair — and nobody but supervision reads the texts, nothing before the opening."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yiwang.kernel.actors import Actor
from yiwang.supervision.redflags import actions, queries, snapshots
from yiwang.supervision.redflags.tests.support import bidder, regulator, staff

pytestmark = pytest.mark.django_db
SH = regulator("310000")
SHARED = (
    "第一章 施工组织设计。本工程采用分段流水施工，基坑支护采用钻孔灌注桩加内支撑，土方开挖分层分段对称进行，"
    "每层开挖深度不超过两米，随挖随撑；主体结构采用商品混凝土泵送浇筑，模板采用覆膜多层板，"
    "钢筋在加工棚集中制作；雨季施工设置截水沟和集水井，配备两台抽水泵，确保基坑内无积水。"
    "质量目标为一次验收合格，安全目标为零死亡事故，文明施工目标为市级标准化工地。"
) * 3
OWN = (
    "施工方案：采用装配式钢结构体系，构件工厂预制、现场吊装，塔吊两台覆盖全部作业面；"
    "冬季施工采取蓄热法养护，混凝土掺加防冻剂；项目部设质量、安全、技术三个专职岗位，"
    "每周召开协调会，关键工序实行样板引路制度，隐蔽工程经监理验收后方可覆盖。"
) * 3


@pytest.fixture(autouse=True)
def _tender_settings(settings, tmp_path: Path) -> None:
    from yiwang.trading.tender.tests import support as tender_support

    tender_support.use_tender_settings(settings, tmp_path / "blobs", gateway="recorded")


def test_near_identical_bids_are_flagged_from_the_platforms_own_bid_texts(clock, system, monkeypatch):
    from yiwang.trading.tender import queries as tender
    from yiwang.trading.tender.tests import support

    world = support.make_world(system)
    texts = {world.a.uscc: SHARED, world.b.uscc: SHARED, world.c.uscc: OWN}
    plain = support.make_bid_document

    def with_text(**kw) -> bytes:
        document = json.loads(plain(**kw))
        document["technical"] = texts[kw["bidder_uscc"]]
        return json.dumps(document, ensure_ascii=False).encode("utf-8")

    monkeypatch.setattr(support, "make_bid_document", with_text)
    _, section = support.ready_project(world)
    prices = {world.a: 4_800_000_00, world.b: 4_810_000_00, world.c: 4_900_000_00}
    submissions = support.to_opening(world, clock, section, prices)
    reader = Actor.system("redflags")
    assert tender.list_bid_texts_for(reader) == []  # the opening has not closed: no plaintext anywhere

    for party, submission in submissions.items():
        support.decrypt(party, submission)
    support.actions.do_close_opening(actor=world.staff_actor, section_id=section.pk)

    got = {b.entity_id: b for b in tender.list_bid_texts_for(reader)}
    assert set(got) == {world.a.entity_id, world.b.entity_id, world.c.entity_id}
    assert all(b.ref == f"tender.section:{section.pk}" for b in got.values())
    assert SHARED[:40] in got[world.a.entity_id].text
    assert OWN[:40] in got[world.c.entity_id].text
    for who in (staff("310112"), bidder(world.a.entity_id), world.agency.actor, Actor.anonymous()):
        assert tender.list_bid_texts_for(who) == []

    snap = snapshots.build_platform_snapshot("310000")
    documents = snap.frames["documents"]
    assert documents.height == 3
    assert any(n.startswith("投标文件文本：3 份可比对") for n in snap.notes)

    run = actions.do_run_platform(actor=SH, region_code="310000", codes=["CN-40-4D"])
    _, rows = queries.list_run_findings_for(SH, run.pk, code="CN-40-4D", limit=100)
    pair = "|".join(sorted([str(world.a.entity_id), str(world.b.entity_id)]))
    assert {(f.unit, f.unit_id) for f in rows} == {("bidder_pair", pair), ("process", f"tender.section:{section.pk}")}
    (evidence,) = [f.evidence for f in rows if f.unit == "process"]
    assert evidence["pairs"][0]["jaccard"] == 1.0  # the shared technical text; c's own text is not near either
