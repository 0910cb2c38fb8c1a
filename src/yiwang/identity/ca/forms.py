"""Forms of the trust pages (staff: register a CA, change its status, import a CRL; entity admins: bind)."""

from __future__ import annotations

from django import forms

from yiwang.identity.ca.domain.mapping import PRESETS
from yiwang.identity.ca.models import CaStatus, CrlPolicy

PEM_WIDGET = forms.Textarea(attrs={"rows": 8, "class": "form-control font-monospace small", "spellcheck": "false"})


class RegisterCaForm(forms.Form):
    certificate = forms.CharField(label="CA证书（PEM）", widget=PEM_WIDGET, max_length=200_000)
    name = forms.CharField(label="名称", max_length=200, required=False, help_text="留空则取证书主题中的机构名称")
    mapping = forms.ChoiceField(
        label="主题映射",
        choices=[("", "继承上级CA"), *((name, name) for name in PRESETS)],
        required=False,
        help_text="统一社会信用代码 / 身份证号码在证书中的位置（见文档）",
    )
    crl_policy = forms.ChoiceField(label="吊销列表策略", choices=CrlPolicy.choices, initial=CrlPolicy.FAIL)
    note = forms.CharField(label="说明", max_length=500, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="新状态", choices=CaStatus.choices)
    reason = forms.CharField(label="原因", max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CrlForm(forms.Form):
    crl = forms.CharField(label="吊销列表（PEM）", widget=PEM_WIDGET, required=False, max_length=40_000_000)
    file = forms.FileField(label="或上传 CRL 文件（DER/PEM）", required=False)

    def clean(self):
        data = super().clean()
        if not data.get("crl") and not data.get("file"):
            raise forms.ValidationError("请粘贴吊销列表或上传文件")
        return data


class BindForm(forms.Form):
    certificate = forms.CharField(label="证书（PEM）", widget=PEM_WIDGET, max_length=200_000)
