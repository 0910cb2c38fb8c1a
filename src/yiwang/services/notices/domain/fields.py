"""Structured fields of a notice, per notice type, named as the national data specification names them.

Each notice type (code table ``notice_type``) has a schema: which fields it takes, of which kind, which are
required, and which times must be in order. Field names are the data-spec names (``BID_DOC_REFER_END_TIME``,
``PUBLICITY_START_TIME``, ``OBJECTION_METHOD`` …, see docs/notices.md); a few the specification does not name
are local names, marked ``spec=False``. The fields common to every type (project codes, contact, the
responsible publisher) are accepted on every notice.

:func:`validate_fields` checks a mapping against a type's schema and returns it normalised (times as ISO 8601
in Shanghai time, amounts as integer 分, text stripped). Refusals are specific:

* ``notices.fields_invalid`` — not an object;
* ``notices.field_unknown`` — a name the type does not take (details: ``field``, ``allowed``);
* ``notices.field_required`` — a required field is missing or empty (also when required by another field:
  ``POST_BID_CLOSING_TIME`` when ``IS_POSTPONE`` is true);
* ``notices.field_invalid`` — wrong kind or format (details: ``field``, ``expected``);
* ``notices.field_too_long`` — text over its length;
* ``notices.field_count`` — a list with too few or too many entries;
* ``notices.field_order`` — a later time before an earlier one (``DOC_GET_END_TIME`` before ``DOC_GET_START_TIME``);
* ``notices.candidate_ranks`` — candidate ranks are not 1, 2, … n.

Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from yiwang.kernel.errors import InvalidInput, YiwangError
from yiwang.kernel.ids import validate_uscc

SHANGHAI = ZoneInfo("Asia/Shanghai")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

TEXT, LONGTEXT, DATETIME, DATE, FEN, INT, BOOL, USCC, CODES, LIST = (
    "text", "longtext", "datetime", "date", "fen", "int", "bool", "uscc", "codes", "list",
)  # fmt: skip
KIND_LABELS_ZH = {
    TEXT: "文本",
    LONGTEXT: "文本",
    DATETIME: "时间（ISO 8601，如 2026-03-20T09:30:00+08:00）",
    DATE: "日期（YYYY-MM-DD）",
    FEN: "金额（整数，单位：分）",
    INT: "非负整数",
    BOOL: "是/否（true/false）",
    USCC: "统一社会信用代码",
    CODES: "代码列表",
    LIST: "列表",
}
MAX_LENGTH = {TEXT: 500, LONGTEXT: 5000, USCC: 18}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label_zh: str
    kind: str = TEXT
    required: bool = False
    spec: bool = True  # a name of the national data specification (False: a local name)
    max_length: int | None = None
    items: tuple[FieldSpec, ...] = ()  # the fields of each entry of a LIST
    min_items: int = 0
    max_items: int = 100
    required_if: tuple[str, Any] | None = None  # (other field, value) that makes this one required

    @property
    def limit(self) -> int:
        return self.max_length or MAX_LENGTH.get(self.kind, 500)


@dataclass(frozen=True)
class NoticeSchema:
    notice_type: str
    spec_set: str  # the data-spec record this type corresponds to
    fields: tuple[FieldSpec, ...]
    amount_field: str | None = None  # the amount shown and searched (分)
    order: tuple[tuple[str, str], ...] = ()  # (earlier, later) pairs of time fields
    publicity: tuple[str, str] | None = None  # (start, end) of the publicity period, when the type has one
    lists: dict[str, str] = field(default_factory=dict)  # list field → label of one entry

    def spec(self, name: str) -> FieldSpec | None:
        return next((f for f in (*COMMON, *self.fields) if f.name == name), None)

    @property
    def all_fields(self) -> tuple[FieldSpec, ...]:
        return (*self.fields, *COMMON)


def F(name: str, label: str, kind: str = TEXT, **kw: Any) -> FieldSpec:
    return FieldSpec(name, label, kind, **kw)


COMMON: tuple[FieldSpec, ...] = (
    F("TENDER_PROJECT_CODE", "招标项目编号", max_length=50),
    F("PURCHASE_PROJECT_CODE", "采购项目编号", max_length=50),
    F("BID_SECTION_CODES", "标段（包）编号", CODES),
    F("NOTICE_MEDIA", "发布媒介", max_length=200),
    F("BULLETIN_DUTY", "发布责任人", max_length=50),
    F("TENDERER_NAME", "招标人", max_length=200),
    F("TENDER_AGENCY_NAME", "招标代理机构", max_length=200),
    F("PURCHASER_NAME", "采购人", max_length=200),
    F("CONTACTOR", "联系人", max_length=50),
    F("CONTACT_INFORMATION", "联系方式", max_length=100),
)

_CANDIDATE = (
    F("WIN_CANDIDATE_ORDER", "排名", INT, required=True),
    F("WIN_CANDIDATE_NAME", "中标候选人名称", required=True, max_length=200),
    F("WIN_CANDIDATE_CODE", "统一社会信用代码", USCC),
    F("BID_PRICE", "投标报价（分）", FEN),
    F("QUALITY", "质量", max_length=200),
    F("LIMITE_TIME", "工期（交货期）", max_length=100),
    F("EVALUATION_RESULT", "评标情况（得分）", max_length=200),
    F("PROJECT_LEAD", "项目负责人", max_length=50),
    F("PM_CERTIFICATES", "项目负责人证书", max_length=200),
)
_BIDDER = (
    F("BIDDER_NAME", "投标人名称", required=True, max_length=200),
    F("BIDDER_ORG_CODE", "统一社会信用代码", USCC),
    F("BID_PRICE", "投标报价（分）", FEN),
    F("TIME_LIMIT", "工期（交货期）", max_length=100),
    F("CHECKIN_TIME", "递交时间", DATETIME),
)
_POSTPONE = ("IS_POSTPONE", True)

SCHEMAS: dict[str, NoticeSchema] = {
    s.notice_type: s
    for s in (
        NoticeSchema(
            "procurement_intention",
            "PURCHASE_INTENTION",
            (
                F("PROGRAM_BUDGET", "预算金额（分）", FEN, required=True),
                F("EXPECTED_PURCHASE_TIME", "预计采购时间", required=True, spec=False, max_length=50),
            ),
            amount_field="PROGRAM_BUDGET",
        ),
        NoticeSchema(
            "tender_plan",
            "TENDER_PLAN",
            (
                F("EXPECTED_NOTICE_TIME", "预计招标公告发布时间", required=True, spec=False, max_length=50),
                F("CONTRACT_RECKON_PRICE", "合同估算价（分）", FEN),
            ),
            amount_field="CONTRACT_RECKON_PRICE",
        ),
        NoticeSchema(
            "tender_notice",
            "TENDER_ANN_QUA_INQUERY_ANN",
            (
                F("DOC_GET_START_TIME", "招标文件获取开始时间", DATETIME, required=True),
                F("DOC_GET_END_TIME", "招标文件获取截止时间", DATETIME, required=True),
                F("BID_DOC_REFER_END_TIME", "投标截止时间", DATETIME, required=True),
                F("BID_OPEN_TIME", "开标时间", DATETIME, required=True),
                F("TENDER_DOC_GET_METHOD", "招标文件获取方式", max_length=500),
                F("BID_DOC_REFER_METHOD", "投标文件递交方式", max_length=500),
                F("BID_OPEN_METHOD", "开标方式", max_length=200),
                F("QUAL_TYPE", "资格审查方式", max_length=50),
                F("DOC_PRICE", "招标文件售价（分）", FEN),
                F("SYNDICATED_FLAG", "是否接受联合体投标", BOOL),
                F("CONTRACT_RECKON_PRICE", "合同估算价（分）", FEN),
            ),
            amount_field="CONTRACT_RECKON_PRICE",
            order=(
                ("DOC_GET_START_TIME", "DOC_GET_END_TIME"),
                ("DOC_GET_START_TIME", "BID_DOC_REFER_END_TIME"),
                ("BID_DOC_REFER_END_TIME", "BID_OPEN_TIME"),
            ),
        ),
        NoticeSchema(
            "pq_notice",
            "TENDER_ANN_QUA_INQUERY_ANN",
            (
                F("DOC_GET_START_TIME", "资格预审文件获取开始时间", DATETIME, required=True),
                F("DOC_GET_END_TIME", "资格预审文件获取截止时间", DATETIME, required=True),
                F("BID_DOC_REFER_END_TIME", "资格预审申请文件递交截止时间", DATETIME, required=True),
                F("TENDER_DOC_GET_METHOD", "资格预审文件获取方式", max_length=500),
                F("QUAL_TYPE", "资格审查方式", max_length=50),
                F("SYNDICATED_FLAG", "是否接受联合体", BOOL),
                F("CONTRACT_RECKON_PRICE", "合同估算价（分）", FEN),
            ),
            amount_field="CONTRACT_RECKON_PRICE",
            order=(("DOC_GET_START_TIME", "DOC_GET_END_TIME"), ("DOC_GET_START_TIME", "BID_DOC_REFER_END_TIME")),
        ),
        NoticeSchema(
            "invitation",
            "TENDER_ANN_QUA_INQUERY_ANN",
            (
                F("BID_DOC_REFER_END_TIME", "投标截止时间", DATETIME, required=True),
                F("BID_OPEN_TIME", "开标时间", DATETIME),
                F("CONTRACT_RECKON_PRICE", "合同估算价（分）", FEN),
            ),
            amount_field="CONTRACT_RECKON_PRICE",
            order=(("BID_DOC_REFER_END_TIME", "BID_OPEN_TIME"),),
        ),
        NoticeSchema(
            "gp_notice",
            "PURCHASE_QUALI_INQUERY_ANN",
            (
                F("DOC_GET_START_TIME", "采购文件获取开始时间", DATETIME, required=True),
                F("DOC_GET_END_TIME", "采购文件获取截止时间", DATETIME, required=True),
                F("BID_CLOSING_TIME", "投标（响应）截止时间", DATETIME, required=True),
                F("BID_OPEN_TIME", "开标时间", DATETIME),
                F("PROGRAM_BUDGET", "预算金额（分）", FEN, required=True),
                F("PURCHASER_MODE", "采购方式", max_length=50),
                F("DOC_PRICE", "采购文件售价（分）", FEN),
            ),
            amount_field="PROGRAM_BUDGET",
            order=(
                ("DOC_GET_START_TIME", "DOC_GET_END_TIME"),
                ("DOC_GET_START_TIME", "BID_CLOSING_TIME"),
                ("BID_CLOSING_TIME", "BID_OPEN_TIME"),
            ),
        ),
        NoticeSchema(
            "clarification",
            "TENDER_FILE_CLARI_MODI",
            (
                F("CLARIFY_TIME", "澄清（修改）时间", DATETIME, required=True),
                F("IS_POSTPONE", "是否延期", BOOL, required=True),
                F("BID_DOC_REFER_END_TIME", "（延期后）投标截止时间", DATETIME, required_if=_POSTPONE),
                F("POST_OPEN_TIME", "（延期后）开标时间", DATETIME, required_if=_POSTPONE),
                F("POST_OPEN_ADDRESS", "（变更后）开标地点", max_length=200),
            ),
            order=(("CLARIFY_TIME", "BID_DOC_REFER_END_TIME"), ("BID_DOC_REFER_END_TIME", "POST_OPEN_TIME")),
        ),
        NoticeSchema(
            "correction",
            "CORRECTION_ITEM",
            (
                F("IS_POSTPONE", "是否延期", BOOL, required=True),
                F("POST_BID_CLOSING_TIME", "（延期后）投标截止时间", DATETIME, required_if=_POSTPONE),
                F("POST_OPEN_TIME", "（延期后）开标时间", DATETIME),
            ),
            order=(("POST_BID_CLOSING_TIME", "POST_OPEN_TIME"),),
        ),
        NoticeSchema(
            "opening_record",
            "BID_OPENING_RECORD",
            (
                F("BID_OPENING_TIME", "开标时间", DATETIME, required=True),
                F("BID_OPENING_ADDRESS", "开标地点", max_length=200),
                F("OPEN_COMPERE", "开标主持人", max_length=50),
                F("TENDERER_PERSON", "招标人代表", max_length=50),
                F("TENDER_AGENCY_PERSON", "招标代理机构代表", max_length=50),
                F("BIDDERS", "投标人", LIST, spec=False, items=_BIDDER, max_items=500),
            ),
            lists={"BIDDERS": "投标人"},
        ),
        NoticeSchema(
            "candidates",
            "TENDER_CANDIDATE_ANNOUNCE",
            (
                F("PUBLICITY_START_TIME", "公示开始时间", DATETIME, required=True),
                F("PUBLICITY_END_TIME", "公示结束时间", DATETIME, required=True),
                F("OBJECTION_METHOD", "异议（提出）方式", required=True, max_length=500),
                F("EXAMINER_NAME", "审核人", max_length=50),
                F("CANDIDATES", "中标候选人", LIST, required=True, spec=False, items=_CANDIDATE, min_items=1),
            ),
            order=(("PUBLICITY_START_TIME", "PUBLICITY_END_TIME"),),
            publicity=("PUBLICITY_START_TIME", "PUBLICITY_END_TIME"),
            lists={"CANDIDATES": "中标候选人"},
        ),
        NoticeSchema(
            "award_result",
            "WIN_RESULT_ANNO",
            (
                F("WIN_BIDDER_NAME", "中标（成交）人", required=True, max_length=200),
                F("WIN_BIDDER_CODE", "统一社会信用代码", USCC),
                F("BID_AMOUNT", "中标（成交）金额（分）", FEN, required=True),
                F("WIN_BID_RATE", "中标费率", max_length=50),
                F("PROJECT_LEAD", "项目负责人", max_length=50),
                F("PUBLICITY_START_TIME", "公告开始时间", DATETIME),
                F("PUBLICITY_END_TIME", "公告结束时间", DATETIME),
            ),
            amount_field="BID_AMOUNT",
            order=(("PUBLICITY_START_TIME", "PUBLICITY_END_TIME"),),
            publicity=("PUBLICITY_START_TIME", "PUBLICITY_END_TIME"),
        ),
        NoticeSchema(
            "contract",
            "CONTRACT_PERFORMANCE",
            (
                F("CONTRACT_NAME", "合同名称", required=True, max_length=200),
                F("CONTRACT_CODE", "合同编号", max_length=50),
                F("CONTRACT_SIGN_TIME", "合同签订时间", DATETIME, required=True),
                F("CONTRACT_PRICE", "合同金额（分）", FEN, required=True),
                F("BIDDER_NAME", "供应商（中标人）", required=True, max_length=200),
                F("BIDDER_CODE", "统一社会信用代码", USCC),
                F("LIMITE_TIME", "履行期限", max_length=100),
                F("QUALITY_REQUIRE", "质量要求", max_length=200),
            ),
            amount_field="CONTRACT_PRICE",
        ),
        NoticeSchema(
            "performance",
            "PERFORMANCE",
            (
                F("CONTRACT_NAME", "合同名称", required=True, max_length=200),
                F("CONTRACT_CODE", "合同编号", max_length=50),
                F("PERFORMANCE_TIME", "履约（验收）时间", DATETIME, spec=False),
            ),
        ),
        NoticeSchema(
            "termination",
            "TENDER_ABNORMITY_REPORT",
            (
                F("ABNORMITY_REASON", "终止原因", LONGTEXT, required=True, spec=False),
                F("TERMINATION_TIME", "终止时间", DATETIME, spec=False),
            ),
        ),
        NoticeSchema(
            "failed",
            "TENDER_ABNORMITY_REPORT",
            (F("ABNORMITY_REASON", "流标（废标）原因", LONGTEXT, required=True, spec=False),),
        ),
        NoticeSchema(
            "single_source_publicity",
            "SINGLE_SOURCE_PUBLICITY",
            (
                F("SUPPLIER_NAME", "拟定供应商", required=True, spec=False, max_length=200),
                F("PUBLICITY_START_TIME", "公示开始时间", DATETIME, required=True),
                F("PUBLICITY_END_TIME", "公示结束时间", DATETIME, required=True),
                F("OBJECTION_METHOD", "异议（提出）方式", required=True, max_length=500),
                F("PROGRAM_BUDGET", "预算金额（分）", FEN),
            ),
            amount_field="PROGRAM_BUDGET",
            order=(("PUBLICITY_START_TIME", "PUBLICITY_END_TIME"),),
            publicity=("PUBLICITY_START_TIME", "PUBLICITY_END_TIME"),
        ),
        NoticeSchema(
            "land_sale_notice",
            "DEAL_BEHAVIOR_INFO",
            (
                F("SUPPLY_TYPE", "供应方式", required=True, max_length=50),
                F("LISTING_TYPE", "招拍挂类型", required=True, max_length=50),
                F("LISTING_START_TIME", "挂牌（竞买）开始时间", DATETIME, required=True),
                F("LISTING_DEADLINE", "挂牌（竞买）截止时间", DATETIME, required=True),
                F("FIELD_NUM", "宗地数", INT),
                F("LAND_DISTRICT", "土地坐落行政区", max_length=50),
                F("START_PRICE", "起始价（分）", FEN, spec=False),
            ),
            amount_field="START_PRICE",
            order=(("LISTING_START_TIME", "LISTING_DEADLINE"),),
        ),
        NoticeSchema(
            "auction_notice",
            "AUCTION_NOTICE",
            (
                F("AUCTION_START_TIME", "拍卖开始时间", DATETIME, required=True, spec=False),
                F("AUCTION_END_TIME", "拍卖结束时间", DATETIME, spec=False),
                F("START_PRICE", "起拍价（分）", FEN, required=True, spec=False),
                F("ASSESSMENT_PRICE", "评估价（分）", FEN, spec=False),
            ),
            amount_field="START_PRICE",
            order=(("AUCTION_START_TIME", "AUCTION_END_TIME"),),
        ),
        NoticeSchema(
            "listing_notice",
            "LISTING_PUB_INFO",
            (
                F("PROJECT_PRICE", "挂牌价（分）", FEN, required=True),
                F("LISTING_START_TIME", "挂牌开始时间", DATETIME, required=True, spec=False),
                F("LISTING_DEADLINE", "挂牌截止时间", DATETIME, required=True, spec=False),
                F("PUBLISH_DURATION", "挂牌期（工作日）", INT),
                F("POST_PONE", "是否自动延期", BOOL),
            ),
            amount_field="PROJECT_PRICE",
            order=(("LISTING_START_TIME", "LISTING_DEADLINE"),),
        ),
        NoticeSchema(
            "equity_pre_disclosure",
            "LISTING_PUB_INFO",
            (
                F("LISTING_START_TIME", "预披露开始时间", DATETIME, required=True, spec=False),
                F("LISTING_DEADLINE", "预披露截止时间", DATETIME, required=True, spec=False),
                F("PUBLISH_DURATION", "披露期（工作日）", INT),
            ),
            order=(("LISTING_START_TIME", "LISTING_DEADLINE"),),
        ),
        NoticeSchema(
            "equity_disclosure",
            "LISTING_PUB_INFO",
            (
                F("PROJECT_PRICE", "转让底价（分）", FEN, required=True),
                F("LISTING_START_TIME", "披露开始时间", DATETIME, required=True, spec=False),
                F("LISTING_DEADLINE", "披露截止时间", DATETIME, required=True, spec=False),
                F("PUBLISH_DURATION", "披露期（工作日）", INT),
                F("POST_PONE", "是否自动延期", BOOL),
                F("PRE_EXCHANGE_TYPE", "交易方式", max_length=50),
            ),
            amount_field="PROJECT_PRICE",
            order=(("LISTING_START_TIME", "LISTING_DEADLINE"),),
        ),
        NoticeSchema(
            "deal_result",
            "TRADE_RESULT_INFO",
            (
                F("TRADE_VALUE", "成交价（分）", FEN, required=True),
                F("TRADE_DATE", "成交日期", DATE, required=True),
                F("BUYER_NAME", "受让方（竞得人、买受人）", required=True, spec=False, max_length=200),
                F("OBJECT_EVALUATE_VALUE", "评估值（分）", FEN),
                F("PUBLICITY_START_TIME", "公示开始时间", DATETIME),
                F("PUBLICITY_END_TIME", "公示结束时间", DATETIME),
            ),
            amount_field="TRADE_VALUE",
            order=(("PUBLICITY_START_TIME", "PUBLICITY_END_TIME"),),
            publicity=("PUBLICITY_START_TIME", "PUBLICITY_END_TIME"),
        ),
        NoticeSchema(
            "complaint_decision",
            "COMPLAINT_INFO",
            (
                F("HANDLE_RESULT", "处理结果", LONGTEXT, required=True),
                F("HANDLE_DATE", "处理日期", DATE, required=True),
                F("HANDLE_BASIS", "处理依据", LONGTEXT),
                F("ACCEPT_DATE", "受理日期", DATE),
            ),
        ),
    )
}


def schema_for(notice_type: str) -> NoticeSchema:
    """The schema of ``notice_type``; a type the catalogue lists but no schema describes takes the common
    fields only."""
    return SCHEMAS.get(notice_type) or NoticeSchema(notice_type, "", ())


# -- validation ------------------------------------------------------------------------------------------------
def _err(code: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, zh, en, details)


def _invalid(path: str, spec: FieldSpec) -> InvalidInput:
    return _err(
        "notices.field_invalid",
        f"字段 {path}（{spec.label_zh}）须为{KIND_LABELS_ZH[spec.kind]}",
        f"field {path} must be {spec.kind}",
        field=path,
        expected=spec.kind,
    )


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def parse_datetime(value: str) -> datetime:
    """ISO 8601; a time without offset is read as Shanghai wall time (as the data specification writes it)."""
    text = value.strip().replace(" ", "T", 1) if isinstance(value, str) else ""
    if not 16 <= len(text) <= 40:
        raise ValueError(value)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment


def format_datetime(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _value(path: str, spec: FieldSpec, value: Any) -> Any:
    kind = spec.kind
    if kind in (TEXT, LONGTEXT):
        if not isinstance(value, str) or _CONTROL.search(value):
            raise _invalid(path, spec)
        text = value.strip()
        if len(text) > spec.limit:
            raise _err(
                "notices.field_too_long",
                f"字段 {path}（{spec.label_zh}）最长 {spec.limit} 个字符",
                f"field {path} is longer than {spec.limit} characters",
                field=path,
                max=spec.limit,
            )
        return text
    if kind == DATETIME:
        try:
            return format_datetime(parse_datetime(value))
        except (ValueError, TypeError):
            raise _invalid(path, spec) from None
    if kind == DATE:
        try:
            if not isinstance(value, str) or len(value.strip()) != 10:
                raise ValueError(value)
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise _invalid(path, spec) from None
    if kind in (FEN, INT):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10**17:
            raise _invalid(path, spec)
        return value
    if kind == BOOL:
        if not isinstance(value, bool):
            raise _invalid(path, spec)
        return value
    if kind == USCC:
        if not isinstance(value, str):
            raise _invalid(path, spec)
        try:
            return validate_uscc(value)
        except YiwangError as exc:
            raise _err(
                "notices.field_invalid",
                f"字段 {path}（{spec.label_zh}）：{exc.message_zh}",
                f"field {path}: {exc.message_en}",
                field=path,
                expected=kind,
                cause=exc.code,
            ) from None
    if kind == CODES:
        if not isinstance(value, list) or len(value) > spec.max_items:
            raise _invalid(path, spec)
        codes = []
        for item in value:
            if not isinstance(item, str) or not 1 <= len(item.strip()) <= 64 or _CONTROL.search(item):
                raise _invalid(path, spec)
            codes.append(item.strip())
        return codes
    if kind == LIST:
        if not isinstance(value, list):
            raise _invalid(path, spec)
        if not spec.min_items <= len(value) <= spec.max_items:
            raise _err(
                "notices.field_count",
                f"字段 {path}（{spec.label_zh}）须有 {spec.min_items}–{spec.max_items} 项",
                f"field {path} needs {spec.min_items}-{spec.max_items} entries",
                field=path,
                min=spec.min_items,
                max=spec.max_items,
                given=len(value),
            )
        return [_record(f"{path}[{i}]", spec.items, entry) for i, entry in enumerate(value)]
    raise AssertionError(f"unknown field kind {kind}")


def _record(path: str, specs: tuple[FieldSpec, ...], raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _err(
            "notices.field_invalid",
            f"{path} 须为对象",
            f"{path} must be an object",
            field=path,
            expected="object",
        )
    known = {s.name: s for s in specs}
    for name in raw:
        if name not in known:
            raise _err(
                "notices.field_unknown",
                f"{path} 不接受字段 {str(name)[:60]}",
                f"{path} takes no field {str(name)[:60]!r}",
                field=f"{path}.{str(name)[:60]}",
                allowed=sorted(known),
            )
    out = {}
    for spec in specs:
        value = raw.get(spec.name)
        if _empty(value):
            if spec.required or (spec.required_if and raw.get(spec.required_if[0]) == spec.required_if[1]):
                raise _required(f"{path}.{spec.name}", spec)
            continue
        out[spec.name] = _value(f"{path}.{spec.name}", spec, value)
    return out


def _required(path: str, spec: FieldSpec) -> InvalidInput:
    return _err(
        "notices.field_required",
        f"缺少必填字段 {path}（{spec.label_zh}）",
        f"the required field {path} is missing",
        field=path,
        label=spec.label_zh,
    )


def validate_fields(notice_type: str, raw: Any) -> dict[str, Any]:
    """The fields of a notice of ``notice_type``, checked and normalised (see the module docstring)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise _err("notices.fields_invalid", "结构化字段须为对象", "fields must be an object", field="fields")
    schema = schema_for(notice_type)
    specs = schema.all_fields
    known = {s.name: s for s in specs}
    for name in raw:
        if name not in known:
            raise _err(
                "notices.field_unknown",
                f"{notice_type} 类公告不接受字段 {str(name)[:60]}",
                f"a {notice_type} notice takes no field {str(name)[:60]!r}",
                field=str(name)[:60],
                allowed=sorted(known),
            )
    out: dict[str, Any] = {}
    for spec in specs:
        value = raw.get(spec.name)
        if _empty(value):
            if spec.required or (spec.required_if and raw.get(spec.required_if[0]) == spec.required_if[1]):
                raise _required(spec.name, spec)
            continue
        out[spec.name] = _value(spec.name, spec, value)
    for earlier, later in schema.order:
        if earlier in out and later in out and parse_datetime(out[later]) < parse_datetime(out[earlier]):
            a, b = known[earlier], known[later]
            raise _err(
                "notices.field_order",
                f"{b.label_zh}（{later}）不能早于{a.label_zh}（{earlier}）",
                f"{later} is before {earlier}",
                field=later,
                earlier=earlier,
            )
    if "CANDIDATES" in out:
        ranks = sorted(c["WIN_CANDIDATE_ORDER"] for c in out["CANDIDATES"])
        if ranks != list(range(1, len(ranks) + 1)):
            raise _err(
                "notices.candidate_ranks",
                "中标候选人排名须为 1、2、3…… 且不重复",
                "candidate ranks must be 1, 2, … n without repeats",
                field="CANDIDATES",
                ranks=ranks,
            )
        out["CANDIDATES"] = sorted(out["CANDIDATES"], key=lambda c: c["WIN_CANDIDATE_ORDER"])
    return out


def amount_of(notice_type: str, fields: Mapping[str, Any]) -> int | None:
    """The notice's headline amount in 分 (budget, estimate, award, contract, deal price), if it has one."""
    name = schema_for(notice_type).amount_field
    value = fields.get(name) if name else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def publicity_period(notice_type: str, fields: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    pair = schema_for(notice_type).publicity
    if not pair or pair[0] not in fields or pair[1] not in fields:
        return None
    return parse_datetime(fields[pair[0]]), parse_datetime(fields[pair[1]])


def summary_text(notice_type: str, fields: Mapping[str, Any]) -> str:
    """The fields as searchable text (names of candidates, winners, suppliers; codes), one line each."""
    schema = schema_for(notice_type)
    lines = []
    for spec in schema.all_fields:
        value = fields.get(spec.name)
        if value is None or spec.kind in (BOOL,):
            continue
        if spec.kind == LIST:
            for entry in value:
                lines.append(" ".join(str(v) for k, v in entry.items() if isinstance(v, str)))
        elif spec.kind == CODES:
            lines.append(f"{spec.label_zh}：{' '.join(value)}")
        elif spec.kind in (TEXT, LONGTEXT, USCC):
            lines.append(f"{spec.label_zh}：{value}")
    return "\n".join(lines)
