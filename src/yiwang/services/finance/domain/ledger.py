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

E-guarantees (电子保函, 保证保险) are **not money**: the platform holds a promise of the issuer, not cash. They
are kept off balance, as a memo pair that always nets to zero on the books (so the trial balance and the bank
reconciliation are untouched):

- ``guarantee_memo`` (debit-normal) / ``guarantee_contra`` (credit-normal), one pair per guarantee: the cover
  accepted (``guarantee_issued``: Dr memo / Cr contra), reversed when the guarantee is released or expires
  (``guarantee_released``) or when a claim is paid (inside ``guarantee_claimed``). Only a **paid claim** is
  money: it arrives from the issuer through the bank like any receipt (Dr bank / Cr the lot's forfeited
  account), in the same entry that clears the memo pair.

Deal settlement (交易价款结算) between a buyer and a seller:

- ``settlement`` (liability): the deal price received from the buyer (bank receipts and converted deposits),
  held until it is released to the seller;
- ``seller_payable`` (liability): released to the seller, waiting for the bank payout;
- ``instalment_receivable`` (debit-normal) / ``instalment_contra`` (credit-normal): a memo pair of what the
  buyer still owes under the plan (price and instalment interest), scheduled at once and reduced by every
  payment and by the converted deposit. Like the guarantee pair it never touches money accounts.
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
    # guarantees (off balance), settlement of deal prices, instalments (memo)
    GUARANTEE_MEMO = "guarantee_memo"
    GUARANTEE_CONTRA = "guarantee_contra"
    SETTLEMENT = "settlement"
    SELLER_PAYABLE = "seller_payable"
    INSTALMENT_RECEIVABLE = "instalment_receivable"
    INSTALMENT_CONTRA = "instalment_contra"


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
    AccountKind.INSTALMENT_RECEIVABLE: "应收价款（备查）",
    AccountKind.INSTALMENT_CONTRA: "应收价款（对销）",
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
    AccountKind.INSTALMENT_CONTRA: Side.CREDIT,
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
    GUARANTEE_ISSUED = "guarantee_issued"  # memo: cover accepted
    GUARANTEE_RELEASED = "guarantee_released"  # memo reversed: released or expired
    GUARANTEE_CLAIMED = "guarantee_claimed"  # claim paid: bank → forfeited, memo reversed
    SETTLEMENT_RECEIVED = "settlement_received"  # bank → settlement (+ memo of what is owed reduced)
    SETTLEMENT_RELEASED = "settlement_released"  # settlement → seller payable (conditions met)
    SETTLEMENT_PAID = "settlement_paid"  # seller payable → bank (payout confirmed)
    INSTALMENT_SCHEDULED = "instalment_scheduled"  # memo: what the buyer owes under the plan
    DEPOSIT_CONVERTED = "deposit_converted"  # deposit → settlement (保证金转价款)


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
    JournalKind.SETTLEMENT_PAID: "价款划转出让方",
    JournalKind.INSTALMENT_SCHEDULED: "价款支付计划",
    JournalKind.SETTLEMENT_RELEASED: "价款解付",
    JournalKind.DEPOSIT_CONVERTED: "保证金转价款",
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
