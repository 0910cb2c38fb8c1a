"""The engine against the naive model (tests/oracle.py), command by command (hypothesis stateful).

After every command: the same result (order id, released quantity or refusal code), the same trades and
removals, the same book in priority order, the same accounts; the engine's own invariants hold (never
crossed, level totals, freezes match, no negative balance); cash and allowances are conserved; the ledger
built from the outcomes' postings equals the engine's accounts, and custody equals what participants hold.
At the end: replaying the journal of accepted commands from empty, and restoring any snapshot and replaying
the rest, give the same state hash (deterministic replay, crash recovery); and the other engine build
(interpreted / compiled) replaying the same journal gives a byte-identical snapshot.

Every machine runs twice: on ``engine.py`` interpreted and on its compiled build (``*Compiled``; skipped when
the build is absent or stale, see tests/implementations.py).

A third machine drives block trades, repos, deposits and withdrawals and day changes (no oracle for those:
the ledger, the invariants and replay are the checks).
"""

from __future__ import annotations

import json
import unittest

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from yiwang.kernel.errors import YiwangError
from yiwang.trading.orderbook.domain.engine import ORDER_TYPE_NAMES, SIDE_NAMES, MarketEngine
from yiwang.trading.orderbook.domain.outcome import MarketState, step
from yiwang.trading.orderbook.domain.rules import MarketRules, round_half_up
from yiwang.trading.orderbook.domain.settlement import Ledger, postings
from yiwang.trading.orderbook.tests.implementations import COMPILED, INTERPRETED, NOT_BUILT
from yiwang.trading.orderbook.tests.oracle import Model

RULES = MarketRules(tick_fen=2, lot_t=10, listing_max_t=1000, levels=3, block_min_t=1000, repo_min_t=500)
REFERENCE = 100  # fen: limits 90–110
OWNERS = (1, 2, 3, 4)
CASH = 300_000
ALLOWANCES = 3_000

owners = st.sampled_from(OWNERS)
sides = st.sampled_from(SIDE_NAMES)
# mostly valid values, with the edges and some bad ones mixed in (sampled_from draws uniformly from the list)
_GOOD_PRICES = list(range(90, 111, 2))
prices = st.sampled_from(_GOOD_PRICES * 3 + [84, 88, 89, 91, 111, 112, 116, 0])
quantities = st.sampled_from([10, 20, 30, 40, 50, 60] * 3 + [-5, 0, 5, 15, 990, 1000, 2000])
clients = st.sampled_from([None] * 6 + ["a", "b", "c"])
# which order a cancel, amend or take aims at: mostly a live one, sometimes any id ever used (or never used)
picks = st.tuples(st.integers(0, 10_000), st.sampled_from([True] * 5 + [False]))

