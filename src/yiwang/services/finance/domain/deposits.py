"""Deposit (保证金) requirements: lot references, regimes, and the legal caps.

The contexts above (tender, auction) name a lot by an opaque **lot reference**: ``"tender.section:123"`` or
the pair ``("tender.section", "123")``. Finance never looks inside it.

A requirement is an amount in fen or a rate (per cent of a base: the contract estimate, the procurement
budget or the auction start price). Which caps apply depends on the **regime** of the lot; the numbers come
from the rules catalogue (the rule ids are listed in :data:`CAP_RULES`) and are passed in as :class:`CapRules`.

- ``works`` and ``goods`` (招标投标法): ≤ 2 % of the estimate and ≤ 80 万元;
- ``survey_design``: ≤ 2 % of the estimate and ≤ 10 万元;
- ``gp`` (政府采购): ≤ 2 % of the budget;
- ``judicial`` (网络司法拍卖): 5 %–20 % of the start price;
- ``land`` and ``state_assets``: no cap is listed (the seller's notice decides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from yiwang.kernel.errors import InvalidInput, RuleViolation

LOT_REF = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+:[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
MAX_LOT_REF = 120


class Regime(StrEnum):
    WORKS = "works"
    GOODS = "goods"
    SURVEY_DESIGN = "survey_design"
    GP = "gp"
    LAND = "land"
    STATE_ASSETS = "state_assets"
    JUDICIAL = "judicial"


REGIME_LABELS: dict[Regime, str] = {
    Regime.WORKS: "工程施工招标",
    Regime.GOODS: "货物招标",
    Regime.SURVEY_DESIGN: "勘察设计招标",
    Regime.GP: "政府采购",
    Regime.LAND: "土地使用权出让",
    Regime.STATE_ASSETS: "国有产权交易",
    Regime.JUDICIAL: "司法拍卖",
}

# Which rules of the catalogue bound the requirement of each regime.
#   rate_cap: the requirement may not exceed this per cent of the base
#   amount_cap: … nor this many yuan
#   rate_min / rate_max: the requirement must lie within these per cents of the base
CAP_RULES: dict[Regime, dict[str, str]] = {
    Regime.WORKS: {"rate_cap": "tender.deposit_rate_cap", "amount_cap": "tender.deposit_cap_works_goods"},
    Regime.GOODS: {"rate_cap": "tender.deposit_rate_cap", "amount_cap": "tender.deposit_cap_works_goods"},
    Regime.SURVEY_DESIGN: {"rate_cap": "tender.deposit_rate_cap", "amount_cap": "tender.deposit_cap_survey_design"},
    Regime.GP: {"rate_cap": "gp.deposit_rate_cap"},
    Regime.LAND: {},
    Regime.STATE_ASSETS: {},
    Regime.JUDICIAL: {"rate_min": "judicial.deposit_rate_min", "rate_max": "judicial.deposit_rate_max"},
}


def normalise_lot_ref(ref: str | tuple[str, str] | list[str]) -> str:
    """``("tender.section", "123")`` or ``"tender.section:123"`` → ``"tender.section:123"``; else
    ``finance.lot_ref_invalid``."""
    if isinstance(ref, tuple | list) and len(ref) == 2:
        text = f"{ref[0]}:{ref[1]}"
    elif isinstance(ref, str):
        text = ref.strip()
    else:
        text = repr(ref)
    if len(text) > MAX_LOT_REF or not LOT_REF.match(text):
        raise InvalidInput(
            "finance.lot_ref_invalid",
            f"标段引用“{text[:60]}”格式不正确（应如 tender.section:123）",
            f"lot reference {text[:60]!r} is malformed (expected e.g. tender.section:123)",
            {"field": "lot_ref", "value": text[:60]},
        )
    return text


def require_regime(value: str) -> Regime:
    try:
        return Regime(value)
    except ValueError:
        raise InvalidInput(
            "finance.regime_unknown",
            f"交易类别“{value}”无法识别",
            f"unknown regime {value!r}",
            {"field": "regime", "value": value, "allowed": [r.value for r in Regime]},
        ) from None


def parse_rate(value: str | Decimal | int) -> Decimal:
    """A percentage (``"2"`` = 2 %), 0 < rate ≤ 100, at most 4 decimals; else ``finance.rate_invalid``."""
    if isinstance(value, float):
        raise TypeError("floats are never accepted for rates; pass a str or Decimal")
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or rate <= 0 or rate > 100 or rate.as_tuple().exponent < -4:  # type: ignore[operator]
        raise InvalidInput(
            "finance.rate_invalid",
            f"比例“{value}”无效：应为大于 0、不超过 100 的百分数，最多四位小数",
            f"rate {value!r} is invalid: a percentage above 0 and at most 100, up to 4 decimals",
            {"field": "rate", "value": str(value)},
        )
    return rate


@dataclass(frozen=True)
class CapRule:
    rule_id: str
    value: Decimal  # per cent for rates, yuan for amounts
    unit: str
    source: str


@dataclass(frozen=True)
class CapRules:
    rate_cap: CapRule | None = None
    amount_cap: CapRule | None = None
    rate_min: CapRule | None = None
    rate_max: CapRule | None = None

    def used(self) -> dict[str, dict[str, str]]:
        """The rules as stored on the lot (snapshot): id → value, unit and source."""
        out = {}
        for name in ("rate_cap", "amount_cap", "rate_min", "rate_max"):
            rule: CapRule | None = getattr(self, name)
            if rule is not None:
                out[name] = {
                    "rule_id": rule.rule_id,
                    "value": str(rule.value),
                    "unit": rule.unit,
                    "source": rule.source,
                }
        return out


def _of(base_fen: int, rate: Decimal, *, up: bool) -> int:
    """``rate`` per cent of ``base_fen``, rounded down (caps) or up (minimums) to the fen, exactly."""
    numerator = Decimal(base_fen) * rate
    whole = int(numerator // 100)
    if up and whole * 100 != numerator:
        whole += 1
    return whole


def _yuan_to_fen(value: Decimal) -> int:
    return int(value * 100)


def _violation(rule: CapRule, zh: str, en: str, *, under: bool = False, **details: object) -> RuleViolation:
    return RuleViolation(
        "finance.deposit_under_min" if under else "finance.deposit_over_cap",
        zh,
        en,
        {"rule_id": rule.rule_id, "source": rule.source, "field": "amount_fen", **details},
    )


def compute_requirement(
    regime: Regime,
    rules: CapRules,
    *,
    amount_fen: int | None = None,
    rate: Decimal | None = None,
    base_fen: int | None = None,
) -> int:
    """The required deposit in fen, checked against the regime's caps.

    Give exactly one of ``amount_fen`` and ``rate``. ``base_fen`` (estimate, budget, start price) is needed
    for a rate and for every regime with a per-cent cap or band. Refusals: ``finance.requirement_invalid``
    (both or neither given, non-positive amount), ``finance.base_required``, ``finance.deposit_over_cap``
    and ``finance.deposit_under_min`` (with the rule id and its source).
    """
    if (amount_fen is None) == (rate is None):
        raise InvalidInput(
            "finance.requirement_invalid",
            "保证金须给出金额或比例之一",
            "give either an amount or a rate for the deposit, not both or neither",
            {"field": "amount_fen"},
        )
    needs_base = rate is not None or any(r is not None for r in (rules.rate_cap, rules.rate_min, rules.rate_max))
    if base_fen is not None and (isinstance(base_fen, bool) or not isinstance(base_fen, int) or base_fen <= 0):
        raise InvalidInput(
            "finance.base_invalid",
            "计算基数须为正整数（分）",
            "the base must be a positive number of fen",
            {"field": "base_fen"},
        )
    if needs_base and base_fen is None:
        raise InvalidInput(
            "finance.base_required",
            "按比例计算或受比例上限约束的保证金须提供估算价/预算/起拍价",
            "this deposit needs its base (estimate, budget or start price) to apply the legal limits",
            {"field": "base_fen", "regime": regime.value},
        )
    if rate is not None:
        assert base_fen is not None
        required = _of(base_fen, rate, up=False)
    else:
        assert amount_fen is not None
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
            raise InvalidInput(
                "finance.requirement_invalid",
                "保证金金额须为正整数（分）",
                "the deposit must be a positive number of fen",
                {"field": "amount_fen"},
            )
        required = amount_fen
    if required <= 0:
        raise InvalidInput(
            "finance.requirement_invalid",
            "按该比例计算的保证金为零",
            "the rate gives a deposit of zero",
            {"field": "rate"},
        )
    if rules.rate_cap is not None:
        assert base_fen is not None
        cap = _of(base_fen, rules.rate_cap.value, up=False)
        if required > cap:
            raise _violation(
                rules.rate_cap,
                f"保证金不得超过计算基数的 {rules.rate_cap.value}%（{cap} 分）",
                f"the deposit may not exceed {rules.rate_cap.value} % of the base ({cap} fen)",
                limit_fen=cap,
            )
    if rules.amount_cap is not None:
        cap = _yuan_to_fen(rules.amount_cap.value)
        if required > cap:
            raise _violation(
                rules.amount_cap,
                f"保证金不得超过 {rules.amount_cap.value} 元",
                f"the deposit may not exceed {rules.amount_cap.value} yuan",
                limit_fen=cap,
            )
    if rules.rate_max is not None:
        assert base_fen is not None
        cap = _of(base_fen, rules.rate_max.value, up=False)
        if required > cap:
            raise _violation(
                rules.rate_max,
                f"保证金不得高于起拍价的 {rules.rate_max.value}%（{cap} 分）",
                f"the deposit may not exceed {rules.rate_max.value} % of the start price ({cap} fen)",
                limit_fen=cap,
            )
    if rules.rate_min is not None:
        assert base_fen is not None
        floor = _of(base_fen, rules.rate_min.value, up=True)
        if required < floor:
            raise _violation(
                rules.rate_min,
                f"保证金不得低于起拍价的 {rules.rate_min.value}%（{floor} 分）",
                f"the deposit may not be below {rules.rate_min.value} % of the start price ({floor} fen)",
                under=True,
                limit_fen=floor,
            )
    return required


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a string of digits (used for simulated virtual account numbers)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def normalise_account_number(value: str) -> str:
    """Bank account numbers compared as digits only (spaces and dashes as printed are ignored)."""
    return "".join(ch for ch in str(value) if ch.isdigit())


def mask_account(value: str) -> str:
    digits = normalise_account_number(value)
    return f"****{digits[-4:]}" if digits else ""
