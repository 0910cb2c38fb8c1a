"""The auction engine: one single-writer state machine per lot.

Commands are plain dicts with a ``type`` and a time ``t`` (integer microseconds, stamped by the server when
the command entered the platform); the engine reads no clock and no randomness, so applying the same command
log to the same rule set reproduces every state byte for byte (:meth:`Lot.canonical`).

``apply(cmd)`` returns ``None`` when the command was accepted and a refusal code (``codes.*``) otherwise. A
refused command changes nothing, except that time moves first: a bid arriving after the end first closes the
lot, then is refused. Time-driven transitions depend only on the deadlines, never on when they are noticed, so a
refused command that moved time leaves a state equal to the one a later ``tick`` (or any later accepted command)
produces on replay; the shell logs the close as a ``tick`` command from its due job. ``Lot.version`` counts
accepted commands.

Command types:

``register``  bidder, priority=0 (pre-emption rank, higher wins), initial=0 (reverse: the sealed opening bid)
``bid``       bidder, amount, expected (the price the bidder saw; optional), key (idempotency key; optional)
``exercise``  bidder — pre-emption: match the current price (judicial) or the final price (事后行权)
``continue``  bidder — land listing: wish to continue into the countdown auction
``seal``      bidder, digest — one sealed bid (equity_sealed / equity_weighted)
``score``     bidder, score — 权重报价: the points for the factors other than price (0 … 10 000 − the price
              weight), recorded by staff before the price opening (refused once any price is revealed)
``reveal``    bidder, amount, score=0 — the opened sealed bid (after the deadline); a recorded ``score`` wins
``decide``    — close a sealed lot after the opening
``suspend``   reason;  ``resume`` reason — remaining time is preserved
``tick``      — time passes (closes lots exactly at their end)
``cancel``    bidder — reverse auction: withdraw the bid made in this turn (the one standing before it stands)
"""

from __future__ import annotations

from typing import Any

from yiwang.kernel.canonical import canonical_json, sha256_hex

from . import codes as c
from .rules import RuleSet

FOREVER = 1 << 62

SCHEDULED = "scheduled"
OPEN = "open"  # bidding (judicial, listing, free period, english, dutch)
COUNTDOWN = "countdown"  # land countdown auction / equity timed period
AWAIT_CONTINUE = "await_continue"  # land: waiting for wishes to continue
SALE = "sale"  # 变卖 window at a fixed price
SEALING = "sealing"  # sealed bids accepted
OPENING = "opening"  # sealed bids being revealed
MATCHING = "matching"  # 事后行权 window
PAUSE = "pause"  # reverse: between rounds
TURN = "turn"  # reverse: one bidder's turn
SUSPENDED = "suspended"
CLOSED = "closed"

_BIDDING = frozenset({OPEN, COUNTDOWN})
# the hot path compares phases by identity: a phase read back from JSON must be the constant object itself
_PHASES = {
    p: p
    for p in (
        SCHEDULED,
        OPEN,
        COUNTDOWN,
        AWAIT_CONTINUE,
        SALE,
        SEALING,
        OPENING,
        MATCHING,
        PAUSE,
        TURN,
        SUSPENDED,
        CLOSED,
    )
}


