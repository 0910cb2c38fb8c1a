"""The ledger on the database: accounts by code, balanced postings, balances as SQL aggregates.

Used by the actions of this context only (inside their transaction). :func:`post` is the one way lines are
written: it checks the entry balances, locks the accounts it touches (pk order), refuses a second posting
with the same key, writes the entry and its lines, and then checks that no account that must stay
non-negative went below zero — if one did, it raises and the whole action rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, Sum

from yiwang.kernel.errors import Conflict
from yiwang.services.finance import lock_objects
from yiwang.services.finance.domain import ledger as rules
from yiwang.services.finance.domain.ledger import AccountKind, JournalKind
from yiwang.services.finance.models import Account, JournalEntry, JournalLine, Lot


# -- account codes -------------------------------------------------------------------------------------------------
def bank_code_of(bank: str) -> str:
    return f"bank:{bank}"


def suspense_code(bank: str) -> str:
    return f"suspense:{bank}"


def operating_code(bank: str) -> str:
    return f"operating:{bank}"


def deposit_code(lot_ref: str, entity_id: int) -> str:
    return f"deposit:{lot_ref}:{entity_id}"


def refund_code(lot_ref: str, entity_id: int) -> str:
    return f"refund:{lot_ref}:{entity_id}"


def forfeit_code(lot_ref: str) -> str:
    return f"forfeit:{lot_ref}"


def fee_code(lot_ref: str) -> str:
    return f"fee:{lot_ref}"


INTEREST_EXPENSE = "interest_expense"


def ensure_account(
    code: str,
    kind: AccountKind,
    now: datetime,
    *,
    lot: Lot | None = None,
    entity_id: int | None = None,
    bank_code: str = "",
) -> Account:
    """The account with ``code``, created on first use (``ON CONFLICT DO NOTHING``, so racing creators agree)."""
    found = Account.objects.filter(code=code).first()
    if found is not None:
        return found
    Account.objects.bulk_create(
        [Account(code=code, kind=kind.value, lot=lot, entity_id=entity_id, bank_code=bank_code, created_at=now)],
        ignore_conflicts=True,
    )
    return Account.objects.get(code=code)


# -- posting ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Leg:
    account: Account
    debit_fen: int = 0
    credit_fen: int = 0


def dr(account: Account, fen: int) -> Leg:
    return Leg(account, debit_fen=fen)


def cr(account: Account, fen: int) -> Leg:
    return Leg(account, credit_fen=fen)


class AlreadyPosted(Exception):
    """The movement with this key is already in the ledger (the caller treats it as done)."""

    def __init__(self, entry: JournalEntry):
        super().__init__(f"journal entry {entry.key} already posted")
        self.entry = entry


def insufficient(account: Account, balance: int) -> Conflict:
    return Conflict(
        "finance.insufficient_balance",
        "账户余额不足，不能出账（退还、没收或扣费不能超过实缴金额）",
        "The account's balance is too low for this movement (refunds, forfeits and fees cannot exceed what was paid)",
        {"account": account.code, "balance_fen": balance},
    )


def post(
    *,
    kind: JournalKind,
    key: str,
    legs: Sequence[Leg],
    effective_at: datetime,
    recorded_at: datetime,
    actor_ref: str,
    lot: Lot | None = None,
    memo: str = "",
    source: tuple[str, str] = ("", ""),
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    lines = [rules.Line(leg.account.code, leg.debit_fen, leg.credit_fen) for leg in legs]  # validates each side
    if not rules.is_balanced(lines):
        raise ValueError(f"journal entry {key} does not balance")
    lock_objects.lock_accounts(leg.account.pk for leg in legs)
    existing = JournalEntry.objects.filter(key=key).first()
    if existing is not None:
        raise AlreadyPosted(existing)
    entry = JournalEntry.objects.create(
        key=key,
        kind=kind.value,
        lot=lot,
        effective_at=min(effective_at, recorded_at),
        recorded_at=recorded_at,
        memo=memo[:300],
        actor_ref=actor_ref,
        source_type=source[0],
        source_id=source[1],
        reverses=reverses,
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(entry=entry, account=leg.account, debit_fen=leg.debit_fen, credit_fen=leg.credit_fen)
            for leg in legs
        ]
    )
    for leg in legs:
        kind_of = AccountKind(leg.account.kind)
        if kind_of in rules.NON_NEGATIVE and rules.reduces(
            kind_of, rules.Line(leg.account.code, leg.debit_fen, leg.credit_fen)
        ):
            current = balance_of(leg.account)
            if current < 0:
                raise insufficient(leg.account, current + leg.debit_fen + leg.credit_fen)
    return entry


# -- balances --------------------------------------------------------------------------------------------------------
def _sums(account: Account, at: datetime | None = None) -> tuple[int, int]:
    qs = JournalLine.objects.filter(account=account)
    if at is not None:
        qs = qs.filter(entry__effective_at__lte=at)
    agg = qs.aggregate(d=Sum("debit_fen"), c=Sum("credit_fen"))
    return int(agg["d"] or 0), int(agg["c"] or 0)


def balance_of(account: Account, *, at: datetime | None = None) -> int:
    """The balance on the account's normal side, from its lines (effective at or before ``at``)."""
    debits, credits = _sums(account, at)
    return rules.balance(account.kind, debits, credits)


