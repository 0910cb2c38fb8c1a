"""Venues pages (Chinese, phone width, htmx).

Public: 今日开标 and the site/room directory. Staff: sites and rooms (seats, maintenance windows), the room
calendar (day or week), the booking form with live conflict feedback, the approval queue, the remote-session
builder with its seat map, the check-in desk and the access log of isolated areas. Experts: confirming their
own check-in with the code shown at the desk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.identity import queries as identity
from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.kernel.periods import SHANGHAI, local_date
from yiwang.platform.clock import now
from yiwang.platform.web.forms import error_text
from yiwang.services.venues import actions, queries
from yiwang.services.venues.domain.rules import BOOKING_STATUS_LABELS_ZH
from yiwang.services.venues.forms import (
    AccessForm,
    BookingForm,
    ChangeForm,
    CheckInForm,
    CommitteeForm,
    MaintenanceForm,
    RoomForm,
    SeatsForm,
    SelfCheckInForm,
    SessionForm,
    SiteForm,
)

DAY_START, DAY_END = 8, 19  # the calendar's visible hours (Beijing time)


def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @_signed_in
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not queries.is_venue_staff(request.actor):
            raise DjangoPermissionDenied("venue management is for trading-centre staff")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _refused(request: HttpRequest, exc: YiwangError) -> None:
    messages.error(request, error_text(exc))


def _booking_or_404(request: HttpRequest, booking_id: int) -> queries.BookingView:
    try:
        return queries.get_booking_for(request.actor, booking_id)
    except NotFound:
        raise Http404("no such booking") from None


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return local_date(now())


# -- public ---------------------------------------------------------------------------------------------------------


def today(request: HttpRequest) -> HttpResponse:
    """今日开标: room, time and the title the owner made public."""
    day = _day(request)
    context = {
        "day": day,
        "openings": queries.todays_openings(day),
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
    }
    return render(request, "venues/today.html", context)


def index(request: HttpRequest) -> HttpResponse:
    """场所目录: sites and rooms (public); staff get the management links."""
    staff = queries.is_venue_staff(request.actor)
    context = {"sites": queries.list_sites(), "staff": staff}
    if staff:
        context["pending"] = len(queries.approval_queue_for(request.actor))
    return render(request, "venues/index.html", context)


# -- sites and rooms (staff) ---------------------------------------------------------------------------------------


def _organisations(request: HttpRequest) -> list[tuple[int, str]]:
    out = []
    for grant in request.actor.grants:
        if grant.role is Role.STAFF and grant.organisation_id:
            organisation = identity.get_organisation(grant.organisation_id)
            if organisation is not None:
                out.append((organisation.pk, organisation.name))
    return out


@_staff
@require_http_methods(["GET", "POST"])
def site_new(request: HttpRequest) -> HttpResponse:
    """登记场所."""
    organisations = _organisations(request)
    form = SiteForm(request.POST or None, organisations=organisations)
    if not organisations:
        from django import forms

        form.fields["organisation_id"] = forms.IntegerField(
            label=gettext("所属交易中心（机构 id）"), widget=forms.NumberInput(attrs={"class": "form-control"})
        )
    if request.method == "POST":
        if form.is_valid():
            try:
                site = actions.do_create_site(actor=request.actor, **form.cleaned_data)
            except YiwangError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, gettext("场所“%(name)s”已登记。") % {"name": site.name})
                return redirect("venues:site", site_id=site.pk)
        return render(request, "venues/site_new.html", {"form": form}, status=422)
    return render(request, "venues/site_new.html", {"form": form})


def site(request: HttpRequest, site_id: int) -> HttpResponse:
    """A site with its rooms; its staff add rooms here."""
    try:
        view = queries.get_site(site_id)
    except NotFound:
        raise Http404("no such site") from None
    manage = queries.is_staff_over(request.actor, view.region_code)
    form = RoomForm(request.POST or None) if manage else None
    status = 200
    if request.method == "POST":
        if not manage:
            raise DjangoPermissionDenied("staff of the site only")
        assert form is not None
        if form.is_valid():
            try:
                room = actions.do_create_room(actor=request.actor, site_id=site_id, data=form.cleaned_data)
            except YiwangError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, gettext("房间“%(name)s”已添加。") % {"name": room.name})
                return redirect("venues:room", room_id=room.pk)
        status = 422
    return render(request, "venues/site.html", {"site": view, "manage": manage, "form": form}, status=status)


def room(request: HttpRequest, room_id: int) -> HttpResponse:
    """A room: seats with cameras, coming maintenance windows; its staff add seats and windows."""
    try:
        view = queries.get_room(room_id)
    except NotFound:
        raise Http404("no such room") from None
    manage = queries.is_staff_over(request.actor, view.region_code)
    context: dict[str, Any] = {
        "room": view,
        "manage": manage,
        "maintenance": queries.list_maintenance_for(request.actor, room_id) if request.actor.is_authenticated else [],
        "seats_form": SeatsForm(prefix="seats") if manage else None,
        "maintenance_form": MaintenanceForm(prefix="m") if manage else None,
    }
    return render(request, "venues/room.html", context)


@_staff
@require_POST
def room_seats(request: HttpRequest, room_id: int) -> HttpResponse:
    form = SeatsForm(request.POST, prefix="seats")
    if form.is_valid():
        try:
            made = actions.do_add_seats(actor=request.actor, room_id=room_id, seats=form.seats())
        except YiwangError as exc:
            _refused(request, exc)
        else:
            messages.success(request, gettext("已添加 %(n)s 个席位。") % {"n": len(made)})
    else:
        messages.error(request, gettext("请按“编号,摄像头编号”逐行填写席位。"))
    return redirect("venues:room", room_id=room_id)


@_staff
@require_POST
def seat_toggle(request: HttpRequest, room_id: int, seat_id: int) -> HttpResponse:
    try:
        actions.do_update_seat(actor=request.actor, seat_id=seat_id, is_active=request.POST.get("active") == "1")
    except YiwangError as exc:
        _refused(request, exc)
    return redirect("venues:room", room_id=room_id)


@_staff
@require_POST
def room_maintenance(request: HttpRequest, room_id: int) -> HttpResponse:
    form = MaintenanceForm(request.POST, prefix="m")
    if form.is_valid():
        try:
            actions.do_schedule_maintenance(actor=request.actor, room_id=room_id, **form.cleaned_data)
        except YiwangError as exc:
            _refused(request, exc)
        else:
            messages.success(request, gettext("维护时段已登记，该时段不可预约。"))
    else:
        messages.error(request, gettext("请填写维护的起止时间和原因。"))
    return redirect("venues:room", room_id=room_id)


@_staff
@require_POST
def maintenance_cancel(request: HttpRequest, room_id: int, maintenance_id: int) -> HttpResponse:
    try:
        actions.do_cancel_maintenance(
            actor=request.actor, maintenance_id=maintenance_id, reason=request.POST.get("reason", "") or "取消维护"
        )
    except YiwangError as exc:
        _refused(request, exc)
    return redirect("venues:room", room_id=room_id)


# -- calendar ---------------------------------------------------------------------------------------------------------


def _bar(block: queries.Block, day: date) -> dict[str, Any]:
    d0 = datetime.combine(day, time(DAY_START), tzinfo=SHANGHAI)
    span = (DAY_END - DAY_START) * 60

    def pos(moment: datetime) -> float:
        minutes = (moment - d0).total_seconds() / 60
        return max(0.0, min(100.0, minutes / span * 100))

    left, right = pos(block.blocked_from), pos(block.blocked_until)
    inner_left, inner_right = pos(block.start), pos(block.end)
    return {
        "block": block,
        "left": f"{left:.2f}",
        "width": f"{max(right - left, 0.8):.2f}",
        "inner_left": f"{(inner_left - left) / max(right - left, 0.01) * 100:.2f}",
        "inner_width": f"{(inner_right - inner_left) / max(right - left, 0.01) * 100:.2f}",
    }


@_signed_in
def calendar(request: HttpRequest) -> HttpResponse:
    """房间占用日历: day or week, one row per room; set-up and clearing buffers shown lighter."""
    day = _day(request)
    days = 7 if request.GET.get("view") == "week" else 1
    site_id = request.GET.get("site")
    site_filter = int(site_id) if site_id and site_id.isdigit() else None
    view = queries.calendar_for(request.actor, first_day=day, days=days, site_id=site_filter)
    rows = [
        {"room": r.room, "days": [{"day": c.day, "bars": [_bar(b, c.day) for b in c.blocks]} for c in r.days]}
        for r in view.rows
    ]
    context = {
        "day": day,
        "days": view.days,
        "week": days == 7,
        "rows": rows,
        "hours": list(range(DAY_START, DAY_END)),
        "sites": queries.list_sites(active_only=True),
        "site_id": site_filter,
        "previous": day - timedelta(days=days),
        "next": day + timedelta(days=days),
    }
    return render(request, "venues/calendar.html", context)


# -- bookings ---------------------------------------------------------------------------------------------------------


@_signed_in
def bookings(request: HttpRequest) -> HttpResponse:
    """我的/本中心的预约."""
    status = request.GET.get("status", "")
    rows = queries.list_bookings_for(request.actor, status=status or None, start=now() - timedelta(days=30))
    statuses = [(k.value, v) for k, v in BOOKING_STATUS_LABELS_ZH.items()]
    return render(request, "venues/bookings.html", {"bookings": rows, "status": status, "statuses": statuses})


def _booking_form(request: HttpRequest, data: Any = None) -> BookingForm:
    initial = {}
    if request.GET.get("room"):
        initial["room_id"] = request.GET["room"]
    if request.GET.get("start"):
        initial["start"] = request.GET["start"]
    return BookingForm(data, rooms=queries.room_choices(), check_url=reverse("venues:booking_check"), initial=initial)


@_signed_in
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest) -> HttpResponse:
    """场地申请: the form checks for conflicts as it is filled in (htmx), and the action checks again."""
    if not request.actor.has_role(*actions.BOOKERS):
        raise DjangoPermissionDenied("staff, agencies and market entities book rooms")
    form = _booking_form(request, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                booking = actions.do_book_room(actor=request.actor, **form.cleaned_data)
            except YiwangError as exc:
                form.add_action_error(exc)
                return render(request, "venues/booking_new.html", {"form": form, "problem": exc}, status=422)
            if booking.status == "approved":
                messages.success(request, gettext("场地申请已预约。"))
            else:
                messages.success(request, gettext("场地申请已提交，待场所所在交易中心审批。"))
            return redirect("venues:booking", booking_id=booking.pk)
        return render(request, "venues/booking_new.html", {"form": form, "problem": None}, status=422)
    return render(request, "venues/booking_new.html", {"form": form, "problem": None})


@_signed_in
@require_POST
def booking_check(request: HttpRequest) -> HttpResponse:
    """htmx: would the booking on the form be taken? (conflicts listed by time only)"""
    form = _booking_form(request, request.POST)
    form.is_valid()
    preview = None
    live = ("room_id", "purpose", "start", "end", "seats")
    if not any(name in form.errors for name in live):
        d = form.cleaned_data
        preview = queries.preview_booking(
            room_id=d["room_id"], purpose=d["purpose"], start=d["start"], end=d["end"], seats=d["seats"] or 0
        )
    return render(request, "venues/_conflict.html", {"preview": preview, "form": form})


@_signed_in
def booking(request: HttpRequest, booking_id: int) -> HttpResponse:
    """A booking: status and history; approve/reject for the site's staff, change/cancel for the requester."""
    view = _booking_or_404(request, booking_id)
    staff = queries.is_staff_over(request.actor, view.region_code)
    context = {
        "b": view,
        "staff": staff,
        "change_form": ChangeForm(
            prefix="c",
            initial={"start": view.start, "end": view.end, "seats": view.seats},
        )
        if view.may_change and view.session_id is None
        else None,
        "committee_form": CommitteeForm(prefix="k") if staff and view.session_id is None else None,
        "attendance": queries.attendance_for(request.actor, booking_id),
        "ended": now() >= view.end,
    }
    return render(request, "venues/booking.html", context)


