"""Refunds of deposits: why a deposit is released, which legal limit applies, and interest.

A release names a **reason** and the instant of its **anchor** event (the award letter, the contract, the
withdrawal notice …). The refund's legal deadline (``due_at``) is computed from the rule the catalogue lists
for the lot's regime and that reason (:data:`REFUND_RULES`), with the Civil-Code period arithmetic of
:mod:`yiwang.kernel.periods`. Several candidate rule ids may be listed: the first one the catalogue has wins.
Where no rule applies (a terminated procedure, a payment after the lot was closed, the regimes whose limit
is set by the seller's notice), the refund has no legal deadline and is paid at once.

Interest (when the rules require it):

- ``bank_interest``: 条例 Art. 57 (works, goods, survey/design): the deposit is refunded *with the bank's
  interest for the same period*, from payment to refund, at the demand-deposit rate;
- ``late_interest``: 87号令 Art. 38 (government procurement): a late refund carries interest at the PBoC
  loan rate marked up by ``gp.late_refund_interest_markup`` per cent, for the days late.

Interest is known only when the bank confirms the refund (the payout day decides the days counted), so it is
paid as a follow-up payment of its own (reason ``interest``), funded by the platform's operating funds.
The base rates are themselves rules (``finance.demand_deposit_rate``, ``finance.pboc_loan_rate``); while the
catalogue does not list them, no interest is added and the refund is flagged for staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from yiwang.services.finance.domain.deposits import Regime


class Reason(StrEnum):
    LOSER = "loser"  # 未中标/未竞得: anchor = award letter issued (gp), contract signed (works), sale completed
    WINNER = "winner"  # 中标/竞得: anchor = contract signed
    WITHDRAWAL = "withdrawal"  # 投标截止前撤回: anchor = written withdrawal notice received
    TERMINATED = "terminated"  # 招标终止、流拍、项目取消: refund promptly
    UNEXPECTED = "unexpected"  # money arrived after the deposit was closed: refund promptly
    PARTIAL = "partial"  # an over-payment or a staff correction: refund promptly
    INTEREST = "interest"  # interest owed on a refund (paid after it, from the platform's own funds)


REASON_LABELS: dict[Reason, str] = {
    Reason.LOSER: "未中标/未竞得退还",
    Reason.WINNER: "中标人签约后退还",
    Reason.WITHDRAWAL: "截止前撤回退还",
    Reason.TERMINATED: "项目终止退还",
    Reason.UNEXPECTED: "关闭后到账款退还",
    Reason.PARTIAL: "部分退还",
    Reason.INTEREST: "利息",
}


class ForfeitReason(StrEnum):
    RENEGED = "reneged"  # 悔拍: the buyer does not pay
    LATE_WITHDRAWAL = "late_withdrawal"  # 投标截止后撤销投标文件
    REFUSED_CONTRACT = "refused_contract"  # 中标后无正当理由不签订合同


FORFEIT_LABELS: dict[ForfeitReason, str] = {
    ForfeitReason.RENEGED: "悔拍",
    ForfeitReason.LATE_WITHDRAWAL: "投标截止后撤销投标",
    ForfeitReason.REFUSED_CONTRACT: "中标后拒签合同",
}


class Interest(StrEnum):
    NONE = "none"
    BANK = "bank_interest"
    LATE = "late_interest"


_TENDER = {
    Reason.LOSER: ("tender.deposit_refund_max",),
    Reason.WINNER: ("tender.deposit_refund_max",),
    Reason.WITHDRAWAL: ("tender.withdrawal_refund_max",),
}
REFUND_RULES: dict[Regime, dict[Reason, tuple[str, ...]]] = {
    Regime.WORKS: _TENDER,
    Regime.GOODS: _TENDER,
    Regime.SURVEY_DESIGN: _TENDER,
    Regime.GP: {
        Reason.LOSER: ("gp.deposit_refund_losers_max",),
        Reason.WINNER: ("gp.deposit_refund_winner_max",),
        # 87号令 Art. 38: 5 working days from the written withdrawal notice; not yet in the catalogue
        Reason.WITHDRAWAL: ("gp.withdrawal_refund_max",),
    },
    Regime.LAND: {Reason.LOSER: ("land.deposit_refund_max",)},
    Regime.JUDICIAL: {Reason.LOSER: ("judicial.deposit_release_max",)},
    Regime.STATE_ASSETS: {Reason.LOSER: ("equity.deposit_refund_max",)},
}

# Reasons for which the regime's rules *must* give a deadline: a missing rule is flagged for staff.
EXPECTED_RULE: frozenset[Reason] = frozenset({Reason.LOSER, Reason.WINNER, Reason.WITHDRAWAL})

INTEREST_MODE: dict[Regime, dict[Reason, Interest]] = {
    Regime.WORKS: {Reason.LOSER: Interest.BANK, Reason.WINNER: Interest.BANK},
    Regime.GOODS: {Reason.LOSER: Interest.BANK, Reason.WINNER: Interest.BANK},
    Regime.SURVEY_DESIGN: {Reason.LOSER: Interest.BANK, Reason.WINNER: Interest.BANK},
    Regime.GP: {
        Reason.LOSER: Interest.LATE,
        Reason.WINNER: Interest.LATE,
        Reason.WITHDRAWAL: Interest.LATE,
        Reason.PARTIAL: Interest.LATE,
    },
}

INTEREST_RATE_RULES: dict[Interest, tuple[str, ...]] = {
    Interest.BANK: ("finance.demand_deposit_rate",),
    Interest.LATE: ("finance.pboc_loan_rate", "gp.late_refund_interest_markup"),
}


def candidate_rules(regime: Regime, reason: Reason) -> tuple[str, ...]:
    return REFUND_RULES.get(regime, {}).get(reason, ())


def interest_mode(regime: Regime, reason: Reason) -> Interest:
    return INTEREST_MODE.get(regime, {}).get(reason, Interest.NONE)


def simple_interest(principal_fen: int, annual_rate_percent: Decimal, days: int) -> int:
    """Simple interest on ``principal_fen`` for ``days`` at an annual rate (per cent), 365-day year,
    rounded half up to the fen. Zero for no days."""
    if days <= 0 or principal_fen <= 0 or annual_rate_percent <= 0:
        return 0
    exact = Decimal(principal_fen) * annual_rate_percent * days / Decimal(36500)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def interest_days(start: date, end: date) -> int:
    """Days of interest between two Shanghai dates (the start day counts, the end day does not)."""
    return max((end - start).days, 0)


@dataclass(frozen=True)
class InterestQuote:
    fen: int
    mode: Interest
    days: int
    annual_rate_percent: Decimal | None
    rule_ids: tuple[str, ...]
    missing: tuple[str, ...] = ()


def quote_interest(
    mode: Interest,
    principal_fen: int,
    *,
    paid_on: date | None,
    due_on: date | None,
    payout_on: date,
    rates: dict[str, Decimal | None],
) -> InterestQuote:
    """The interest to add to a refund paid out on ``payout_on``.

    ``rates`` maps the mode's rule ids to their values (``None`` when the catalogue lacks them);
    ``paid_on`` is the day the deposit arrived; ``due_on`` the legal last day + 1 (the refund's deadline)."""
    rule_ids = INTEREST_RATE_RULES.get(mode, ())
    if mode is Interest.NONE:
        return InterestQuote(0, mode, 0, None, ())
    missing = tuple(r for r in rule_ids if rates.get(r) is None)
    if mode is Interest.BANK:
        days = interest_days(paid_on, payout_on) if paid_on else 0
        if missing or days == 0:
            return InterestQuote(0, mode, days, None, rule_ids, missing)
        rate = rates[rule_ids[0]]
        assert rate is not None
        return InterestQuote(simple_interest(principal_fen, rate, days), mode, days, rate, rule_ids)
    # late interest: only for the days after the deadline
    days = interest_days(due_on, payout_on) + 1 if due_on and payout_on >= due_on else 0
    if days == 0:
        return InterestQuote(0, mode, 0, None, rule_ids)
    if missing:
        return InterestQuote(0, mode, days, None, rule_ids, missing)
    base, markup = rates[rule_ids[0]], rates[rule_ids[1]]
    assert base is not None
    assert markup is not None
    rate = base * (Decimal(100) + markup) / Decimal(100)
    return InterestQuote(simple_interest(principal_fen, rate, days), mode, days, rate, rule_ids)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before sending a refund instruction again: 30 s, 1 min, 2 min … at most one hour.
    (An operational retry policy, not a legal number.)"""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