def credited_total(account: Account) -> int:
    """Everything ever credited to the account (for a deposit: what the bidder paid in, in total)."""
    return _sums(account)[1]


def debited_total(account: Account) -> int:
    """Everything ever debited to the account (for a settlement: what was released from it)."""
    return _sums(account)[0]


def balances(accounts: Iterable[Account]) -> dict[int, int]:
    accounts = list(accounts)
    rows = (
        JournalLine.objects.filter(account__in=accounts)
        .values("account_id")
        .annotate(d=Sum("debit_fen"), c=Sum("credit_fen"))
    )
    sums = {r["account_id"]: (int(r["d"] or 0), int(r["c"] or 0)) for r in rows}
    return {a.pk: rules.balance(a.kind, *sums.get(a.pk, (0, 0))) for a in accounts}


@dataclass(frozen=True)
class TrialRow:
    kind: str
    label: str
    accounts: int
    debit_fen: int
    credit_fen: int
    balance_fen: int


def trial_balance() -> list[TrialRow]:
    """Totals per account kind, and every account's balance on its normal side summed per kind."""
    rows = (
        JournalLine.objects.values("account__kind")
        .annotate(d=Sum("debit_fen"), c=Sum("credit_fen"))
        .order_by("account__kind")
    )
    counts = dict(Account.objects.values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    out = []
    for r in rows:
        kind = AccountKind(r["account__kind"])
        d, c = int(r["d"] or 0), int(r["c"] or 0)
        out.append(
            TrialRow(
                kind.value,
                rules.ACCOUNT_KIND_LABELS[kind],
                int(counts.get(kind.value, 0)),
                d,
                c,
                rules.balance(kind, d, c),
            )
        )
    return out


def totals() -> tuple[int, int]:
    agg = JournalLine.objects.aggregate(d=Sum("debit_fen"), c=Sum("credit_fen"))
    return int(agg["d"] or 0), int(agg["c"] or 0)


def unbalanced_entries(limit: int = 20) -> list[str]:
    """Keys of entries whose lines do not balance (there should never be any)."""
    rows = (
        JournalLine.objects.values("entry__key")
        .annotate(d=Sum("debit_fen"), c=Sum("credit_fen"))
        .filter(~Q(d=F("c")))
        .values_list("entry__key", flat=True)[:limit]
    )
    return list(rows)


def negative_accounts(limit: int = 50) -> list[tuple[str, int]]:
    """Accounts that must stay non-negative but are below zero (there should never be any)."""
    out = []
    rows = JournalLine.objects.values("account_id", "account__code", "account__kind").annotate(
        d=Sum("debit_fen"), c=Sum("credit_fen")
    )
    for r in rows:
        kind = AccountKind(r["account__kind"])
        bal = rules.balance(kind, int(r["d"] or 0), int(r["c"] or 0))
        if kind in rules.NON_NEGATIVE and bal < 0:
            out.append((r["account__code"], bal))
            if len(out) >= limit:
                break
    return out