def _post_on_booking(request: HttpRequest, booking_id: int, run: Callable[[], Any], ok: str) -> HttpResponse:
    try:
        run()
    except YiwangError as exc:
        _refused(request, exc)
    else:
        messages.success(request, ok)
    return redirect("venues:booking", booking_id=booking_id)


@_signed_in
@require_POST
def booking_approve(request: HttpRequest, booking_id: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _post_on_booking(
        request,
        booking_id,
        lambda: actions.do_approve_booking(actor=request.actor, booking_id=booking_id, note=note),
        gettext("已审核通过。"),
    )


@_signed_in
@require_POST
def booking_reject(request: HttpRequest, booking_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _post_on_booking(
        request,
        booking_id,
        lambda: actions.do_reject_booking(actor=request.actor, booking_id=booking_id, reason=reason),
        gettext("已审核不通过。"),
    )


@_signed_in
@require_POST
def booking_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _post_on_booking(
        request,
        booking_id,
        lambda: actions.do_cancel_booking(actor=request.actor, booking_id=booking_id, reason=reason),
        gettext("预约已取消。"),
    )


@_signed_in
@require_POST
def booking_complete(request: HttpRequest, booking_id: int) -> HttpResponse:
    return _post_on_booking(
        request,
        booking_id,
        lambda: actions.do_complete_booking(actor=request.actor, booking_id=booking_id),
        gettext("已办结。"),
    )


@_signed_in
@require_POST
def booking_change(request: HttpRequest, booking_id: int) -> HttpResponse:
    form = ChangeForm(request.POST, prefix="c")
    if not form.is_valid():
        messages.error(request, gettext("请填写变更后的时间、席位数和原因。"))
        return redirect("venues:booking", booking_id=booking_id)
    data = dict(form.cleaned_data)
    reason = data.pop("reason")
    return _post_on_booking(
        request,
        booking_id,
        lambda: actions.do_change_booking(actor=request.actor, booking_id=booking_id, changes=data, reason=reason),
        gettext("预约已变更。"),
    )


@_staff
@require_POST
def booking_seating(request: HttpRequest, booking_id: int) -> HttpResponse:
    form = CommitteeForm(request.POST, prefix="k")
    if not form.is_valid():
        messages.error(request, gettext("请逐行填写专家。"))
        return redirect("venues:booking", booking_id=booking_id)
    return _post_on_booking(
        request,
        booking_id,
        lambda: actions.do_seat_booking(actor=request.actor, booking_id=booking_id, committee=form.committee()),
        gettext("席位已安排。"),
    )


@_staff
def approvals(request: HttpRequest) -> HttpResponse:
    """审批队列: applications for the rooms of the sites I am staff over."""
    return render(request, "venues/approvals.html", {"queue": queries.approval_queue_for(request.actor)})


# -- remote sessions -----------------------------------------------------------------------------------------------


def _clashes(exc: YiwangError) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.fromisoformat(c["start"]), datetime.fromisoformat(c["end"])) for c in exc.details.get("clashes", [])
    ]


