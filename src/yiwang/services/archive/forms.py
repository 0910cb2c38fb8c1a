"""Forms of the archive pages (the actions check everything again; these only shape the input)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CreateForm(forms.Form):
    project_ref = forms.CharField(
        label=_("项目引用"), max_length=120, help_text=_("对象类型:对象编号，如 tender.project:12")
    )
    category = forms.CharField(
        label=_("交易类别"), max_length=40, required=False, help_text=_("works、gp 等，决定保存期限规则")
    )
    title = forms.CharField(label=_("档案标题"), max_length=200, required=False)
    region = forms.CharField(
        label=pgettext_lazy("archive", "行政区划代码"),
        max_length=6,
        required=False,
        help_text=_("限定可查看的工作人员范围"),
    )
    reason = forms.CharField(label=_("归档事由"), max_length=500, help_text=_("如：项目结束归档"))


class HoldForm(forms.Form):
    project_ref = forms.CharField(
        label=_("项目引用"), max_length=120, help_text=_("对象类型:对象编号；尚未归档的项目也可保全")
    )
    reason = forms.CharField(label=_("保全事由"), max_length=500, help_text=_("如：案件调查需要，依据某某文书"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("事由"), max_length=500)


class DisposeForm(forms.Form):
    reason = forms.CharField(label=_("处置事由"), max_length=500)
    version = forms.IntegerField(label=_("版本"), required=False, min_value=1)
