"""Forms of the registry pages. They only read the input; every check is the action's, so a page shows the
same error codes as the API, each next to its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from yiwang.kernel.errors import YiwangError
from yiwang.kernel.money import Money, parse_fen
from yiwang.platform.web.forms import coded_message
from yiwang.registry import queries
from yiwang.registry.models import EntityKind
from yiwang.registry.validation import (
    RESIDENT_ID,
    T_ID_DOCUMENT,
    T_NATURE,
    T_PARTY_ROLE,
    T_PERSONNEL_ROLE,
    T_PRACTISING,
    T_QUALIFICATION,
)


class BootstrapForm(forms.Form):
    """Adds Bootstrap classes to the widgets, and puts action errors next to their fields."""

    # Where an action's field name differs from the form's.
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
        """Attach ``exc`` (and every error listed in ``details["errors"]``) to the fields they name."""
        listed = exc.details.get("errors") or [
            {"field": exc.details.get("field"), "code": exc.code, "message_zh": exc.message_zh}
        ]
        for item in listed:
            name = item.get("field") or ""
            name = self.aliases.get(name, name)
            target = name if name in self.fields else None
            message = coded_message(item["code"], item["message_zh"], item.get("message_en"))
            if target and target in self.errors and message in self.errors[target]:
                continue
            self.add_error(target, message)
        for name in self.errors:
            if name in self.fields:
                css = self.fields[name].widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    self.fields[name].widget.attrs["class"] = f"{css} is-invalid".strip()


def code_choices(table: str) -> list[tuple[str, str]]:
    """A code table's choices with each label in the page's language (the catalogue's Chinese label is the
    message id)."""
    return [(code, gettext(label)) for code, label in queries.choices(table)]


def _optional(choices: list[tuple[str, str]], blank: str = "（请选择）") -> list[tuple[str, str]]:
    return [("", gettext(blank)), *choices]


class EntityForm(BootstrapForm):
    aliases = {"registered_capital_fen": "registered_capital"}
    kind = forms.ChoiceField(
        label=_("主体类型"), choices=[(k, _(label)) for k, label in EntityKind.choices], initial=EntityKind.LEGAL_PERSON
    )
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        required=False,
        max_length=30,
        help_text=_("组织填写；输入后自动从登记机关获取登记信息"),
    )
    id_document_type = forms.ChoiceField(label=_("证件类型"), required=False)
    id_number = forms.CharField(label=_("证件号码"), required=False, max_length=40, help_text=_("自然人填写"))
    name = forms.CharField(label=_("名称（姓名）"), required=False, max_length=200)
    legal_rep_name = forms.CharField(label=_("法定代表人（负责人）"), required=False, max_length=100)
    legal_rep_id_type = forms.ChoiceField(label=_("法定代表人证件类型"), required=False)
    legal_rep_id_number = forms.CharField(label=_("法定代表人证件号码"), required=False, max_length=40)
    region_code = forms.ChoiceField(label=_("所在行政区划"), required=False)
    address = forms.CharField(label=_("住所（经营场所）"), required=False, max_length=300)
    contact_name = forms.CharField(label=_("联系人"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    contact_email = forms.CharField(label=_("电子邮箱"), required=False, max_length=254)
    registered_capital = forms.CharField(label=_("注册资本（元）"), required=False, max_length=30)
    established_on = forms.DateField(
        label=_("成立日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    enterprise_nature = forms.ChoiceField(label=_("企业性质"), required=False)
    business_scope = forms.CharField(label=_("经营范围"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    roles = forms.MultipleChoiceField(label=_("主体角色"), required=False, widget=forms.CheckboxSelectMultiple)

    KEY_FIELDS = ("kind", "uscc", "id_document_type", "id_number")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        documents = code_choices(T_ID_DOCUMENT)
        self.fields["id_document_type"].choices = documents
        self.fields["id_document_type"].initial = RESIDENT_ID
        self.fields["legal_rep_id_type"].choices = documents
        self.fields["legal_rep_id_type"].initial = RESIDENT_ID
        self.fields["enterprise_nature"].choices = _optional(code_choices(T_NATURE))
        self.fields["roles"].choices = code_choices(T_PARTY_ROLE)
        regions = queries.region_choices()
        current = self.initial.get("region_code") or (self.data.get("region_code") if self.is_bound else None)
        if current and current not in {code for code, _ in regions}:
            regions.append((current, gettext("%(code)s（现已撤销或无效）") % {"code": current}))
        self.fields["region_code"].choices = _optional(regions)
        self.editing = editing
        if editing:
            for name in self.KEY_FIELDS:
                del self.fields[name]

    def data_for_action(self) -> dict[str, Any]:
        """The cleaned input as action data (capital in fen); call after ``is_valid()``."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "registered_capital"}
        capital = (self.cleaned_data.get("registered_capital") or "").strip()
        try:
            data["registered_capital_fen"] = parse_fen(capital) if capital else None
        except YiwangError as exc:
            raise exc.at("registered_capital_fen") from None
        if data.get("kind") != EntityKind.NATURAL_PERSON:
            data.pop("id_document_type", None)
        if not data.get("legal_rep_id_number"):
            data.pop("legal_rep_id_type", None)
        return data

    @staticmethod
    def initial_from(view: Any) -> dict[str, Any]:
        capital = view.registered_capital_fen
        return {
            "name": view.name,
            "legal_rep_name": view.legal_rep_name,
            "legal_rep_id_type": view.legal_rep_id_type or RESIDENT_ID,
            "legal_rep_id_number": view.legal_rep_id_number,
            "region_code": view.region_code,
            "address": view.address,
            "contact_name": view.contact_name,
            "contact_phone": view.contact_phone,
            "contact_email": view.contact_email,
            "registered_capital": str(Money(capital).to_yuan()) if capital is not None else "",
            "established_on": view.established_on,
            "enterprise_nature": view.enterprise_nature,
            "business_scope": view.business_scope,
            "roles": list(view.roles),
        }


