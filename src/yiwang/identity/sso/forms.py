"""Forms of the single sign-on pages. Validation of substance happens in the actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", "\n").split() if line.strip()]


class RelyingPartyForm(forms.Form):
    name = forms.CharField(label=_("接入系统名称"), max_length=100)
    client_type = forms.ChoiceField(
        label=_("客户端类型"),
        choices=[("confidential", _("服务端应用（有密钥）")), ("public", _("移动端/单页应用（无密钥，仅 PKCE）"))],
        initial="confidential",
    )
    redirect_uris = forms.CharField(
        label=_("登录回调地址"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("每行一个，须为 https:// 开头的完整地址，按原样精确匹配"),
    )
    post_logout_redirect_uris = forms.CharField(
        label=_("退出后返回地址"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("每行一个，可不填"),
    )

    def clean_redirect_uris(self) -> list[str]:
        return _lines(self.cleaned_data["redirect_uris"])

    def clean_post_logout_redirect_uris(self) -> list[str]:
        return _lines(self.cleaned_data.get("post_logout_redirect_uris") or "")