@_staff
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    """远程异地评标: main site (my centre's room) and secondary sites (other centres' rooms)."""
    rooms = queries.room_choices(purpose="evaluation")
    managed = {r.id for s in queries.sites_managed_by(request.actor) for r in s.rooms}
    form = SessionForm(request.POST or None, main_rooms=[r for r in rooms if r[0] in managed], rooms=rooms)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                session = actions.do_create_remote_session(
                    actor=request.actor,
                    owner_ref=d["owner_ref"],
                    title=d["title"],
                    start=d["start"],
                    end=d["end"],
                    main={"room_id": d["main_room"], "seats": d["main_seats"]},
                    secondaries=[{"room_id": r, "seats": d["secondary_seats"]} for r in d["secondary_rooms"]],
                )
            except YiwangError as exc:
                form.add_action_error(exc)
                context = {"form": form, "problem": exc, "clashes": _clashes(exc), "sessions": []}
                return render(request, "venues/session_new.html", context, status=422)
            messages.success(request, gettext("远程异地评标场次已创建，副场待各交易中心审批。"))
            return redirect("venues:session", session_id=session.pk)
        return render(request, "venues/session_new.html", {"form": form, "problem": None, "sessions": []}, status=422)
    sessions = queries.list_sessions_for(request.actor, limit=20)
    return render(request, "venues/session_new.html", {"form": form, "problem": None, "sessions": sessions})