class Lot:
    """The state of one lot. Mutated only by :meth:`apply` (and the fast path :meth:`bid`)."""

    __slots__ = (
        "_cap",
        "_countdown",
        "_dutch",
        "_ext",
        "_land",
        "_multiples",
        "_preempt",
        "_saved_deadline",
        # hot-path copies of rule fields
        "_start",
        "_step",
        "_window",
        "amounts",
        "bidders",
        "closed_at",
        "continuing",
        "deadline",
        "deal_price",
        "ext_count",
        "history",
        "keys",
        "leader",
        "leader_pri",
        "leader_t",
        "listed",
        "order",
        "outcome",
        "phase",
        "price",
        "revealed",
        "round",
        "rules",
        "scores",
        "sealed",
        "shift",
        "suspend_reason",
        "suspended_at",
        "suspended_phase",
        "t_last",
        "turn_idx",
        "turn_prev",
        "version",
        "winner",
    )

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.version = 0
        self.t_last = 0
        self.phase = SCHEDULED
        self.deadline = rules.start_at
        self.price = rules.start_price
        self.leader: str | None = None
        self.leader_pri = 0
        self.leader_t = 0
        self.ext_count = 0
        self.bidders: dict[str, int] = {}
        self.history: list[tuple] = []  # (version, bidder, amount, t, how)
        self.keys: set[str] = set()
        self.continuing: set[str] = set()
        self.listed: set[str] = set()  # land: bidders with a valid listing bid
        self.sealed: dict[str, list] = {}  # bidder -> [t, digest]
        self.revealed: dict[str, list] = {}  # bidder -> [amount, score]
        self.scores: dict[str, int] = {}  # weighted: bidder -> points for the other factors (before the opening)
        self.amounts: dict[str, list] = {}  # reverse: bidder -> [amount, t]
        self.round = 0
        self.turn_idx = 0
        self.order: list[str] = []
        self.turn_prev: list = []
        self.suspended_phase = ""
        self.suspended_at = 0
        self.suspend_reason = ""
        self._saved_deadline = 0
        self.shift = 0  # total time spent suspended: rule times move by it
        self.outcome = ""  # "sold" | "unsold" once closed
        self.winner: str | None = None
        self.deal_price = 0
        self.closed_at = 0
        self._cache_rules()

    def _cache_rules(self) -> None:
        r = self.rules
        self._start = r.start_price
        self._step = r.step
        self._cap = r.cap
        self._multiples = r.multiples
        self._window = r.soft_close_window
        self._ext = r.soft_close_extension
        self._countdown = r.countdown
        self._preempt = r.preemption
        self._land = r.kind == "land_listing"
        self._dutch = r.kind == "dutch"

    # ------------------------------------------------------------------ reading
    @property
    def end_at(self) -> int | None:
        """When the current phase ends by time (None when it waits for a command or is closed)."""
        return None if self.deadline >= FOREVER else self.deadline

    @property
    def is_closed(self) -> bool:
        return self.phase == CLOSED

    def min_next(self) -> int:
        """The smallest acceptable next bid (ascending kinds) — what a bidding page proposes."""
        if self.leader is None:
            return self._start
        return self.price + self._step

    def price_at(self, t: int) -> int:
        """The displayed price at time ``t`` (Dutch prices fall with time; others are the current price)."""
        if self.rules.kind == "dutch" and self.phase in (SCHEDULED, OPEN):
            return self.rules.dutch_price(t - self.shift)
        return self.price

    # ------------------------------------------------------------------ dispatch
    def apply(self, cmd: dict[str, Any]) -> str | None:
        kind = cmd.get("type")
        t = cmd["t"]
        if kind == "bid":
            return self.bid(cmd["bidder"], cmd["amount"], t, cmd.get("expected"), cmd.get("key"))
        if t < self.t_last:
            return c.TIME_REGRESSED
        if kind == "tick":
            self.advance(t)
            return None
        handler = _HANDLERS.get(kind)  # type: ignore[arg-type]
        if handler is None:
            return c.UNKNOWN_COMMAND
        self.advance(t)
        return handler(self, cmd, t)

    def _changed(self, t: int) -> None:
        self.version += 1
        self.t_last = t

    # ------------------------------------------------------------------ time
    def advance(self, t: int) -> bool:
        """Apply every time-driven transition due at ``t``. True when something changed."""
        if t < self.deadline:
            return False
        while t >= self.deadline:
            self._transition(self.deadline)
        return True

    def _transition(self, d: int) -> None:
        r = self.rules
        phase = self.phase
        kind = r.kind
        if phase == SCHEDULED:
            end = r.end_at + self.shift
            if kind == "judicial_sale":
                self.phase, self.deadline = SALE, end
            elif kind in ("equity_sealed", "equity_weighted"):
                self.phase, self.deadline = SEALING, end
            elif kind == "dutch":
                self.phase, self.deadline = OPEN, r.dutch_end() + self.shift
            elif kind == "reverse":
                self.phase, self.deadline = PAUSE, d + r.first_pause
            else:
                self.phase, self.deadline = OPEN, end
        elif phase == OPEN:
            if kind == "land_listing":
                self.phase, self.deadline = AWAIT_CONTINUE, d + r.continue_window
            elif kind == "equity_multi" and r.countdown:
                self.phase, self.deadline = COUNTDOWN, d + r.countdown
            else:
                self._close(d)
        elif phase == AWAIT_CONTINUE:
            if len(self.continuing) >= r.min_continuing:
                self.phase, self.deadline = COUNTDOWN, d + r.countdown
            else:
                self._close(d)
        elif phase == COUNTDOWN:
            self._close(d)
        elif phase == SALE:
            self._finish(d, None, 0)
        elif phase == SEALING:
            self.phase, self.deadline = OPENING, FOREVER
        elif phase == MATCHING:
            self._finish(d, self.leader, self.price)
        elif phase == PAUSE:
            self._start_round(d)
        elif phase == TURN:
            self._next_turn(d)
        else:  # pragma: no cover - closed / suspended / opening have deadline FOREVER
            raise AssertionError(f"no transition from {phase}")

    def _close(self, d: int) -> None:
        """Bidding ended at ``d``: decide the ascending result (or open the 事后行权 window)."""
        r = self.rules
        leader = self.leader
        if leader is None or (r.reserve and self.price < r.reserve) or len(self.bidders) < r.min_bidders:
            self._finish(d, None, 0)
            return
        if r.matching_window and any(p > 0 and b != leader for b, p in self.bidders.items()):
            self.phase, self.deadline = MATCHING, d + r.matching_window
            self.closed_at = d
            return
        self._finish(d, leader, self.price)

    def _finish(self, d: int, winner: str | None, price: int) -> None:
        self.phase = CLOSED
        self.deadline = FOREVER
        self.winner = winner
        self.deal_price = price if winner is not None else 0
        self.outcome = "sold" if winner is not None else "unsold"
        self.closed_at = d

    # ------------------------------------------------------------------ bidding (hot path)
    def bid(self, bidder: str, amount: int, t: int, expected: int | None = None, key: str | None = None) -> str | None:
        if t < self.t_last:
            return c.TIME_REGRESSED
        if t >= self.deadline:
            self.advance(t)
        phase = self.phase
        if phase is not OPEN and phase is not COUNTDOWN:
            return self._bid_elsewhere(bidder, amount, t, expected, key)
        pri = self.bidders.get(bidder)
        if pri is None:
            return c.NOT_REGISTERED
        if key is not None and key in self.keys:
            return c.DUPLICATE
        if self._dutch:
            return self._accept_dutch(bidder, amount, t, expected, key)
        price = self.price
        if expected is not None and expected != price:
            return c.STALE_PRICE
        leader = self.leader
        if leader is None:
            if amount < self._start:
                return c.BELOW_START
        elif amount < price + self._step and (amount != price or not self._preempt or pri <= self.leader_pri):
            return c.BELOW_INCREMENT
        if leader == bidder:
            return c.ALREADY_LEADING
        if self._multiples and (amount - self._start) % self._step:
            return c.NOT_MULTIPLE
        if self._cap and amount > self._cap:
            return c.ABOVE_CAP
        if phase is COUNTDOWN and self._land and bidder not in self.continuing:
            return c.NOT_ELIGIBLE
        # accepted
        v = self.version + 1
        self.version = v
        self.t_last = t
        self.price = amount
        self.leader = bidder
        self.leader_pri = pri
        self.leader_t = t
        self.history.append((v, bidder, amount, t, "bid"))
        if key is not None:
            self.keys.add(key)
        if phase is COUNTDOWN:
            self.deadline = t + self._countdown
        elif self._window:
            d = self.deadline
            if d - t < self._window and t + self._ext > d:
                self.deadline = t + self._ext
                self.ext_count += 1
        if self._land:
            self.listed.add(bidder)
        return None

    def bid_batch(self, batch: list[tuple]) -> list[str | None]:
        """Apply many ``(bidder, amount, t, expected, key)`` bids in order; one result per bid.

        The same result and the same state as calling :meth:`bid` once per item (the property tests check it),
        but the lot's hot fields live in local variables while the bids stay on the plain ascending path, which
        is what a single writer draining its queue does between two group commits of the log."""
        results: list[str | None] = []
        put = results.append
        if self._dutch:
            for bidder, amount, t, expected, key in batch:
                put(self.bid(bidder, amount, t, expected, key))
            return results
        bidders = self.bidders
        keys = self.keys
        hist = self.history.append
        start, step, cap, mult = self._start, self._step, self._cap, self._multiples
        window, ext, countdown, preempt, land = self._window, self._ext, self._countdown, self._preempt, self._land
        continuing, listed = self.continuing, self.listed
        version, t_last, deadline = self.version, self.t_last, self.deadline
        price, leader, leader_pri, leader_t, ext_count = (
            self.price,
            self.leader,
            self.leader_pri,
            self.leader_t,
            self.ext_count,
        )
        phase = self.phase
        for bidder, amount, t, expected, key in batch:
            if t < t_last:
                put(c.TIME_REGRESSED)
                continue
            if t >= deadline or (phase is not OPEN and phase is not COUNTDOWN):
                # leave the fast path: store, take the general path, reload
                self.version, self.t_last, self.deadline = version, t_last, deadline
                self.price, self.leader, self.leader_pri, self.leader_t = price, leader, leader_pri, leader_t
                self.ext_count = ext_count
                put(self.bid(bidder, amount, t, expected, key))
                version, t_last, deadline = self.version, self.t_last, self.deadline
                price, leader, leader_pri, leader_t = self.price, self.leader, self.leader_pri, self.leader_t
                ext_count, phase = self.ext_count, self.phase
                continue
            pri = bidders.get(bidder)
            if pri is None:
                put(c.NOT_REGISTERED)
                continue
            if key is not None and key in keys:
                put(c.DUPLICATE)
                continue
            if expected is not None and expected != price:
                put(c.STALE_PRICE)
                continue
            if leader is None:
                if amount < start:
                    put(c.BELOW_START)
                    continue
            elif amount < price + step and (amount != price or not preempt or pri <= leader_pri):
                put(c.BELOW_INCREMENT)
                continue
            if leader == bidder:
                put(c.ALREADY_LEADING)
                continue
            if mult and (amount - start) % step:
                put(c.NOT_MULTIPLE)
                continue
            if cap and amount > cap:
                put(c.ABOVE_CAP)
                continue
            if phase is COUNTDOWN and land and bidder not in continuing:
                put(c.NOT_ELIGIBLE)
                continue
            version += 1
            t_last = t
            price = amount
            leader = bidder
            leader_pri = pri
            leader_t = t
            hist((version, bidder, amount, t, "bid"))
            if key is not None:
                keys.add(key)
            if phase is COUNTDOWN:
                deadline = t + countdown
            elif window and deadline - t < window and t + ext > deadline:
                deadline = t + ext
                ext_count += 1
            if land:
                listed.add(bidder)
            put(None)
        self.version, self.t_last, self.deadline = version, t_last, deadline
        self.price, self.leader, self.leader_pri, self.leader_t = price, leader, leader_pri, leader_t
        self.ext_count = ext_count
        return results

    def _bid_elsewhere(self, bidder: str, amount: int, t: int, expected: int | None, key: str | None) -> str | None:
        phase = self.phase
        if phase == SCHEDULED:
            return c.NOT_STARTED
        if phase == CLOSED:
            return c.CLOSED
        if phase == SUSPENDED:
            return c.SUSPENDED
        if phase == SALE:
            return self._sale_bid(bidder, amount, t, expected, key)
        if phase == TURN:
            return self._reverse_bid(bidder, amount, t, key)
        return c.WRONG_PHASE

    def _accept_dutch(self, bidder: str, amount: int, t: int, expected: int | None, key: str | None) -> str | None:
        price = self.rules.dutch_price(t - self.shift)
        if expected is not None and expected != price:
            return c.STALE_PRICE
        if amount != price:
            return c.STALE_PRICE
        self._changed(t)
        self.price = price
        self.leader, self.leader_t = bidder, t
        self.history.append((self.version, bidder, price, t, "accept"))
        if key is not None:
            self.keys.add(key)
        self._finish(t, bidder, price)
        return None

    def _sale_bid(self, bidder: str, amount: int, t: int, expected: int | None, key: str | None) -> str | None:
        pri = self.bidders.get(bidder)
        if pri is None:
            return c.NOT_REGISTERED
        if key is not None and key in self.keys:
            return c.DUPLICATE
        if expected is not None and expected != self.price:
            return c.STALE_PRICE
        if amount != self._start:
            return c.BAD_AMOUNT
        self._changed(t)
        self.phase = OPEN
        self.deadline = t + self.rules.bidding_period
        self.price, self.leader, self.leader_pri, self.leader_t = amount, bidder, pri, t
        self.history.append((self.version, bidder, amount, t, "sale"))
        if key is not None:
            self.keys.add(key)
        return None

    # ------------------------------------------------------------------ reverse (ProZorro)
    def _rank_worst_first(self) -> list[str]:
        # worst (highest) amount first; equal amounts: the later bid first, so the best-placed moves last
        items = sorted(self.amounts.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
        return [b for b, _ in items]

    def _start_round(self, d: int) -> None:
        self.round += 1
        self.order = self._rank_worst_first()
        self.turn_idx = 0
        if not self.order:
            self._finish(d, None, 0)
            return
        self.phase = TURN
        self.deadline = d + self.rules.turn
        first = self.order[0]
        self.turn_prev = list(self.amounts[first])

    def _next_turn(self, d: int) -> None:
        self.turn_idx += 1
        if self.turn_idx < len(self.order):
            self.deadline = d + self.rules.turn
            self.turn_prev = list(self.amounts[self.order[self.turn_idx]])
            return
        if self.round >= self.rules.rounds:
            self._reverse_finish(d)
        else:
            self.phase, self.deadline = PAUSE, d + self.rules.pause
            self.turn_prev = []

    def _reverse_finish(self, d: int) -> None:
        if not self.amounts:
            self._finish(d, None, 0)
            return
        best = min(self.amounts.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0]))
        self.price = best[1][0]
        self._finish(d, best[0], best[1][0])

    def _reverse_bid(self, bidder: str, amount: int, t: int, key: str | None) -> str | None:
        if bidder not in self.bidders:
            return c.NOT_REGISTERED
        if bidder != self.order[self.turn_idx]:
            return c.NOT_YOUR_TURN
        if key is not None and key in self.keys:
            return c.DUPLICATE
        if amount <= 0:
            return c.BAD_AMOUNT
        if amount > self.turn_prev[0] - self._step:
            return c.BELOW_INCREMENT
        self._changed(t)
        self.amounts[bidder] = [amount, t]
        self.history.append((self.version, bidder, amount, t, "bid"))
        if key is not None:
            self.keys.add(key)
        best = min(v[0] for v in self.amounts.values())
        self.price = best
        return None

    # ------------------------------------------------------------------ other commands
    def _register(self, cmd: dict[str, Any], t: int) -> str | None:
        bidder = cmd["bidder"]
        if self.phase == CLOSED:
            return c.CLOSED
        if bidder in self.bidders:
            return c.ALREADY_REGISTERED
        kind = self.rules.kind
        if kind == "reverse":
            if self.phase != SCHEDULED:
                return c.WRONG_PHASE
            initial = int(cmd.get("initial") or 0)
            if initial <= 0:
                return c.BAD_AMOUNT
        priority = int(cmd.get("priority") or 0)
        if priority < 0:
            return c.BAD_AMOUNT
        self._changed(t)
        self.bidders[bidder] = priority
        if kind == "reverse":
            self.amounts[bidder] = [int(cmd["initial"]), t]
            self.price = min(v[0] for v in self.amounts.values())
        return None

    def _exercise(self, cmd: dict[str, Any], t: int) -> str | None:
        bidder = cmd["bidder"]
        pri = self.bidders.get(bidder)
        if pri is None:
            return c.NOT_REGISTERED
        if pri <= 0:
            return c.NO_PREEMPTION
        if self.phase == MATCHING:
            if bidder == self.leader:
                return c.ALREADY_LEADING
            self._changed(t)
            self.history.append((self.version, bidder, self.price, t, "exercise"))
            self.leader, self.leader_pri, self.leader_t = bidder, pri, t
            self._finish(self.closed_at, bidder, self.price)
            return None
        if self.phase in _BIDDING and self._preempt:
            if self.leader is None:
                return c.WRONG_PHASE
            return self.bid(bidder, self.price, t, cmd.get("expected"), cmd.get("key"))
        return self._phase_code()

    def _continue(self, cmd: dict[str, Any], t: int) -> str | None:
        bidder = cmd["bidder"]
        if self.rules.kind != "land_listing" or self.phase not in (OPEN, AWAIT_CONTINUE):
            return self._phase_code()
        if bidder not in self.bidders:
            return c.NOT_REGISTERED
        if bidder not in self.listed:
            return c.NOT_ELIGIBLE
        if bidder in self.continuing:
            return None
        self._changed(t)
        self.continuing.add(bidder)
        return None

    def _seal(self, cmd: dict[str, Any], t: int) -> str | None:
        bidder = cmd["bidder"]
        if self.phase != SEALING:
            return self._phase_code()
        if bidder not in self.bidders:
            return c.NOT_REGISTERED
        if bidder in self.sealed:
            return c.ALREADY_SEALED
        self._changed(t)
        self.sealed[bidder] = [t, str(cmd.get("digest") or "")]
        return None

    def _reveal(self, cmd: dict[str, Any], t: int) -> str | None:
        bidder = cmd["bidder"]
        if self.phase != OPENING:
            return self._phase_code()
        if bidder not in self.sealed:
            return c.NOT_SEALED
        if bidder in self.revealed:
            return c.ALREADY_REVEALED
        amount = int(cmd["amount"])
        score = self.scores[bidder] if bidder in self.scores else int(cmd.get("score") or 0)
        if amount <= 0 or score < 0 or score > 10_000 - self.rules.price_weight_bp:
            return c.BAD_AMOUNT
        self._changed(t)
        self.revealed[bidder] = [amount, score]
        return None

    def _score(self, cmd: dict[str, Any], t: int) -> str | None:
        if self.rules.kind != "equity_weighted":
            return c.WRONG_PHASE
        if self.phase not in (SEALING, OPENING):
            return self._phase_code()
        bidder = cmd["bidder"]
        if bidder not in self.bidders:
            return c.NOT_REGISTERED
        if self.revealed:
            return c.PRICES_OPENED
        score = cmd.get("score")
        if (
            isinstance(score, bool)
            or not isinstance(score, int)
            or not 0 <= score <= 10_000 - self.rules.price_weight_bp
        ):
            return c.BAD_SCORE
        self._changed(t)
        self.scores[bidder] = score
        return None

    def _decide(self, cmd: dict[str, Any], t: int) -> str | None:
        if self.phase != OPENING:
            return self._phase_code()
        r = self.rules
        floor = max(r.start_price, r.reserve)
        valid = {b: v for b, v in self.revealed.items() if v[0] >= floor}
        self._changed(t)
        if not valid or len(self.sealed) < r.min_bidders:
            self._finish(t, None, 0)
            return None
        if r.kind == "equity_weighted":
            top = max(v[0] for v in valid.values())

            def rank(b: str) -> tuple:
                amount, score = valid[b]
                return (-(r.price_weight_bp * amount // top + score), -amount, self.sealed[b][0], b)

        else:

            def rank(b: str) -> tuple:
                return (-valid[b][0], self.sealed[b][0], b)

        best = min(valid, key=rank)
        self.price = valid[best][0]
        self.leader, self.leader_pri = best, self.bidders.get(best, 0)
        self._finish(t, best, valid[best][0])
        return None

    def _suspend(self, cmd: dict[str, Any], t: int) -> str | None:
        if self.phase in (CLOSED, SUSPENDED):
            return self._phase_code()
        self._changed(t)
        self.suspended_phase = self.phase
        self.suspended_at = t
        self.suspend_reason = str(cmd.get("reason") or "")
        self.phase = SUSPENDED
        self.turn_prev = list(self.turn_prev)
        # keep the deadline: on resume it moves by the time spent suspended
        self.deadline, self._saved_deadline = FOREVER, self.deadline
        return None

    def _resume(self, cmd: dict[str, Any], t: int) -> str | None:
        if self.phase != SUSPENDED:
            return c.NOT_SUSPENDED
        self._changed(t)
        self.phase = self.suspended_phase
        saved = self._saved_deadline
        self.deadline = saved if saved >= FOREVER else saved + (t - self.suspended_at)
        self.shift += t - self.suspended_at
        self.suspended_phase = ""
        self.suspend_reason = ""
        self.suspended_at = 0
        self._saved_deadline = 0
        return None

    def _phase_code(self) -> str:
        phase = self.phase
        if phase == CLOSED:
            return c.CLOSED
        if phase == SUSPENDED:
            return c.SUSPENDED
        if phase == SCHEDULED:
            return c.NOT_STARTED
        return c.WRONG_PHASE

    # ------------------------------------------------------------------ serialisation
    def to_json(self) -> dict[str, Any]:
        return {
            "rules": self.rules.to_json(),
            "version": self.version,
            "t_last": self.t_last,
            "phase": self.phase,
            "deadline": self.deadline,
            "saved_deadline": self._saved_deadline,
            "shift": self.shift,
            "price": self.price,
            "leader": self.leader,
            "leader_pri": self.leader_pri,
            "leader_t": self.leader_t,
            "ext_count": self.ext_count,
            "bidders": dict(sorted(self.bidders.items())),
            "history": [list(h) for h in self.history],
            "keys": sorted(self.keys),
            "continuing": sorted(self.continuing),
            "listed": sorted(self.listed),
            "sealed": dict(sorted(self.sealed.items())),
            "revealed": dict(sorted(self.revealed.items())),
            # only when used, so the states of lots without scores keep the bytes they always had
            **({"scores": dict(sorted(self.scores.items()))} if self.scores else {}),
            "amounts": dict(sorted(self.amounts.items())),
            "round": self.round,
            "turn_idx": self.turn_idx,
            "order": list(self.order),
            "turn_prev": list(self.turn_prev),
            "suspended_phase": self.suspended_phase,
            "suspended_at": self.suspended_at,
            "suspend_reason": self.suspend_reason,
            "outcome": self.outcome,
            "winner": self.winner,
            "deal_price": self.deal_price,
            "closed_at": self.closed_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lot:
        lot = cls(RuleSet.from_json(data["rules"]))
        for name in (
            "version",
            "t_last",
            "phase",
            "deadline",
            "price",
            "leader",
            "leader_pri",
            "leader_t",
            "ext_count",
            "round",
            "turn_idx",
            "suspended_phase",
            "suspended_at",
            "suspend_reason",
            "outcome",
            "winner",
            "deal_price",
            "closed_at",
            "shift",
        ):
            setattr(lot, name, data[name])
        lot.phase = _PHASES[data["phase"]]
        lot.suspended_phase = _PHASES.get(data["suspended_phase"], "")
        lot._saved_deadline = data["saved_deadline"]
        lot.bidders = dict(data["bidders"])
        lot.history = [tuple(h) for h in data["history"]]
        lot.keys = set(data["keys"])
        lot.continuing = set(data["continuing"])
        lot.listed = set(data["listed"])
        lot.sealed = {k: list(v) for k, v in data["sealed"].items()}
        lot.revealed = {k: list(v) for k, v in data["revealed"].items()}
        lot.scores = {k: int(v) for k, v in data.get("scores", {}).items()}
        lot.amounts = {k: list(v) for k, v in data["amounts"].items()}
        lot.order = list(data["order"])
        lot.turn_prev = list(data["turn_prev"])
        return lot

    def canonical(self) -> bytes:
        return canonical_json(self.to_json())

    def copy(self) -> Lot:
        """An independent lot with the same state (byte for byte)."""
        return Lot.from_json(self.to_json())

    def state_hash(self) -> str:
        return sha256_hex(self.canonical())


_HANDLERS = {
    "register": Lot._register,
    "exercise": Lot._exercise,
    "continue": Lot._continue,
    "seal": Lot._seal,
    "score": Lot._score,
    "reveal": Lot._reveal,
    "decide": Lot._decide,
    "suspend": Lot._suspend,
    "resume": Lot._resume,
}


def _cancel(lot: Lot, cmd: dict[str, Any], t: int) -> str | None:
    """Reverse auction: the bidder whose turn it is withdraws the bid it made in this turn; the bid standing at
    the start of the turn stands again (and the bidder may bid again while the turn lasts). Refusals:
    ``not_your_turn`` (another bidder's turn, or the turns have not begun), ``turn_over`` (the bidder's turn in
    this round has passed, or the round is over), ``nothing_to_cancel`` (no bid made in this turn)."""
    bidder = cmd["bidder"]
    phase = lot.phase
    if lot.rules.kind != "reverse" or phase in (CLOSED, SUSPENDED, SCHEDULED):
        return lot._phase_code()
    if bidder not in lot.bidders:
        return c.NOT_REGISTERED
    if phase == PAUSE:
        return c.TURN_OVER if lot.round else c.NOT_YOUR_TURN
    if phase != TURN:  # pragma: no cover - a reverse lot is scheduled, paused, in a turn, suspended or closed
        return c.WRONG_PHASE
    position = lot.order.index(bidder)
    if position != lot.turn_idx:
        return c.TURN_OVER if position < lot.turn_idx else c.NOT_YOUR_TURN
    if lot.amounts[bidder] == lot.turn_prev:
        return c.NOTHING_TO_CANCEL
    lot._changed(t)
    lot.amounts[bidder] = list(lot.turn_prev)
    lot.history.append((lot.version, bidder, lot.turn_prev[0], t, "cancel"))
    lot.price = min(v[0] for v in lot.amounts.values())
    return None


_HANDLERS["cancel"] = _cancel


def replay(rules: RuleSet, commands: list[dict[str, Any]]) -> Lot:
    """The lot obtained by applying ``commands`` in order to a fresh lot."""
    lot = Lot(rules)
    for cmd in commands:
        lot.apply(cmd)
    return lot
