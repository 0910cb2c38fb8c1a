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