@_signed_in
def session(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session: its sites with status, and the seat map (席位图)."""
    try:
        view = queries.get_session_for(request.actor, session_id)
    except NotFound:
        raise Http404("no such session") from None
    main = next(s for s in view.sites if s.role == "main")
    organiser = queries.is_staff_over(request.actor, main.booking.region_code)
    context = {
        "s": view,
        "organiser": organiser,
        "committee_form": CommitteeForm(prefix="k") if organiser and not view.cancelled else None,
    }
    return render(request, "venues/session.html", context)


@_staff
@require_POST
def session_seating(request: HttpRequest, session_id: int) -> HttpResponse:
    form = CommitteeForm(request.POST, prefix="k")
    if form.is_valid():
        try:
            made = actions.do_seat_session(actor=request.actor, session_id=session_id, committee=form.committee())
        except YiwangError as exc:
            _refused(request, exc)
        else:
            messages.success(request, gettext("已为 %(n)s 名专家安排席位。") % {"n": len(made)})
    else:
        messages.error(request, gettext("请逐行填写专家。"))
    return redirect("venues:session", session_id=session_id)


@_staff
@require_POST
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        actions.do_cancel_remote_session(
            actor=request.actor, session_id=session_id, reason=request.POST.get("reason", "")
        )
    except YiwangError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("场次已取消。"))
    return redirect("venues:session", session_id=session_id)


# -- check-in desk, access log, self check-in ------------------------------------------------------------------------


@_staff
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest, booking_id: int) -> HttpResponse:
    """签到台: search by name or reference, check in (scan or manual); the code for self-confirmation."""
    view = _booking_or_404(request, booking_id)
    if not queries.is_staff_over(request.actor, view.region_code):
        raise DjangoPermissionDenied("the desk is for the site's staff")
    if request.method == "POST":
        form = CheckInForm(request.POST)
        if form.is_valid():
            try:
                a = actions.do_check_in_expert(actor=request.actor, booking_id=booking_id, **form.cleaned_data)
            except YiwangError as exc:
                _refused(request, exc)
            else:
                messages.success(
                    request,
                    (gettext("%(who)s 已签到（迟到）。") if a.late else gettext("%(who)s 已签到。"))
                    % {"who": a.name or a.expert_ref},
                )
        return redirect("venues:desk", booking_id=booking_id)
    q = request.GET.get("q", "")
    rows = queries.attendance_for(request.actor, booking_id, q=q)
    context = {"b": view, "rows": rows, "q": q, "methods": CheckInForm().fields["method"].choices}
    template = "venues/_desk_rows.html" if request.htmx else "venues/desk.html"
    return render(request, template, context)


@_staff
@require_http_methods(["GET", "POST"])
def access(request: HttpRequest, booking_id: int) -> HttpResponse:
    """进出记录 of an isolated area: record entries and exits; who is inside; who stayed after the end."""
    try:
        log = queries.access_log_for(request.actor, booking_id)
    except NotFound:
        raise Http404("no such booking") from None
    form = AccessForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_record_access(actor=request.actor, booking_id=booking_id, **form.cleaned_data)
            except YiwangError as exc:
                form.add_action_error(exc)
                status = 422
            else:
                messages.success(request, gettext("已登记。"))
                return redirect("venues:access", booking_id=booking_id)
        else:
            status = 422
    return render(request, "venues/access.html", {"log": log, "form": form}, status=status)


@_signed_in
@require_http_methods(["GET", "POST"])
def my_check_in(request: HttpRequest) -> HttpResponse:
    """专家签到: today's places of the signed-in expert; confirm with the code shown at the desk."""
    if request.method == "POST":
        form = SelfCheckInForm(request.POST)
        if form.is_valid():
            try:
                actions.do_check_in_expert(
                    actor=request.actor,
                    booking_id=form.cleaned_data["booking_id"],
                    expert_ref=form.cleaned_data["expert_ref"],
                    method="self_confirm",
                    code=form.cleaned_data["code"],
                )
            except YiwangError as exc:
                _refused(request, exc)
            else:
                messages.success(request, gettext("签到成功。"))
        else:
            messages.error(request, gettext("请输入签到台显示的签到码。"))
        return redirect("venues:my_check_in")
    return render(request, "venues/my_check_in.html", {"places": queries.my_check_ins(request.actor)})
