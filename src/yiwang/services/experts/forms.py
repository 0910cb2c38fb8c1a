"""Forms of the experts pages. They only read the input; the actions check it, so the pages show the same
error codes as the API, each next to its field."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from yiwang.kernel.errors import YiwangError
from yiwang.platform.web.forms import coded_message
from yiwang.services.experts.domain.draw import AVOID_REASON_LABELS_ZH
from yiwang.services.experts.domain.pool import POOL_KIND_LABELS_ZH, TITLE_LEVEL_LABELS_ZH, PoolKind, TitleLevel
from yiwang.services.experts.models import SanctionKind, TieKind
from yiwang.services.experts.notify import CHANNEL_LABELS_ZH, CHANNELS

SHANGHAI = ZoneInfo("Asia/Shanghai")
LINE_ROWS = 4


class BootstrapForm(forms.Form):
    aliases: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def add_action_error(self, exc: YiwangError) -> None:
        listed = exc.details.get("errors") or [
            {
                "field": exc.details.get("field"),
                "code": exc.code,
                "message_zh": exc.message_zh,
                "message_en": exc.message_en,
            }
        ]
        for item in listed:
            name = str(item.get("field") or "").split(".")[0]
            name = self.aliases.get(name, name)
            target = name if name in self.fields else None
            self.add_error(target, coded_message(item["code"], item["message_zh"], item.get("message_en")))


def _specialty_field(choices: list[tuple[str, str]], label: str, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=[("", "—"), *choices], required=required)


class ExpertForm(BootstrapForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号码"), max_length=18)
    title = forms.CharField(label=_("职称"), max_length=60, help_text=_("如：高级工程师、正高级经济师"))
    title_level = forms.ChoiceField(
        label=_("职称级别"), choices=[(t.value, _(TITLE_LEVEL_LABELS_ZH[t])) for t in TitleLevel]
    )
    equivalent_level = forms.BooleanField(label=_("具有同等专业水平（无高级职称时）"), required=False)
    equivalent_note = forms.CharField(label=_("同等专业水平认定依据"), max_length=300, required=False)
    education = forms.CharField(label=_("学历"), max_length=30, required=False)
    kinds = forms.MultipleChoiceField(
        label=_("专家类别"),
        choices=[(k.value, _(POOL_KIND_LABELS_ZH[k])) for k in PoolKind],
        widget=forms.CheckboxSelectMultiple,
    )
    employer_entity_id = forms.IntegerField(label=_("工作单位（主体库编号）"), required=False)
    employer_uscc = forms.CharField(label=_("工作单位统一社会信用代码"), max_length=18, required=False)
    employer_name = forms.CharField(
        label=_("工作单位名称"),
        max_length=200,
        required=False,
        help_text=_("已在主体库登记的单位可只填编号或信用代码；退休人员填“退休”"),
    )
    position = forms.CharField(label=_("职务"), max_length=60, required=False)
    region_code = forms.ChoiceField(label=_("所在区域"))
    practice_since = forms.DateField(label=_("从事本专业工作起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    phone = forms.CharField(label=_("手机号码"), max_length=30)
    email = forms.CharField(label=_("电子邮箱"), max_length=120, required=False)
    notify_channels = forms.MultipleChoiceField(
        label=_("通知方式"),
        choices=[(c, _(CHANNEL_LABELS_ZH[c])) for c in CHANNELS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    main_specialty = forms.ChoiceField(label=_("主专业"))
    other_specialties = forms.MultipleChoiceField(
        label=_("其他专业"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    account_id = forms.IntegerField(label=_("专家登录账号编号"), required=False)
    aliases = {"specialties": "main_specialty"}

    def __init__(
        self,
        *args: Any,
        regions: list[tuple[str, str]],
        specialties: list[tuple[str, str]],
        editing: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = regions
        self.fields["main_specialty"].choices = [("", "—"), *specialties]
        self.fields["other_specialties"].choices = specialties
        if editing:
            del self.fields["id_number"]

    def data_for_action(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        main = d.pop("main_specialty")
        others = [c for c in d.pop("other_specialties") if c != main]
        d["specialties"] = [{"code": main, "main": True}] + [{"code": c, "main": False} for c in others]
        d["practice_since"] = d["practice_since"].isoformat() if d.get("practice_since") else None
        for key in ("employer_entity_id", "account_id"):
            if d.get(key) is None:
                d[key] = None
        return d


class StatusForm(BootstrapForm):
    action = forms.ChoiceField(
        label=_("操作"),
        choices=[
            ("suspend", pgettext_lazy("status change", "暂停")),
            ("reinstate", pgettext_lazy("status change", "恢复")),
            ("retire", pgettext_lazy("status change", "出库")),
        ],
    )
    reason = forms.CharField(label=_("原因"), max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput)


class UnavailabilityForm(BootstrapForm):
    start_date = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("事由"), max_length=200, required=False)


class TieForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("关系类型"), choices=[(v, _(label)) for v, label in TieKind.choices])
    entity_id = forms.IntegerField(label=_("单位主体库编号"), required=False)
    uscc = forms.CharField(label=_("单位统一社会信用代码"), max_length=18, required=False)
    name = forms.CharField(label=_("单位名称"), max_length=200, required=False)
    description = forms.CharField(label=_("说明"), max_length=300, required=False)
    ended_on = forms.DateField(
        label=_("关系终止日期（仍存续的不填）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SanctionForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("处理类型"), choices=[(v, _(label)) for v, label in SanctionKind.choices])
    authority = forms.CharField(label=_("处理机关"), max_length=200)
    reference = forms.CharField(label=_("决定书文号"), max_length=100, required=False)
    reason = forms.CharField(label=_("事由"), max_length=300)
    start_date = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(
        label=_("截止日期（长期的不填）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _local(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    return aware.isoformat()


def _avoid_reasons() -> str:
    """The avoidance reasons, for the help text (in the page's language)."""
    return gettext("、").join(f"{k} {gettext(v)}" for k, v in AVOID_REASON_LABELS_ZH.items())


class DrawForm(BootstrapForm):
    project_ref = forms.CharField(label=_("项目（招标项目）编号"), max_length=100)
    section_ref = forms.CharField(label=_("标段（包）编号"), max_length=100, required=False)
    title = forms.CharField(label=_("项目名称"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("评审类别"), choices=[(k.value, _(POOL_KIND_LABELS_ZH[k])) for k in PoolKind])
    region_code = forms.ChoiceField(label=_("项目所在区域"))
    region_scope = forms.MultipleChoiceField(
        label=_("抽取区域（不选为全省/市）"), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    meeting_start = forms.DateTimeField(
        label=_("评审开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    meeting_end = forms.DateTimeField(
        label=_("评审结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    venue = forms.CharField(label=_("评审地点"), max_length=200, required=False)
    representatives = forms.IntegerField(label=_("招标人（采购人）代表人数"), min_value=0, initial=0)
    budget_yuan = forms.IntegerField(label=_("预算金额（元，政府采购）"), min_value=0, required=False)
    large = forms.BooleanField(label=_("技术复杂或社会影响较大（政府采购）"), required=False)
    avoided = forms.CharField(
        label=_("回避单位"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=format_lazy(
            "{}{}", _("每行一家：回避原因代码,主体库编号或统一社会信用代码。原因："), lazy(_avoid_reasons, str)()
        ),
    )
    avoided_experts = forms.CharField(label=_("指定回避专家编号（逗号分隔）"), required=False)
    confirm_minutes = forms.IntegerField(label=_("专家答复时限（分钟）"), initial=60, min_value=5, max_value=1440)
    aliases = {"lines": "line_0_specialty", "avoided_firms": "avoided", "budget_fen": "budget_yuan"}

    def __init__(self, *args: Any, regions: list[tuple[str, str]], specialties: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = regions
        self.fields["region_scope"].choices = regions
        for i in range(LINE_ROWS):
            self.fields[f"line_{i}_specialty"] = _specialty_field(
                specialties, gettext("专业 %(n)s") % {"n": i + 1}, required=i == 0
            )
            self.fields[f"line_{i}_count"] = forms.IntegerField(
                label=_("人数"), min_value=1, required=False, initial=5 if i == 0 else None
            )
            self.fields[f"line_{i}_reserve"] = forms.IntegerField(
                label=_("备选"), min_value=0, required=False, initial=2 if i == 0 else None
            )
            for name in (f"line_{i}_specialty", f"line_{i}_count", f"line_{i}_reserve"):
                widget = self.fields[name].widget
                widget.attrs.setdefault("class", "form-select" if name.endswith("specialty") else "form-control")

    def line_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"line_{i}_specialty"], self[f"line_{i}_count"], self[f"line_{i}_reserve"]) for i in range(LINE_ROWS)
        ]

    def data_for_action(self) -> dict[str, Any]:
        d = self.cleaned_data
        lines = []
        for i in range(LINE_ROWS):
            code = d.get(f"line_{i}_specialty")
            if code:
                lines.append(
                    {
                        "specialty": code,
                        "count": d.get(f"line_{i}_count") or 0,
                        "reserve": d.get(f"line_{i}_reserve") or 0,
                    }
                )
        firms = []
        for raw in (d.get("avoided") or "").splitlines():
            if not raw.strip():
                continue
            reason, _, who = (p.strip() for p in raw.replace("，", ",").partition(","))
            firms.append({"reason": reason, **({"entity_id": who} if who.isdigit() else {"uscc": who})})
        experts = [p.strip() for p in (d.get("avoided_experts") or "").replace("，", ",").split(",") if p.strip()]
        return {
            "project_ref": d["project_ref"],
            "section_ref": d.get("section_ref") or "",
            "title": d.get("title") or "",
            "kind": d["kind"],
            "region_code": d["region_code"],
            "region_scope": d.get("region_scope") or None,
            "meeting_start": _local(d.get("meeting_start")),
            "meeting_end": _local(d.get("meeting_end")),
            "venue": d.get("venue") or "",
            "lines": lines,
            "avoided_firms": firms,
            "avoided_experts": experts,
            "representatives": d.get("representatives") or 0,
            "budget_fen": d["budget_yuan"] * 100 if d.get("budget_yuan") is not None else None,
            "large": bool(d.get("large")),
            "confirm_minutes": d.get("confirm_minutes") or 60,
        }


class DeclineForm(BootstrapForm):
    reason = forms.CharField(label=_("拒绝理由"), max_length=300)
