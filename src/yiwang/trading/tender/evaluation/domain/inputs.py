"""What an evaluation is started with: the contract between the tender context and this one.

The tender context builds these dataclasses (or the JSON forms that :func:`config_from`, :func:`bids_from` and
:func:`committee_request_from` read) and calls ``actions.do_start_evaluation``. Every parser refuses bad input
with ``InvalidInput evaluation.*`` naming the field (``details.field``), so an API caller gets the same errors.

- :class:`TenderKind` — ``works`` / ``goods`` / ``services`` (招标投标法) and ``gp_goods`` / ``gp_services`` /
  ``gp_works`` (政府采购法). Its regime decides which rules apply (``tender.*`` or ``gp.*``).
- :class:`Method` — ``comprehensive`` 综合评估法, ``lowest_evaluated`` 经评审的最低投标价法 (tender regime);
  ``gp_comprehensive`` 综合评分法, ``gp_lowest_price`` 最低评标价法, ``consultation`` 竞争性磋商 (scored),
  ``negotiation`` 竞争性谈判 and ``rfq`` 询价 (lowest price) for the GP regime.
- :class:`EvaluationConfig` — score items (technical / commercial points per item, the price item's points),
  the price formula, the rejection grounds checklist, qualification requirements, the price ceiling, how
  many candidates, aggregation, tie rules, the abnormally-low screen and the outlier screen. The *legal*
  numbers (committee size, price weight, candidate cap …) are not configuration: they come from the rules
  snapshot (:mod:`.legal`).
- :class:`BidInput` — one opened bid: bidder entity, pseudonym, name and USCC, price in fen, declared
  qualification data, handles to the decrypted documents in the bid box, core-product brand (GP), and the
  raw data of the collusion indicators (条例 Art.40) for the record.
- :class:`CommitteeRequest` — draw lines (specialty × count × reserve × scorer role), the tenderer's or
  purchaser's representatives (accounts), budget and "large" flag, the meeting window, the room to book or
  the booking already made, and the parties (tenderer, agency) for recusal and access.

Pure Python: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from yiwang.trading.tender.evaluation.domain.errors import invalid


class Regime(StrEnum):
    TENDER = "tender"  # 招标投标法 (works, goods and services tendered under the Tendering Law)
    GP = "gp"  # 政府采购法


class TenderKind(StrEnum):
    WORKS = "works"
    GOODS = "goods"
    SERVICES = "services"
    GP_GOODS = "gp_goods"
    GP_SERVICES = "gp_services"
    GP_WORKS = "gp_works"

    @property
    def regime(self) -> Regime:
        return Regime.GP if self.value.startswith("gp_") else Regime.TENDER

    @property
    def subject(self) -> str:
        return self.value.removeprefix("gp_")


KIND_LABELS_ZH = {
    TenderKind.WORKS: "工程",
    TenderKind.GOODS: "货物",
    TenderKind.SERVICES: "服务",
    TenderKind.GP_GOODS: "政府采购货物",
    TenderKind.GP_SERVICES: "政府采购服务",
    TenderKind.GP_WORKS: "政府采购工程",
}


class Method(StrEnum):
    COMPREHENSIVE = "comprehensive"
    LOWEST_EVALUATED = "lowest_evaluated"
    GP_COMPREHENSIVE = "gp_comprehensive"
    GP_LOWEST_PRICE = "gp_lowest_price"
    CONSULTATION = "consultation"
    NEGOTIATION = "negotiation"
    RFQ = "rfq"

    @property
    def regime(self) -> Regime:
        return Regime.TENDER if self in (Method.COMPREHENSIVE, Method.LOWEST_EVALUATED) else Regime.GP

    @property
    def scored(self) -> bool:
        """Experts score items (综合评估/综合评分/磋商); otherwise the lowest (evaluated) price wins."""
        return self in (Method.COMPREHENSIVE, Method.GP_COMPREHENSIVE, Method.CONSULTATION)

    @property
    def takes_final_quotes(self) -> bool:
        """竞争性谈判 and 竞争性磋商 end with each supplier's final quote (最后报价)."""
        return self in (Method.NEGOTIATION, Method.CONSULTATION)

    @property
    def panel(self) -> bool:
        """A 谈判小组/询价小组 (panel rules) rather than a 评标委员会."""
        return self in (Method.NEGOTIATION, Method.RFQ)


