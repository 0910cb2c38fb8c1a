"""Golden tests from the rules (markets.md §5.2), one per rule, table-like and explicit."""

from __future__ import annotations

import pytest

from yiwang.trading.auction.domain import codes
from yiwang.trading.auction.domain.engine import CLOSED, COUNTDOWN, MATCHING, OPENING, Lot, replay
from yiwang.trading.auction.domain.rules import HOUR, MINUTE, SECOND, RuleSet

START, STEP = 100_000, 1_000


def judicial(**kw) -> Lot:
    rules = RuleSet(
        kind="judicial",
        start_price=START,
        step=STEP,
        start_at=0,
        end_at=24 * HOUR,
        soft_close_window=5 * MINUTE,
        soft_close_extension=5 * MINUTE,
        preemption=True,
        **kw,
    )
    lot = Lot(rules)
    for bidder, pri in (("A", 0), ("B", 0), ("P", 1), ("Q", 2)):
        assert lot.apply({"type": "register", "t": 0, "bidder": bidder, "priority": pri}) is None
    return lot


END = 24 * HOUR


def test_bid_one_second_before_the_end_extends_to_bid_time_plus_five_minutes() -> None:
    lot = judicial()
    assert lot.bid("A", START, END - SECOND) is None
    assert lot.end_at == END - SECOND + 5 * MINUTE
    assert lot.ext_count == 1


def test_bid_exactly_at_the_end_is_refused_and_the_lot_closes() -> None:
    lot = judicial()
    assert lot.bid("A", START, HOUR) is None
    assert lot.bid("B", START + STEP, END) == codes.CLOSED
    assert lot.phase == CLOSED
    assert lot.winner == "A"
    assert lot.deal_price == START


def test_one_bidder_at_the_start_price_wins() -> None:
    lot = judicial()
    assert lot.bid("A", START, HOUR) is None
    lot.advance(END)
    assert (lot.outcome, lot.winner, lot.deal_price) == ("sold", "A", START)


def test_no_bid_is_unsold() -> None:
    lot = judicial()
    lot.advance(END)
    assert (lot.outcome, lot.winner) == ("unsold", None)


def test_pre_emption_holder_wins_at_equal_price_and_rank_decides_between_holders() -> None:
    lot = judicial()
    assert lot.bid("A", START + STEP, HOUR) is None
    assert lot.bid("B", START + STEP, HOUR + 1) == codes.BELOW_INCREMENT  # no right: equal is not enough
    assert lot.apply({"type": "exercise", "t": HOUR + 2, "bidder": "P"}) is None
    assert lot.leader == "P"
    assert lot.price == START + STEP
    assert lot.apply({"type": "exercise", "t": HOUR + 3, "bidder": "A"}) == codes.NO_PREEMPTION
    assert lot.bid("Q", START + STEP, HOUR + 4) is None  # higher rank at the same price
    assert lot.bid("P", START + STEP, HOUR + 5) == codes.BELOW_INCREMENT  # lower rank cannot take it back
    lot.advance(END)
    assert lot.winner == "Q"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (START - STEP, codes.BELOW_START),
        (START + 500, codes.NOT_MULTIPLE),
    ],
)
def test_bad_first_bids(amount: int, code: str) -> None:
    lot = judicial()
    assert lot.bid("A", amount, HOUR) == code
    assert lot.version == 4  # the registrations; the refused bid changed nothing


