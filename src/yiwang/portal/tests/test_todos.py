"""待办 on the workbench: each person sees the work the contexts hold for them, and nobody else's."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from yiwang.identity.actions import do_create_account, do_grant_role
from yiwang.kernel.actors import Actor, Role
from yiwang.supervision.complaints import actions as complaints
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tender_settings(settings, tmp_path: Path) -> None:
    from yiwang.trading.tender.tests import support as tender_support

    tender_support.use_tender_settings(settings, tmp_path / "blobs", gateway="recorded")


def three_bids(world) -> dict:
    return {world.a: 4_800_000_00, world.b: 4_900_000_00, world.c: 4_950_000_00}


def todos_of(client, account, role: str) -> str:
    client.force_login(account)
    text = client.get("/workbench/").content.decode()
    start = text.index(f'data-testid="todos-{role}"')
    return text[start : text.index("</ul>", start)]


def test_bidders_are_asked_to_decrypt_at_the_opening_and_staff_see_it_running(client, clock, system):
    world = support.make_world(system)
    _, section = support.ready_project(world)
    support.to_opening(world, clock, section, three_bids(world))

    mine = todos_of(client, world.a.account, "market_entity_user")
    assert "开标中，请解密" in mine
    assert "/bidbox/" in mine
    staff = todos_of(client, world.staff, "staff")
    assert "开标进行中" in staff
    assert f"/tender/sections/{section.pk}/hall/" in staff
    # the tenderer has no bid to decrypt
    assert "请解密" not in todos_of(client, world.tenderer.account, "market_entity_user")


def test_after_the_opening_the_bidders_item_is_gone(client, clock, system):
    world = support.make_world(system)
    _, section = support.ready_project(world)
    support.open_and_hand_over(world, clock, section, three_bids(world))
    assert "请解密" not in todos_of(client, world.a.account, "market_entity_user")


def test_regulators_see_complaints_to_accept_and_alerts_to_assign_in_their_region_only(client, clock, system):
    call_command("redflags", "demo")  # a collusion alert on a section in 闵行 (310112)
    bidder = support.make_party("td-bidder", support.PUJIANG, ["bidder"], None)
    complaints.do_file_complaint(
        actor=bidder.actor,
        data={
            "track": "works",
            "matter": "process",
            "complainant_entity_id": bidder.entity_id,
            "respondent": "上海某招标代理有限公司",
            "procedure_ref": "tender.section:12",
            "procedure_title": "闵行区某道路改建工程施工",
            "region_code": "310112",
            "facts": "招标代理机构在开标后泄露投标人名单。",
            "claims": "责令改正并依法处理。",
            "anchor_on": "2026-02-27",
        },
    )
    minhang = do_create_account(actor=system, username="td-mh", display_name="闵行监管", password="x-Passw0rd!")
    do_grant_role(actor=system, role=Role.REGULATOR, account=minhang, region="310112")
    xuhui = do_create_account(actor=system, username="td-xh", display_name="徐汇监管", password="x-Passw0rd!")
    do_grant_role(actor=system, role=Role.REGULATOR, account=xuhui, region="310104")

    seen = todos_of(client, minhang, "regulator")
    assert "投诉待受理（招标投标）：闵行区某道路改建工程施工" in seen
    assert "/complaints/" in seen
    assert "截止" in seen
    assert "预警待分派" in seen
    assert "/supervision/redflags/" in seen
    other = todos_of(client, xuhui, "regulator")
    assert "投诉" not in other
    assert "预警" not in other


def test_the_market_entity_items_appear_once_for_a_person_with_two_entity_roles(client, clock, system):
    world = support.make_world(system)
    _, section = support.ready_project(world)
    support.to_opening(world, clock, section, three_bids(world))
    account = world.a.account
    do_grant_role(actor=system, role=Role.AGENCY, account=account, entity_id=world.agency.entity_id, admin=False)
    client.force_login(account)
    text = client.get("/workbench/").content.decode()
    assert text.count("开标中，请解密") == 1


def test_an_expert_is_asked_to_review_score_and_sign_while_the_evaluation_is_under_way(monkeypatch):
    from yiwang.portal import todos

    class Item:
        def __init__(self, status: str):
            self.id, self.title, self.status = 7, "某道路工程", status

    tasks = [Item("forming"), Item("scoring"), Item("final"), Item("signing"), Item("cancelled")]
    monkeypatch.setattr(todos.evaluation, "list_my_tasks", lambda actor: tasks)
    got = [(t.label, t.url) for t in todos.expert(Actor.system("test"))]
    assert got == [("评标待打分：某道路工程", "/evaluation/7/"), ("评标待签署评标报告：某道路工程", "/evaluation/7/")]
