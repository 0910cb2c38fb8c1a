"""Pages for regulators: the alert list with filters, the alert that explains itself (definitions, parameters,
the evidence table, the history) with its workflow buttons, screening runs (start one, import OCDS, read the
report), and the indicator catalogue. Auditors read; market participants and staff get a 403."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.platform.web.forms import error_text
from yiwang.supervision.redflags import actions, queries
from yiwang.supervision.redflags.domain import registry
from yiwang.supervision.redflags.domain.registry import UNIT_LABELS_ZH
from yiwang.supervision.redflags.domain.workflow import STATUS_LABELS_ZH, VERB_LABELS_ZH, Verb


def _reader(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not queries.may_read(request.actor):
            raise DjangoPermissionDenied("red flags are for regulators and auditors")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# -- evidence as tables --------------------------------------------------------------------------------------------

LABELS = {
    "winner": pgettext_lazy("redflags evidence", "中标人"),
    "winner_bid": pgettext_lazy("redflags evidence", "中标投标"),
    "winner_amount": pgettext_lazy("redflags evidence", "中标报价"),
    "second": pgettext_lazy("redflags evidence", "次低价投标人"),
    "second_bid": pgettext_lazy("redflags evidence", "次低价投标"),
    "second_amount": pgettext_lazy("redflags evidence", "次低报价"),
    "ratio": pgettext_lazy("redflags evidence", "比率"),
    "lower_fence": pgettext_lazy("redflags evidence", "下限"),
    "upper_fence": pgettext_lazy("redflags evidence", "上限"),
    "q1": pgettext_lazy("redflags evidence", "Q1"),
    "q3": pgettext_lazy("redflags evidence", "Q3"),
    "matches": pgettext_lazy("redflags evidence", "一致的特征"),
    "kind": pgettext_lazy("redflags evidence", "类别"),
    "kind_label": pgettext_lazy("redflags evidence", "特征"),
    "value": pgettext_lazy("redflags evidence", "取值"),
    "tenderers": pgettext_lazy("redflags evidence", "投标人"),
    "tenderer": pgettext_lazy("redflags evidence", "投标人"),
    "tenderer_id": pgettext_lazy("redflags evidence", "投标人"),
    "bids": pgettext_lazy("redflags evidence", "投标"),
    "bid": pgettext_lazy("redflags evidence", "投标"),
    "bid_id": pgettext_lazy("redflags evidence", "投标"),
    "sources": pgettext_lazy("redflags evidence", "数据来源"),
    "linked_tenderers": pgettext_lazy("redflags evidence", "关联投标人"),
    "pairs": pgettext_lazy("redflags evidence", "投标人对"),
    "max_holders": pgettext_lazy("redflags evidence", "公共值门槛"),
    "patterns": pgettext_lazy("redflags evidence", "规律"),
    "gaps": pgettext_lazy("redflags evidence", "相邻差额"),
    "ratios": pgettext_lazy("redflags evidence", "相邻比值"),
    "gap_deviation": pgettext_lazy("redflags evidence", "差额最大相对偏差"),
    "ratio_deviation": pgettext_lazy("redflags evidence", "比值最大相对偏差"),
    "eps": pgettext_lazy("redflags evidence", "容许偏差"),
    "tail": pgettext_lazy("redflags evidence", "相同尾数"),
    "amount": pgettext_lazy("redflags evidence", "报价"),
    "score": pgettext_lazy("redflags evidence", "综合得分"),
    "cut": pgettext_lazy("redflags evidence", "预警线"),
    "n": pgettext_lazy("redflags evidence", "有效报价数"),
    "screens": pgettext_lazy("redflags evidence", "筛查值"),
    "tender_start": pgettext_lazy("redflags evidence", "投标期开始"),
    "tender_end": pgettext_lazy("redflags evidence", "投标截止"),
    "days": pgettext_lazy("redflags evidence", "天数"),
    "threshold_days": pgettext_lazy("redflags evidence", "最短天数"),
    "deviations": pgettext_lazy("redflags evidence", "评分偏离"),
    "expert": pgettext_lazy("redflags evidence", "专家"),
    "criterion": pgettext_lazy("redflags evidence", "评分项"),
    "others_median": pgettext_lazy("redflags evidence", "其他专家中位数"),
    "deviation": pgettext_lazy("redflags evidence", "偏离率"),
    "favoured_bidders": pgettext_lazy("redflags evidence", "受益投标人"),
    "together": pgettext_lazy("redflags evidence", "同场/共同项目数"),
    "wins": pgettext_lazy("redflags evidence", "中标数"),
    "expected_wins": pgettext_lazy("redflags evidence", "期望中标数"),
    "lift": pgettext_lazy("redflags evidence", "提升度"),
    "p_value": pgettext_lazy("redflags evidence", "p 值"),
    "q_value": pgettext_lazy("redflags evidence", "q 值（BH）"),
    "processes": pgettext_lazy("redflags evidence", "项目"),
    "recurrent_winner": pgettext_lazy("redflags evidence", "固定中标人"),
    "jaccard": pgettext_lazy("redflags evidence", "Jaccard 相似度"),
    "minhash_estimate": pgettext_lazy("redflags evidence", "MinHash 估计"),
    "shared_shingles": pgettext_lazy("redflags evidence", "相同片段数"),
    "examples": pgettext_lazy("redflags evidence", "相同片段示例"),
    "late_bids": pgettext_lazy("redflags evidence", "逾期投标"),
    "received": pgettext_lazy("redflags evidence", "递交时间"),
    "identical_prices": pgettext_lazy("redflags evidence", "相同报价"),
    "disqualified_tenderers": pgettext_lazy("redflags evidence", "被否决的投标人"),
    "disqualified_bids": pgettext_lazy("redflags evidence", "被否决的投标"),
    "lowest_bid": pgettext_lazy("redflags evidence", "最低报价投标"),
    "lowest_amount": pgettext_lazy("redflags evidence", "最低报价"),
    "disqualified": pgettext_lazy("redflags evidence", "被否决数"),
    "submitted": pgettext_lazy("redflags evidence", "已递交数"),
    "valid_bids": pgettext_lazy("redflags evidence", "有效投标项目数"),
    "classifications": pgettext_lazy("redflags evidence", "品目分类"),
}


@dataclass
class Block:
    title: str
    pairs: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:.6g}"
    if isinstance(value, bool):
        return pgettext("redflags", "是") if value else pgettext("redflags", "否")
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return pgettext("redflags", "、").join(_text(v) for v in value) or "—"
        return json.dumps(value, ensure_ascii=False)[:500]
    if isinstance(value, dict):
        return pgettext("redflags", "；").join(f"{LABELS.get(k, k)} {_text(v)}" for k, v in value.items())
    return str(value)


def evidence_blocks(evidence: Mapping[str, Any]) -> list[Block]:
    """Evidence as blocks: the scalar facts as label/value pairs, each list of records as a table."""
    head = Block("")
    blocks = [head]
    for key, value in evidence.items():
        label = LABELS.get(key, key)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns: list[str] = []
            for item in value:
                for k in item:
                    if k not in columns:
                        columns.append(k)
            blocks.append(
                Block(
                    label,
                    columns=[LABELS.get(c, c) for c in columns],
                    rows=[[_text(item.get(c)) for c in columns] for item in value[:100]],
                )
            )
        else:
            head.pairs.append((label, _text(value)))
    return [b for b in blocks if b.pairs or b.rows]


# -- alerts -----------------------------------------------------------------------------------------------------


def _float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@_reader
def index(request: HttpRequest) -> HttpResponse:
    """预警列表: strongest first, filtered by status, indicator, region, text, score, my alerts."""
    f = {k: request.GET.get(k, "").strip() for k in ("status", "code", "region", "q", "min_score", "subject_type")}
    mine = request.GET.get("mine") == "1"
    try:
        page_no = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_no = 1
    limit = 30
    page = queries.list_alerts_for(
        request.actor,
        status=f["status"] or None,
        open_only=not f["status"] and request.GET.get("all") != "1",
        code=f["code"] or None,
        region=f["region"] or None,
        q=f["q"] or None,
        min_score=_float(f["min_score"]),
        subject_type=f["subject_type"] or None,
        mine=mine,
        limit=limit,
        offset=(page_no - 1) * limit,
    )
    context = {
        **f,
        "mine": mine,
        "page": page,
        "page_no": page_no,
        "pages": max(1, (page.total + limit - 1) // limit),
        "statuses": list(STATUS_LABELS_ZH.items()),
        "indicators": registry.all_indicators(),
        "units": list(UNIT_LABELS_ZH.items()),
        "scopes": request.actor.region_scopes(*queries.READERS),
        "open_counts": [
            (label, n)
            for st, label in STATUS_LABELS_ZH.items()
            if (n := queries.count_open_alerts_for(request.actor).get(st.value))
        ],
    }
    return render(request, "redflags/index.html", context)


@_reader
def alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One alert that explains itself."""
    try:
        detail = queries.get_alert_for(request.actor, alert_id)
    except NotFound:
        raise Http404("no such alert") from None
    findings = [{"f": f, "blocks": evidence_blocks(f.evidence)} for f in detail.findings]
    context = {
        "a": detail,
        "findings": findings,
        "verbs": [(v, pgettext("redflags", VERB_LABELS_ZH[Verb(v)])) for v in detail.allowed],
        "status_labels": STATUS_LABELS_ZH,
    }
    return render(request, "redflags/alert.html", context)


