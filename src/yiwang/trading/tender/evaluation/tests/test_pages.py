"""The workbench pages: staff run the day, members fill the checklist and score forms, the chair closes stages,
members sign the report, the PDF is served; outsiders see nothing."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from yiwang.trading.tender.evaluation import actions
from yiwang.trading.tender.evaluation.tests import support

pytestmark = pytest.mark.django_db


def _as(client: Client, account) -> Client:
    client.force_login(account)
    return client


def test_a_whole_evaluation_through_the_pages(world, clock, client: Client):
    ev = support.start(
        world,
        prices=[400_000_00, 410_000_00, 420_000_00],
        config=support.comprehensive_config(requirements=[], abnormally_low=None),
    )
    staff = _as(client, world.staff_account)
    page = staff.get(f"/evaluation/{ev.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "现场组织" in text
    assert text.count('data-testid="seat"') == 5
    assert "开始评标" in text
    assert "本辖区的评标" in staff.get("/evaluation/").content.decode()

    clock.set(ev.meeting_start)
    r = staff.post(f"/evaluation/{ev.pk}/convene/", follow=True)
    assert "尚未全部到场签到" in r.content.decode()
    for seat in support.seats(ev):
        assert staff.post(f"/evaluation/{ev.pk}/check-in/", {"seat_id": seat.id}).status_code == 302
    r = staff.post(f"/evaluation/{ev.pk}/convene/", follow=True)
    assert "评标开始" in r.content.decode()
    ev.refresh_from_db()
    assert ev.status == "compliance"
    first = ev.members.get(ordinal=1)
    staff.post(f"/evaluation/{ev.pk}/chair/", {"member_id": first.pk})
    ev.refresh_from_db()
    assert ev.chair_member_id == first.pk

    people = support.member_people(world, ev)
    checks = [c.code for c in actions.checks_for(ev, "compliance")]
    bids = list(ev.bids.order_by("seq"))
    for m, person in people:
        c = Client()
        c.force_login(person.account)
        assert "我的评标任务" in c.get("/evaluation/").content.decode()
        form = c.get(f"/evaluation/{ev.pk}/review/compliance/")
        assert form.status_code == 200
        assert form.content.decode().count('data-testid="review-bid"') == 3
        data = {f"f-{b.pk}-{code}": "ok" for b in bids for code in checks}
        if m.ordinal == 2:
            bad = dict(data, **{f"f-{bids[0].pk}-non_responsive": "fail"})
            r = c.post(f"/evaluation/{ev.pk}/review/compliance/", {**bad, "submit": "1"})
            assert r.status_code == 422
            assert "判定“不符合”须写明理由" in r.content.decode()
        r = c.post(f"/evaluation/{ev.pk}/review/compliance/", {**data, "submit": "1"})
        assert r.status_code == 302
    chair = Client()
    chair.force_login(people[0][1].account)
    detail = chair.get(f"/evaluation/{ev.pk}/").content.decode()
    assert "主任工作区" in detail
    assert 'data-testid="close-stage"' in detail
    chair.post(f"/evaluation/{ev.pk}/stages/compliance/close/")
    r = chair.post(
        f"/evaluation/{ev.pk}/bids/{bids[2].pk}/price/",
        {"change": "correction", "amount": "4150000.00", "reason": "算术修正"},
        follow=True,
    )
    assert "价格已记录" in r.content.decode()
    chair.post(f"/evaluation/{ev.pk}/stages/pricing/close/")
    ev.refresh_from_db()
    assert ev.status == "scoring"
    assert ev.bids.get(pk=bids[2].pk).offered_price_fen == 415_000_000

    for _, person in people:
        c = Client()
        c.force_login(person.account)
        form = c.get(f"/evaluation/{ev.pk}/scoring/")
        assert form.status_code == 200
        assert "价格分（40 分）由系统按评标办法的公式计算" in form.content.decode()
        data = {
            f"s-{b.pk}-{code}": v
            for b in bids
            for code, v in (("tech_plan", "22"), ("quality", "15"), ("credit", "7.5"))
        }
        r = c.post(f"/evaluation/{ev.pk}/scoring/", {**data, f"s-{bids[0].pk}-tech_plan": "35", "submit": "1"})
        assert r.status_code == 422
        assert "分值须在 0 到 30 之间" in r.content.decode()
        assert c.post(f"/evaluation/{ev.pk}/scoring/", {**data, "submit": "1"}).status_code == 302
    chair.post(f"/evaluation/{ev.pk}/stages/scoring/close/")
    ev.refresh_from_db()
    assert ev.status == "signing"

    for _, person in people:
        c = Client()
        c.force_login(person.account)
        page = c.get(f"/evaluation/{ev.pk}/report/").content.decode()
        assert 'data-testid="sign-form"' in page
        message = support.signing_message(ev)
        assert message.decode() in page
        r = c.post(
            f"/evaluation/{ev.pk}/report/",
            {
                "certificate": person.issued.pem,
                "signature": base64.b64encode(person.sign(message)).decode(),
                "dissent": "",
            },
        )
        assert r.status_code == 302, r.content.decode()[:500]
    r = chair.post(f"/evaluation/{ev.pk}/finalise/", follow=True)
    assert "评标报告已确认" in r.content.decode()
    pdf = chair.get(f"/evaluation/{ev.pk}/report.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    report = chair.get(f"/evaluation/{ev.pk}/report/").content.decode()
    assert report.count('data-testid="candidate"') == 3


def test_outsiders_see_nothing_and_forms_are_for_members(world, clock, client: Client):
    ev = support.start(world)
    outsider = support.make_account("ev-x", "路人")
    client.force_login(outsider)
    assert client.get(f"/evaluation/{ev.pk}/").status_code == 404
    assert client.get(f"/evaluation/{ev.pk}/review/compliance/").status_code == 404
    r = client.post(f"/evaluation/{ev.pk}/convene/", follow=True)
    assert "无权" in r.content.decode()
    anonymous = Client()
    assert anonymous.get(f"/evaluation/{ev.pk}/").status_code == 302


def test_the_clarification_pages_of_the_chair_and_the_bidder(world, clock, client: Client):
    ev = support.start(
        world,
        prices=[400_000_000, 420_000_000, 410_000_000, 200_000_000],
        config=support.comprehensive_config(requirements=[]),
    )
    ev = support.convene(world, ev, clock)
    support.review_all(world, ev, "compliance")
    chair = support.chair_of(world, ev)
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="pricing")
    low = ev.bids.get(seq=4)
    client.force_login(chair.account)
    page = client.get(f"/evaluation/{ev.pk}/").content.decode()
    assert 'data-testid="clarification"' in page
    assert "要求澄清" in page
    r = client.post(
        f"/evaluation/{ev.pk}/bids/{low.pk}/clarification/",
        {
            "question": "请说明报价构成",
            "respond_by": (clock.now() + support.timedelta(hours=1))
            .astimezone(support.SHANGHAI)
            .strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    assert "已要求投标人澄清" in r.content.decode()
    bidder = Client()
    bidder.force_login(world.bidder_accounts[low.entity_id])
    page = bidder.get(f"/evaluation/{ev.pk}/").content.decode()
    assert 'data-testid="my-clarification"' in page
    assert "请说明报价构成" in page
    assert "投标与评审结果" not in page  # a bidder sees its request, not the evaluation
    r = bidder.post(
        f"/evaluation/{ev.pk}/bids/{low.pk}/clarification/answer/",
        {"answer": "以自有设备施工，详见成本分析。"},
        follow=True,
    )
    assert "书面说明已提交" in r.content.decode()
    assert "评标委员会的澄清要求" in bidder.get("/evaluation/").content.decode()
    r = client.post(
        f"/evaluation/{ev.pk}/bids/{low.pk}/clarification/decision/", {"accept": "1", "reason": "说明合理"}, follow=True
    )
    assert "已作出认定" in r.content.decode()
    # time too short, from the member panel
    r = client.post(f"/evaluation/{ev.pk}/time-short/", {"reason": "文件多"}, follow=True)
    assert "已记录" in r.content.decode()
