"""Forms of the tender pages (Chinese labels, English under the switch: the Chinese text is the message id;
amounts typed in 元 and kept in 分)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from yiwang.trading.tender.domain import procedures as procedure_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
# step 1: a deadline can be entered to the second (the browser's default step is a minute)
DT = forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control", "step": "1"})


def yuan_to_fen(value: Decimal | None) -> int | None:
    if value is None:
        return None
    return int((value * 100).to_integral_value())


class YuanField(forms.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("widget", forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}))
        super().__init__(**kwargs)


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read as Shanghai wall time."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DT)
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)

    def to_python(self, value):
        result = super().to_python(value)
        if isinstance(result, datetime):
            result = result.replace(tzinfo=None).replace(tzinfo=SHANGHAI)
        return result


def _text(label: str | Promise, *, required: bool = True, max_length: int = 300, area: bool = False) -> forms.CharField:
    widget = (
        forms.Textarea(attrs={"class": "form-control", "rows": 3})
        if area
        else forms.TextInput(attrs={"class": "form-control"})
    )
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)


class ProjectForm(forms.Form):
    procedure = forms.ChoiceField(
        label=gettext_lazy("招标（采购）方式"), widget=forms.Select(attrs={"class": "form-select"})
    )
    subject = forms.ChoiceField(
        label=gettext_lazy("标的类别"),
        choices=[(k, gettext_lazy(v)) for k, v in procedure_rules.SUBJECT_LABELS.items()],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    name = _text(gettext_lazy("项目名称"), max_length=600)
    region_code = _text(gettext_lazy("项目所在地行政区划代码"), max_length=6)
    owner = forms.ChoiceField(label=gettext_lazy("以何身份创建"), widget=forms.Select(attrs={"class": "form-select"}))
    tenderer_entity_id = forms.IntegerField(
        label=gettext_lazy("招标人（采购人）主体编号"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        help_text=gettext_lazy("以代理机构身份创建时填写委托的招标人主体编号"),
    )
    content = _text(gettext_lazy("招标内容"), required=False, max_length=5000, area=True)
    section_name = _text(gettext_lazy("标段（包）名称"), max_length=300)
    estimate_yuan = YuanField(label=gettext_lazy("合同估算价 / 预算（元）"), min_value=Decimal("0.01"))
    deposit_yuan = YuanField(label=gettext_lazy("投标保证金（元，0 为不收取）"), required=False)
    duration_text = _text(gettext_lazy("工期（交货期）"), required=False, max_length=100)
    evaluation_method = forms.ChoiceField(
        label=gettext_lazy("评标办法"),
        choices=[(k, gettext_lazy(v)) for k, v in procedure_rules.METHODS.items()],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    price_weight = forms.IntegerField(
        label=gettext_lazy("价格分权重（%，综合评估/评分法）"),
        required=False,
        min_value=1,
        max_value=100,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    qualification_text = _text(
        gettext_lazy("资格审查条件（资格后审，每行一条）"), required=False, max_length=5000, area=True
    )
    is_test_data = forms.BooleanField(label=gettext_lazy("测试数据（演示、培训）"), required=False)
    acceleration = forms.IntegerField(
        label=gettext_lazy("时限加速倍数（仅测试数据）"),
        required=False,
        min_value=1,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, owners: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [(k, gettext(p.title_zh)) for k, p in procedure_rules.procedures().items()]
        self.fields["owner"].choices = owners


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("文件类别"),
        choices=[
            ("tender_documents", gettext_lazy("招标文件")),
            ("pq_documents", gettext_lazy("资格预审文件")),
            ("other", gettext_lazy("其他")),
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title = _text(gettext_lazy("文件标题"), max_length=200)
    file = forms.FileField(
        label=gettext_lazy("文件（PDF/OFD/ZIP）"), widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )


class PublishForm(forms.Form):
    doc_get_end = LocalDateTimeField(label=gettext_lazy("招标文件获取截止时间"))
    bid_deadline = LocalDateTimeField(label=gettext_lazy("投标截止（开标）时间"), required=False)
    pq_deadline = LocalDateTimeField(label=gettext_lazy("资格预审申请截止时间（资格预审项目）"), required=False)
    opening_key = _text(gettext_lazy("开标密钥（交易中心密钥仪式产生的编号）"), max_length=80)
    opening_address = _text(gettext_lazy("开标地点"), required=False, max_length=200)
    invitees = _text(gettext_lazy("邀请的单位（主体编号，以逗号分隔；邀请招标填写）"), required=False, max_length=500)
    body = _text(gettext_lazy("公告正文（可留空自动生成）"), required=False, max_length=5000, area=True)

    def clean_invitees(self) -> list[int]:
        raw = self.cleaned_data.get("invitees") or ""
        try:
            return [int(x) for x in raw.replace("，", ",").split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError(gettext("请填写主体编号，以逗号分隔")) from None


class ClarificationForm(forms.Form):
    text = _text(gettext_lazy("澄清或修改内容"), max_length=5000, area=True)
    affects_bids = forms.BooleanField(
        label=gettext_lazy("影响投标文件编制（不足法定期限时自动顺延截止时间）"), required=False, initial=True
    )
    new_deadline = LocalDateTimeField(label=gettext_lazy("指定顺延后的截止时间（可留空）"), required=False)


class QuestionForm(forms.Form):
    entity_id = forms.ChoiceField(label=gettext_lazy("代表单位"), widget=forms.Select(attrs={"class": "form-select"}))
    text = _text(gettext_lazy("提问内容"), max_length=2000, area=True)

    def __init__(self, *args, entities: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity_id"].choices = entities


class BidForm(forms.Form):
    entity_id = forms.ChoiceField(label=gettext_lazy("投标单位"), widget=forms.Select(attrs={"class": "form-select"}))
    file = forms.FileField(
        label=gettext_lazy("加密投标文件（.ywenv）"), widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )

    def __init__(self, *args, entities: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity_id"].choices = entities


class ObjectionForm(forms.Form):
    entity_id = forms.ChoiceField(label=gettext_lazy("提出单位"), widget=forms.Select(attrs={"class": "form-select"}))
    kind = forms.ChoiceField(
        label=gettext_lazy("异议（质疑）事项"), widget=forms.Select(attrs={"class": "form-select"})
    )
    text = _text(gettext_lazy("异议内容及理由"), max_length=5000, area=True)

    def __init__(self, *args, entities: list[tuple[int, str]], kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity_id"].choices = entities
        self.fields["kind"].choices = kinds


class AnswerForm(forms.Form):
    answer = _text(gettext_lazy("答复内容"), max_length=5000, area=True)


class ResultForm(forms.Form):
    """评标结果 recorded on the tender side: up to three candidates and the report."""

    first = forms.IntegerField(
        label=gettext_lazy("第一中标候选人（主体编号）"), widget=forms.NumberInput(attrs={"class": "form-control"})
    )
    first_price = YuanField(label=gettext_lazy("第一名投标报价（元）"))
    second = forms.IntegerField(
        label=gettext_lazy("第二中标候选人"), required=False, widget=forms.NumberInput(attrs={"class": "form-control"})
    )
    second_price = YuanField(label=gettext_lazy("第二名投标报价（元）"), required=False)
    third = forms.IntegerField(
        label=gettext_lazy("第三中标候选人"), required=False, widget=forms.NumberInput(attrs={"class": "form-control"})
    )
    third_price = YuanField(label=gettext_lazy("第三名投标报价（元）"), required=False)
    report = forms.FileField(
        label=gettext_lazy("评标报告（PDF）"), widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )

    def candidates(self) -> list[dict]:
        out = []
        for rank, (who, price) in enumerate(
            (("first", "first_price"), ("second", "second_price"), ("third", "third_price")), start=1
        ):
            entity = self.cleaned_data.get(who)
            amount = self.cleaned_data.get(price)
            if entity and amount is not None:
                out.append({"rank": rank, "entity_id": entity, "price_fen": yuan_to_fen(amount)})
        return out


class ContractForm(forms.Form):
    name = _text(gettext_lazy("合同名称"), required=False, max_length=200)
    code = _text(gettext_lazy("合同编号"), required=False, max_length=50)
    amount_yuan = YuanField(label=gettext_lazy("合同金额（元）"), min_value=Decimal("0.01"))
    performance_security_yuan = YuanField(label=gettext_lazy("履约保证金（元）"), required=False)
    file = forms.FileField(
        label=gettext_lazy("合同文本（可选）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
    )


class PerformanceForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("类别"),
        choices=[
            ("progress", gettext_lazy("履约进度")),
            ("acceptance", gettext_lazy("验收")),
            ("payment", gettext_lazy("支付")),
            ("defect", gettext_lazy("质量问题")),
            ("other", gettext_lazy("其他")),
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    text = _text(gettext_lazy("情况说明"), max_length=5000, area=True)
    final = forms.BooleanField(label=gettext_lazy("履约完成（验收合格，项目结束）"), required=False)


class ReasonForm(forms.Form):
    reason = _text(gettext_lazy("原因"), max_length=2000, area=True)


class RetenderForm(forms.Form):
    doc_get_end = LocalDateTimeField(label=gettext_lazy("招标文件获取截止时间"))
    bid_deadline = LocalDateTimeField(label=gettext_lazy("投标截止（开标）时间"))


def parse_yuan(text: str) -> int | None:
    try:
        return yuan_to_fen(Decimal(text))
    except (InvalidOperation, TypeError):
        return None