METHOD_LABELS_ZH = {
    Method.COMPREHENSIVE: "综合评估法",
    Method.LOWEST_EVALUATED: "经评审的最低投标价法",
    Method.GP_COMPREHENSIVE: "综合评分法",
    Method.GP_LOWEST_PRICE: "最低评标价法",
    Method.CONSULTATION: "竞争性磋商（综合评分）",
    Method.NEGOTIATION: "竞争性谈判（最低报价）",
    Method.RFQ: "询价（最低报价）",
}


class Category(StrEnum):
    TECHNICAL = "technical"
    COMMERCIAL = "commercial"
    PRICE = "price"


CATEGORY_LABELS_ZH = {Category.TECHNICAL: "技术", Category.COMMERCIAL: "商务", Category.PRICE: "价格"}


class ScorerRole(StrEnum):
    """Which items a member scores: ``general`` all, ``technical`` technical items, ``economic`` commercial."""

    GENERAL = "general"
    TECHNICAL = "technical"
    ECONOMIC = "economic"


SCORER_ROLE_LABELS_ZH = {ScorerRole.GENERAL: "综合", ScorerRole.TECHNICAL: "技术", ScorerRole.ECONOMIC: "经济"}


def scores_item(role: ScorerRole, category: Category) -> bool:
    if category is Category.PRICE:
        return False  # the price score is computed, never typed
    if role is ScorerRole.GENERAL:
        return True
    return (role is ScorerRole.TECHNICAL) == (category is Category.TECHNICAL)


@dataclass(frozen=True)
class ScoreItem:
    code: str
    name: str
    category: Category
    max_points: Decimal
    objective: bool = False  # 客观分: every member must give the same score (any deviation is flagged)
    guidance: str = ""  # 评分标准 shown on the form

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "category": self.category.value,
            "max_points": str(self.max_points),
            "objective": self.objective,
            "guidance": self.guidance,
        }


class FormulaKind(StrEnum):
    LOW_PRICE_BASE = "low_price_base"  # 低价优先法: 评标基准价 (lowest valid bid) ÷ bid × price points
    BENCHMARK_DEVIATION = "benchmark_deviation"  # 基准价偏差法: points − deviation% × deduction per %


@dataclass(frozen=True)
class PriceFormula:
    kind: FormulaKind = FormulaKind.LOW_PRICE_BASE
    # benchmark_deviation only:
    benchmark: str = "average"  # lowest | average | average_trimmed (drop the highest and lowest when ≥ 5)
    coefficient: Decimal = Decimal(1)  # 下浮系数 K: benchmark = basis × K
    deduct_above_per_pct: Decimal = Decimal(1)  # points off per 1 % above the benchmark
    deduct_below_per_pct: Decimal = Decimal("0.5")  # points off per 1 % below the benchmark

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "benchmark": self.benchmark,
            "coefficient": str(self.coefficient),
            "deduct_above_per_pct": str(self.deduct_above_per_pct),
            "deduct_below_per_pct": str(self.deduct_below_per_pct),
        }


@dataclass(frozen=True)
class RejectionGround:
    code: str
    text: str
    source: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "source": self.source}


ART51 = "《中华人民共和国招标投标法实施条例》第五十一条"
DEFAULT_GROUNDS: tuple[RejectionGround, ...] = (
    RejectionGround("no_seal_signature", "投标文件未经投标单位盖章和单位负责人签字", ART51 + "第（一）项"),
    RejectionGround("no_consortium_agreement", "投标联合体没有提交共同投标协议", ART51 + "第（二）项"),
    RejectionGround("unqualified", "投标人不符合国家或者招标文件规定的资格条件", ART51 + "第（三）项"),
    RejectionGround(
        "multiple_bids",
        "同一投标人提交两个以上不同的投标文件或者投标报价（招标文件要求提交备选投标的除外）",
        ART51 + "第（四）项",
    ),
    RejectionGround("price_out_of_bounds", "投标报价低于成本或者高于招标文件设定的最高投标限价", ART51 + "第（五）项"),
    RejectionGround("non_responsive", "投标文件没有对招标文件的实质性要求和条件作出响应", ART51 + "第（六）项"),
    RejectionGround("fraud_collusion", "投标人有串通投标、弄虚作假、行贿等违法行为", ART51 + "第（七）项"),
)


