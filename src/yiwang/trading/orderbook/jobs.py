"""The clock's work for the carbon market: sessions and repos.

``orderbook.sessions`` (every second) brings every market to the phase the time says, idempotently: on a
trading day it opens the day at the first session's start (and settles the repos due), halts between the
sessions, opens again, and closes the day at the last session's end. A day left open when the clock was
down is closed first. Each step is an ordinary action (witnessed, journalled); a refusal is logged, never
raised, so one market cannot stop the others.
"""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.trading.orderbook import conf
from yiwang.trading.orderbook.models import Market
from yiwang.trading.orderbook.streams import SHANGHAI

log = logging.getLogger(__name__)
CLOCK = Actor.system("clock")


def desired_phase(moment: datetime) -> str | None:
    """``open`` in a session, ``halted`` between sessions, ``closed`` after the last, None before the first."""
    t = moment.astimezone(SHANGHAI).time()
    windows = conf.sessions()
    if t < windows[0][0]:
        return None
    if t >= windows[-1][1]:
        return "closed"
    return "open" if any(a <= t < b for a, b in windows) else "halted"


def run_sessions(now: datetime) -> int:
    from yiwang.trading.orderbook import actions, queries

    done = 0
    today = now.astimezone(SHANGHAI).date()
    trading_day = catalog.workday_calendar().is_workday(today)
    wanted = desired_phase(now) if trading_day else None
    for market in Market.objects.order_by("code"):
        try:
            if market.phase != "closed" and market.current_day and market.current_day < today:
                actions.do_close_trading_day(actor=CLOCK, market_code=market.code)
                market.refresh_from_db()
                done += 1
            if wanted is None:
                continue
            if wanted == "closed":
                if market.current_day == today and market.phase != "closed":
                    actions.do_close_trading_day(actor=CLOCK, market_code=market.code)
                    done += 1
                continue
            if market.current_day != today:
                actions.do_open_trading_day(actor=CLOCK, market_code=market.code, day=today)
                market.refresh_from_db()
                done += 1
                for repo in queries.due_repos(today):
                    if repo.market_id == market.pk:
                        actions.do_settle_repo(actor=CLOCK, market_code=market.code, repo_id=repo.rid)
                        done += 1
            if market.phase != wanted:
                actions.do_set_phase(actor=CLOCK, market_code=market.code, phase=wanted)
                done += 1
        except YiwangError as exc:  # one market's refusal must not stop the others
            log.warning("orderbook session step for %s refused: %s", market.code, exc.code)
    return done


def register_live_policies() -> None:
    """Who may watch a participant's private channel (``orderbook.participant:<code>.<entity>``)."""
    from django.apps import apps

    if not apps.is_installed("yiwang.platform.live"):
        return
    from yiwang.platform.live.links import register_channel_policy
    from yiwang.trading.orderbook.queries import may_see_participant

    def may_watch(actor: Actor, channel: str) -> bool:
        key = channel.split(":", 1)[1]
        _, _, entity = key.rpartition(".")
        return entity.isdigit() and may_see_participant(actor, int(entity))

    register_channel_policy("orderbook.participant", may_watch)