def test_refusals_unregistered_stale_duplicate_leading_suspended() -> None:
    lot = judicial()
    assert lot.bid("X", START, HOUR) == codes.NOT_REGISTERED
    assert lot.bid("A", START, HOUR, expected=START, key="k1") is None
    assert lot.bid("B", START + STEP, HOUR + 1, expected=START - 1) == codes.STALE_PRICE
    assert lot.bid("B", START + STEP, HOUR + 1, key="k1") == codes.DUPLICATE
    assert lot.bid("A", START + STEP, HOUR + 1) == codes.ALREADY_LEADING
    assert lot.bid("B", START + STEP // 2, HOUR + 1) == codes.BELOW_INCREMENT
    assert lot.apply({"type": "suspend", "t": HOUR + 2, "reason": "案外人异议"}) is None
    assert lot.bid("B", START + STEP, HOUR + 3) == codes.SUSPENDED
    assert lot.apply({"type": "resume", "t": HOUR + 10 * MINUTE, "reason": "恢复"}) is None
    assert lot.end_at == END + 10 * MINUTE - 2  # the remaining time was preserved
    assert lot.bid("B", START + STEP, HOUR + 11 * MINUTE, expected=START) is None


def test_sale_window_turns_into_an_auction_on_the_first_bid() -> None:
    rules = RuleSet(
        kind="judicial_sale",
        start_price=START,
        step=STEP,
        start_at=0,
        end_at=60 * 24 * HOUR,
        bidding_period=24 * HOUR,
        soft_close_window=5 * MINUTE,
        soft_close_extension=5 * MINUTE,
    )
    lot = Lot(rules)
    lot.apply({"type": "register", "t": 0, "bidder": "A"})
    lot.apply({"type": "register", "t": 0, "bidder": "B"})
    assert lot.bid("A", START + STEP, 10 * HOUR) == codes.BAD_AMOUNT
    assert lot.bid("A", START, 10 * HOUR) is None
    assert lot.end_at == 34 * HOUR
    assert lot.bid("B", START + STEP, 33 * HOUR) is None
    lot.advance(40 * HOUR)
    assert lot.winner == "B"


def land() -> Lot:
    rules = RuleSet(
        kind="land_listing",
        start_price=START,
        step=STEP,
        start_at=0,
        end_at=10 * 24 * HOUR,
        reserve=START + 5 * STEP,
        countdown=4 * MINUTE,
        continue_window=5 * MINUTE,
    )
    lot = Lot(rules)
    for b in "ABC":
        lot.apply({"type": "register", "t": 0, "bidder": b})
    return lot


LEND = 10 * 24 * HOUR


def test_land_listing_goes_to_a_countdown_when_two_continue() -> None:
    lot = land()
    assert lot.bid("A", START, HOUR) is None
    assert lot.bid("B", START + STEP, 2 * HOUR) is None
    assert lot.apply({"type": "continue", "t": LEND + MINUTE, "bidder": "C"}) == codes.NOT_ELIGIBLE
    assert lot.apply({"type": "continue", "t": LEND + MINUTE, "bidder": "A"}) is None
    assert lot.apply({"type": "continue", "t": LEND + 2 * MINUTE, "bidder": "B"}) is None
    lot.advance(LEND + 5 * MINUTE)
    assert lot.phase == COUNTDOWN
    assert lot.end_at == LEND + 9 * MINUTE
    t = LEND + 8 * MINUTE
    for i, bidder in enumerate("ABABAB"):
        assert lot.bid(bidder, START + (i + 2) * STEP, t) is None
        assert lot.end_at == t + 4 * MINUTE  # each bid restarts the countdown
        t += 3 * MINUTE
    assert lot.bid("C", START + 20 * STEP, t) == codes.NOT_ELIGIBLE
    lot.advance(t + 4 * MINUTE)
    assert (lot.winner, lot.deal_price) == ("B", START + 7 * STEP)


def test_land_listing_without_continuation_highest_above_floor_wins() -> None:
    lot = land()
    assert lot.bid("A", START, HOUR) is None
    assert lot.bid("B", START + 5 * STEP, 2 * HOUR) is None
    lot.advance(LEND + 5 * MINUTE)
    assert (lot.outcome, lot.winner) == ("sold", "B")


def test_land_listing_below_the_secret_floor_is_no_sale() -> None:
    lot = land()
    assert lot.bid("A", START + 4 * STEP, HOUR) is None
    lot.advance(LEND + 5 * MINUTE)
    assert (lot.outcome, lot.winner) == ("unsold", None)


def test_equity_multi_timed_period_and_matching_right() -> None:
    rules = RuleSet(
        kind="equity_multi",
        start_price=START,
        step=STEP,
        start_at=0,
        end_at=24 * HOUR,
        countdown=5 * MINUTE,
        matching_window=HOUR,
    )
    lot = Lot(rules)
    lot.apply({"type": "register", "t": 0, "bidder": "A"})
    lot.apply({"type": "register", "t": 0, "bidder": "S", "priority": 1})  # original shareholder
    assert lot.bid("A", START + STEP, HOUR) is None
    lot.advance(24 * HOUR)
    assert lot.phase == COUNTDOWN
    assert lot.bid("A", START + 2 * STEP, 24 * HOUR + MINUTE) == codes.ALREADY_LEADING
    lot.advance(24 * HOUR + 5 * MINUTE)
    assert lot.phase == MATCHING
    assert lot.apply({"type": "exercise", "t": 24 * HOUR + 20 * MINUTE, "bidder": "S"}) is None
    assert (lot.phase, lot.winner, lot.deal_price) == (CLOSED, "S", START + STEP)


@pytest.mark.parametrize(("bidders", "outcome"), [("A", "unsold"), ("AB", "sold")])
def test_equity_min_bidders_one_bidder_is_no_auction(bidders: str, outcome: str) -> None:
    """32号令 第十九条: 网络竞价 needs two bidders; a lone bidder's bid does not make a sale."""
    rules = RuleSet(
        kind="equity_multi", start_price=START, step=STEP, start_at=0, end_at=HOUR, countdown=MINUTE, min_bidders=2
    )
    lot = Lot(rules)
    for b in bidders:
        assert lot.apply({"type": "register", "t": 0, "bidder": b}) is None
    assert lot.bid("A", START, MINUTE) is None
    lot.advance(HOUR + MINUTE)
    assert (lot.phase, lot.outcome) == (CLOSED, outcome)
    assert lot.winner == ("A" if outcome == "sold" else None)


@pytest.mark.parametrize(("sealers", "outcome"), [("A", "unsold"), ("AB", "sold")])
def test_sealed_min_bidders_counts_the_sealed_bids(sealers: str, outcome: str) -> None:
    rules = RuleSet(kind="equity_sealed", start_price=START, step=STEP, start_at=0, end_at=HOUR, min_bidders=2)
    lot = Lot(rules)
    for b in "ABC":
        lot.apply({"type": "register", "t": 0, "bidder": b})
    for i, b in enumerate(sealers):
        assert lot.apply({"type": "seal", "t": MINUTE + i, "bidder": b, "digest": b * 2}) is None
    lot.advance(HOUR)
    for i, b in enumerate(sealers):
        assert lot.apply({"type": "reveal", "t": HOUR + i, "bidder": b, "amount": START + i * STEP}) is None
    assert lot.apply({"type": "decide", "t": HOUR + 5}) is None
    assert (lot.phase, lot.outcome) == (CLOSED, outcome)


def test_english_reserve_not_met_and_dutch_first_acceptance() -> None:
    rules = RuleSet(kind="english", start_price=START, step=STEP, start_at=0, end_at=HOUR, reserve=START + 3 * STEP)
    lot = Lot(rules)
    lot.apply({"type": "register", "t": 0, "bidder": "A"})
    assert lot.bid("A", START, MINUTE) is None
    lot.advance(HOUR)
    assert lot.outcome == "unsold"

    dutch = RuleSet(kind="dutch", start_price=START, step=STEP, start_at=0, interval=MINUTE, reserve=START - 10 * STEP)
    lot = Lot(dutch)
    lot.apply({"type": "register", "t": 0, "bidder": "A"})
    lot.apply({"type": "register", "t": 0, "bidder": "B"})
    assert lot.price_at(3 * MINUTE + 1) == START - 3 * STEP
    assert lot.bid("A", START, 3 * MINUTE + 1) == codes.STALE_PRICE
    assert lot.bid("A", START - 3 * STEP, 3 * MINUTE + 1) is None
    assert lot.bid("B", START - 3 * STEP, 3 * MINUTE + 2) == codes.CLOSED
    assert (lot.winner, lot.deal_price) == ("A", START - 3 * STEP)
    lot = Lot(dutch)
    lot.advance(dutch.dutch_end())
    assert lot.outcome == "unsold"


@pytest.mark.parametrize("kind", ["equity_sealed", "equity_weighted"])
def test_sealed_single_bids(kind: str) -> None:
    rules = RuleSet(kind=kind, start_price=START, step=STEP, start_at=0, end_at=HOUR, price_weight_bp=6_000)
    lot = Lot(rules)
    for b in "ABC":
        lot.apply({"type": "register", "t": 0, "bidder": b})
    assert lot.apply({"type": "seal", "t": MINUTE, "bidder": "A", "digest": "aa"}) is None
    assert lot.apply({"type": "seal", "t": 2 * MINUTE, "bidder": "A", "digest": "bb"}) == codes.ALREADY_SEALED
    assert lot.apply({"type": "seal", "t": 3 * MINUTE, "bidder": "B", "digest": "cc"}) is None
    assert lot.apply({"type": "seal", "t": HOUR, "bidder": "C", "digest": "dd"}) == codes.WRONG_PHASE
    assert lot.phase == OPENING
    assert lot.apply({"type": "reveal", "t": HOUR + 1, "bidder": "C", "amount": START}) == codes.NOT_SEALED
    assert lot.apply({"type": "reveal", "t": HOUR + 1, "bidder": "A", "amount": START + 10 * STEP, "score": 0}) is None
    assert lot.apply({"type": "reveal", "t": HOUR + 2, "bidder": "B", "amount": START, "score": 4_000}) is None
    assert lot.apply({"type": "decide", "t": HOUR + 3}) is None
    # sealed: the higher price; weighted: B has 6000×100/110 + 4000 = 9454 points against A's 6000
    assert lot.winner == ("A" if kind == "equity_sealed" else "B")


def test_reverse_auction_turns_and_ties() -> None:
    rules = RuleSet(
        kind="reverse",
        start_price=1_000_000,
        step=1_000,
        start_at=SECOND,
        first_pause=300 * SECOND,
        turn=120 * SECOND,
        pause=120 * SECOND,
    )
    lot = Lot(rules)
    lot.apply({"type": "register", "t": 0, "bidder": "A", "initial": 900_000})
    lot.apply({"type": "register", "t": 0, "bidder": "B", "initial": 950_000})
    lot.advance(301 * SECOND)
    assert lot.order == ["B", "A"]  # worst price first
    assert lot.bid("A", 800_000, 302 * SECOND) == codes.NOT_YOUR_TURN
    assert lot.bid("B", 949_500, 302 * SECOND) == codes.BELOW_INCREMENT
    assert lot.bid("B", 900_000, 302 * SECOND) is None
    assert lot.apply({"type": "cancel", "t": 303 * SECOND, "bidder": "A"}) == codes.NOT_YOUR_TURN
    assert lot.apply({"type": "cancel", "t": 303 * SECOND, "bidder": "B"}) is None
    assert lot.amounts["B"][0] == 950_000
    assert lot.history[-1][1:3] == ("B", 950_000)
    assert lot.history[-1][4] == "cancel"
    assert lot.apply({"type": "cancel", "t": 303 * SECOND, "bidder": "B"}) == codes.NOTHING_TO_CANCEL
    assert lot.bid("B", 900_000, 304 * SECOND) is None
    # B's turn ends at 421 s: A's turn; B can no longer take its bid back
    assert lot.apply({"type": "cancel", "t": 421 * SECOND, "bidder": "B"}) == codes.TURN_OVER
    assert lot.apply({"type": "cancel", "t": 422 * SECOND, "bidder": "A"}) == codes.NOTHING_TO_CANCEL
    lot.advance(541 * SECOND)  # the pause after the first round
    assert lot.phase == "pause"
    assert lot.apply({"type": "cancel", "t": 542 * SECOND, "bidder": "A"}) == codes.TURN_OVER
    lot.advance(10**10)
    assert lot.phase == CLOSED
    assert lot.winner == "A"  # equal price: the earlier bid (A's opening bid) wins


def test_replay_and_batch_are_identical() -> None:
    lot = judicial()
    log: list[dict] = []
    batch = [
        ("A" if i % 2 else "B", START + i * STEP, END - 10 * MINUTE + i * SECOND, None, f"k{i}") for i in range(200)
    ]
    results = lot.bid_batch(batch)
    other = judicial()
    for bidder, amount, t, expected, key in batch:
        cmd = {"type": "bid", "t": t, "bidder": bidder, "amount": amount, "expected": expected, "key": key}
        assert other.apply(cmd) == results[len(log)]
        log.append(cmd)
    assert other.canonical() == lot.canonical()
    regs = [
        {"type": "register", "t": 0, "bidder": b, "priority": p} for b, p in (("A", 0), ("B", 0), ("P", 1), ("Q", 2))
    ]
    assert replay(lot.rules, regs + log).state_hash() == lot.state_hash()


def test_a_lot_loaded_from_its_json_goes_on_exactly_like_the_original() -> None:
    """Snapshots: a restart loads the state from JSON (new string objects); bidding must go on identically."""
    import json

    lot = judicial()
    assert lot.bid("A", START, HOUR) is None
    loaded = Lot.from_json(json.loads(json.dumps(lot.to_json())))
    assert loaded.canonical() == lot.canonical()
    for target in (lot, loaded):
        assert target.bid("B", START + STEP, 2 * HOUR) is None
        assert target.bid("A", START + STEP, 2 * HOUR) == codes.BELOW_INCREMENT
        assert target.bid("A", START + 3 * STEP, END - MINUTE) is None
        assert target.apply({"type": "suspend", "t": END - SECOND, "reason": "x"}) is None
    again = Lot.from_json(json.loads(json.dumps(loaded.to_json())))
    for target in (lot, again):
        assert target.apply({"type": "resume", "t": END + HOUR, "reason": "y"}) is None
        assert target.bid("B", START + 4 * STEP, END + HOUR + SECOND) is None
    assert again.canonical() == lot.canonical()
    assert again.ext_count == lot.ext_count