@dataclass(frozen=True)
class Requirement:
    """A qualification requirement (资格条件) checked in 资格审查."""

    code: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class AbnormalLowRule:
    """A bid below ``share`` × the average (or median) of the valid bids' prices is screened as abnormally
    low and must be explained (87号令 Art.60; 条例 Art.51(5) below cost). ``share`` is the centre's
    configuration, not a legal number."""

    basis: str = "average"  # average | median
    share: Decimal = Decimal("0.8")

    def as_json(self) -> dict[str, Any]:
        return {"basis": self.basis, "share": str(self.share)}


@dataclass(frozen=True)
class OutlierRule:
    """Screens on the experts' item scores: deviation from the median of the other members' scores as a share
    of the item's points (flag at ≥ ``share``, the 30 % of the redflags reference), and Tukey fences
    (``tukey_k`` × IQR) when at least 5 members scored and the IQR is not 0."""

    share: Decimal = Decimal("0.30")
    tukey_k: Decimal = Decimal("1.5")

    def as_json(self) -> dict[str, Any]:
        return {"share": str(self.share), "tukey_k": str(self.tukey_k)}


TIE_KEYS = ("price", "technical", "commercial")
TIE_KEY_LABELS_ZH = {"price": "报价低者优先", "technical": "技术得分高者优先", "commercial": "商务得分高者优先"}


@dataclass(frozen=True)
class EvaluationConfig:
    method: Method
    items: tuple[ScoreItem, ...] = ()  # technical and commercial items, plus one price item (scored methods)
    price_formula: PriceFormula = field(default_factory=PriceFormula)
    grounds: tuple[RejectionGround, ...] = DEFAULT_GROUNDS  # 否决投标情形 (the compliance checklist)
    requirements: tuple[Requirement, ...] = ()  # 资格条件 (empty: no qualification review, e.g. after PQ)
    ceiling_fen: int | None = None  # 最高投标限价
    candidates: int = 3  # how many candidates to recommend (≤ the legal cap)
    aggregation: str = "mean"  # mean | trimmed_mean (drop one highest and one lowest when enough scorers)
    trim_min_members: int = 7
    tie_break: tuple[str, ...] = ("price", "technical")  # after that: order of arrival, flagged
    abnormally_low: AbnormalLowRule | None = field(default_factory=AbnormalLowRule)
    outliers: OutlierRule = field(default_factory=OutlierRule)
    decimals: int = 2

    @property
    def price_item(self) -> ScoreItem | None:
        return next((i for i in self.items if i.category is Category.PRICE), None)

    @property
    def scored_items(self) -> tuple[ScoreItem, ...]:
        return tuple(i for i in self.items if i.category is not Category.PRICE)

    @property
    def total_points(self) -> Decimal:
        return sum((i.max_points for i in self.items), Decimal(0))

    def item(self, code: str) -> ScoreItem:
        for i in self.items:
            if i.code == code:
                return i
        raise KeyError(code)

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method.value,
            "items": [i.as_json() for i in self.items],
            "price_formula": self.price_formula.as_json(),
            "grounds": [g.as_json() for g in self.grounds],
            "requirements": [r.as_json() for r in self.requirements],
            "ceiling_fen": self.ceiling_fen,
            "candidates": self.candidates,
            "aggregation": self.aggregation,
            "trim_min_members": self.trim_min_members,
            "tie_break": list(self.tie_break),
            "abnormally_low": self.abnormally_low.as_json() if self.abnormally_low else None,
            "outliers": self.outliers.as_json(),
            "decimals": self.decimals,
        }


@dataclass(frozen=True)
class BidDocument:
    """A handle to a decrypted bid document in the bid box: the box's owner and the submission id (from
    ``services.bidbox.queries.list_decrypted_bids``)."""

    owner_context: str
    owner_ref: str
    submission_id: str
    file_name: str = ""
    title: str = "投标文件"

    def as_json(self) -> dict[str, Any]:
        return {
            "owner_context": self.owner_context,
            "owner_ref": self.owner_ref,
            "submission_id": self.submission_id,
            "file_name": self.file_name,
            "title": self.title,
        }


