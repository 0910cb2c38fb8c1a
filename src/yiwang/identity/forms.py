"""Forms of the identity pages. Validation of substance happens in the actions; forms only carry fields."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from yiwang.identity import actions


class LoginForm(AuthenticationForm):
    """Password sign-in that refuses locked accounts and counts failures (see ``do_record_login_failure``)."""

    error_messages = {
        "invalid_login": _("登录名或密码不正确，请重新输入。"),
        "inactive": _("该账户已停用，请联系交易中心。"),
        "locked": _("连续登录失败次数过多，账户已临时锁定，请于 %(until)s 后再试。"),
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        until = actions.login_locked_until(username) if username else None
        if until is not None:
            from django.utils import timezone

            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"until": timezone.localtime(until).strftime("%H:%M")},
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if username and self.cleaned_data.get("password"):
                actions.do_record_login_failure(username=username, ip=_client_ip(self.request))
            raise


def _client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "")[:45] if request is not None else ""


class SignupForm(forms.Form):
    username = forms.CharField(label=_("登录名"), max_length=50, help_text=_("3–50 位字母、数字或 _.@-"))
    display_name = forms.CharField(label=_("姓名"), max_length=100)
    mobile = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    password = forms.CharField(
        label=_("密码"), widget=forms.PasswordInput, help_text=_("至少 10 位，不可为常见密码或纯数字")
    )
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("姓名"), max_length=100)
    mobile = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class PasswordForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的密码不一致"))
        return data
