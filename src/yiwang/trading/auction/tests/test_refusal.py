"""The lot engine on the command log declares ``refusal_keeps_state``; this proves it. For every kind of rule set
and random command sequences (bids, registrations, seals, scores, reveals, suspensions, ticks … at times that
cluster around the deadlines, where the pure lot moves time before it judges), a refused command leaves the
state's canonical bytes exactly as they were, and the accepted commands alone replay to the live state.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.kernel.errors import YiwangError
from yiwang.platform.commands.log import Entry
from yiwang.trading.auction.domain.engine import FOREVER
from yiwang.trading.auction.domain.rules import MINUTE, SECOND, RuleSet
from yiwang.trading.auction.lot_engine import ENGINE, from_us

STREAM = "auction.lot:1"
BIDDERS = ["A", "B", "C", "D"]
START = 10_000
STEP = 100
T0 = 1_800_000_000 * SECOND  # a plausible epoch time, so from_us/to_us round-trip real datetimes

SETTINGS = settings(max_examples=int(os.environ.get("AUCTION_EXAMPLES", "150")), deadline=None, derandomize=True)


@st.composite
def rule_sets(draw) -> RuleSet:
    kind = draw(st.sampled_from(list(ENGINE_KINDS)))
    base = dict(start_price=START, step=STEP, start_at=T0 + MINUTE, end_at=T0 + 20 * MINUTE)
    reserve = draw(st.sampled_from([0, START, START + 3 * STEP]))
    if kind == "judicial":
        return RuleSet(
            kind=kind, soft_close_window=5 * MINUTE, soft_close_extension=5 * MINUTE, preemption=True, **base
        )
    if kind == "judicial_sale":
        return RuleSet(
            kind=kind, bidding_period=10 * MINUTE, soft_close_window=MINUTE, soft_close_extension=MINUTE, **base
        )
    if kind == "english":
        cap = draw(st.sampled_from([0, START + 10 * STEP]))
        return RuleSet(
            kind=kind, reserve=reserve, cap=cap, soft_close_window=2 * MINUTE, soft_close_extension=MINUTE, **base
        )
    if kind == "equity_multi":
        return RuleSet(kind=kind, countdown=3 * MINUTE, matching_window=draw(st.sampled_from([0, 10 * MINUTE])), **base)
    if kind == "land_listing":
        return RuleSet(kind=kind, reserve=reserve, countdown=4 * MINUTE, continue_window=5 * MINUTE, **base)
    if kind in ("equity_sealed", "equity_weighted"):
        weight = 10_000 if kind == "equity_sealed" else draw(st.integers(1, 10_000))
        return RuleSet(kind=kind, reserve=reserve, price_weight_bp=weight, **base)
    if kind == "dutch":
        return RuleSet(
            kind=kind, start_price=START, step=STEP, start_at=T0 + MINUTE, reserve=START - 20 * STEP, interval=MINUTE
        )
    assert kind == "reverse"
    return RuleSet(
        kind=kind,
        start_price=START,
        step=STEP,
        start_at=T0 + MINUTE,
        rounds=2,
        first_pause=MINUTE,
        turn=MINUTE,
        pause=MINUTE,
    )


ENGINE_KINDS = (
    "judicial",
    "judicial_sale",
    "english",
    "equity_multi",
    "land_listing",
    "equity_sealed",
    "equity_weighted",
    "dutch",
    "reverse",
)

bidder = st.sampled_from([*BIDDERS, "Z"])  # Z never registers on purpose
amount = st.one_of(st.integers(START - 3 * STEP, START + 15 * STEP), st.integers(-5, 3 * START))
commands = st.one_of(
    st.builds(
        lambda b, p, i: {"type": "register", "bidder": b, "priority": p, "initial": i},
        bidder,
        st.integers(0, 2),
        st.integers(0, 2 * START),
    ),
    st.builds(lambda b, a: {"type": "bid", "bidder": b, "amount": a}, bidder, amount),
    st.builds(lambda b, a: {"type": "bid", "bidder": b, "amount": a, "expected": "PRICE"}, bidder, amount),
    st.builds(
        lambda b, a, k: {"type": "bid", "bidder": b, "amount": a, "key": k},
        bidder,
        amount,
        st.sampled_from(["k1", "k2"]),
    ),
    st.builds(lambda b: {"type": "exercise", "bidder": b}, bidder),
    st.builds(lambda b: {"type": "continue", "bidder": b}, bidder),
    st.builds(lambda b, d: {"type": "seal", "bidder": b, "digest": d}, bidder, st.sampled_from(["d1", "d2"])),
    st.builds(lambda b, s: {"type": "score", "bidder": b, "score": s}, bidder, st.integers(-1, 10_001)),
    st.builds(
        lambda b, a, s: {"type": "reveal", "bidder": b, "amount": a, "score": s}, bidder, amount, st.integers(0, 3_000)
    ),
    st.builds(lambda b: {"type": "cancel", "bidder": b}, bidder),
    st.sampled_from(
        [
            {"type": "decide"},
            {"type": "tick"},
            {"type": "suspend", "reason": "r"},
            {"type": "resume", "reason": "r"},
            {"type": "nonsense"},
        ]
    ),
)
# time: small steps, or right around the current deadline (where a refusal used to move time in the state)
offsets = st.one_of(
    st.tuples(st.just("step"), st.sampled_from([0, 1, SECOND, 20 * SECOND, MINUTE, 4 * MINUTE])),
    st.tuples(st.just("deadline"), st.sampled_from([-2, -1, 0, 1, 2, MINUTE])),
)


@SETTINGS
@given(rules=rule_sets(), steps=st.lists(st.tuples(commands, offsets), max_size=60))
def test_a_refused_command_leaves_the_state_byte_for_byte(rules, steps):
    state = ENGINE.apply(
        ENGINE.initial(STREAM), Entry(STREAM, 1, from_us(T0), "t", {"type": "create", "rules": rules.to_json()})
    )
    log = [Entry(STREAM, 1, from_us(T0), "t", {"type": "create", "rules": rules.to_json()})]
    t = T0
    refused = accepted = 0
    for command, (how, value) in steps:
        if how == "deadline" and state.deadline < FOREVER:
            t = max(t, state.deadline + value)
        else:
            t += value
        if command.get("expected") == "PRICE":
            command = {**command, "expected": state.price}
        entry = Entry(STREAM, len(log) + 1, from_us(t), "t", command)
        before = ENGINE.dump(state)
        before_bytes = state.canonical()
        try:
            after = ENGINE.apply(state, entry)
        except YiwangError:
            refused += 1
            assert state.canonical() == before_bytes, f"{command} refused at {t - T0} changed the state"
            assert ENGINE.dump(state) == before
            continue
        accepted += 1
        state = after
        log.append(entry)
    replayed = ENGINE.initial(STREAM)
    for entry in log:
        replayed = ENGINE.apply(replayed, entry)
    assert replayed.canonical() == state.canonical()
    assert ENGINE.load(ENGINE.dump(state)).canonical() == state.canonical()


def test_a_bid_after_the_end_is_refused_without_closing_the_state_and_the_tick_then_closes_it():
    rules = RuleSet(kind="english", start_price=START, step=STEP, start_at=T0 + MINUTE, end_at=T0 + 20 * MINUTE)
    lot = ENGINE.apply(None, Entry(STREAM, 1, from_us(T0), "t", {"type": "create", "rules": rules.to_json()}))
    lot = ENGINE.apply(lot, Entry(STREAM, 2, from_us(T0), "t", {"type": "register", "bidder": "A"}))
    lot = ENGINE.apply(
        lot, Entry(STREAM, 3, from_us(T0 + 2 * MINUTE), "t", {"type": "bid", "bidder": "A", "amount": START})
    )
    end = T0 + 20 * MINUTE
    with pytest.raises(YiwangError) as refused:
        ENGINE.apply(lot, Entry(STREAM, 4, from_us(end), "t", {"type": "bid", "bidder": "A", "amount": START + STEP}))
    assert refused.value.code == "auction.closed"
    assert lot.phase == "open"  # the refusal did not close the state it was given
    closed = ENGINE.apply(lot, Entry(STREAM, 4, from_us(end), "t", {"type": "tick"}))
    assert (closed.phase, closed.winner, closed.deal_price) == ("closed", "A", START)