@_reader
@require_POST
def act(request: HttpRequest, alert_id: int) -> HttpResponse:
    """The workflow buttons: assign, investigate, confirm, dismiss, close."""
    verb = request.POST.get("verb", "")
    reason = request.POST.get("reason", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    actor = request.actor
    try:
        if verb == Verb.ASSIGN:
            who = request.POST.get("assignee", "").strip()
            assignee = actor if who in ("", "me") else actions.assignee_for_username(who)
            if assignee is None:
                raise actions.errors.assignee_invalid(who)
            actions.do_assign_alert(actor=actor, alert_id=alert_id, assignee=assignee, expected_version=version)
        elif verb == Verb.INVESTIGATE:
            actions.do_start_investigation(actor=actor, alert_id=alert_id, expected_version=version)
        elif verb == Verb.CONFIRM:
            actions.do_confirm_alert(
                actor=actor,
                alert_id=alert_id,
                reason=reason,
                false_positive_codes=request.POST.getlist("fp"),
                expected_version=version,
            )
        elif verb == Verb.DISMISS:
            actions.do_dismiss_alert(
                actor=actor,
                alert_id=alert_id,
                reason=reason,
                false_positive_codes=request.POST.getlist("fp") or None,
                expected_version=version,
            )
        elif verb == Verb.CLOSE:
            actions.do_close_alert(actor=actor, alert_id=alert_id, reason=reason, expected_version=version)
        else:
            messages.error(request, pgettext("redflags", "未知的操作"))
            return redirect("redflags:alert", alert_id=alert_id)
    except NotFound:
        raise Http404("no such alert") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            gettext("已%(verb)s，并记入见证日志。") % {"verb": pgettext("redflags", VERB_LABELS_ZH[Verb(verb)])},
        )
    return redirect("redflags:alert", alert_id=alert_id)


