"""Pages of the carbon market: the market list with the carbon price index, a market page (5 levels of depth,
listings to take, last trades, a chart; pushed live) with order entry, and a participant's account page
(holdings, orders, trades, block proposals, repos)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, pgettext

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import InvalidInput, NotFound, PermissionDenied, YiwangError
from yiwang.platform.web.forms import error_text
from yiwang.trading.orderbook import actions, live, queries
from yiwang.trading.orderbook.domain import engines
from yiwang.trading.orderbook.domain.settlement import BUCKET_LABELS_ZH
from yiwang.trading.orderbook.models import Market, Order, Trade

ORDER_TYPE_LABELS = dict(Order.TYPES)
STATUS_LABELS = dict(Order.STATUSES)
KIND_LABELS = dict(Trade.KINDS)
PHASE_LABELS = dict(Market.PHASES)
MODE_LABELS = dict(Market.MODES)


def yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def parse_yuan(text: str, field: str = "price_fen") -> int:
    """``"60.01"`` → 6001 fen; refuses anything that is not a positive amount with at most 2 decimals."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        value = Decimal(-1)
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            "orderbook.price_invalid",
            "价格应为正数，最多两位小数（元）",
            "A price is a positive amount with at most 2 decimals",
            {"field": field},
        )
    return int(value * 100)


def parse_int(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except (ValueError, AttributeError):
        raise InvalidInput(
            "orderbook.quantity_invalid", "数量应为正整数（吨）", "A quantity is a whole number", {"field": field}
        ) from None


def _market_or_404(code: str) -> Market:
    try:
        return queries.get_market(code)
    except NotFound:
        raise Http404("no such market") from None


def _live_url(request: HttpRequest, channel: str) -> str | None:
    if not live.enabled():
        return None
    from yiwang.platform.live.links import live_url

    return live_url(request, channel)


def chart(points: list[tuple[str, int]], width: int = 640, height: int = 180) -> dict[str, Any] | None:
    """An SVG polyline of ``(label, value)`` points scaled into the box (no script, works at phone width)."""
    if not points:
        return None
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1
    pad = 10
    n = len(points)
    coords = []
    for i, (_, v) in enumerate(points):
        x = pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)
        y = height - pad - (height - 2 * pad) * (v - lo) / span
        coords.append(f"{x:.1f},{y:.1f}")
    return {
        "width": width,
        "height": height,
        "points": " ".join(coords),
        "first": points[0][0],
        "last": points[-1][0],
        "lo": lo,
        "hi": hi,
        "n": n,
    }


def _mine(actor: Actor, market: Market) -> int | None:
    """The entity the viewer trades for in this market (None if it has no account there)."""
    for m, entity_id in queries.markets_of(actor):
        if m.pk == market.pk:
            return entity_id
    return None


# -- public -----------------------------------------------------------------------------------------------------------
def index(request: HttpRequest) -> HttpResponse:
    points = [(p.day.isoformat(), p.value_e4) for p in queries.index_series()]
    context = {
        "markets": queries.list_markets(),
        "index_points": queries.index_series()[-10:][::-1],
        "index_chart": chart(points),
        "index_name": queries.INDEX_NAME,
        "phase_labels": PHASE_LABELS,
        "mode_labels": MODE_LABELS,
    }
    return render(request, "orderbook/index.html", context)


def _panel_context(request: HttpRequest, market: Market) -> dict[str, Any]:
    book = queries.depth(market.code)
    asks = list(reversed(book["asks"]))  # 卖五 … 卖一 from top to bottom
    trades = queries.recent_trades(market.code, 20)
    intraday = [(t.executed_at.isoformat(), t.price_fen) for t in reversed(trades) if t.eligible]
    days = queries.trading_days(market.code)
    closes = [(d.day.isoformat(), d.close_fen) for d in days if d.close_fen]
    return {
        "market": market,
        "asks": [(gettext("卖%(n)s") % {"n": len(asks) - i}, lv) for i, lv in enumerate(asks)],
        "bids": [(gettext("买%(n)s") % {"n": i + 1}, lv) for i, lv in enumerate(book["bids"])],
        "listings": queries.listings(market.code, request.actor) if market.mode == "listing" else None,
        "trades": trades,
        "intraday_chart": chart(intraday),
        "close_chart": chart(closes),
        "kind_labels": KIND_LABELS,
        "phase_labels": PHASE_LABELS,
        "entity_id": _mine(request.actor, market),
    }


def market(request: HttpRequest, code: str) -> HttpResponse:
    m = _market_or_404(code)
    if request.method == "POST":
        return _market_post(request, m)
    context = _panel_context(request, m)
    context["live_url"] = _live_url(request, live.instrument_channel(m.code))
    context["mode_labels"] = MODE_LABELS
    context["order_types"] = [("limit", "限价")] if m.mode == "listing" else list(ORDER_TYPE_LABELS.items())[:4]
    # which build of the matching engine this process runs (tools/build_native.py): for operators
    context["engine_build"] = (
        gettext("编译版 compiled") if engines.IMPLEMENTATION == "compiled" else gettext("解释版 interpreted")
    )
    return render(request, "orderbook/market.html", context)


def market_panel(request: HttpRequest, code: str) -> HttpResponse:
    """The part of the market page that live updates re-fetch (depth, listings, trades, charts)."""
    return render(request, "orderbook/_panel.html", _panel_context(request, _market_or_404(code)))


