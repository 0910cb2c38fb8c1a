"""Pages of the auctions (docs/auction.md): the lot list, a lot page (live price and countdown pushed over SSE
through ``live.js``, polled by htmx without it), registration and the bid form, and the staff console (create a lot
from a preset, monitor, suspend/resume with a reason, run a due transition, confirm, 悔拍, bidders, replay check).

Amounts are typed in yuan (元) and handled in fen. The server's time decides; the page only displays it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_http_methods

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import InvalidInput, NotFound, YiwangError
from yiwang.kernel.money import parse_fen
from yiwang.platform.clock import now as clock_now
from yiwang.platform.web.forms import error_text
from yiwang.services.bidbox.web import upload_address_of
from yiwang.trading.auction import actions, queries
from yiwang.trading.auction.models import Lot
from yiwang.trading.auction.presets import PRESETS

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEALED_KINDS = frozenset({"equity_sealed", "equity_weighted"})


def _lot_or_404(request: HttpRequest, lot_id: int) -> Lot:
    try:
        return queries.get_lot_for(request.actor, lot_id)
    except NotFound:
        raise Http404("no such lot") from None


def _yuan(text: str, field: str) -> int:
    try:
        fen = parse_fen((text or "").strip())
    except (YiwangError, TypeError):
        fen = 0
    if fen <= 0:
        raise InvalidInput(
            "auction.amount_invalid", "金额应为正数，最多两位小数（元）", "Amounts are yuan", {"field": field}
        )
    return fen


def _yuan_text(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def room_words() -> dict[str, Any]:
    """The words ``room.js`` writes into the room as live events arrive, in the page's language (the template
    renders them with ``json_script``; the script has no words of its own)."""
    return {
        "me": gettext("（我）"),
        "no_bids": gettext("暂无出价"),
        "leading": gettext("领先"),
        "outbid": gettext("出局"),
        "status": {k: pgettext("auction", v) for k, v in queries.BIDDER_STATUS_LABELS.items()},
        "accepted": gettext("出价 {amount}"),
        "accepted_leading": gettext("，目前领先"),
        "outbid_detail": gettext("当前价 {price}，领先竞买号 {leader}"),
        "deal": gettext("成交价 {price}"),
        "receipt": gettext("回执编号 {receipt}"),
    }


def _entities(actor: Actor) -> list[int]:
    return sorted(actor.entity_ids()) if actor.is_authenticated else []


def _panel_context(request: HttpRequest, lot: Lot) -> dict[str, Any]:
    # the read model is enough for the page; the engine state is loaded only where a page needs more of it
    state = queries.engine_state(lot) if lot.kind in ("land_listing", "dutch", "reverse") else None
    public = queries.public_state(lot, state)
    return {
        "lot": lot,
        "public": public,
        "recent": [{**b, "at": datetime.fromisoformat(b["at"])} for b in public["recent"]],
        "me": queries.my_status_for(request.actor, lot, state),
        "server_now": clock_now(),
        "bidding": lot.phase in queries.BIDDING or (lot.kind == "reverse" and lot.phase == "turn"),
    }


# -- public pages -----------------------------------------------------------------------------------------------
def index(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "live")
    if tab not in ("live", "scheduled", "closed"):
        tab = "live"
    lots = queries.list_lots_for(request.actor, phase=tab)
    return render(
        request,
        "auction/index.html",
        {
            "lots": lots,
            "tab": tab,
            "labels": queries.PHASE_LABELS,
            "presets": {k: p.label_zh for k, p in PRESETS.items()},
            "staff": queries.is_staff(request.actor),
        },
    )


@require_http_methods(["GET", "POST"])
def lot(request: HttpRequest, lot_id: int) -> HttpResponse:
    row = _lot_or_404(request, lot_id)
    if request.method == "POST":
        return _lot_post(request, row)
    context = _panel_context(request, row)
    context.update(
        {
            "preset_label": queries.preset_label(row),
            "room_words": room_words(),
            "my_channel": queries.bidder_channel(row.pk, context["me"].code) if context["me"].registered else "",
            "legal": sorted(row.legal.values(), key=lambda r: r.get("rule_id", "")),
            "rules": queries.public_rules(row),
            "entities": _entities(request.actor),
            "staff": queries.is_staff(request.actor, row.region_code),
            "sealing": _sealing_of(row, context["me"]),
            "cancel_turn": _cancel_turn_of(row, context["me"]),
            "can_continue": (
                context["me"].registered
                and not context["me"].continuing
                and row.kind == "land_listing"
                and row.phase in ("open", "await_continue")
            ),
        }
    )
    return render(request, "auction/lot.html", context)


def _cancel_turn_of(row: Lot, me: queries.MyStatus) -> dict[str, Any] | None:
    """Reverse auction: the bidder whose turn it is and who bid in this turn may withdraw that bid while the
    turn lasts; what stands again then."""
    if row.kind != "reverse" or row.phase != "turn" or not me.registered:
        return None
    state = queries.engine_state(row)
    if state is None or state.order[state.turn_idx] != me.code or state.amounts.get(me.code) == state.turn_prev:
        return None
    return {"restores": state.turn_prev[0]}


def _sealing_of(row: Lot, me: queries.MyStatus) -> dict[str, Any] | None:
    """一次报价 / 权重报价 while sealed bids are taken: whether the viewer (a registered bidder) sealed already."""
    if row.kind not in SEALED_KINDS or row.phase != "sealing" or not me.registered:
        return None
    state = queries.engine_state(row)
    return {"sealed": bool(state is not None and me.code in state.sealed), "deadline": row.end_at}


def panel(request: HttpRequest, lot_id: int) -> HttpResponse:
    """The live part of the lot page (htmx: on each pushed update, or every few seconds without the live server)."""
    row = _lot_or_404(request, lot_id)
    return render(request, "auction/_panel.html", _panel_context(request, row))


def _lot_post(request: HttpRequest, row: Lot) -> HttpResponse:
    actor = request.actor
    if not actor.is_authenticated:
        return redirect_to_login(request.get_full_path())
    what = request.POST.get("action", "")
    try:
        if what == "register":
            entities = _entities(actor)
            if not entities:
                raise InvalidInput("auction.no_entity", "您的账户未关联市场主体", "Your account acts for no entity")
            initial = _yuan(request.POST.get("initial", ""), "initial") if row.kind == "reverse" else None
            bidder = actions.do_register_bidder(actor=actor, lot_id=row.pk, entity_id=entities[0], initial_fen=initial)
            messages.success(request, gettext("报名成功，您的竞买号为 %(code)s") % {"code": bidder.code})
        elif what == "bid":
            expected = request.POST.get("expected_price_fen", "").strip()
            receipt = actions.do_place_bid(
                actor=actor,
                lot_id=row.pk,
                amount_fen=_yuan(request.POST.get("amount", ""), "amount"),
                expected_price_fen=int(expected) if expected.isdigit() else None,
                idempotency_key=(request.POST.get("key") or "").strip()[:100] or None,
            )
            at = receipt.accepted_at.astimezone(SHANGHAI).strftime("%H:%M:%S.%f")[:-3]
            messages.success(
                request,
                gettext("出价成功：%(amount)s 元（服务器时间 %(at)s，序号 %(seq)s）")
                % {"amount": _yuan_text(receipt.amount_fen), "at": at, "seq": receipt.seq},
            )
        elif what == "seal":
            upload = request.FILES.get("file")
            if upload is None or not upload.size:
                raise InvalidInput(
                    "auction.file_required", "请选择加密报价文件", "Choose the sealed bid file", {"field": "file"}
                )
            sealed = actions.do_submit_sealed_bid(
                actor=actor, lot_id=row.pk, stream=upload, **upload_address_of(request)
            )
            at = sealed.received_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
            messages.success(
                request,
                gettext(
                    "密封报价已递交，回执编号 %(receipt)s，递交时间 %(at)s（平台签名回执；开启前任何人无法查看报价）"
                )
                % {"receipt": sealed.receipt_id, "at": at},
            )
            return redirect("bidbox:receipt", submission_id=sealed.submission_id)
        elif what == "exercise":
            receipt = actions.do_exercise_preemption(actor=actor, lot_id=row.pk)
            messages.success(
                request, gettext("已行使优先购买权：%(amount)s 元") % {"amount": _yuan_text(receipt.amount_fen)}
            )
        elif what == "cancel_turn":
            receipt = actions.do_cancel_turn_bid(actor=actor, lot_id=row.pk)
            messages.success(
                request,
                gettext("已撤销本轮次的报价，恢复为 %(amount)s 元") % {"amount": _yuan_text(receipt.amount_fen)},
            )
        elif what == "continue":
            actions.do_declare_continue(actor=actor, lot_id=row.pk)
            messages.success(request, gettext("已表示愿意继续竞价"))
        else:
            raise InvalidInput("auction.action_unknown", "未知操作", "Unknown action", {"field": "action"})
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    return redirect("auction:lot", lot_id=row.pk)


# -- staff ------------------------------------------------------------------------------------------------------
def _staff_only(request: HttpRequest, region_code: str = "310000") -> HttpResponse | None:
    if not request.actor.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not queries.is_staff(request.actor, region_code):
        raise DjangoPermissionDenied("auction staff only")
    return None


def _parse_local(text: str, field: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("auction.time_invalid", "时间格式不正确", "Invalid time", {"field": field}) from None
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


@require_http_methods(["GET", "POST"])
def console(request: HttpRequest) -> HttpResponse:
    denied = _staff_only(request)
    if denied:
        return denied
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            params = {}
            for key in ("countdown", "continue_window", "interval"):
                value = (form.get(key) or "").strip()
                if value:
                    if not value.isdigit():
                        raise InvalidInput("auction.param_invalid", "竞价参数应为秒数", "Seconds", {"field": key})
                    params[key] = int(value)
            spec = actions.LotSpec(
                preset=form.get("preset", ""),
                title=form.get("title", ""),
                start_price_fen=_yuan(form.get("start_price", ""), "start_price"),
                step_fen=_yuan(form.get("step", ""), "step"),
                start_at=_parse_local(form.get("start_at", ""), "start_at") or clock_now(),
                end_at=_parse_local(form.get("end_at", ""), "end_at"),
                appraisal_fen=_yuan(form["appraisal"], "appraisal") if form.get("appraisal") else None,
                reserve_fen=_yuan(form["reserve"], "reserve") if form.get("reserve") else 0,
                deposit_fen=_yuan(form["deposit"], "deposit") if form.get("deposit") else 0,
                description=form.get("description", ""),
                params=params or None,
            )
            created = actions.do_create_lot(actor=request.actor, spec=spec)
            messages.success(request, gettext("已创建标的 %(ref)s") % {"ref": created.ref})
            return redirect("auction:console_lot", lot_id=created.pk)
        except YiwangError as exc:
            messages.error(request, error_text(exc))
    lots = queries.list_lots_for(request.actor, limit=200)
    return render(
        request,
        "auction/console.html",
        {
            "lots": lots,
            "labels": queries.PHASE_LABELS,
            "presets": [(k, p.label_zh) for k, p in PRESETS.items()],
            "form": form,
        },
    )


@require_http_methods(["GET", "POST"])
def console_lot(request: HttpRequest, lot_id: int) -> HttpResponse:
    row = _lot_or_404(request, lot_id)
    denied = _staff_only(request, row.region_code)
    if denied:
        return denied
    if request.method == "POST":
        what = request.POST.get("action", "")
        reason = request.POST.get("reason", "")
        try:
            if what == "suspend":
                actions.do_suspend_lot(actor=request.actor, lot_id=row.pk, reason=reason)
                messages.success(request, gettext("已暂停竞价"))
            elif what == "resume":
                actions.do_resume_lot(actor=request.actor, lot_id=row.pk, reason=reason)
                messages.success(request, gettext("已恢复竞价"))
            elif what == "advance":
                done = actions.do_advance_lot(lot_id=row.pk, actor=request.actor)
                messages.success(request, gettext("已推进到期阶段") if done else gettext("当前没有到期的竞价阶段"))
            elif what == "confirm":
                actions.do_confirm_deal(actor=request.actor, lot_id=row.pk)
                messages.success(request, gettext("已确认成交"))
            elif what == "renege":
                actions.do_declare_reneged(actor=request.actor, lot_id=row.pk, note=reason)
                messages.success(request, gettext("已登记悔拍"))
            elif what == "notice":
                actions.do_publish_result_notice(actor=request.actor, lot_id=row.pk)
                messages.success(request, gettext("已发布成交公告"))
            else:
                raise InvalidInput("auction.action_unknown", "未知操作", "Unknown action", {"field": "action"})
        except YiwangError as exc:
            messages.error(request, error_text(exc))
        return redirect("auction:console_lot", lot_id=row.pk)
    context = _panel_context(request, row)
    context.update(
        {
            "preset_label": queries.preset_label(row),
            "room_words": room_words(),
            "bidders": queries.list_bidders_for(request.actor, row.pk),
            "interventions": queries.list_interventions_for(request.actor, row.pk),
            "check": queries.check_lot_for(request.actor, row.pk),
            "reserve_fen": row.rules.get("reserve") or None,
        }
    )
    return render(request, "auction/console_lot.html", context)
