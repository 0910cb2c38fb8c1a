"""The double-entry ledger's vocabulary: account kinds, journal kinds, lines and the balance rules.

Every movement of money is one journal entry whose lines balance (total debits = total credits, in fen).
Accounts are never given a stored balance: a balance is the sum of the account's lines. Each account kind has
a normal side (where increases go) and says whether its balance may ever be negative.

The platform's view (it holds deposits in custody at a bank):

- ``bank_clearing`` (asset, debit-normal): money in the custody account at one bank.
- ``deposit`` (liability, credit-normal): what the platform owes one bidder for one lot (the virtual
  sub-account's money).
- ``suspense`` (liability): money received that could not be attributed (unknown virtual account, wrong
  currency); never lost, held until staff assign it.
- ``refund_pending`` (liability): deposits released and not yet paid back.
- ``forfeited`` (liability): deposits forfeited by rule (悔拍, late withdrawal), held for their legal recipient.
- ``fee_income`` (income, credit-normal): service fees collected.
- ``interest_expense`` (expense, debit-normal) and ``operating_funds`` (asset, the platform's own money that
  pays interest; unconstrained): interest added to refunds.

Reserved for the rounds after the trust layer (not posted to yet): ``guarantee_memo``/``guarantee_contra``
(off-balance memo pair for e-guarantees: issued cover, claims), ``settlement`` (deal price held between buyer
and seller), ``seller_payable`` and ``instalment_receivable``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class AccountKind(StrEnum):
    BANK_CLEARING = "bank_clearing"
    DEPOSIT = "deposit"
    SUSPENSE = "suspense"
    REFUND_PENDING = "refund_pending"
    FORFEITED = "forfeited"
    FEE_INCOME = "fee_income"
    INTEREST_EXPENSE = "interest_expense"
    OPERATING_FUNDS = "operating_funds"
    # reserved (guarantees, settlement, instalments): declared so the ledger's vocabulary is complete
    GUARANTEE_MEMO = "guarantee_memo"
    GUARANTEE_CONTRA = "guarantee_contra"
    SETTLEMENT = "settlement"
    SELLER_PAYABLE = "seller_payable"
    INSTALMENT_RECEIVABLE = "instalment_receivable"


ACCOUNT_KIND_LABELS: dict[AccountKind, str] = {
    AccountKind.BANK_CLEARING: "银行托管户",
    AccountKind.DEPOSIT: "保证金子账户",
    AccountKind.SUSPENSE: "待查明款项",
    AccountKind.REFUND_PENDING: "待退还保证金",
    AccountKind.FORFEITED: "没收保证金",
    AccountKind.FEE_INCOME: "服务费收入",
    AccountKind.INTEREST_EXPENSE: "利息支出",
    AccountKind.OPERATING_FUNDS: "平台自有资金",
    AccountKind.GUARANTEE_MEMO: "保函担保额（备查）",
    AccountKind.GUARANTEE_CONTRA: "保函担保额（对销）",
    AccountKind.SETTLEMENT: "成交价款结算",
    AccountKind.SELLER_PAYABLE: "应付出让方",
    AccountKind.INSTALMENT_RECEIVABLE: "分期应收价款",
}

NORMAL_SIDE: dict[AccountKind, Side] = {
    AccountKind.BANK_CLEARING: Side.DEBIT,
    AccountKind.DEPOSIT: Side.CREDIT,
    AccountKind.SUSPENSE: Side.CREDIT,
    AccountKind.REFUND_PENDING: Side.CREDIT,
    AccountKind.FORFEITED: Side.CREDIT,
    AccountKind.FEE_INCOME: Side.CREDIT,
    AccountKind.INTEREST_EXPENSE: Side.DEBIT,
    AccountKind.OPERATING_FUNDS: Side.DEBIT,
    AccountKind.GUARANTEE_MEMO: Side.DEBIT,
    AccountKind.GUARANTEE_CONTRA: Side.CREDIT,
    AccountKind.SETTLEMENT: Side.CREDIT,
    AccountKind.SELLER_PAYABLE: Side.CREDIT,
    AccountKind.INSTALMENT_RECEIVABLE: Side.DEBIT,
}

# Kinds whose balance (on their normal side) may never be negative: money owed to someone can't go below zero,
# and the custody account can't pay out more than it holds. The platform's own funds are not constrained.
NON_NEGATIVE: frozenset[AccountKind] = frozenset(NORMAL_SIDE) - {AccountKind.OPERATING_FUNDS}


class JournalKind(StrEnum):
    DEPOSIT_RECEIVED = "deposit_received"  # bank → deposit sub-account
    SUSPENSE_RECEIVED = "suspense_received"  # bank → suspense (unknown virtual account)
    SUSPENSE_ASSIGNED = "suspense_assigned"  # suspense → deposit sub-account (staff)
    DEPOSIT_RELEASED = "deposit_released"  # deposit → refund pending
    REFUND_INTEREST = "refund_interest"  # interest expense → refund pending
    REFUND_PAID = "refund_paid"  # refund pending → bank (+ operating funds for interest)
    DEPOSIT_FORFEITED = "deposit_forfeited"  # deposit → forfeited
    FEE_COLLECTED = "fee_collected"  # deposit → fee income
    REVERSAL = "reversal"  # mirror of an earlier entry (corrections never edit)
    # reserved for the next rounds
    GUARANTEE_ISSUED = "guarantee_issued"
    GUARANTEE_RELEASED = "guarantee_released"
    GUARANTEE_CLAIMED = "guarantee_claimed"
    SETTLEMENT_RECEIVED = "settlement_received"
    SETTLEMENT_PAID = "settlement_paid"
    INSTALMENT_SCHEDULED = "instalment_scheduled"


JOURNAL_KIND_LABELS: dict[JournalKind, str] = {
    JournalKind.DEPOSIT_RECEIVED: "保证金到账",
    JournalKind.SUSPENSE_RECEIVED: "待查明款项到账",
    JournalKind.SUSPENSE_ASSIGNED: "待查明款项认领",
    JournalKind.DEPOSIT_RELEASED: "保证金解冻待退",
    JournalKind.REFUND_INTEREST: "退还利息",
    JournalKind.REFUND_PAID: "保证金退还",
    JournalKind.DEPOSIT_FORFEITED: "保证金没收",
    JournalKind.FEE_COLLECTED: "服务费收取",
    JournalKind.REVERSAL: "冲正",
    JournalKind.GUARANTEE_ISSUED: "保函开立",
    JournalKind.GUARANTEE_RELEASED: "保函释放",
    JournalKind.GUARANTEE_CLAIMED: "保函索赔",
    JournalKind.SETTLEMENT_RECEIVED: "成交价款到账",
    JournalKind.SETTLEMENT_PAID: "成交价款划转",
    JournalKind.INSTALMENT_SCHEDULED: "分期付款计划",
}


@dataclass(frozen=True)
class Line:
    """One line of a journal entry: ``account`` (a code or a key the caller resolves), debit or credit fen."""

    account: str
    debit_fen: int = 0
    credit_fen: int = 0

    def __post_init__(self) -> None:
        for name in ("debit_fen", "credit_fen"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer number of fen")
            if value < 0:
                raise ValueError(f"{name} must not be negative")
        if (self.debit_fen == 0) == (self.credit_fen == 0):
            raise ValueError("a line is either a debit or a credit, and not zero")


def debit(account: str, fen: int) -> Line:
    return Line(account, debit_fen=fen)


def credit(account: str, fen: int) -> Line:
    return Line(account, credit_fen=fen)


def is_balanced(lines: Iterable[Line]) -> bool:
    lines = list(lines)
    return bool(lines) and sum(x.debit_fen for x in lines) == sum(x.credit_fen for x in lines)


def balance(kind: AccountKind | str, debits: int, credits: int) -> int:
    """The balance on the kind's normal side: credits − debits for a liability, debits − credits for an asset."""
    return credits - debits if NORMAL_SIDE[AccountKind(kind)] is Side.CREDIT else debits - credits


def reduces(kind: AccountKind | str, line: Line) -> bool:
    """Does ``line`` lower the balance of an account of ``kind``? (Only such lines can make it negative.)"""
    side = NORMAL_SIDE[AccountKind(kind)]
    return line.debit_fen > 0 if side is Side.CREDIT else line.credit_fen > 0


def mirror(lines: Iterable[Line]) -> list[Line]:
    """The lines of a reversing entry: every debit becomes a credit of the same amount and vice versa."""
    return [Line(x.account, debit_fen=x.credit_fen, credit_fen=x.debit_fen) for x in lines]