# -- runs ---------------------------------------------------------------------------------------------------------


def _may_run(request: HttpRequest) -> bool:
    return bool(request.actor.region_scopes(Role.REGULATOR))


@_reader
def runs(request: HttpRequest) -> HttpResponse:
    """筛查批次: the runs of my regions; regulators start a platform screen or import an OCDS file."""
    context = {
        "runs": queries.list_runs_for(request.actor, limit=50),
        "may_run": _may_run(request),
        "scopes": request.actor.region_scopes(Role.REGULATOR),
        "indicators": registry.all_indicators(),
    }
    return render(request, "redflags/runs.html", context)


@_reader
@require_POST
def start_run(request: HttpRequest) -> HttpResponse:
    if not _may_run(request):
        raise DjangoPermissionDenied("regulators start runs")
    region = request.POST.get("region_code", "")
    codes = request.POST.getlist("codes") or None
    try:
        if request.POST.get("source") == "ocds":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, gettext("请选择 OCDS 文件"))
                return redirect("redflags:runs")
            run = actions.do_import_ocds(
                actor=request.actor,
                source=upload.read(),
                region_code=region,
                label=upload.name or "",
                currency=request.POST.get("currency", "").strip() or None,
                codes=codes,
                workers=1,
            )
        else:
            run = actions.do_run_platform(actor=request.actor, region_code=region, codes=codes)
    except YiwangError as exc:
        messages.error(request, error_text(exc))
        return redirect("redflags:runs")
    messages.success(
        request,
        gettext("筛查完成：发现 %(findings)s 条，新预警 %(raised)s 条。")
        % {"findings": run.findings_count, "raised": run.alerts_raised},
    )
    return redirect("redflags:run", run_id=run.pk)


@_reader
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        view = queries.get_run_for(request.actor, run_id)
    except NotFound:
        raise Http404("no such run") from None
    names = {i.code: i.name_zh for i in registry.all_indicators()}
    rows = [{"code": c, "name": names.get(c, c), **s} for c, s in view.summary.items()]
    return render(request, "redflags/run.html", {"r": view, "rows": rows})


@_reader
def run_cardinal(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        data = queries.cardinal_output_for(request.actor, run_id)
    except NotFound:
        raise Http404("no such run") from None
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="redflags-run-{run_id}-cardinal.json"'
    return response


def indicators(request: HttpRequest) -> HttpResponse:
    """预警指标目录 (public: definitions and sources only)."""
    return render(request, "redflags/indicators.html", {"indicators": queries.list_indicators()})
