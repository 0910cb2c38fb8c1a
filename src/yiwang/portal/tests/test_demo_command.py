"""``yiwang demo NAME``: one market's demonstration by name, its own arguments passed through."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from yiwang.portal.management.commands import demo


def test_an_unknown_demo_is_refused_with_the_names_that_exist():
    with pytest.raises(CommandError, match="auction"):
        call_command("demo", "nope")


def test_the_name_picks_the_command_and_the_rest_is_passed_through(monkeypatch):
    calls = []
    monkeypatch.setattr(demo, "call_command", lambda *args, **kwargs: calls.append(args))
    demo.Command().run_from_argv(["yiwang", "demo", "carbon", "--days", "3"])
    demo.Command().run_from_argv(["yiwang", "demo", "redflags"])
    assert calls == [("demo_carbon", "--days", "3"), ("redflags", "demo")]


@pytest.mark.django_db(transaction=True)
def test_demo_auction_runs_the_judicial_auction_and_the_land_listing(capsys):
    call_command("demo", "auction")
    out = capsys.readouterr().out
    assert "延时" in out or "倒计时" in out
    assert out.count("指令日志重放：一致") == 2