COLLUSION_INDICATORS = {
    # 条例 Art.40 (视为串通投标) — the data recorded for each bid; supervision flags later
    "author": "投标文件由同一单位或者个人编制（制作机器码、文件创建者）",
    "agent": "委托同一单位或者个人办理投标事宜",
    "key_personnel": "投标文件载明的项目管理成员为同一人",
    "file_fingerprint": "投标文件异常一致",
    "mixed_files": "投标文件相互混装",
    "deposit_account": "投标保证金从同一单位或者个人的账户转出",
}
PRICE_PATTERN_LABEL = "投标报价呈规律性差异"


@dataclass(frozen=True)
class BidInput:
    entity_id: int
    name: str
    price_fen: int
    pseudonym: str = ""  # 投标人编号 shown before names are shown (defaults to 投标人N)
    uscc: str = ""
    qualification: Mapping[str, Any] = field(default_factory=dict)  # declared qualification data
    documents: tuple[BidDocument, ...] = ()
    brand: str = ""  # GP: brand of the core product (87号令 Art.31)
    signals: Mapping[str, str] = field(default_factory=dict)  # collusion-indicator data (keys above)
    consortium: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "name": self.name,
            "price_fen": self.price_fen,
            "pseudonym": self.pseudonym,
            "uscc": self.uscc,
            "qualification": dict(self.qualification),
            "documents": [d.as_json() for d in self.documents],
            "brand": self.brand,
            "signals": dict(self.signals),
            "consortium": self.consortium,
        }


@dataclass(frozen=True)
class DrawLine:
    specialty: str  # 7-character specialty code (评标专家专业分类)
    count: int
    reserve: int = 1
    role: ScorerRole = ScorerRole.GENERAL
    main_only: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "specialty": self.specialty,
            "count": self.count,
            "reserve": self.reserve,
            "role": self.role.value,
            "main_only": self.main_only,
        }


@dataclass(frozen=True)
class Representative:
    """招标人/采购人代表: a member of the committee who is not an expert (a platform account)."""

    account_id: int
    name: str
    entity_id: int | None = None
    role: ScorerRole = ScorerRole.GENERAL

    def as_json(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "name": self.name, "entity_id": self.entity_id, "role": self.role.value}


@dataclass(frozen=True)
class CommitteeRequest:
    project_ref: str
    region_code: str
    meeting_start: datetime
    meeting_end: datetime
    lines: tuple[DrawLine, ...]
    tenderer_entity_id: int | None = None
    agency_entity_id: int | None = None
    representatives: tuple[Representative, ...] = ()
    budget_fen: int | None = None  # GP: ≥ the large-budget threshold needs the large committee
    large: bool = False  # technically complex or of great social impact
    title: str = ""
    room_id: int | None = None  # book this evaluation room (venues)
    booking_id: int | None = None  # … or use this booking made already
    region_scope: tuple[str, ...] = ()  # regions to draw from (default: the province)
    extra_avoided_entity_ids: tuple[int, ...] = ()  # other firms to stand aside (authority …)

    @property
    def experts(self) -> int:
        return sum(line.count for line in self.lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "project_ref": self.project_ref,
            "region_code": self.region_code,
            "meeting_start": self.meeting_start.isoformat(),
            "meeting_end": self.meeting_end.isoformat(),
            "lines": [line.as_json() for line in self.lines],
            "tenderer_entity_id": self.tenderer_entity_id,
            "agency_entity_id": self.agency_entity_id,
            "representatives": [r.as_json() for r in self.representatives],
            "budget_fen": self.budget_fen,
            "large": self.large,
            "title": self.title,
            "room_id": self.room_id,
            "booking_id": self.booking_id,
            "region_scope": list(self.region_scope),
            "extra_avoided_entity_ids": list(self.extra_avoided_entity_ids),
        }


# -- parsing (JSON forms → dataclasses) ------------------------------------------------------------

_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
SECTION_REF = re.compile(r"^[a-z_.]+:[A-Za-z0-9_.:-]{1,80}$")


def check_section_ref(value: Any) -> str:
    text = str(value or "").strip()
    if not SECTION_REF.match(text) or len(text) > 100:
        raise invalid(
            "section_ref_invalid",
            "标段引用格式须为“上下文:编号”，如 tender.section:12",
            "section_ref is '<context>:<id>', e.g. tender.section:12",
            "section_ref",
        )
    return text


