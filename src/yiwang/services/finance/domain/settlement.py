"""Deal settlement (交易价款结算): the payment plan of a deal price, instalments, interest, and allocation.

A deal (an auction or a transfer of state-owned equity, land, judicial sale …) has a buyer, a seller and a
price. The buyer pays the price into its settlement sub-account at the trading centre, either as a **lump
sum** or — where the regime's rules allow it — in **instalments**:

- state-owned equity (企业国有资产交易监督管理办法, 32号令 Art. 28): the first payment (首期) is at least
  ``equity.down_payment_min`` per cent of the price, the rest is paid within ``equity.instalment_period_max``
  of the contract taking effect, **secured** (转让方认可的合法有效担保) and with **interest** for the deferral at
  the bank's loan rate of the same period (``finance.pboc_loan_rate``);
- other regimes: a lump sum only, until the rules catalogue lists their instalment rules (a rule that is not
  listed is never enforced, and never guessed).

A plan is a list of ``(due_at, amount_fen)``: the first item is the down payment (the converted deposit
counts towards it), the amounts add up to the price. Each deferred item carries simple interest on its
amount for the days from the contract's effect to its due date (365-day year, rounded half up once).

Periods of years and months are counted as the Civil Code says (Art. 200–203): the day of the event is not
counted; the period ends on the corresponding day of the last year (or month) — the month's last day when
there is none — at 24:00, rolled to the next working day is **not** applied here (the deadline is the
contract's, not an authority's).

Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from yiwang.kernel.errors import InvalidInput, RuleViolation
from yiwang.kernel.periods import SHANGHAI, local_date
from yiwang.services.finance.domain.refunds import interest_days, simple_interest

MAX_INSTALMENTS = 24
MAX_PRICE_FEN = 10**15


class Mode(StrEnum):
    LUMP_SUM = "lump_sum"
    INSTALMENTS = "instalments"


MODE_LABELS: dict[Mode, str] = {Mode.LUMP_SUM: "一次性付款", Mode.INSTALMENTS: "分期付款"}

# Regimes whose instalment rules the catalogue lists: (down-payment minimum, period for the rest).
INSTALMENT_RULES: dict[str, tuple[str, str]] = {
    "state_assets": ("equity.down_payment_min", "equity.instalment_period_max"),
}
INTEREST_RULE = "finance.pboc_loan_rate"


class Status(StrEnum):
    ACTIVE = "active"  # 履行中: money still owed or not yet paid out
    COMPLETED = "completed"  # 已结清: the buyer paid everything and the seller received it


STATUS_LABELS: dict[Status, str] = {Status.ACTIVE: "履行中", Status.COMPLETED: "已结清"}


@dataclass(frozen=True)
class RuleRef:
    rule_id: str
    value: Decimal
    unit: str
    source: str

    def as_json(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "value": str(self.value), "unit": self.unit, "source": self.source}


@dataclass(frozen=True)
class InstalmentRules:
    down_payment_min: RuleRef  # per cent of the price
    period_max: RuleRef  # amount + unit (year, month, day)


@dataclass(frozen=True)
class PlannedInstalment:
    seq: int
    due_at: datetime
    principal_fen: int
    interest_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen


def add_calendar_period(start: datetime, amount: int, unit: str) -> datetime:
    """The exclusive end of "within ``amount`` years/months/days of ``start``" (Civil Code Art. 201–203):
    00:00 Shanghai of the day after the last day. For years and months the last day is the corresponding day
    (the month's last day when the month has none)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("amount must be a non-negative integer")
    first = local_date(start)
    if unit == "day":
        last = first + timedelta(days=amount)
    elif unit in ("month", "year"):
        months = amount * (12 if unit == "year" else 1)
        index = first.month - 1 + months
        year, month = first.year + index // 12, index % 12 + 1
        day = min(first.day, calendar.monthrange(year, month)[1])
        last = first.replace(year=year, month=month, day=day)
    else:
        raise ValueError(f"unsupported period unit {unit!r}")
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def percent_of_up(price_fen: int, percent: Decimal) -> int:
    """``percent`` per cent of ``price_fen``, rounded **up** to the fen (a minimum is never rounded down)."""
    numerator = Decimal(price_fen) * percent
    whole = int(numerator // 100)
    if whole * 100 != numerator:
        whole += 1
    return whole


def _invalid(code: str, zh: str, en: str, **details: object) -> InvalidInput:
    return InvalidInput(code, zh, en, dict(details))


def check_amount(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_PRICE_FEN:
        raise _invalid(
            "finance.amount_invalid", "金额须为正整数（分）", "the amount must be a positive number of fen", field=field
        )
    return value


def plan_instalments(
    *,
    price_fen: int,
    schedule: Sequence[tuple[datetime, int]],
    anchor_at: datetime,
    regime: str,
    rules: InstalmentRules | None,
    interest_rate: Decimal | None,
    secured: bool,
) -> list[PlannedInstalment]:
    """Check a payment plan against the rules and add the interest of deferred instalments.

    Refusals: ``finance.schedule_invalid`` (empty, too long, unordered or naive dates, before the contract's
    effect), ``finance.amount_invalid``, ``finance.schedule_sum_mismatch`` (amounts ≠ price),
    ``finance.instalments_not_allowed`` (the regime's instalment rules are not listed),
    ``finance.security_required`` (instalments without security), ``finance.down_payment_too_low`` and
    ``finance.instalment_period_exceeded`` (rule violations naming the rule and its source).
    ``interest_rate`` ``None`` means the rate is not listed: no interest is added (the caller flags it)."""
    price = check_amount(price_fen, "price_fen")
    items = list(schedule)
    if not items or len(items) > MAX_INSTALMENTS:
        raise _invalid(
            "finance.schedule_invalid",
            f"付款计划须有 1–{MAX_INSTALMENTS} 期",
            f"a payment plan has 1-{MAX_INSTALMENTS} items",
            field="schedule",
        )
    previous: datetime | None = None
    for index, (due_at, amount) in enumerate(items):
        if not isinstance(due_at, datetime) or due_at.tzinfo is None:
            raise _invalid(
                "finance.schedule_invalid",
                "付款期限须为带时区的时间",
                "due dates must be timezone-aware",
                field=f"schedule[{index}].due_at",
            )
        if due_at < anchor_at or (previous is not None and due_at <= previous):
            raise _invalid(
                "finance.schedule_invalid",
                "付款期限须晚于合同生效时间并逐期递增",
                "due dates must follow the contract's effect and increase",
                field=f"schedule[{index}].due_at",
            )
        check_amount(amount, f"schedule[{index}].amount_fen")
        previous = due_at
    total = sum(amount for _due, amount in items)
    if total != price:
        raise _invalid(
            "finance.schedule_sum_mismatch",
            "各期金额之和须等于成交价款",
            "the instalments must add up to the price",
            field="schedule",
            total_fen=total,
            price_fen=price,
        )
    if len(items) > 1:
        if rules is None:
            raise RuleViolation(
                "finance.instalments_not_allowed",
                "该交易类别的规则目录未列明分期付款规则，只能一次性付款",
                "The rules catalogue lists no instalment rules for this regime: pay in one sum",
                {"regime": regime, "field": "schedule"},
            )
        if not secured:
            raise _invalid(
                "finance.security_required",
                "分期付款的，其余款项须提供合法有效担保",
                "Instalments need security for the deferred amount",
                field="security",
            )
        floor = percent_of_up(price, rules.down_payment_min.value)
        if items[0][1] < floor:
            raise RuleViolation(
                "finance.down_payment_too_low",
                f"首期付款不得低于总价款的 {rules.down_payment_min.value}%（{floor} 分）",
                f"the down payment must be at least {rules.down_payment_min.value} % of the price ({floor} fen)",
                {**rules.down_payment_min.as_json(), "field": "schedule[0].amount_fen", "min_fen": floor},
            )
        latest = add_calendar_period(anchor_at, int(rules.period_max.value), rules.period_max.unit)
        if items[-1][0] >= latest:
            raise RuleViolation(
                "finance.instalment_period_exceeded",
                f"其余款项须在合同生效之日起 {rules.period_max.value} {_unit_zh(rules.period_max.unit)}内付清",
                f"the rest must be paid within {rules.period_max.value} {rules.period_max.unit} of the contract",
                {
                    **rules.period_max.as_json(),
                    "field": f"schedule[{len(items) - 1}].due_at",
                    "latest_exclusive": latest.isoformat(),
                },
            )
    start = local_date(anchor_at)
    out = []
    for index, (due_at, amount) in enumerate(items):
        interest = 0
        if index > 0 and interest_rate is not None:
            interest = simple_interest(amount, interest_rate, interest_days(start, local_date(due_at)))
        out.append(PlannedInstalment(index + 1, due_at, amount, interest))
    return out


def _unit_zh(unit: str) -> str:
    return {"year": "年", "month": "个月", "day": "日"}.get(unit, unit)


@dataclass(frozen=True)
class Owed:
    seq: int
    total_fen: int  # principal + interest
    paid_fen: int

    @property
    def outstanding_fen(self) -> int:
        return max(self.total_fen - self.paid_fen, 0)


def allocate(owed: Sequence[Owed], amount_fen: int) -> tuple[dict[int, int], int]:
    """Apply a payment to the instalments in order (oldest first): ``({seq: fen applied}, excess)``."""
    left = amount_fen
    applied: dict[int, int] = {}
    for item in sorted(owed, key=lambda o: o.seq):
        if left <= 0:
            break
        take = min(item.outstanding_fen, left)
        if take > 0:
            applied[item.seq] = take
            left -= take
    return applied, left
