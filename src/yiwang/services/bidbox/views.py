"""Bid-box pages (Chinese, phone width, htmx): 递交投标文件 and 我的递交记录 for bidders; 开标大厅 (live status
without names, the bidder's decrypt form); staff box status, opening control and custodians' share entry; the
public opening record after the opening."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.platform.web.forms import add_action_error, error_text
from yiwang.registry import queries as registry
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.domain.rules import BoxState
from yiwang.services.bidbox.forms import ContentKeyForm, FallbackForm, PostponeForm, ShareForm, SubmitForm
from yiwang.services.bidbox.models import Box, Submission
from yiwang.services.bidbox.web import upload_address_of


def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _box_or_404(request: HttpRequest, box_id: int) -> queries.BoxView:
    try:
        return queries.get_box_for(request.actor, box_id)
    except NotFound:
        raise Http404("no such box") from None


def _staff_or_403(request: HttpRequest, box_id: int) -> None:
    """The management page: staff of the box's region, and regulators (custodians enter their shares there; the
    actions themselves decide who may start, postpone or close)."""
    box = Box.objects.filter(pk=box_id).first()
    if box is None:
        raise Http404("no such box")
    if not (actions.is_staff_for(request.actor, box) or request.actor.has_role(Role.REGULATOR)):
        raise DjangoPermissionDenied("staff and custodians only")


def _refused(request: HttpRequest, exc: YiwangError) -> None:
    messages.error(request, error_text(exc))


def index(request: HttpRequest) -> HttpResponse:
    """电子投标箱: the boxes (public facts; counts only for staff)."""
    return render(request, "bidbox/index.html", {"boxes": queries.list_boxes_for(request.actor)})


def box_detail(request: HttpRequest, box_id: int) -> HttpResponse:
    box = _box_or_404(request, box_id)
    staff = request.actor.is_authenticated and actions.is_staff_for(request.actor, Box.objects.get(pk=box_id))
    return render(
        request,
        "bidbox/box.html",
        {"box": box, "staff": staff, "bidder": bool(request.actor.entity_ids())},
    )


def _entity_choices(request: HttpRequest) -> list[tuple[int, str]]:
    ids = sorted(request.actor.entity_ids())
    refs = registry.get_entity_refs(ids)
    return [(i, refs[i].name if i in refs else str(i)) for i in ids]


@_signed_in
def submit(request: HttpRequest, box_id: int) -> HttpResponse:
    """递交投标文件: upload the ``.ywenv`` envelope; the receipt is shown at once."""
    box = _box_or_404(request, box_id)
    entities = _entity_choices(request)
    if not entities:
        raise DjangoPermissionDenied("bidders only")
    form = SubmitForm(request.POST or None, request.FILES or None, entities=entities)
    if request.method == "POST" and form.is_valid():
        entity = form.cleaned_data["entity_id"]
        try:
            submission = actions.do_submit_envelope(
                actor=request.actor,
                box_id=box_id,
                entity_id=entity,
                stream=form.cleaned_data["file"],
                confirmation=ca_queries.session_confirmation(request, entity_id=entity),
                **upload_address_of(request),
            )
        except YiwangError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, gettext("投标文件已接收，回执编号 %(id)s") % {"id": submission.receipt_id})
            return redirect("bidbox:receipt", submission_id=submission.pk)
    mine = queries.list_my_submissions_for(request.actor, box_id=box_id)
    return render(request, "bidbox/submit.html", {"box": box, "form": form, "mine": mine})


@_signed_in
def mine(request: HttpRequest) -> HttpResponse:
    """我的递交记录: every submission of the entities the person acts for, and the notices."""
    return render(
        request,
        "bidbox/mine.html",
        {
            "submissions": queries.list_my_submissions_for(request.actor),
            "notices": queries.list_notices_for(request.actor),
        },
    )


@_signed_in
def receipt(request: HttpRequest, submission_id: UUID) -> HttpResponse:
    try:
        view = queries.get_receipt_for(request.actor, submission_id)
    except NotFound:
        raise Http404("no such submission") from None
    box = queries.get_box_for(request.actor, view.box_id)
    return render(request, "bidbox/receipt.html", {"r": view, "box": box})


@_signed_in
def envelope_download(request: HttpRequest, submission_id: UUID) -> HttpResponse:
    """The bidder's own envelope with the receipt appended (verifiable offline)."""
    try:
        name, stream = queries.envelope_with_receipt_for(request.actor, submission_id)
    except NotFound:
        raise Http404("no such submission") from None
    return FileResponse(
        stream, as_attachment=True, filename=name, content_type="application/vnd.yiwang.sealed-envelope"
    )


@_signed_in
@require_POST
def withdraw(request: HttpRequest, submission_id: UUID) -> HttpResponse:
    try:
        row = queries.get_receipt_for(request.actor, submission_id)
        actions.do_withdraw_submission(
            actor=request.actor,
            submission_id=submission_id,
            confirmation=ca_queries.session_confirmation(request, entity_id=row.entity_id),
        )
        messages.success(request, gettext("投标文件已撤回"))
    except NotFound:
        raise Http404("no such submission") from None
    except YiwangError as exc:
        _refused(request, exc)
    return redirect("bidbox:receipt", submission_id=submission_id)


def _hall_context(request: HttpRequest, box_id: int) -> dict[str, Any]:
    view = queries.list_hall_for(request.actor, box_id)
    return {"hall": view, "box": view.box, "key_form": ContentKeyForm(), "channel": queries.hall_channel(box_id)}


