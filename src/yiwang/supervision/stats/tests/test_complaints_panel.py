"""The complaints panel of 一屏管交易: open complaints of the regulator's scope by state and overdue, the ones
whose legal time limit ends soonest with their days left, each linking to the complaint; the htmx fragment is
scoped like the alert list. Also: the alert feed goes live with the default live settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.ids import make_uscc
from yiwang.registry import actions as registry
from yiwang.supervision.complaints import actions as complaints
from yiwang.supervision.complaints import queries as complaint_queries

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def _company(orgcode: str, name: str) -> int:
    entity = registry.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": make_uscc("9", "1", "310112", orgcode),
            "name": name,
            "legal_rep_name": "李明",
            "legal_rep_id_number": "310117198001011230",
            "region_code": "310112",
            "address": "上海市闵行区沪闵路 2 号",
            "contact_name": "李明",
            "contact_phone": "13800000002",
            "registered_capital_fen": 100_000_000,
            "established_on": "2003-05-06",
            "enterprise_nature": "1",
            "business_scope": "建筑工程施工。",
            "roles": ["bidder"],
        },
    )
    return entity.pk


def _file(entity_id: int, title: str, region: str) -> int:
    user = Actor(ActorKind.ACCOUNT, "601", "主体用户", (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id),))
    c = complaints.do_file_complaint(
        actor=user,
        data={
            "track": "works",
            "matter": "process",
            "complainant_entity_id": entity_id,
            "respondent": "上海某招标代理有限公司",
            "procedure_ref": f"tender.section:{title}",
            "procedure_title": title,
            "region_code": region,
            "facts": "招标代理机构在开标后泄露投标人名单。",
            "claims": "责令改正并依法处理。",
            "anchor_on": "2026-02-27",
        },
    )
    return c.pk


@pytest.fixture
def filed(people, clock) -> dict[str, int]:
    entity = _company("MA0PANL1", "上海申城建设有限公司")
    ids = {
        "soon": _file(entity, "闵行某道路工程施工", "310112"),
        "accepted": _file(entity, "闵行某学校改建工程", "310112"),
        "xuhui": _file(entity, "徐汇某绿化工程", "310104"),
    }
    complaints.do_act_on_complaint(actor=people["mh"], complaint_id=ids["accepted"], verb="accept")
    return ids


def test_the_board_counts_by_state_and_orders_by_the_nearest_limit(people, clock, filed):
    board = complaint_queries.complaint_board_for(people["mh"])
    assert (board.awaiting_acceptance, board.in_handling, board.overdue) == (1, 1, 0)
    assert [c.id for c in board.soonest] == [filed["soon"], filed["accepted"]]  # 徐汇 is not his
    soon, accepted = board.soonest
    assert soon.limit_kind == "acceptance"
    assert soon.due == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)  # 3 working days, ends at 03-05 24:00 Shanghai
    assert (str(soon.last_day), soon.days_left, soon.overdue) == ("2026-03-05", 3, False)
    assert accepted.limit_kind == "decision"
    assert accepted.days_left > soon.days_left

    city = complaint_queries.complaint_board_for(people["city"], region="310104")
    assert [c.id for c in city.soonest] == [filed["xuhui"]]
    assert complaint_queries.complaint_board_for(people["xh"]).open_total == 1
    assert complaint_queries.complaint_board_for(people["staff"]).open_total == 0  # not a reader

    clock.set(datetime(2026, 3, 6, 1, 0, tzinfo=UTC))  # 03-06 09:00: the acceptance limit has passed
    board = complaint_queries.complaint_board_for(people["mh"])
    assert board.overdue == 1
    assert (board.soonest[0].overdue, board.soonest[0].days_left, board.soonest[0].days_overdue) == (True, -1, 1)

    complaints.do_act_on_complaint(
        actor=people["mh"], complaint_id=filed["accepted"], verb="decide", outcome="upheld", reason="投诉成立。"
    )
    board = complaint_queries.complaint_board_for(people["mh"])
    assert (board.awaiting_acceptance, board.in_handling) == (1, 0)


def test_the_dashboard_shows_the_panel_and_links_to_each_complaint(client, people, clock, filed):
    html = client.get("/supervision/", headers={"X-Test-Actor": "mh"}).content.decode()
    assert "投诉处理" in html
    assert 'data-testid="complaints-filed">1<' in html
    assert 'data-testid="complaints-handling">1<' in html
    assert f'href="/complaints/{filed["soon"]}/"' in html
    assert "受理期限 03-05 · 剩 3 天" in html
    assert "徐汇某绿化工程" not in html
    assert 'hx-get="/supervision/complaints/"' in html

    fragment = client.get("/supervision/complaints/", headers={"X-Test-Actor": "mh"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert f'href="/complaints/{filed["accepted"]}/"' in fragment.content.decode()
    city = client.get("/supervision/complaints/?region=310104", headers={"X-Test-Actor": "city"}).content.decode()
    assert "徐汇某绿化工程" in city
    assert "闵行某道路工程施工" not in city
    assert "徐汇某绿化工程" in client.get("/supervision/", headers={"X-Test-Actor": "audit"}).content.decode()

    clock.set(datetime(2026, 3, 6, 1, 0, tzinfo=UTC))
    late = client.get("/supervision/complaints/", headers={"X-Test-Actor": "mh"}).content.decode()
    assert "已逾期 1 天" in late
    assert 'data-testid="complaints-overdue">1<' in late


def test_the_fragment_is_refused_outside_the_readers_and_their_regions(client, people, clock, filed):
    assert client.get("/supervision/complaints/?region=310104", headers={"X-Test-Actor": "mh"}).status_code == 403
    assert client.get("/supervision/complaints/?region=31x", headers={"X-Test-Actor": "mh"}).status_code == 404
    assert client.get("/supervision/alerts/?region=31x", headers={"X-Test-Actor": "mh"}).status_code == 404
    for who in ("staff", "bidder"):
        assert client.get("/supervision/complaints/", headers={"X-Test-Actor": who}).status_code == 403
    assert client.get("/supervision/complaints/").status_code == 302  # to the sign-in page


def test_an_empty_board_says_so(client, people, clock):
    html = client.get("/supervision/complaints/", headers={"X-Test-Actor": "mh"}).content.decode()
    assert "没有待办的投诉" in html


def test_the_alert_feed_goes_live_with_the_default_live_settings(client, people, clock, settings):
    from yiwang.platform.live import config as live_config

    if hasattr(settings, "YIWANG_LIVE"):
        del settings.YIWANG_LIVE
    live_config.reset()
    try:
        html = client.get("/supervision/", headers={"X-Test-Actor": "mh"}).content.decode()
        assert "/live/redflags.region:310112?token=v1." in html  # the kind is declared by default: no polling
        assert 'id="live-badge"' in html
    finally:
        live_config.reset()
