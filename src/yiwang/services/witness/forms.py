"""Forms of the on-site record pages (times as Beijing time; the actions check everything)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.kernel.errors import YiwangError
from yiwang.platform.web.forms import add_action_error
from yiwang.services.witness.domain.rules import KIND_LABELS_ZH

KINDS = [(k.value, _(v)) for k, v in KIND_LABELS_ZH.items()]
REPORT = [("", _("按类型（异常情况、现场质疑报送）")), ("1", _("报送监管")), ("0", _("不报送"))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            w = field.widget
            if isinstance(w, forms.Select):
                w.attrs.setdefault("class", "form-select")
            elif not isinstance(w, forms.CheckboxInput | MultipleFileInput):
                w.attrs.setdefault("class", "form-control")

    def add_action_error(self, exc: YiwangError) -> None:
        field = str(exc.details.get("field") or "")
        if field not in self.fields:
            exc.details.pop("field", None)
            if exc.code.startswith("storage."):
                exc.details["field"] = "files"
        add_action_error(self, exc)

    def report(self) -> bool | None:
        value = self.cleaned_data.get("report") or ""
        return None if value == "" else value == "1"


class RecordForm(_Form):
    kind = forms.ChoiceField(label=_("记录类型"), choices=KINDS)
    occurred_at = forms.DateTimeField(
        label=_("发生时间（北京时间，缺省为现在）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    region_code = forms.CharField(label=_("发生地区域代码"), max_length=6)
    place = forms.CharField(label=_("地点（场所、房间）"), max_length=200, required=False)
    title = forms.CharField(label=_("项目名称"), max_length=200, required=False)
    owner_ref = forms.CharField(
        label=_("业务对象引用"), max_length=120, required=False, help_text=_("如 tender.section:12")
    )
    booking_ref = forms.CharField(
        label=_("场所预约引用"), max_length=120, required=False, help_text=_("如 venues.booking:7")
    )
    description = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 5}))
    report = forms.ChoiceField(label=_("报送监管"), choices=REPORT, required=False)
    files = MultipleFileField(label=_("附件（照片、扫描件，可多选）"), required=False)


class CorrectionForm(_Form):
    kind = forms.ChoiceField(label=_("记录类型"), choices=KINDS)
    description = forms.CharField(label=_("更正后的情况说明"), widget=forms.Textarea(attrs={"rows": 4}))
    reason = forms.CharField(label=_("更正原因"), max_length=300)
    report = forms.ChoiceField(label=_("报送监管"), choices=REPORT, required=False)
    keep_attachments = forms.BooleanField(label=_("保留原附件"), required=False, initial=True)
    files = MultipleFileField(label=_("补充附件"), required=False)
