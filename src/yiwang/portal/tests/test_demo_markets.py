"""``yiwang demo-markets`` after ``seed-demo``: one trade on every market, once per data directory."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from yiwang.kernel.actors import Actor
from yiwang.supervision.redflags import queries as redflags
from yiwang.trading.auction import queries as auction
from yiwang.trading.orderbook import queries as carbon
from yiwang.trading.tender import queries as tender

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def contracts() -> int:
    visitor = Actor.anonymous()
    return sum(
        1
        for summary in tender.list_projects_for(visitor)
        for view in tender.get_project_for(visitor, summary.project.pk).sections
        if tender.get_section_for(visitor, view.section.pk).contract is not None
    )


def test_every_market_trades_once_then_the_command_does_nothing(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_markets", stdout=out)
    text = out.getvalue()
    for label in (
        "招标投标与政府采购 演示完成",
        "碳排放权交易 演示完成",
        "网络竞价 演示完成",
        "串通投标预警（闵行） 演示完成",
    ):
        assert label in text
    assert contracts() == 2  # the works tender and the procurement reached their contracts
    days = [d for market in carbon.list_markets() for d in carbon.trading_days(market.code)]
    assert [d.status for d in days] == ["closed", "closed"]
    lots = auction.list_lots_for(Actor.anonymous())
    assert len(lots) == 2
    assert {lot.phase for lot in lots} == {"closed"}
    alerts = redflags.list_alerts_for(Actor.system("test"), region="310112").rows
    # the seeded collusion, on a real section, explained by the bid box's and finance's records
    assert [a.subject_id.startswith("tender.section:") for a in alerts] == [True]
    assert {"CN-40-1", "CN-40-6", "CN-40-4P"} <= set(alerts[0].codes)
    again = io.StringIO()
    call_command("demo_markets", stdout=again)
    assert "已生成" in again.getvalue()
    assert contracts() == 2


def test_a_failing_market_is_named_and_the_others_still_run(tmp_path, settings):
    settings.DATA_DIR = tmp_path  # no seed: the tender demo refuses to start
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("demo_markets", stdout=io.StringIO(), stderr=err)
    assert "招标投标与政府采购" in str(caught.value)
    assert not (tmp_path / "demo-markets.done").exists()