def hall(request: HttpRequest, box_id: int) -> HttpResponse:
    """开标大厅: live status per envelope without names until the end; bidders decrypt their own here."""
    box = _box_or_404(request, box_id)
    if box.status == BoxState.ACCEPTING:
        return render(request, "bidbox/hall_sealed.html", {"box": box}, status=200)
    return render(request, "bidbox/hall.html", _hall_context(request, box_id))


def hall_status(request: HttpRequest, box_id: int) -> HttpResponse:
    """The hall's status table (polled by htmx)."""
    _box_or_404(request, box_id)
    try:
        context = _hall_context(request, box_id)
    except YiwangError:
        return HttpResponse(format_html('<p class="text-secondary">{}</p>', gettext("开标前不显示递交情况。")))
    return render(request, "bidbox/_hall_status.html", context)


@_signed_in
@require_POST
def decrypt(request: HttpRequest, submission_id: UUID) -> HttpResponse:
    """The bidder posts the content key produced by ``yiwang bidbox unwrap``."""
    try:
        row = queries.get_receipt_for(request.actor, submission_id)
    except NotFound:
        raise Http404("no such submission") from None
    form = ContentKeyForm(request.POST)
    if form.is_valid():
        try:
            result = actions.do_decrypt_with_content_key(
                actor=request.actor, submission_id=submission_id, content_key=form.cleaned_data["content_key"]
            )
        except YiwangError as exc:
            _refused(request, exc)
        else:
            if result.ok:
                messages.success(request, gettext("解密成功（回执 %(id)s）") % {"id": row.receipt_id})
            elif result.error is not None:
                _refused(request, result.error)
    else:
        messages.error(request, gettext("请填写内容密钥"))
    return redirect("bidbox:hall", box_id=row.box_id)


@_signed_in
def manage(request: HttpRequest, box_id: int) -> HttpResponse:
    """Staff: the box's status, the opening control, postponement, and the custodians' share entry."""
    _staff_or_403(request, box_id)
    box = queries.get_box_for(request.actor, box_id)
    share_form = ShareForm(request.POST if request.POST.get("do") == "share" else None)
    postpone_form = PostponeForm(request.POST if request.POST.get("do") == "postpone" else None)
    if request.method == "POST":
        done = _manage_post(request, box_id, share_form, postpone_form)
        if done:
            return redirect("bidbox:manage", box_id=box_id)
        box = queries.get_box_for(request.actor, box_id)
    hall = None if box.status == BoxState.ACCEPTING else queries.list_hall_for(request.actor, box_id)
    return render(
        request,
        "bidbox/manage.html",
        {
            "box": box,
            "hall": hall,
            "share_form": share_form,
            "postpone_form": postpone_form,
            "fallback_form": FallbackForm(),
        },
    )


def _manage_post(request: HttpRequest, box_id: int, share_form: ShareForm, postpone_form: PostponeForm) -> bool:
    verb = request.POST.get("do")
    actor = request.actor
    try:
        if verb == "start":
            actions.do_start_opening(actor=actor, box_id=box_id)
            messages.success(request, gettext("已开标"))
        elif verb == "close":
            actions.do_close_opening(actor=actor, box_id=box_id)
            messages.success(request, gettext("开标已结束，开标记录已公布"))
        elif verb == "share":
            if not share_form.is_valid():
                return False
            result = actions.do_submit_share(actor=actor, box_id=box_id, share_text=share_form.cleaned_data["share"])
            if result.error is not None:
                _refused(request, result.error)
                messages.warning(request, gettext("分片无法组合，已全部作废，请各保管人重新录入"))
            elif result.entered >= result.threshold:
                messages.success(request, gettext("已恢复开标密钥并解密 %(n)s 份投标文件") % {"n": len(result.opened)})
            else:
                messages.success(
                    request, gettext("分片已录入（%(n)s/%(k)s）") % {"n": result.entered, "k": result.threshold}
                )
        elif verb == "postpone":
            if not postpone_form.is_valid():
                return False
            actions.do_postpone_deadline(
                actor=actor,
                box_id=box_id,
                new_deadline=postpone_form.cleaned_data["new_deadline"],
                reason=postpone_form.cleaned_data["reason"],
            )
            messages.success(request, gettext("投标截止时间已顺延，已通知已递交的投标人"))
        else:
            messages.error(request, gettext("未知操作"))
    except YiwangError as exc:
        form = share_form if verb == "share" else postpone_form if verb == "postpone" else None
        if form is not None:
            add_action_error(form, exc)
            return False
        _refused(request, exc)
    return True


@_signed_in
@require_POST
def fallback(request: HttpRequest, submission_id: UUID) -> HttpResponse:
    """Staff: allow the custodians' fallback for one envelope (its failure is not the bidder's)."""
    form = FallbackForm(request.POST)
    row = Submission.objects.filter(pk=submission_id).first()
    if row is None:
        raise Http404("no such submission")
    if form.is_valid():
        try:
            actions.do_allow_fallback(
                actor=request.actor,
                submission_id=submission_id,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, gettext("已批准应急解密"))
        except YiwangError as exc:
            _refused(request, exc)
    else:
        messages.error(request, gettext("请选择原因"))
    return redirect("bidbox:manage", box_id=row.box_id)


def record(request: HttpRequest, box_id: int) -> HttpResponse:
    """开标记录 (public after every decryption)."""
    box = _box_or_404(request, box_id)
    try:
        data = queries.get_opening_record(box_id)
    except YiwangError:
        data = None
    entries = [
        {
            **e,
            "received_at": datetime.fromisoformat(e["received_at"].replace("Z", "+00:00")),
            "readout_items": list(e["readout"].items()),
        }
        for e in (data or {}).get("entries", [])
    ]
    return render(request, "bidbox/record.html", {"box": box, "record": data, "entries": entries})
