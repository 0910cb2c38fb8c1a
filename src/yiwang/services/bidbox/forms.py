"""Forms of the bid-box pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.services.bidbox.domain.rules import FALLBACK_REASON_LABELS


class SubmitForm(forms.Form):
    file = forms.FileField(label=_("投标文件（.ywenv 数字信封）"))
    entity_id = forms.TypedChoiceField(label=_("投标单位"), coerce=int, choices=())

    def __init__(self, *args, entities: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity_id"].choices = entities
        if len(entities) == 1:
            self.fields["entity_id"].initial = entities[0][0]


class ContentKeyForm(forms.Form):
    content_key = forms.CharField(
        label=_("内容密钥（十六进制）"),
        max_length=80,
        help_text=_("用投标工具执行 yiwang bidbox unwrap --envelope 投标文件.ywenv --key 私钥.pem 得到"),
    )


class ShareForm(forms.Form):
    share = forms.CharField(label=_("密钥分片（YWSS1-…）"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class FallbackForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("非投标人原因"), choices=[(k.value, _(v)) for k, v in FALLBACK_REASON_LABELS.items()]
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class PostponeForm(forms.Form):
    new_deadline = forms.DateTimeField(
        label=_("新的投标截止时间（北京时间）"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("顺延原因"), max_length=500)
