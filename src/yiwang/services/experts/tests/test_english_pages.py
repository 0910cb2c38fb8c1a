"""English for the experts pages (issue 11): under the switch an expert's own tasks (confirm or decline), the
pool pages staff use (overview, search, an expert's record, enrolment) and a draw (the request form, the sealed
result with its reserves, the list) read in English: headings, labels, buttons, table heads, states and kinds.
What people entered or the catalogues hold stays as written and is named in each test: names, titles, employers,
venues, project titles, specialty and region names, the in-site messages already sent. Without the switch the
same pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.catalog import queries as catalog
from yiwang.platform.notify import queries as inbox
from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.services.experts import actions, queries
from yiwang.services.experts.models import Seat
from yiwang.services.experts.tests import support

pytestmark = pytest.mark.django_db


def _get(client, test_actors, actor, url: str) -> str:
    key = f"en-{actor.ref}"
    test_actors[key] = actor
    response = client.get(url, headers={"X-Test-Actor": key})
    assert response.status_code == 200, url
    return response.content.decode()


def _catalogue_data() -> list[str]:
    """Specialty and region names shown in the pages' select boxes and tables (catalogue data), and the
    ideographic space that indents them by level."""
    names = ["\u3000", *(label for _, label in queries.specialty_choices())]
    names += [s.name for s in queries.list_specialties()]
    for province in catalog.list_regions():
        names.append(province.name)
        names += [c.name for c in catalog.list_regions(parent=province.code)]
    return names


@pytest.fixture
def drawn(test_actors, clock):
    """Seven experts (one of them with an account), a sealed draw of five members and two reserves."""
    experts = [support.enrol(account_id=7000 + i, employer_name="上海某设计院") for i in range(7)]
    draw = actions.do_request_draw(actor=support.staff(), data=support.request())
    return experts, draw


def test_an_experts_tasks_in_english(client, test_actors, drawn):
    _, draw = drawn
    seat = Seat.objects.filter(draw=draw, role="member").select_related("expert").first()
    me = support.expert_actor(seat.expert.account_id, label="王专家")
    chinese = _get(client, test_actors, me, "/experts/tasks/")
    assert "我的评审任务" in chinese
    assert "确认参加" in chinese
    assert "已通知待确认" in chinese
    use_english(client)
    html = _get(client, test_actors, me, "/experts/tasks/")
    for english in ("My evaluation tasks", "Confirm", "Decline", "Reason for declining", "notified, to confirm"):
        assert english in html, english
    assert "Please answer by" in html
    sent = inbox.list_messages_for(me, size=20).items
    data = [m.title for m in sent] + [m.body_text for m in sent]
    data += ["王专家", "评标室 3", "中文", *_catalogue_data()]
    assert chinese_left(html, *data) == []
    # a refusal (declining without a reason) reads in English too, with its code
    refused = client.post(
        f"/experts/tasks/{seat.pk}/answer/", {"accept": "0", "reason": ""}, headers={"X-Test-Actor": f"en-{me.ref}"}
    )
    html = client.get(refused["Location"], headers={"X-Test-Actor": f"en-{me.ref}"}).content.decode()
    assert "alert-danger" in html
    assert chinese_left(html, *data) == []


def test_the_pool_pages_in_english(client, test_actors, drawn):
    experts, _ = drawn
    staff = support.staff()
    expert = experts[0]
    actions.do_declare_tie(
        actor=staff,
        expert_id=expert.pk,
        data={"kind": "former_employer", "entity_id": support.make_firm("上海某施工公司"), "name": "上海某施工公司"},
    )
    chinese = _get(client, test_actors, staff, f"/experts/pool/{expert.pk}/")
    assert "基本信息" in chinese
    assert "暂停 · 恢复 · 出库" in chinese
    use_english(client)
    data = [e.name for e in experts] + ["高级工程师", "上海某设计院", "上海某施工公司", "交易中心200", "中文"]
    data += [
        "测试道路改造工程施工",
        "退休",
    ]  # the project of the record; the value a retired expert types as employer, quoted by the help text
    data += _catalogue_data()
    pages = {
        "/experts/": ("Unified evaluation expert pool", "Active experts in the pool:", "Specialty classification"),
        "/experts/pool/": ("Expert pool", "Enrol an expert", "Name or employer", "All specialties", "Experts found: 7"),
        f"/experts/pool/{expert.pk}/": (
            "Status history",
            "Suspend · reinstate · retire",
            "Former employee of the firm",
            "Dates I cannot evaluate",
            "Professional title",
        ),
        "/experts/pool/new/": ("Enrol an expert", "ID card number", "Evaluation expert (works)", "Notify by"),
    }
    for url, englishes in pages.items():
        html = _get(client, test_actors, staff, url)
        for english in englishes:
            assert english in html, (url, english)
        stored_reasons = [h.reason for h in queries.get_expert_for(staff, expert.pk).history]
        assert chinese_left(html, *data, *stored_reasons) == [], url


def test_a_draw_in_english(client, test_actors, drawn):
    experts, draw = drawn
    staff = support.staff()
    chinese = _get(client, test_actors, staff, f"/experts/draws/{draw.pk}/")
    assert "密封中" in chinese
    assert "抽取名单" in chinese
    use_english(client)
    data = [e.name for e in experts] + ["测试道路改造工程施工", "评标室 3", "上海某设计院", "交易中心200", "中文"]
    data += _catalogue_data()
    pages = {
        f"/experts/draws/{draw.pk}/": ("Draw result", "Sealed", "Experts drawn", "Reserve", "Check the draw", "Unseal"),
        "/experts/draws/": ("Expert draws", "Request a draw", "Awaiting confirmations", "sealed"),
        "/experts/draws/new/": ("Request a draw of committee experts", "Specialty 1", "Avoided firms", "Reasons: "),
    }
    for url, englishes in pages.items():
        html = _get(client, test_actors, staff, url)
        for english in englishes:
            assert english in html, (url, english)
        assert chinese_left(html, *data) == [], url
    key = f"en-{staff.ref}"
    replay = client.get(f"/experts/draws/{draw.pk}/replay/", headers={"X-Test-Actor": key, "HX-Request": "true"})
    assert "Checked: it matches" in replay.content.decode()
    assert chinese_left(replay.content.decode()) == []