def _text(value: Any, field_name: str, *, limit: int, required: bool = True) -> str:
    text = str(value if value is not None else "").strip()
    if required and not text:
        raise invalid("field_required", "必填项不能为空", "this field is required", field_name)
    if len(text) > limit:
        raise invalid("text_too_long", f"不得超过 {limit} 个字符", f"at most {limit} characters", field_name)
    return text


def _decimal(value: Any, field_name: str, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid("number_invalid", "须为数字", "a number is required", field_name) from None
    if not number.is_finite() or (low is not None and number < low) or (high is not None and number > high):
        raise invalid(
            "number_out_of_range",
            "数值超出允许范围",
            "the number is out of range",
            field_name,
            low=None if low is None else str(low),
            high=None if high is None else str(high),
        )
    return number


def _int(value: Any, field_name: str, *, low: int = 0, high: int = 2**62) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, bool) or value is None:
                raise ValueError
            value = int(str(value).strip())
        except ValueError:
            raise invalid("integer_invalid", "须为整数", "an integer is required", field_name) from None
    if not low <= value <= high:
        raise invalid(
            "number_out_of_range", "数值超出允许范围", "the number is out of range", field_name, low=low, high=high
        )
    return value


def _optional_int(value: Any, field_name: str, **kw: Any) -> int | None:
    return None if value in (None, "") else _int(value, field_name, **kw)


def _enum(enum: type[StrEnum], value: Any, field_name: str) -> Any:
    try:
        return enum(str(value))
    except ValueError:
        raise invalid(
            "choice_invalid",
            "取值不在允许范围内",
            "not one of the allowed values",
            field_name,
            allowed=[e.value for e in enum],
        ) from None


def _code(value: Any, field_name: str) -> str:
    text = str(value or "").strip()
    if not _CODE.match(text):
        raise invalid(
            "code_invalid", "编码须为 1–40 位字母、数字或 _.-", "a code is 1–40 of A-Z a-z 0-9 _ . -", field_name
        )
    return text