def _market_post(request: HttpRequest, m: Market) -> HttpResponse:
    if not request.actor.is_authenticated:
        return redirect_to_login(request.get_full_path())
    what = request.POST.get("action", "place")
    try:
        if what == "take":
            order = actions.do_take_listing(
                actor=request.actor,
                market_code=m.code,
                order_id=parse_int(request.POST.get("order_id", ""), "order_id"),
                quantity_t=parse_int(request.POST.get("quantity_t", ""), "quantity_t"),
            )
            messages.success(
                request,
                gettext("摘牌成交：%(quantity)s 吨 × %(price)s 元")
                % {"quantity": order.filled_t, "price": yuan(order.price_fen)},
            )
        else:
            order_type = request.POST.get("order_type", "limit")
            price = None if order_type == "market" else parse_yuan(request.POST.get("price", ""))
            order = actions.do_place_order(
                actor=request.actor,
                market_code=m.code,
                side=request.POST.get("side", ""),
                order_type=order_type,
                price_fen=price,
                quantity_t=parse_int(request.POST.get("quantity_t", ""), "quantity_t"),
                client_order_id=request.POST.get("client_order_id") or None,
            )
            messages.success(
                request,
                gettext("委托 %(oid)s：%(status)s，已成交 %(filled)s 吨")
                % {
                    "oid": order.oid,
                    "status": pgettext("carbon", STATUS_LABELS[order.status]),
                    "filled": order.filled_t,
                },
            )
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    return redirect("orderbook:market", code=m.code)


# -- a participant's account ----------------------------------------------------------------------------------------
def account(request: HttpRequest, code: str) -> HttpResponse:
    if not request.actor.is_authenticated:
        return redirect_to_login(request.get_full_path())
    m = _market_or_404(code)
    entity_id = _entity_for_page(request, m)
    if request.method == "POST":
        _account_post(request, m, entity_id)
        return redirect(f"{request.path}?entity={entity_id}")
    try:
        holdings = queries.holdings_for(request.actor, m.code, entity_id)
    except (PermissionDenied, NotFound):
        raise Http404("no such account") from None
    orders = queries.list_orders_for(request.actor, m.code, entity_id, limit=100)
    trades = queries.list_trades_for(request.actor, m.code, entity_id, limit=100)
    context = {
        "market": m,
        "entity_id": entity_id,
        "name": next((p.name for p in m.participants.filter(entity_id=entity_id)), ""),
        "holdings": holdings,
        "bucket_labels": BUCKET_LABELS_ZH,
        "open_orders": [o for o in orders if o.status == "open"],
        "orders": orders,
        "trades": [(t, "买入" if t.buyer_entity_id == entity_id else "卖出") for t in trades],
        "blocks": queries.list_blocks_for(request.actor, m.code, entity_id),
        "repos": queries.list_repos_for(request.actor, m.code, entity_id),
        "status_labels": STATUS_LABELS,
        "type_labels": ORDER_TYPE_LABELS,
        "kind_labels": KIND_LABELS,
        "live_url": _live_url(request, live.participant_channel(m.code, entity_id))
        if request.actor.acts_for(entity_id)
        else None,
        "is_participant": request.actor.acts_for(entity_id),
    }
    return render(request, "orderbook/account.html", context)


def _entity_for_page(request: HttpRequest, m: Market) -> int:
    wanted = request.GET.get("entity") or request.POST.get("entity")
    if wanted and wanted.isdigit():
        return int(wanted)
    mine = _mine(request.actor, m)
    if mine is None:
        if request.actor.has_role(Role.STAFF):
            raise Http404("choose a participant (?entity=…)")
        raise Http404("no account in this market")
    return mine


def _account_post(request: HttpRequest, m: Market, entity_id: int) -> None:
    what = request.POST.get("action", "")
    actor = request.actor
    try:
        if what == "cancel":
            actions.do_cancel_order(
                actor=actor,
                market_code=m.code,
                entity_id=entity_id,
                order_id=parse_int(request.POST.get("order_id", ""), "order_id"),
            )
            messages.success(request, gettext("已撤单"))
        elif what in ("confirm_block", "reject_block", "withdraw_block"):
            actions.do_answer_block(
                actor=actor,
                market_code=m.code,
                entity_id=entity_id,
                proposal_id=parse_int(request.POST.get("id", ""), "id"),
                answer=what.split("_")[0],
            )
            messages.success(request, gettext("已处理大宗协议申报"))
        elif what in ("confirm_repo", "reject_repo", "withdraw_repo"):
            actions.do_answer_repo(
                actor=actor,
                market_code=m.code,
                entity_id=entity_id,
                repo_id=parse_int(request.POST.get("id", ""), "id"),
                answer=what.split("_")[0],
            )
            messages.success(request, gettext("已处理回购申报"))
        elif what == "propose_block":
            actions.do_propose_block(
                actor=actor,
                market_code=m.code,
                entity_id=entity_id,
                side=request.POST.get("side", ""),
                counterparty_entity_id=parse_int(request.POST.get("counterparty", ""), "counterparty"),
                price_fen=parse_yuan(request.POST.get("price", "")),
                quantity_t=parse_int(request.POST.get("quantity_t", ""), "quantity_t"),
            )
            messages.success(request, gettext("大宗协议申报已提交，等待对手方确认"))
        else:
            raise InvalidInput("orderbook.action_unknown", "未知操作", "Unknown action", {"action": what})
    except YiwangError as exc:
        messages.error(request, error_text(exc))
