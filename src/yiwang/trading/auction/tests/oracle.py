"""Naive oracles for the auction engine: every answer is recomputed from scratch from the accepted commands.

They are written differently from the engine on purpose (no incremental state, no phases kept between calls):
time is mapped to *active time* (wall time minus the time spent suspended) and every phase boundary is derived
again from the full list of accepted bids. The state machines in ``test_engine_properties`` feed the same
commands to both and compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yiwang.trading.auction.domain.rules import RuleSet


@dataclass
class Naive:
    rules: RuleSet
    registered: dict[str, int] = field(default_factory=dict)
    bids: list[tuple[str, int, int]] = field(default_factory=list)  # (bidder, amount, active t) accepted, in order
    keys: set[str] = field(default_factory=set)
    continuing: set[str] = field(default_factory=set)
    pauses: list[tuple[int, int]] = field(default_factory=list)
    paused_since: int | None = None
    exercised: tuple[str, int] | None = None  # 事后行权 (bidder, active t)

    # ------------------------------------------------------------ time
    def active(self, t: int) -> int:
        return t - sum(b - a for a, b in self.pauses)

    def wall(self, a: int) -> int:
        return a + sum(b - x for x, b in self.pauses)

    # ------------------------------------------------------------ derived facts
    def leader(self) -> tuple[str, int] | None:
        """Highest amount; at equal amounts the stronger pre-emption right, then the earlier bid."""
        if not self.bids:
            return None
        top = max(a for _, a, _ in self.bids)
        at_top = [(b, t) for b, a, t in self.bids if a == top]
        if self.rules.preemption:
            best = max(self.registered[b] for b, _ in at_top)
            at_top = [(b, t) for b, t in at_top if self.registered[b] == best]
        bidder = min(at_top, key=lambda bt: bt[1])[0]
        return bidder, top

    def price(self) -> int:
        lead = self.leader()
        return lead[1] if lead else self.rules.start_price

    def listing_bidders(self) -> set[str]:
        r = self.rules
        return {b for b, _, t in self.bids if t < r.end_at}

    def boundaries(self) -> list[tuple[str, int | None]]:
        """The phases as (name, active end) from the accepted commands alone."""
        r = self.rules
        k = r.kind
        if k in ("judicial", "english"):
            end = r.end_at
            for _, _, t in self.bids:
                if r.soft_close_window and end - t < r.soft_close_window:
                    end = max(end, t + r.soft_close_extension)
            return [("scheduled", r.start_at), ("open", end)]
        if k == "equity_multi":
            timed = [t for _, _, t in self.bids if t >= r.end_at]
            out = [("scheduled", r.start_at), ("open", r.end_at)]
            if r.countdown:
                out.append(("countdown", (max(timed) if timed else r.end_at) + r.countdown))
            return out
        if k == "land_listing":
            decide = r.end_at + r.continue_window
            out = [("scheduled", r.start_at), ("open", r.end_at), ("await_continue", decide)]
            if len(self.continuing) >= r.min_continuing:
                late = [t for _, _, t in self.bids if t >= decide]
                out.append(("countdown", (max(late) if late else decide) + r.countdown))
            return out
        raise AssertionError(k)

    def phase_at(self, a: int) -> str:
        for name, end in self.boundaries():
            if end is None or a < end:
                return name
        if self.matching_open(a):
            return "matching"
        return "closed"

    def close_time(self) -> int:
        return self.boundaries()[-1][1]  # type: ignore[return-value]

    def matching_open(self, a: int) -> bool:
        r = self.rules
        lead = self.leader()
        if not r.matching_window or lead is None or self.exercised is not None:
            return False
        if r.reserve and lead[1] < r.reserve:
            return False
        others = [b for b, p in self.registered.items() if p > 0 and b != lead[0]]
        return bool(others) and a < self.close_time() + r.matching_window

    def result(self) -> tuple[str, str | None, int]:
        r = self.rules
        lead = self.leader()
        if lead is None or (r.reserve and lead[1] < r.reserve):
            return "unsold", None, 0
        if self.exercised is not None:
            return "sold", self.exercised[0], lead[1]
        return "sold", lead[0], lead[1]

    # ------------------------------------------------------------ commands
    def suspended(self) -> bool:
        return self.paused_since is not None

    def bid(self, bidder: str, amount: int, t: int, expected: int | None, key: str | None) -> bool:
        if self.suspended():
            return False
        a = self.active(t)
        phase = self.phase_at(a)
        if phase not in ("open", "countdown"):
            return False
        r = self.rules
        if bidder not in self.registered:
            return False
        if key is not None and key in self.keys:
            return False
        if expected is not None and expected != self.price():
            return False
        lead = self.leader()
        if lead is None:
            ok = amount >= r.start_price
        else:
            ok = amount >= lead[1] + r.step or (
                amount == lead[1] and r.preemption and self.registered[bidder] > self.registered[lead[0]]
            )
            ok = ok and lead[0] != bidder
        if not ok:
            return False
        if r.multiples and (amount - r.start_price) % r.step:
            return False
        if r.cap and amount > r.cap:
            return False
        if phase == "countdown" and r.kind == "land_listing" and bidder not in self.continuing:
            return False
        self.bids.append((bidder, amount, a))
        if key is not None:
            self.keys.add(key)
        return True

    def register(self, bidder: str, priority: int, t: int) -> bool:
        if self.suspended() or bidder in self.registered:
            return False
        if self.phase_at(self.active(t)) == "closed":
            return False
        self.registered[bidder] = priority
        return True

    def declare_continue(self, bidder: str, t: int) -> bool:
        if self.suspended():
            return False
        a = self.active(t)
        if self.phase_at(a) not in ("open", "await_continue"):
            return False
        if bidder not in self.registered or bidder not in self.listing_bidders():
            return False
        self.continuing.add(bidder)
        return True

    def exercise(self, bidder: str, t: int) -> bool:
        if self.suspended():
            return False
        a = self.active(t)
        if bidder not in self.registered or self.registered[bidder] <= 0:
            return False
        if self.phase_at(a) == "matching":
            lead = self.leader()
            if lead is None or lead[0] == bidder:
                return False
            self.exercised = (bidder, a)
            return True
        if self.rules.preemption and self.phase_at(a) in ("open", "countdown") and self.bids:
            return self.bid(bidder, self.price(), t, None, None)
        return False

    def suspend(self, t: int) -> bool:
        if self.suspended() or self.phase_at(self.active(t)) == "closed":
            return False
        self.paused_since = t
        return True

    def resume(self, t: int) -> bool:
        if not self.suspended():
            return False
        assert self.paused_since is not None
        self.pauses.append((self.paused_since, t))
        self.paused_since = None
        return True

    def closed_at(self, t: int) -> bool:
        return not self.suspended() and self.phase_at(self.active(t)) == "closed"


def naive_reverse(rules: RuleSet, initial: dict[str, tuple[int, int]], bids: list[tuple[str, int, int]]):
    """The reverse auction result by brute force: the turn schedule rebuilt, every bid checked against it.

    ``initial``: bidder -> (amount, registration time); ``bids``: (bidder, amount, t) in time order, each
    either a new amount or -1 (cancel this turn's bid). Returns (results, final amounts, winner): one result
    per command, None when accepted; a refused cancel gives its code (``auction.not_started`` /
    ``not_your_turn`` / ``turn_over`` / ``nothing_to_cancel`` / ``closed``), a refused bid ``refused``."""
    standing = {b: [a, t] for b, (a, t) in initial.items()}
    results: list[str | None] = []

    def refuse(amount: int, code: str) -> None:
        results.append(code if amount == -1 else "refused")

    # build the schedule round by round, consuming the bids in time order
    moment = rules.start_at + rules.first_pause
    queue = list(bids)
    for round_no in range(rules.rounds):
        order = sorted(standing, key=lambda b: (-standing[b][0], -standing[b][1], b))
        for position, bidder in enumerate(order):
            turn_end = moment + rules.turn
            before = list(standing[bidder])
            while queue and queue[0][2] < turn_end:
                who, amount, t = queue.pop(0)
                if t < rules.start_at:
                    refuse(amount, "auction.not_started")
                    continue
                if t < moment:  # the pause before this turn (the first pause, or between two rounds)
                    refuse(amount, "auction.turn_over" if round_no and position == 0 else "auction.not_your_turn")
                    continue
                if who != bidder:
                    mine = order.index(who)
                    refuse(amount, "auction.turn_over" if mine < position else "auction.not_your_turn")
                    continue
                if amount == -1:
                    if standing[bidder] == before:
                        results.append("auction.nothing_to_cancel")
                    else:
                        standing[bidder] = list(before)
                        results.append(None)
                    continue
                if 0 < amount <= before[0] - rules.step:
                    standing[bidder] = [amount, t]
                    results.append(None)
                else:
                    results.append("refused")
            moment = turn_end
        moment += rules.pause
    for _who, amount, _t in queue:
        refuse(amount, "auction.closed")
    winner = min(standing, key=lambda b: (standing[b][0], standing[b][1], b)) if standing else None
    return results, {b: v[0] for b, v in standing.items()}, winner
