"""Forms of the finance pages."""

from __future__ import annotations

from django import forms


class AssignForm(forms.Form):
    lot_ref = forms.CharField(label="标段引用", max_length=120)
    entity_id = forms.IntegerField(label="投标人主体编号", min_value=1)
    note = forms.CharField(label="核实说明", max_length=200, required=False)


class SimPaymentForm(forms.Form):
    virtual_account = forms.CharField(label="收款虚拟子账号", max_length=40)
    amount = forms.CharField(label="金额（元）", max_length=20)
    payer_account = forms.CharField(label="付款账号", max_length=40)
    payer_name = forms.CharField(label="付款户名", max_length=200)


class GuaranteeApplyForm(forms.Form):
    lot_ref = forms.CharField(label="标段引用", max_length=120)
    entity_id = forms.TypedChoiceField(label="投标单位", coerce=int)
    issuer_id = forms.TypedChoiceField(label="出具机构", coerce=int)
    form = forms.ChoiceField(label="形式", choices=[("letter", "电子保函"), ("policy", "保证保险保单")])

    def __init__(self, *args, entities=(), issuers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity_id"].choices = list(entities)
        self.fields["issuer_id"].choices = list(issuers)


class IssuerRegisterForm(forms.Form):
    entity_id = forms.IntegerField(label="主体编号", min_value=1)
    kind = forms.ChoiceField(
        label="类别", choices=[("bank", "银行"), ("insurer", "保险公司"), ("guarantor", "担保公司")]
    )
    certificate = forms.CharField(label="签名证书（PEM）", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    note = forms.CharField(label="备注", max_length=300, required=False)


class IssuerStatusForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=[("active", "恢复"), ("suspended", "暂停")])
    reason = forms.CharField(label="原因", max_length=300, required=False)
