"""Hypothesis state machines: the engine against naive oracles, with replay and batch equality after every step.

Invariants checked after every command (markets.md §5.1): no acceptance at or after close (A1), the soft-close
and countdown invariants (A2), a strictly monotone price (A3), the rule's winner (A4), deterministic replay from
the command log and from a snapshot (C1), and the batch fast path equal to one-by-one bidding.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from yiwang.trading.auction.domain import codes
from yiwang.trading.auction.domain.engine import CLOSED, COUNTDOWN, FOREVER, OPEN, Lot, replay
from yiwang.trading.auction.domain.rules import MINUTE, SECOND, RuleSet
from yiwang.trading.auction.tests.oracle import Naive, naive_reverse

BIDDERS = ["A", "B", "C", "D"]
STEP = 100
START = 10_000
W = 5 * MINUTE

SETTINGS = settings(
    max_examples=int(os.environ.get("AUCTION_EXAMPLES", "150")),
    stateful_step_count=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# time offsets: relative to the current deadline (boundary-heavy) or plain steps forward
_SMALL = st.tuples(st.just("step"), st.sampled_from([0, 1, SECOND, 5 * SECOND, 10 * SECOND, 20 * SECOND]))
OFFSETS = st.one_of(
    _SMALL,
    _SMALL,
    _SMALL,
    _SMALL,
    _SMALL,
    _SMALL,
    st.tuples(st.just("step"), st.integers(0, 40 * SECOND)),
    st.tuples(st.just("deadline"), st.sampled_from([-W - 1, -W, -W + 1, -MINUTE, -2, -1, 0, 1])),
    st.tuples(st.just("step"), st.sampled_from([MINUTE, 4 * MINUTE, W])),
)


def rules_for(kind: str) -> RuleSet:
    base = dict(start_price=START, step=STEP, start_at=MINUTE, end_at=20 * MINUTE)
    if kind == "judicial":
        return RuleSet(kind=kind, soft_close_window=W, soft_close_extension=W, preemption=True, **base)
    if kind == "english":
        return RuleSet(
            kind=kind, reserve=START + 3 * STEP, soft_close_window=2 * MINUTE, soft_close_extension=MINUTE, **base
        )
    if kind == "equity_multi":
        return RuleSet(kind=kind, countdown=3 * MINUTE, matching_window=10 * MINUTE, **base)
    if kind == "land_listing":
        return RuleSet(kind=kind, reserve=START + 2 * STEP, countdown=4 * MINUTE, continue_window=5 * MINUTE, **base)
    raise AssertionError(kind)


class AscendingMachine(RuleBasedStateMachine):
    kind = "judicial"

    @initialize(priorities=st.lists(st.integers(0, 2), min_size=4, max_size=4))
    def setup(self, priorities: list[int]) -> None:
        self.rules = rules_for(self.kind)
        self.lot = Lot(self.rules)
        self.oracle = Naive(self.rules)
        self.log: list[dict] = []
        self.t = 0
        self.priorities = dict(zip(BIDDERS, priorities, strict=True))
        self.accepted_prices: list[int] = []
        self.keyno = 0
        for bidder in BIDDERS[:3]:
            self._run({"type": "register", "t": 0, "bidder": bidder, "priority": self.priorities[bidder]})
            assert self.oracle.register(bidder, self.priorities[bidder], 0)

    # ---------------------------------------------------------------- helpers
    def _time(self, offset: tuple[str, int]) -> int:
        how, value = offset
        if how == "deadline" and self.lot.deadline < FOREVER:
            t = self.lot.deadline + value
        else:
            t = self.t + (value if how == "step" else abs(value))
        t = max(t, self.t)
        self.t = t
        return t

    def _run(self, cmd: dict) -> str | None:
        before_version = self.lot.version
        before_deadline = self.lot.deadline
        before_phase = self.lot.phase
        before = self.lot.canonical()
        code = self.lot.apply(cmd)
        if code is None:
            self.log.append(cmd)
        else:
            assert self.lot.version == before_version, "a refused command counted as accepted"
            if self.lot.canonical() != before:  # time moved (the lot closed): the shell's due job logs a tick
                self.log.append({"type": "tick", "t": cmd["t"]})
        if cmd["type"] == "bid" and code is None:
            # A1: accepted only strictly before the end in force when it arrived
            assert self.lot.phase in (OPEN, COUNTDOWN)
            assert cmd["t"] < self.lot.deadline
            self._check_extension(cmd["t"], before_deadline, before_phase)
        return code

    def _check_extension(self, t: int, before: int, phase_before: str) -> None:
        r = self.rules
        if phase_before not in (OPEN, COUNTDOWN) or before >= FOREVER:
            return
        if self.lot.phase == COUNTDOWN and phase_before == COUNTDOWN:
            assert self.lot.deadline == t + r.countdown  # countdown restarts on each bid
        elif phase_before == OPEN and self.lot.phase == OPEN and r.soft_close_window:
            if before - t < r.soft_close_window:  # A2
                assert self.lot.deadline == max(before, t + r.soft_close_extension)
            else:
                assert self.lot.deadline == before

    # ---------------------------------------------------------------- rules
    @precondition(lambda self: self.lot.phase != CLOSED)
    @rule(bidder=st.sampled_from(BIDDERS), offset=OFFSETS)
    def register(self, bidder: str, offset: tuple[str, int]) -> None:
        t = self._time(offset)
        pri = self.priorities[bidder]
        code = self._run({"type": "register", "t": t, "bidder": bidder, "priority": pri})
        assert (code is None) == self.oracle.register(bidder, pri, t), code

    @precondition(lambda self: self.lot.phase != CLOSED)
    @rule(
        bidder=st.sampled_from(BIDDERS),
        raises=st.sampled_from([1, 1, 1, 1, 2, 3, 0, -1]),
        jitter=st.sampled_from([0, 0, 0, 1, STEP // 2]),
        expect=st.sampled_from(["none", "none", "current", "current", "stale"]),
        reuse_key=st.sampled_from([False, False, False, True]),
        offset=OFFSETS,
    )
    def bid(self, bidder: str, raises: int, jitter: int, expect: str, reuse_key: bool, offset: tuple[str, int]) -> None:
        t = self._time(offset)
        base = self.oracle.price() if self.oracle.bids else START - STEP
        amount = base + raises * STEP + jitter
        expected = None
        if expect == "current":
            expected = self.lot.price
        elif expect == "stale":
            expected = self.lot.price - STEP
        if reuse_key and self.keyno:
            key = f"k{self.keyno}"
        else:
            self.keyno += 1
            key = f"k{self.keyno}"
        closed_before = self.oracle.closed_at(t)
        code = self._run({"type": "bid", "t": t, "bidder": bidder, "amount": amount, "expected": expected, "key": key})
        ok = self.oracle.bid(bidder, amount, t, expected, key)
        assert (code is None) == ok, (code, ok)
        if closed_before:
            assert code == codes.CLOSED
        if code is None:
            if self.accepted_prices:
                assert amount >= self.accepted_prices[-1]  # A3 (equal only for pre-emption)
                if amount == self.accepted_prices[-1]:
                    assert self.rules.preemption
            self.accepted_prices.append(amount)

    # bidding is what matters: give it more weight than the other rules
    @precondition(lambda self: self.lot.phase != CLOSED)
    @rule(bidder=st.sampled_from(BIDDERS[:3]), raises=st.sampled_from([1, 1, 1, 2, 0]), offset=OFFSETS)
    def bid_plain(self, bidder: str, raises: int, offset: tuple[str, int]) -> None:
        self.bid(bidder, raises, 0, "none", False, offset)

    @precondition(lambda self: self.lot.phase != CLOSED)
    @rule(bidder=st.sampled_from(BIDDERS[:3]), offset=_SMALL)
    def bid_at_minimum(self, bidder: str, offset: tuple[str, int]) -> None:
        self.bid(bidder, 1, 0, "current", False, offset)

    @precondition(lambda self: self.lot.phase != CLOSED)
    @rule(
        bidder=st.sampled_from(BIDDERS[:3]), offset=st.tuples(st.just("deadline"), st.sampled_from([-W - 1, -W, -1, 0]))
    )
    def bid_near_the_end(self, bidder: str, offset: tuple[str, int]) -> None:
        self.bid(bidder, 1, 0, "none", False, offset)

    @precondition(lambda self: self.lot.phase != CLOSED)
    @rule(bidder=st.sampled_from(BIDDERS), offset=OFFSETS)
    def exercise(self, bidder: str, offset: tuple[str, int]) -> None:
        t = self._time(offset)
        code = self._run({"type": "exercise", "t": t, "bidder": bidder})
        assert (code is None) == self.oracle.exercise(bidder, t), code

    @precondition(lambda self: self.lot.phase != CLOSED)
    @rule(bidder=st.sampled_from(BIDDERS), offset=OFFSETS)
    def declare_continue(self, bidder: str, offset: tuple[str, int]) -> None:
        t = self._time(offset)
        if self.kind != "land_listing":
            return
        code = self._run({"type": "continue", "t": t, "bidder": bidder})
        assert (code is None) == self.oracle.declare_continue(bidder, t), code

    @precondition(lambda self: self.lot.phase != CLOSED)
    @rule(offset=OFFSETS)
    def tick(self, offset: tuple[str, int]) -> None:
        t = self._time(offset)
        self._run({"type": "tick", "t": t})
        assert (self.lot.phase == CLOSED) == self.oracle.closed_at(t)

    @precondition(lambda self: self.kind == "land_listing" and self.lot.phase in ("open", "await_continue"))
    @rule(offset=_SMALL)
    def everyone_continues(self, offset: tuple[str, int]) -> None:
        for bidder in BIDDERS[:3]:
            t = self._time(offset)
            code = self._run({"type": "continue", "t": t, "bidder": bidder})
            assert (code is None) == self.oracle.declare_continue(bidder, t), code

    @precondition(lambda self: self.lot.phase == CLOSED)
    @rule(bidder=st.sampled_from(BIDDERS), offset=OFFSETS)
    def after_close(self, bidder: str, offset: tuple[str, int]) -> None:
        t = self._time(offset)
        assert self._run({"type": "bid", "t": t, "bidder": bidder, "amount": 10**9, "key": None}) == codes.CLOSED
        assert self._run({"type": "tick", "t": t}) is None
        assert self.lot.phase == CLOSED

    @precondition(lambda self: self.kind == "judicial" and self.lot.phase != CLOSED)
    @rule(offset=OFFSETS, length=st.sampled_from([0, 1, MINUTE, 10 * MINUTE]))
    def suspend_and_resume(self, offset: tuple[str, int], length: int) -> None:
        t = self._time(offset)
        code = self._run({"type": "suspend", "t": t, "reason": "法院通知暂缓"})
        assert (code is None) == self.oracle.suspend(t)
        if code is None:
            self.t += length
            refused = self._run({"type": "bid", "t": self.t, "bidder": "A", "amount": 10**9, "key": None})
            assert refused == codes.SUSPENDED
            assert self._run({"type": "resume", "t": self.t, "reason": "恢复"}) is None
            assert self.oracle.resume(self.t)

    # ---------------------------------------------------------------- invariants
    @invariant()
    def same_as_oracle(self) -> None:
        if not hasattr(self, "lot"):
            return
        lead = self.oracle.leader()
        assert self.lot.price == self.oracle.price()
        if self.oracle.exercised is None:
            assert self.lot.leader == (lead[0] if lead else None)
        if self.lot.phase == CLOSED:
            outcome, winner, price = self.oracle.result()
            assert (self.lot.outcome, self.lot.winner, self.lot.deal_price) == (outcome, winner, price)
            if self.lot.winner is not None:
                assert self.lot.deal_price >= self.rules.start_price
                if self.rules.reserve:
                    assert self.lot.deal_price >= self.rules.reserve

    @invariant()
    def replay_is_identical(self) -> None:
        if not hasattr(self, "lot"):
            return
        again = replay(self.rules, self.log)
        assert again.canonical() == self.lot.canonical()
        assert Lot.from_json(self.lot.to_json()).canonical() == self.lot.canonical()


class JudicialMachine(AscendingMachine):
    kind = "judicial"


class EnglishMachine(AscendingMachine):
    kind = "english"


class EquityMultiMachine(AscendingMachine):
    kind = "equity_multi"


class LandListingMachine(AscendingMachine):
    kind = "land_listing"


TestJudicial = JudicialMachine.TestCase
TestJudicial.settings = SETTINGS
TestEnglish = EnglishMachine.TestCase
TestEnglish.settings = SETTINGS
TestEquityMulti = EquityMultiMachine.TestCase
TestEquityMulti.settings = SETTINGS
TestLandListing = LandListingMachine.TestCase
TestLandListing.settings = SETTINGS


# ------------------------------------------------------------------------------------------- reverse auctions
REV = RuleSet(
    kind="reverse",
    start_price=1_000_000,
    step=1_000,
    start_at=SECOND,
    first_pause=300 * SECOND,
    turn=120 * SECOND,
    pause=120 * SECOND,
    rounds=3,
)


class ReverseMachine(RuleBasedStateMachine):
    @initialize(
        initial=st.lists(st.integers(900, 1000).map(lambda k: k * 1_000), min_size=2, max_size=4),
    )
    def setup(self, initial: list[int]) -> None:
        self.lot = Lot(REV)
        self.log: list[dict] = []
        self.t = 0
        self.initial: dict[str, tuple[int, int]] = {}
        for i, amount in enumerate(initial):
            bidder = BIDDERS[i]
            cmd = {"type": "register", "t": 0, "bidder": bidder, "initial": amount}
            assert self.lot.apply(cmd) is None
            self.log.append(cmd)
            self.initial[bidder] = (amount, 0)
        self.bids: list[tuple[str, int, int]] = []
        self.results: list[bool] = []

    @rule(
        who=st.sampled_from(["turn", "turn", "turn", "A", "B", "C"]),
        cut=st.sampled_from([-1, 0, 1, 2, 5, 50]),
        dt=st.sampled_from([0, 1, 30 * SECOND, 119 * SECOND, 120 * SECOND, 300 * SECOND]),
    )
    def bid(self, who: str, cut: int, dt: int) -> None:
        self.t += dt
        self.lot.advance(self.t) and self.log.append({"type": "tick", "t": self.t})
        if who == "turn":
            if self.lot.phase != "turn":
                return
            who = self.lot.order[self.lot.turn_idx]
        if who not in self.initial:
            return
        if cut == -1:
            cmd = {"type": "cancel", "t": self.t, "bidder": who}
            amount = -1
        else:
            own = self.lot.turn_prev[0] if self.lot.phase == "turn" else self.lot.amounts[who][0]
            amount = own - cut * REV.step
            cmd = {"type": "bid", "t": self.t, "bidder": who, "amount": amount}
        code = self.lot.apply(cmd)
        if code is None:
            self.log.append(cmd)
        self.bids.append((who, amount, self.t))
        # a refused bid is compared as refused; a cancel with the refusal's own code
        self.results.append(code if code is None or amount == -1 else "refused")

    @invariant()
    def matches_oracle(self) -> None:
        if not hasattr(self, "lot"):
            return
        results, standing, winner = naive_reverse(REV, self.initial, self.bids)
        assert results == self.results
        assert {b: v[0] for b, v in self.lot.amounts.items()} == standing
        if self.lot.phase == CLOSED:
            assert self.lot.winner == winner
            assert self.lot.deal_price == standing[winner]
        assert replay(REV, self.log).canonical() == self.lot.canonical()

    def teardown(self) -> None:
        if not hasattr(self, "lot"):
            return
        end = 10**12
        self.lot.advance(end)
        _results, _standing, winner = naive_reverse(REV, self.initial, self.bids)
        assert self.lot.phase == CLOSED
        assert self.lot.winner == winner


TestReverse = ReverseMachine.TestCase
TestReverse.settings = SETTINGS
