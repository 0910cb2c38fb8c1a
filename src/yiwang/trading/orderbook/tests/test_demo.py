"""The demonstration runs days on the clock's session job and reconciles to zero difference."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from yiwang.trading.orderbook.models import Repo, TradingDay

pytestmark = pytest.mark.django_db


def test_demo_carbon_runs_days_and_reconciles(clock):
    out = StringIO()
    call_command("demo_carbon", "--days", "2", stdout=out)
    text = out.getvalue()
    assert "收盘" in text
    assert "上海碳价指数" in text
    assert "差额为零" in text
    days = list(TradingDay.objects.order_by("day"))
    assert len(days) == 2
    assert all(d.status == "closed" and d.reconciliation["ok"] for d in days)
    assert days[0].volume_t["block"] == 120_000
    assert Repo.objects.get().status == "closed"
    # run again: it continues on the following trading days with the same market and accounts
    call_command("demo_carbon", "--days", "1", stdout=StringIO())
    assert TradingDay.objects.count() == 3
