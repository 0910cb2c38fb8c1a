"""The market's double-entry ledger: which postings an outcome makes (pure; the action layer writes them).

Two units share one ledger: cash in fen and allowances in tonnes. An entry balances per unit (debits =
credits in fen, and in tonnes). The market holds both in custody for its participants:

- ``cash_custody`` / ``allowance_custody`` (assets, debit-normal, one each per market): the money in the
  market's settlement bank account and the allowances registered to the market's account in the
  registration system;
- per participant, liabilities (credit-normal) that never go negative: ``cash_available``, ``cash_frozen``
  (for buy orders and buy block proposals), ``cash_margin`` (posted under a repo); ``allowance_available``,
  ``allowance_frozen`` (for sell orders, sell block proposals and proposed repos), ``allowance_repo``
  (received under a repo, held until it ends).

So custody = the sum of what participants hold, in each unit, at every moment; the end-of-day
reconciliation checks that, and that every participant's ledger balances equal the engine's accounts.

**DvP:** one trade is one entry with a cash pair and an allowance pair (``trade_settled``): both legs commit
together or not at all. A move is ``(debit account, credit account, unit, amount)``; an account is
``(bucket, owner)`` with owner 0 for the custody accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from yiwang.trading.orderbook.domain.engine import (
    BUY,
    T_BLOCK,
    T_CONTINUOUS,
    T_LISTING,
    T_REPO_CLOSE,
    T_REPO_OPEN,
)
from yiwang.trading.orderbook.domain.outcome import Outcome

FEN = "fen"
TONNE = "t"

CASH_AVAILABLE = "cash_available"
CASH_FROZEN = "cash_frozen"
CASH_MARGIN = "cash_margin"
CASH_CUSTODY = "cash_custody"
ALLOW_AVAILABLE = "allowance_available"
ALLOW_FROZEN = "allowance_frozen"
ALLOW_REPO = "allowance_repo"
ALLOW_CUSTODY = "allowance_custody"

UNIT_OF = {
    CASH_AVAILABLE: FEN,
    CASH_FROZEN: FEN,
    CASH_MARGIN: FEN,
    CASH_CUSTODY: FEN,
    ALLOW_AVAILABLE: TONNE,
    ALLOW_FROZEN: TONNE,
    ALLOW_REPO: TONNE,
    ALLOW_CUSTODY: TONNE,
}
DEBIT_NORMAL = frozenset({CASH_CUSTODY, ALLOW_CUSTODY})
BUCKET_LABELS_ZH = {
    CASH_AVAILABLE: "可用资金",
    CASH_FROZEN: "冻结资金",
    CASH_MARGIN: "回购保证金",
    CASH_CUSTODY: "结算银行托管资金",
    ALLOW_AVAILABLE: "可用配额",
    ALLOW_FROZEN: "冻结配额",
    ALLOW_REPO: "回购持有配额",
    ALLOW_CUSTODY: "登记系统托管配额",
}
# the order of a participant's buckets in the engine's account list
ENGINE_BUCKETS = (CASH_AVAILABLE, CASH_FROZEN, ALLOW_AVAILABLE, ALLOW_FROZEN, ALLOW_REPO, CASH_MARGIN)

# journal kinds
CASH_DEPOSITED = "cash_deposited"
CASH_WITHDRAWN = "cash_withdrawn"
ALLOWANCES_DEPOSITED = "allowances_deposited"
ALLOWANCES_WITHDRAWN = "allowances_withdrawn"
FROZEN = "frozen"  # an order, block proposal or repo proposal froze cash or allowances
RELEASED = "released"  # a cancel, expiry, self-trade prevention, withdrawal or rejection gave them back
TRADE_SETTLED = "trade_settled"  # DvP of one trade
REPO_DEFAULTED = "repo_defaulted"
JOURNAL_KIND_LABELS = {
    CASH_DEPOSITED: "入金",
    CASH_WITHDRAWN: "出金",
    ALLOWANCES_DEPOSITED: "配额转入",
    ALLOWANCES_WITHDRAWN: "配额转出",
    FROZEN: "冻结",
    RELEASED: "解冻",
    TRADE_SETTLED: "成交交收（券款对付）",
    REPO_DEFAULTED: "回购违约处置",
}

Account = tuple[str, int]  # (bucket, owner); owner 0 for custody


@dataclass(frozen=True)
class Move:
    debit: Account
    credit: Account
    amount: int

    @property
    def unit(self) -> str:
        return UNIT_OF[self.debit[0]]


@dataclass(frozen=True)
class Posting:
    kind: str
    ref: str  # what it belongs to: "trade:12", "order:40", "proposal:3", "repo:2", "cmd:17"
    moves: tuple[Move, ...]
    trade_id: int = 0


def _mv(debit_bucket: str, debit_owner: int, credit_bucket: str, credit_owner: int, amount: int) -> Move:
    assert UNIT_OF[debit_bucket] == UNIT_OF[credit_bucket], "a move stays within one unit"
    return Move((debit_bucket, debit_owner), (credit_bucket, credit_owner), amount)


def _freeze_order(side: int, owner: int, price: int, qty: int) -> Move:
    if side == BUY:
        return _mv(CASH_AVAILABLE, owner, CASH_FROZEN, owner, price * qty)
    return _mv(ALLOW_AVAILABLE, owner, ALLOW_FROZEN, owner, qty)


def _release_order(side: int, owner: int, price: int, qty: int) -> Move:
    if side == BUY:
        return _mv(CASH_FROZEN, owner, CASH_AVAILABLE, owner, price * qty)
    return _mv(ALLOW_FROZEN, owner, ALLOW_AVAILABLE, owner, qty)


def _trade(t: tuple, repo: list | None = None) -> Posting:
    """The DvP entry of a trade tuple (tid, kind, price, qty, buy_oid, sell_oid, buyer, seller, aggressor, …)."""
    tid, kind, price, qty = t[0], t[1], t[2], t[3]
    buyer, seller, aggressor = t[6], t[7], t[8]
    amount = price * qty
    moves: list[Move]
    if kind in (T_CONTINUOUS, T_LISTING, T_BLOCK):
        # the aggressor (taker, or the confirming counterparty) trades from what is available; the resting
        # order (or the proposer) from what it froze
        if aggressor == BUY:
            moves = [
                _mv(CASH_AVAILABLE, buyer, CASH_AVAILABLE, seller, amount),
                _mv(ALLOW_FROZEN, seller, ALLOW_AVAILABLE, buyer, qty),
            ]
        else:
            moves = [
                _mv(CASH_FROZEN, buyer, CASH_AVAILABLE, seller, amount),
                _mv(ALLOW_AVAILABLE, seller, ALLOW_AVAILABLE, buyer, qty),
            ]
    elif kind == T_REPO_OPEN:
        moves = [
            _mv(CASH_AVAILABLE, buyer, CASH_AVAILABLE, seller, amount),
            _mv(ALLOW_FROZEN, seller, ALLOW_REPO, buyer, qty),
        ]
    elif kind == T_REPO_CLOSE:
        # the initial seller (now buying back, ``buyer`` of this trade) pays with its margin first
        assert repo is not None
        margin = repo[7]
        moves = [_mv(ALLOW_REPO, seller, ALLOW_AVAILABLE, buyer, qty)]
        from_margin = min(margin, amount)
        if from_margin:
            moves.append(_mv(CASH_MARGIN, buyer, CASH_AVAILABLE, seller, from_margin))
        if margin > amount:
            moves.append(_mv(CASH_MARGIN, buyer, CASH_AVAILABLE, buyer, margin - amount))
        if amount > margin:
            moves.append(_mv(CASH_AVAILABLE, buyer, CASH_AVAILABLE, seller, amount - margin))
    else:  # pragma: no cover - every kind is handled above
        raise ValueError(f"unknown trade kind {kind}")
    return Posting(TRADE_SETTLED, f"trade:{tid}", tuple(m for m in moves if m.amount), trade_id=tid)


def postings(out: Outcome) -> list[Posting]:
    """The ledger postings that ``out`` makes, in the order they happened."""
    cmd = out.command
    op = cmd.get("op")
    posts: list[Posting] = []
    owner = cmd.get("owner", 0)

    def add(kind: str, ref: str, *moves: Move) -> None:
        moves = tuple(m for m in moves if m.amount)
        if moves:
            posts.append(Posting(kind, ref, moves))

    if op == "deposit_cash":
        add(CASH_DEPOSITED, f"cmd:{out.seq}", _mv(CASH_CUSTODY, 0, CASH_AVAILABLE, owner, cmd["amount_fen"]))
    elif op == "withdraw_cash":
        add(CASH_WITHDRAWN, f"cmd:{out.seq}", _mv(CASH_AVAILABLE, owner, CASH_CUSTODY, 0, cmd["amount_fen"]))
    elif op == "deposit_allowances":
        add(ALLOWANCES_DEPOSITED, f"cmd:{out.seq}", _mv(ALLOW_CUSTODY, 0, ALLOW_AVAILABLE, owner, cmd["quantity_t"]))
    elif op == "withdraw_allowances":
        add(ALLOWANCES_WITHDRAWN, f"cmd:{out.seq}", _mv(ALLOW_AVAILABLE, owner, ALLOW_CUSTODY, 0, cmd["quantity_t"]))
    elif op in ("place", "amend", "take", "cancel"):
        before = out.before
        if op == "cancel":
            assert before is not None
            add(RELEASED, f"order:{before[0]}", _release_order(before[2], before[1], before[3], before[4]))
        elif op == "amend":
            assert before is not None
            after = out.after
            if after is not None and after[3] == before[3] and after[4] < before[4] and not out.trades:
                add(RELEASED, f"order:{before[0]}", _release_order(before[2], owner, before[3], before[4] - after[4]))
                return posts
            add(RELEASED, f"order:{before[0]}", _release_order(before[2], owner, before[3], before[4]))
        for removed in out.removed:  # self-trade prevention cancels resting orders before the trades after them
            oid, reason, qty, side, price, who = removed
            if reason == "stp":
                add(RELEASED, f"order:{oid}", _release_order(side, who, price, qty))
        posts.extend(_trade(t) for t in out.trades)
        after = out.after
        if op in ("place", "amend") and after is not None:
            add(FROZEN, f"order:{after[0]}", _freeze_order(after[2], after[1], after[3], after[4]))
    elif op == "propose_block":
        side = 0 if cmd["side"] == "buy" else 1
        add(
            FROZEN,
            f"proposal:{out.result['proposal_id']}",
            _freeze_order(side, owner, cmd["price_fen"], cmd["quantity_t"]),
        )
    elif op in ("withdraw_block", "reject_block"):
        p = out.before
        assert p is not None
        add(RELEASED, f"proposal:{p[0]}", _release_order(p[2], p[1], p[4], p[5]))
    elif op == "confirm_block":
        posts.extend(_trade(t) for t in out.trades)
    elif op == "propose_repo":
        rid = out.result["repo_id"]
        add(
            FROZEN,
            f"repo:{rid}",
            _mv(ALLOW_AVAILABLE, owner, ALLOW_FROZEN, owner, cmd["quantity_t"]),
            _mv(CASH_AVAILABLE, owner, CASH_MARGIN, owner, cmd.get("margin_fen", 0)),
        )
    elif op in ("withdraw_repo", "reject_repo"):
        r = out.before
        assert r is not None
        add(
            RELEASED,
            f"repo:{r[0]}",
            _mv(ALLOW_FROZEN, r[1], ALLOW_AVAILABLE, r[1], r[3]),
            _mv(CASH_MARGIN, r[1], CASH_AVAILABLE, r[1], r[7]),
        )
    elif op == "confirm_repo":
        posts.extend(_trade(t) for t in out.trades)
    elif op == "settle_repo":
        r = out.before
        assert r is not None
        posts.extend(_trade(t, r) for t in out.trades)
        for note in out.notes:
            if note[0] == "repo_defaulted":
                _, rid, seller, buyer, qty, margin = note
                add(
                    REPO_DEFAULTED,
                    f"repo:{rid}",
                    _mv(ALLOW_REPO, buyer, ALLOW_AVAILABLE, buyer, qty),
                    _mv(CASH_MARGIN, seller, CASH_AVAILABLE, buyer, margin),
                )
    elif op == "close_day":
        for oid, reason, qty, side, price, who in out.removed:
            if reason == "expired":
                add(RELEASED, f"order:{oid}", _release_order(side, who, price, qty))
        for note in out.notes:
            if note[0] == "proposal_expired":
                _, pid, who, side, price, qty = note
                add(RELEASED, f"proposal:{pid}", _release_order(side, who, price, qty))
            elif note[0] == "repo_expired":
                _, rid, seller, qty, margin = note
                add(
                    RELEASED,
                    f"repo:{rid}",
                    _mv(ALLOW_FROZEN, seller, ALLOW_AVAILABLE, seller, qty),
                    _mv(CASH_MARGIN, seller, CASH_AVAILABLE, seller, margin),
                )
    return posts


class Ledger:
    """An in-memory ledger (tests, the demo's cross-check): balances on each account's normal side."""

    def __init__(self) -> None:
        self.balances: dict[Account, int] = {}
        self.entries = 0

    def post(self, posting: Posting) -> None:
        for m in posting.moves:
            if m.amount <= 0:
                raise ValueError("a move carries a positive amount")
            self._apply(m.debit, -m.amount)
            self._apply(m.credit, m.amount)
        self.entries += 1

    def _apply(self, account: Account, credit: int) -> None:
        sign = -1 if account[0] in DEBIT_NORMAL else 1
        self.balances[account] = self.balances.get(account, 0) + sign * credit

    def post_all(self, posts: Iterable[Posting]) -> None:
        for p in posts:
            self.post(p)

    def participant(self, owner: int) -> list[int]:
        """The participant's balances in the engine's order (to compare with ``engine.accounts[owner]``)."""
        return [self.balances.get((bucket, owner), 0) for bucket in ENGINE_BUCKETS]

    def custody(self) -> tuple[int, int]:
        return self.balances.get((CASH_CUSTODY, 0), 0), self.balances.get((ALLOW_CUSTODY, 0), 0)
