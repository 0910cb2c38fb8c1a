"""``yiwang demo_auction`` on the test database: both lots end as the rules say and replay to their state."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from yiwang.trading.auction import demo, queries

pytestmark = pytest.mark.django_db


def test_demo_runs_a_soft_close_auction_and_a_land_countdown(clock):
    lines: list[str] = []
    judicial, land = demo.run(out=lines.append)
    text = "\n".join(lines)
    assert judicial.outcome == "sold"
    assert judicial.ext_count == 6
    assert judicial.result_notice_id
    assert "auction.closed" in text
    assert land.outcome == "sold"
    assert land.deal_price_fen == 56_000_000_00
    assert all(queries.check_lot_for(demo.STAFF, lot.pk).ok for lot in (judicial, land))
    call_command("demo_auction", stdout=type("Sink", (), {"write": lambda self, s: None})())  # runs again