SETTINGS = settings(
    max_examples=150,
    stateful_step_count=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


class _Journalled(RuleBasedStateMachine):
    """Commands go through :func:`step` (as the command log's engine does), are journalled when accepted,
    and their postings go into an in-memory ledger."""

    mode = "continuous"
    engine_class: type = INTERPRETED

    def __init__(self) -> None:
        super().__init__()
        self.state = MarketState(engine_class=self.engine_class)
        self.ledger = Ledger()
        self.now = 1_000_000
        self.day = 20260302
        self.journal: list[tuple[dict, int]] = []
        self.snapshots: list[tuple[int, str]] = []
        self._do({"op": "create_market", "code": "T", "mode": self.mode})
        for owner in OWNERS:
            self._do({"op": "open_account", "owner": owner})
            self._do({"op": "deposit_cash", "owner": owner, "amount_fen": CASH})
            self._do({"op": "deposit_allowances", "owner": owner, "quantity_t": ALLOWANCES})
        self._do({"op": "open_day", "day": self.day, "rules": RULES.as_json(), "reference_fen": REFERENCE})
        assert (self.engine.lo, self.engine.hi) == (90, 110)

    @property
    def engine(self) -> MarketEngine:
        assert self.state.engine is not None
        return self.state.engine

    def _do(self, cmd: dict):
        self.now += 7
        try:
            out = step(self.state, cmd, self.now, len(self.journal) + 1)
        except YiwangError as exc:
            return exc.code
        self.journal.append((cmd, self.now))
        self.ledger.post_all(postings(out))
        if len(self.journal) % 5 == 0:
            self.snapshots.append((len(self.journal), json.dumps(self.state.dump())))
        self.last = out
        return out.result

    def _pick(self, pick) -> int:
        number, live = pick
        ids = sorted(self.engine.orders)
        if live and ids:
            return ids[number % len(ids)]
        return number % (self.engine.next_oid + 1)

    @invariant()
    def ledger_equals_engine(self):
        e = self.engine
        e.check_invariants()
        for owner in OWNERS:
            assert self.ledger.participant(owner) == e.accounts[owner], owner
        assert self.ledger.custody() == e.totals()
        bid, ask = e.best()
        assert bid is None or ask is None or bid < ask

    def teardown(self):
        final = self.engine.state_hash()
        snapshot = json.dumps(self.engine.snapshot(), sort_keys=True)
        for engine_class in dict.fromkeys((self.engine_class, INTERPRETED, COMPILED or INTERPRETED)):  # both builds
            replayed = MarketState(engine_class=engine_class)
            for seq, (cmd, now) in enumerate(self.journal, 1):
                step(replayed, cmd, now, seq)
            assert replayed.engine is not None
            assert replayed.engine.implementation == engine_class.implementation
            assert replayed.engine.state_hash() == final
            assert json.dumps(replayed.engine.snapshot(), sort_keys=True) == snapshot
        for position, snap in self.snapshots[-3:]:
            recovered = MarketState.load(json.loads(snap), self.engine_class)
            for seq, (cmd, now) in enumerate(self.journal[position:], position + 1):
                step(recovered, cmd, now, seq)
            assert recovered.engine is not None
            assert recovered.engine.state_hash() == final
            recovered.engine.check_invariants()


class _Book(_Journalled):
    """The book machines: every command is also given to the naive model and the two must agree."""

    def __init__(self) -> None:
        super().__init__()
        self.model = Model(self.mode, lo=90, hi=110, tick=2, lot=10, max_qty=1000, levels=3)
        for owner in OWNERS:
            self.model.accounts[owner] = [CASH, 0, ALLOWANCES, 0]
        self.day_trades: list[tuple[int, int]] = []

    def _compare(self, got, expected) -> None:
        if isinstance(expected, str):
            assert got == expected, (got, expected)
            return
        assert not isinstance(got, str), (got, expected)
        out = self.last
        assert [t[:9] for t in out.trades] == self.model.trades
        assert out.removed == self.model.removed
        self.day_trades.extend((t[2], t[3]) for t in out.trades)
        self.model.trades = []
        self.model.removed = []

    @rule(owner=owners, side=sides, price=prices, qty=quantities, otype=st.integers(0, 3), client=clients)
    def place(self, owner, side, price, qty, otype, client):
        if self.mode == "listing" and otype:
            otype = 0 if otype != 3 else 3  # still try a refused kind now and then
        cmd = {
            "op": "place",
            "owner": owner,
            "side": side,
            "price_fen": price,
            "quantity_t": qty,
            "type": ORDER_TYPE_NAMES[otype],
        }
        if client is not None:
            cmd["client_order_id"] = client
        got = self._do(cmd)
        expected = self.model.place(owner, SIDE_NAMES.index(side), price, qty, otype, client)
        self._compare(got if isinstance(got, str) else got["order_id"], expected)

    @rule(owner=owners, side=sides, depth=st.integers(0, 4), qty=st.sampled_from([10, 20, 30]))
    def place_passive(self, owner, side, depth, qty):
        """A resting order a few ticks away from the middle, to build depth (more live orders to aim at)."""
        mid = (self.model.lo + self.model.hi) // 2
        mid -= mid % 2
        price = mid - 2 - 2 * depth if side == "buy" else mid + 2 + 2 * depth
        self.place(owner, side, price, qty, 0, None)

    @rule(owner=owners, pick=picks, own=st.booleans())
    def cancel(self, owner, pick, own):
        oid = self._pick(pick)
        if own and oid in self.engine.orders:
            owner = self.engine.orders[oid][1]
        got = self._do({"op": "cancel", "owner": owner, "order_id": oid})
        expected = self.model.cancel(owner, oid)
        self._compare(got if isinstance(got, str) else got["released_t"], expected)
        if not isinstance(expected, str):
            assert got["released_t"] == expected

    @rule(pick=picks, price=prices, qty=quantities, same_owner=st.booleans())
    def amend(self, pick, price, qty, same_owner):
        oid = self._pick(pick)
        order = self.engine.orders.get(oid)
        owner = order[1] if order and same_owner else OWNERS[oid % len(OWNERS)]
        got = self._do({"op": "amend", "owner": owner, "order_id": oid, "price_fen": price, "quantity_t": qty})
        expected = self.model.amend(owner, oid, price, qty)
        self._compare(got, expected)

    @precondition(lambda self: self.mode == "listing")
    @rule(owner=owners, pick=picks, qty=quantities)
    def take(self, owner, pick, qty):
        oid = self._pick(pick)
        got = self._do({"op": "take", "owner": owner, "order_id": oid, "quantity_t": qty})
        expected = self.model.take(owner, oid, qty)
        self._compare(got if isinstance(got, str) else got["order_id"], expected)

    @rule()
    def next_day(self):
        """Close the day (every resting order expires) and open the next with limits around the new close."""
        got = self._do({"op": "close_day"})
        volume = sum(q for _, q in self.day_trades)
        value = sum(p * q for p, q in self.day_trades)
        summary = got["summary"]
        if volume:
            assert summary["close_fen"] == round_half_up(value, volume * 2) * 2
        else:
            assert summary["close_fen"] == summary["previous_close_fen"]
        for o in list(self.model.orders):
            self.model._release(o, o["open"])
        self.model.orders = []
        self.model.seen = set()
        self.day += 1
        self.day_trades = []
        got = self._do({"op": "open_day", "day": self.day, "rules": RULES.as_json()})
        assert not isinstance(got, str), got
        self.model.lo, self.model.hi = got["lower_fen"], got["upper_fen"]
        close = summary["close_fen"]
        assert self.model.lo >= close * 9 // 10
        assert self.model.hi <= close * 11 // 10 + 1
        assert self.model.lo % 2 == 0
        assert self.model.hi % 2 == 0

    @invariant()
    def same_book_and_accounts(self):
        e = self.engine
        for side in (0, 1):
            assert [(o[0], o[1], o[3], o[4]) for o in e.book_orders(side)] == self.model.book(side)
        for owner in OWNERS:
            assert e.accounts[owner][:4] == self.model.accounts[owner]


class ContinuousMarket(_Book):
    mode = "continuous"


class ListingMarket(_Book):
    mode = "listing"


class NegotiatedMarket(_Journalled):
    """Block trades, repos (with defaults), deposits and withdrawals, resting listings and day changes."""

    mode = "listing"

    @rule(owner=owners, side=sides, price=st.sampled_from([96, 100, 104, 110]), qty=st.sampled_from([10, 30]))
    def listing(self, owner, side, price, qty):
        self._do({"op": "place", "owner": owner, "side": side, "price_fen": price, "quantity_t": qty})

    @rule(
        owner=owners,
        other=owners,
        side=sides,
        price=st.sampled_from([68, 70, 90, 100, 130, 132]),
        qty=st.sampled_from([990, 1000, 1200, 5000]),
    )
    def propose_block(self, owner, other, side, price, qty):
        self._do(
            {
                "op": "propose_block",
                "owner": owner,
                "counterparty": other,
                "side": side,
                "price_fen": price,
                "quantity_t": qty,
            }
        )

    @rule(who=owners, n=st.integers(0, 50), act=st.sampled_from(["confirm_block", "withdraw_block", "reject_block"]))
    def answer_block(self, who, n, act):
        pids = sorted(self.engine.proposals)
        if pids:
            pid = pids[n % len(pids)]
            prop = self.engine.proposals[pid]
            if n % 3:  # mostly the right party
                who = prop[1] if act == "withdraw_block" else prop[3]
            self._do({"op": act, "owner": who, "proposal_id": pid})

    @rule(
        owner=owners,
        other=owners,
        qty=st.sampled_from([400, 500, 1000]),
        p0=st.sampled_from([90, 100]),
        p1=st.sampled_from([100, 102, 400]),
        days=st.sampled_from([1, 1, 1, 2, 0]),
        margin=st.sampled_from([0, 5000, 50_000]),
    )
    def propose_repo(self, owner, other, qty, p0, p1, days, margin):
        self._do(
            {
                "op": "propose_repo",
                "owner": owner,
                "counterparty": other,
                "quantity_t": qty,
                "price_open_fen": p0,
                "price_close_fen": p1,
                "repurchase_day": self.day + days,
                "margin_fen": margin,
            }
        )

    @rule(
        who=owners,
        n=st.integers(0, 50),
        act=st.sampled_from(["confirm_repo", "withdraw_repo", "reject_repo", "settle_repo"]),
    )
    def answer_repo(self, who, n, act):
        rids = sorted(self.engine.repos)
        if rids:
            rid = rids[n % len(rids)]
            repo = self.engine.repos[rid]
            if n % 3:
                who = repo[1] if act == "withdraw_repo" else repo[2]
            self._do({"op": act, "owner": who, "repo_id": rid})

    @rule(owner=owners, amount=st.sampled_from([1000, 200_000, 10**6]), cash=st.booleans(), out=st.booleans())
    def move_money(self, owner, amount, cash, out):
        if cash:
            op = "withdraw_cash" if out else "deposit_cash"
            self._do({"op": op, "owner": owner, "amount_fen": amount})
        else:
            op = "withdraw_allowances" if out else "deposit_allowances"
            self._do({"op": op, "owner": owner, "quantity_t": amount // 100})

    @rule()
    def next_day(self):
        got = self._do({"op": "close_day"})
        assert not isinstance(got, str), got
        summary = got["summary"]
        # block and repo legs never enter the close
        assert summary["eligible_volume_t"] == summary["volume_t"]["listing"]
        self.day += 1
        assert not isinstance(self._do({"op": "open_day", "day": self.day, "rules": RULES.as_json()}), str)
        for rid in sorted(self.engine.repos):
            if self.engine.repos[rid][6] <= self.day:
                self._do({"op": "settle_repo", "repo_id": rid})


TestContinuousMarket = ContinuousMarket.TestCase
TestContinuousMarket.settings = SETTINGS
TestListingMarket = ListingMarket.TestCase
TestListingMarket.settings = SETTINGS
TestNegotiatedMarket = NegotiatedMarket.TestCase
TestNegotiatedMarket.settings = SETTINGS


# the same machines on the compiled build
class ContinuousMarketCompiled(ContinuousMarket):
    engine_class = COMPILED or INTERPRETED


class ListingMarketCompiled(ListingMarket):
    engine_class = COMPILED or INTERPRETED


class NegotiatedMarketCompiled(NegotiatedMarket):
    engine_class = COMPILED or INTERPRETED


_compiled_only = unittest.skipIf(COMPILED is None, NOT_BUILT)
TestContinuousMarketCompiled = _compiled_only(ContinuousMarketCompiled.TestCase)
TestContinuousMarketCompiled.settings = SETTINGS
TestListingMarketCompiled = _compiled_only(ListingMarketCompiled.TestCase)
TestListingMarketCompiled.settings = SETTINGS
TestNegotiatedMarketCompiled = _compiled_only(NegotiatedMarketCompiled.TestCase)
TestNegotiatedMarketCompiled.settings = SETTINGS