def _list(value: Any, field_name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise invalid("list_required", "须为列表", "a list is required", field_name)
    return list(value)


def _mapping(value: Any, field_name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise invalid("object_required", "须为对象", "an object is required", field_name)
    return value


def _aware(value: Any, field_name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise invalid(
            "instant_invalid", "时间须为带时区的 ISO 8601 时间", "an instant with a time zone is required", field_name
        )
    return value


def item_from(data: Any, where: str) -> ScoreItem:
    if isinstance(data, ScoreItem):
        return data
    d = _mapping(data, where)
    return ScoreItem(
        code=_code(d.get("code"), f"{where}.code"),
        name=_text(d.get("name"), f"{where}.name", limit=100),
        category=_enum(Category, d.get("category"), f"{where}.category"),
        max_points=_decimal(d.get("max_points"), f"{where}.max_points", low=Decimal("0.01"), high=Decimal(1000)),
        objective=bool(d.get("objective", False)),
        guidance=_text(d.get("guidance", ""), f"{where}.guidance", limit=1000, required=False),
    )


def formula_from(data: Any) -> PriceFormula:
    if isinstance(data, PriceFormula):
        return data
    d = _mapping(data, "price_formula")
    kind = _enum(FormulaKind, d.get("kind", FormulaKind.LOW_PRICE_BASE.value), "price_formula.kind")
    benchmark = str(d.get("benchmark", "average"))
    if benchmark not in ("lowest", "average", "average_trimmed"):
        raise invalid(
            "choice_invalid",
            "评标基准价取值方式须为 lowest、average 或 average_trimmed",
            "benchmark is lowest, average or average_trimmed",
            "price_formula.benchmark",
        )
    return PriceFormula(
        kind=kind,
        benchmark=benchmark,
        coefficient=_decimal(d.get("coefficient", 1), "price_formula.coefficient", low=Decimal("0.5"), high=Decimal(1)),
        deduct_above_per_pct=_decimal(
            d.get("deduct_above_per_pct", 1), "price_formula.deduct_above_per_pct", low=Decimal(0), high=Decimal(100)
        ),
        deduct_below_per_pct=_decimal(
            d.get("deduct_below_per_pct", "0.5"),
            "price_formula.deduct_below_per_pct",
            low=Decimal(0),
            high=Decimal(100),
        ),
    )


def config_from(data: Any) -> EvaluationConfig:
    """Read and check an evaluation configuration (a dataclass is re-checked the same way)."""
    if isinstance(data, EvaluationConfig):
        data = data.as_json()
    d = _mapping(data, "config")
    method = _enum(Method, d.get("method"), "config.method")
    items = tuple(item_from(x, f"config.items.{i}") for i, x in enumerate(_list(d.get("items"), "config.items")))
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        raise invalid("item_duplicate", "评分项编码重复", "score item codes must be unique", "config.items")
    prices = [i for i in items if i.category is Category.PRICE]
    if method.scored:
        if not [i for i in items if i.category is not Category.PRICE]:
            raise invalid(
                "items_required", "综合评分须设置技术或商务评分项", "scored methods need scored items", "config.items"
            )
        if len(prices) != 1:
            raise invalid(
                "price_item_required",
                "综合评分须设置且只设置一个价格评分项（由公式计算）",
                "scored methods need exactly one price item (computed by formula)",
                "config.items",
            )
    elif items:
        raise invalid(
            "items_not_allowed",
            "最低价类评标方法不设评分项",
            "lowest-price methods take no score items",
            "config.items",
            method=method.value,
        )
    raw_grounds = d.get("grounds")
    if raw_grounds is None:
        grounds = DEFAULT_GROUNDS
    else:
        grounds = tuple(
            g
            if isinstance(g, RejectionGround)
            else RejectionGround(
                code=_code(_mapping(g, f"config.grounds.{i}").get("code"), f"config.grounds.{i}.code"),
                text=_text(_mapping(g, f"config.grounds.{i}").get("text"), f"config.grounds.{i}.text", limit=300),
                source=_text(g.get("source", ""), f"config.grounds.{i}.source", limit=200, required=False),
            )
            for i, g in enumerate(_list(raw_grounds, "config.grounds"))
        )
        if not grounds:
            raise invalid(
                "grounds_required", "须设置否决投标情形清单", "the rejection checklist is empty", "config.grounds"
            )
    if len({g.code for g in grounds}) != len(grounds):
        raise invalid("ground_duplicate", "否决情形编码重复", "rejection ground codes must be unique", "config.grounds")
    requirements = tuple(
        r
        if isinstance(r, Requirement)
        else Requirement(
            code=_code(_mapping(r, f"config.requirements.{i}").get("code"), f"config.requirements.{i}.code"),
            text=_text(r.get("text"), f"config.requirements.{i}.text", limit=300),
        )
        for i, r in enumerate(_list(d.get("requirements"), "config.requirements"))
    )
    if len({r.code for r in requirements}) != len(requirements):
        raise invalid(
            "requirement_duplicate", "资格条件编码重复", "requirement codes must be unique", "config.requirements"
        )
    aggregation = str(d.get("aggregation", "mean"))
    if aggregation not in ("mean", "trimmed_mean"):
        raise invalid(
            "choice_invalid",
            "汇总方式须为 mean 或 trimmed_mean",
            "aggregation is mean or trimmed_mean",
            "config.aggregation",
        )
    tie_break = tuple(str(k) for k in _list(d.get("tie_break", ["price", "technical"]), "config.tie_break"))
    for k in tie_break:
        if k not in TIE_KEYS:
            raise invalid(
                "choice_invalid",
                "并列规则须为 price、technical 或 commercial",
                "tie rules are price, technical or commercial",
                "config.tie_break",
                allowed=list(TIE_KEYS),
            )
    if len(set(tie_break)) != len(tie_break):
        raise invalid("tie_rule_duplicate", "并列规则重复", "a tie rule is repeated", "config.tie_break")
    low_raw = d.get("abnormally_low", {})
    if low_raw is None:
        low = None
    elif isinstance(low_raw, AbnormalLowRule):
        low = low_raw
    else:
        lm = _mapping(low_raw, "config.abnormally_low")
        basis = str(lm.get("basis", "average"))
        if basis not in ("average", "median"):
            raise invalid(
                "choice_invalid",
                "异常低价基准须为 average 或 median",
                "basis is average or median",
                "config.abnormally_low.basis",
            )
        low = AbnormalLowRule(
            basis=basis,
            share=_decimal(
                lm.get("share", "0.8"), "config.abnormally_low.share", low=Decimal("0.01"), high=Decimal("0.99")
            ),
        )
    out_raw = d.get("outliers", {})
    if isinstance(out_raw, OutlierRule):
        outliers = out_raw
    else:
        om = _mapping(out_raw, "config.outliers")
        outliers = OutlierRule(
            share=_decimal(om.get("share", "0.30"), "config.outliers.share", low=Decimal("0.01"), high=Decimal(1)),
            tukey_k=_decimal(om.get("tukey_k", "1.5"), "config.outliers.tukey_k", low=Decimal("0.5"), high=Decimal(10)),
        )
    return EvaluationConfig(
        method=method,
        items=items,
        price_formula=formula_from(d.get("price_formula", {})),
        grounds=grounds,
        requirements=requirements,
        ceiling_fen=_optional_int(d.get("ceiling_fen"), "config.ceiling_fen", low=1),
        candidates=_int(d.get("candidates", 3), "config.candidates", low=1, high=10),
        aggregation=aggregation,
        trim_min_members=_int(d.get("trim_min_members", 7), "config.trim_min_members", low=3, high=99),
        tie_break=tie_break,
        abnormally_low=low,
        outliers=outliers,
        decimals=_int(d.get("decimals", 2), "config.decimals", low=0, high=4),
    )


def document_from(data: Any, where: str) -> BidDocument:
    if isinstance(data, BidDocument):
        return data
    d = _mapping(data, where)
    return BidDocument(
        owner_context=_text(d.get("owner_context"), f"{where}.owner_context", limit=60),
        owner_ref=_text(d.get("owner_ref"), f"{where}.owner_ref", limit=100),
        submission_id=_text(d.get("submission_id"), f"{where}.submission_id", limit=64),
        file_name=_text(d.get("file_name", ""), f"{where}.file_name", limit=255, required=False),
        title=_text(d.get("title", "投标文件"), f"{where}.title", limit=100),
    )


def bids_from(items: Any) -> tuple[BidInput, ...]:
    """Read and check the bids: at least one, each bidder once, prices > 0."""
    if not isinstance(items, list | tuple):
        raise invalid("list_required", "须为列表", "a list is required", "bids")
    out: list[BidInput] = []
    for i, raw in enumerate(items):
        where = f"bids.{i}"
        d = raw.as_json() if isinstance(raw, BidInput) else _mapping(raw, where)
        signals = _mapping(d.get("signals"), f"{where}.signals")
        for key in signals:
            if key not in COLLUSION_INDICATORS:
                raise invalid(
                    "signal_unknown",
                    "串标指标名称不正确",
                    "unknown collusion indicator",
                    f"{where}.signals.{key}",
                    allowed=list(COLLUSION_INDICATORS),
                )
        out.append(
            BidInput(
                entity_id=_int(d.get("entity_id"), f"{where}.entity_id", low=1),
                name=_text(d.get("name"), f"{where}.name", limit=200),
                price_fen=_int(d.get("price_fen"), f"{where}.price_fen", low=1, high=10**15),
                pseudonym=_text(d.get("pseudonym") or f"投标人{i + 1}", f"{where}.pseudonym", limit=40),
                uscc=_text(d.get("uscc", ""), f"{where}.uscc", limit=18, required=False),
                qualification=dict(_mapping(d.get("qualification"), f"{where}.qualification")),
                documents=tuple(
                    document_from(x, f"{where}.documents.{j}")
                    for j, x in enumerate(_list(d.get("documents"), f"{where}.documents"))
                ),
                brand=_text(d.get("brand", ""), f"{where}.brand", limit=100, required=False),
                signals={str(k): str(v)[:200] for k, v in signals.items() if str(v).strip()},
                consortium=bool(d.get("consortium", False)),
            )
        )
    if not out:
        raise invalid("bids_required", "没有可评审的投标", "there are no bids to evaluate", "bids")
    entities = [b.entity_id for b in out]
    if len(set(entities)) != len(entities):
        raise invalid("bidder_duplicate", "同一投标人出现多次", "a bidder appears more than once", "bids")
    pseudonyms = [b.pseudonym for b in out]
    if len(set(pseudonyms)) != len(pseudonyms):
        raise invalid("pseudonym_duplicate", "投标人编号重复", "bidder pseudonyms must be unique", "bids")
    return tuple(out)


def committee_request_from(data: Any) -> CommitteeRequest:
    if isinstance(data, CommitteeRequest):
        data = data.as_json()
    d = _mapping(data, "committee_request")
    w = "committee_request"
    lines = []
    for i, raw in enumerate(_list(d.get("lines"), f"{w}.lines")):
        lm = _mapping(raw, f"{w}.lines.{i}")
        lines.append(
            DrawLine(
                specialty=_text(lm.get("specialty"), f"{w}.lines.{i}.specialty", limit=7),
                count=_int(lm.get("count"), f"{w}.lines.{i}.count", low=1, high=50),
                reserve=_int(lm.get("reserve", 1), f"{w}.lines.{i}.reserve", low=0, high=50),
                role=_enum(ScorerRole, lm.get("role", "general"), f"{w}.lines.{i}.role"),
                main_only=bool(lm.get("main_only", False)),
            )
        )
    if not lines:
        raise invalid(
            "lines_required", "至少须申请一个专业的专家", "request at least one line of experts", f"{w}.lines"
        )
    reps = []
    for i, raw in enumerate(_list(d.get("representatives"), f"{w}.representatives")):
        rm = _mapping(raw, f"{w}.representatives.{i}")
        reps.append(
            Representative(
                account_id=_int(rm.get("account_id"), f"{w}.representatives.{i}.account_id", low=1),
                name=_text(rm.get("name"), f"{w}.representatives.{i}.name", limit=50),
                entity_id=_optional_int(rm.get("entity_id"), f"{w}.representatives.{i}.entity_id", low=1),
                role=_enum(ScorerRole, rm.get("role", "general"), f"{w}.representatives.{i}.role"),
            )
        )
    if len({r.account_id for r in reps}) != len(reps):
        raise invalid("representative_duplicate", "代表重复", "a representative appears twice", f"{w}.representatives")
    start = _aware(d.get("meeting_start"), f"{w}.meeting_start")
    end = _aware(d.get("meeting_end"), f"{w}.meeting_end")
    if end <= start:
        raise invalid(
            "period_reversed", "评标结束时间须晚于开始时间", "the meeting ends before it starts", f"{w}.meeting_end"
        )
    region = _text(d.get("region_code"), f"{w}.region_code", limit=6)
    if not re.fullmatch(r"\d{6}", region):
        raise invalid("region_invalid", "行政区划代码须为 6 位数字", "region_code is 6 digits", f"{w}.region_code")
    return CommitteeRequest(
        project_ref=_text(d.get("project_ref"), f"{w}.project_ref", limit=100),
        region_code=region,
        meeting_start=start,
        meeting_end=end,
        lines=tuple(lines),
        tenderer_entity_id=_optional_int(d.get("tenderer_entity_id"), f"{w}.tenderer_entity_id", low=1),
        agency_entity_id=_optional_int(d.get("agency_entity_id"), f"{w}.agency_entity_id", low=1),
        representatives=tuple(reps),
        budget_fen=_optional_int(d.get("budget_fen"), f"{w}.budget_fen", low=0),
        large=bool(d.get("large", False)),
        title=_text(d.get("title", ""), f"{w}.title", limit=200, required=False),
        room_id=_optional_int(d.get("room_id"), f"{w}.room_id", low=1),
        booking_id=_optional_int(d.get("booking_id"), f"{w}.booking_id", low=1),
        region_scope=tuple(str(x) for x in _list(d.get("region_scope"), f"{w}.region_scope")),
        extra_avoided_entity_ids=tuple(
            _int(x, f"{w}.extra_avoided_entity_ids", low=1)
            for x in _list(d.get("extra_avoided_entity_ids"), f"{w}.extra_avoided_entity_ids")
        ),
    )


def check_kind_and_method(kind: TenderKind, method: Method) -> None:
    if kind.regime is not method.regime:
        raise invalid(
            "method_not_for_kind",
            f"评标方法“{METHOD_LABELS_ZH[method]}”不适用于{KIND_LABELS_ZH[kind]}项目",
            f"the method {method.value} does not apply to {kind.value}",
            "config.method",
            kind=kind.value,
            method=method.value,
        )


def parse_kind(value: Any) -> TenderKind:
    return _enum(TenderKind, value, "kind")
