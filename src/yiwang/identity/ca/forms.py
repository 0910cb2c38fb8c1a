"""Forms of the trust pages (staff: register a CA, change its status, import a CRL; entity admins: bind)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.identity.ca.domain.mapping import PRESETS
from yiwang.identity.ca.models import CaStatus, CrlPolicy

PEM_WIDGET = forms.Textarea(attrs={"rows": 8, "class": "form-control font-monospace small", "spellcheck": "false"})


class RegisterCaForm(forms.Form):
    certificate = forms.CharField(label=_("CA证书（PEM）"), widget=PEM_WIDGET, max_length=200_000)
    name = forms.CharField(label=_("名称"), max_length=200, required=False, help_text=_("留空则取证书主题中的机构名称"))
    mapping = forms.ChoiceField(
        label=_("主题映射"),
        choices=[("", _("继承上级CA")), *((name, name) for name in PRESETS)],
        required=False,
        help_text=_("统一社会信用代码 / 身份证号码在证书中的位置（见文档）"),
    )
    crl_policy = forms.ChoiceField(
        label=_("吊销列表策略"), choices=[(v, _(label)) for v, label in CrlPolicy.choices], initial=CrlPolicy.FAIL
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("新状态"), choices=[(v, _(label)) for v, label in CaStatus.choices])
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CrlForm(forms.Form):
    crl = forms.CharField(label=_("吊销列表（PEM）"), widget=PEM_WIDGET, required=False, max_length=40_000_000)
    file = forms.FileField(label=_("或上传 CRL 文件（DER/PEM）"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("crl") and not data.get("file"):
            raise forms.ValidationError(_("请粘贴吊销列表或上传文件"))
        return data


class BindForm(forms.Form):
    certificate = forms.CharField(label=_("证书（PEM）"), widget=PEM_WIDGET, max_length=200_000)