class QualificationForm(BootstrapForm):
    qualification_type = forms.ChoiceField(label=_("资质类别"), required=False)
    certificate_no = forms.CharField(label=_("证书编号"), required=False, max_length=64)
    level = forms.CharField(label=_("资质等级"), required=False, max_length=50)
    scope = forms.CharField(label=_("资质范围"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    issuing_authority = forms.CharField(label=_("发证机关"), required=False, max_length=200)
    valid_from = forms.DateField(
        label=_("有效期起"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    valid_to = forms.DateField(
        label=_("有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("留空表示长期有效"),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["qualification_type"].choices = _optional(code_choices(T_QUALIFICATION))


class PersonnelForm(BootstrapForm):
    aliases = {
        "certificates.0.certificate_type": "certificate_type",
        "certificates.0.number": "certificate_number",
        "certificates.0.specialty": "certificate_specialty",
        "certificates.0.valid_to": "certificate_valid_to",
    }
    name = forms.CharField(label=_("姓名"), required=False, max_length=100)
    id_document_type = forms.ChoiceField(label=_("证件类型"), required=False)
    id_number = forms.CharField(label=_("证件号码"), required=False, max_length=40)
    personnel_role = forms.ChoiceField(label=_("人员类别"), required=False)
    title = forms.CharField(label=_("职称"), required=False, max_length=100)
    certificate_type = forms.ChoiceField(label=_("执业资格类别"), required=False)
    certificate_number = forms.CharField(label=_("执业资格证书编号"), required=False, max_length=64)
    certificate_specialty = forms.CharField(label=_("专业"), required=False, max_length=100)
    certificate_valid_to = forms.DateField(
        label=_("证书有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["id_document_type"].choices = code_choices(T_ID_DOCUMENT)
        self.fields["id_document_type"].initial = RESIDENT_ID
        self.fields["personnel_role"].choices = _optional(code_choices(T_PERSONNEL_ROLE))
        self.fields["certificate_type"].choices = _optional(code_choices(T_PRACTISING), "（无）")

    def data_for_action(self) -> dict[str, Any]:
        data = {
            k: self.cleaned_data.get(k) for k in ("name", "id_document_type", "id_number", "personnel_role", "title")
        }
        if self.cleaned_data.get("certificate_type") or self.cleaned_data.get("certificate_number"):
            data["certificates"] = [
                {
                    "certificate_type": self.cleaned_data.get("certificate_type"),
                    "number": self.cleaned_data.get("certificate_number"),
                    "specialty": self.cleaned_data.get("certificate_specialty"),
                    "valid_to": self.cleaned_data.get("certificate_valid_to"),
                }
            ]
        else:
            data["certificates"] = []
        return data


class BankAccountForm(BootstrapForm):
    bank_name = forms.CharField(label=_("开户银行"), required=False, max_length=100)
    branch_name = forms.CharField(label=_("开户网点（支行）"), required=False, max_length=200)
    account_name = forms.CharField(label=_("户名"), required=False, max_length=200, help_text=_("须与主体登记名称一致"))
    account_number = forms.CharField(label=_("账号"), required=False, max_length=60)
    permit_number = forms.CharField(
        label=_("基本存款账户编号"),
        required=False,
        max_length=20,
        help_text=_("即原开户许可证核准号，J 加 13 位数字，可不填"),
    )


class StatusForm(BootstrapForm):
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[
            ("active", _("正常（恢复）")),
            ("suspended", pgettext_lazy("entity", "暂停")),
            ("cancelled", pgettext_lazy("entity", "注销")),
        ],
    )
    reason = forms.CharField(label=_("原因"), required=False, max_length=300)
