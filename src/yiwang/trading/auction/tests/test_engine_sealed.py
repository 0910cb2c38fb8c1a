"""Property tests of the sealed kinds (一次报价, 权重报价) in the pure engine, against a naive oracle: the winner
is the rule's winner, no seal is accepted at or after the deadline, scores are final once a price is revealed,
and a replay of the accepted commands (or a snapshot) gives the same state byte for byte."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.trading.auction.domain import codes
from yiwang.trading.auction.domain.engine import CLOSED, OPENING, SEALING, Lot, replay
from yiwang.trading.auction.domain.rules import MINUTE, RuleSet

START = 10_000
END = 30 * MINUTE
BIDDERS = ["A", "B", "C", "D", "E"]
REGISTERED = BIDDERS[:-1]  # E never registers

SETTINGS = settings(max_examples=int(os.environ.get("AUCTION_EXAMPLES", "200")), deadline=None, derandomize=True)

seal = st.tuples(
    st.sampled_from(BIDDERS),
    st.integers(MINUTE, END + MINUTE),  # some at or after the deadline
    st.integers(1, 4 * START),
)


def naive_winner(kind: str, weight: int, reserve: int, seals: list, scores: dict) -> tuple[str | None, int]:
    """The rule, written plainly: the first seal of each registered bidder before the deadline counts; a price
    below the start price or the reserve is not valid. 一次报价: the highest price, then the earliest seal.
    权重报价: the highest weight × price / best price + score (integer points), then the higher price, then the
    earliest seal."""
    counted: dict[str, tuple[int, int]] = {}
    for bidder, t, amount in sorted(seals, key=lambda s: s[1]):
        if t < END and bidder not in counted and bidder in REGISTERED:
            counted[bidder] = (t, amount)
    valid = {b: v for b, v in counted.items() if v[1] >= max(START, reserve)}
    if not valid:
        return None, 0
    best_price = max(amount for _t, amount in valid.values())
    best = None
    for b, (t, amount) in valid.items():
        points = weight * amount // best_price + scores.get(b, 0) if kind == "equity_weighted" else amount
        key = (points, amount, -t, [-ord(ch) for ch in b])
        if best is None or key > best[0]:
            best = (key, b, amount)
    assert best is not None
    return best[1], best[2]


@SETTINGS
@given(
    kind=st.sampled_from(["equity_sealed", "equity_weighted"]),
    weight=st.integers(1, 10_000),
    reserve=st.sampled_from([0, START, 2 * START]),
    seals=st.lists(seal, max_size=12),
    raw_scores=st.dictionaries(st.sampled_from(BIDDERS), st.integers(0, 10_000)),
)
def test_sealed_lots_decide_the_rules_winner(kind, weight, reserve, seals, raw_scores):
    rules = RuleSet(
        kind=kind, start_price=START, step=1, start_at=MINUTE // 2, end_at=END, reserve=reserve, price_weight_bp=weight
    )
    lot = Lot(rules)
    log: list[dict] = []

    def run(cmd: dict) -> str | None:
        code = lot.apply(cmd)
        if code is None:
            log.append(cmd)
        return code

    for b in REGISTERED:
        assert run({"type": "register", "t": 0, "bidder": b}) is None
    seals = sorted(seals, key=lambda s: s[1])
    for bidder, t, _amount in seals:
        moved = Lot.from_json(lot.to_json())
        moved.advance(t)  # a refused command still lets time move first
        before = moved.canonical()
        code = run({"type": "seal", "t": t, "bidder": bidder, "digest": f"{bidder}{t}"})
        if t >= END:
            assert code == codes.WRONG_PHASE
            assert lot.phase == OPENING
        elif bidder == "E":
            assert code == codes.NOT_REGISTERED
        if code is not None and t < END:
            assert lot.canonical() == before
    t = END + 2 * MINUTE
    run({"type": "tick", "t": t})
    assert lot.phase == OPENING
    scores = {b: min(s, 10_000 - weight) for b, s in raw_scores.items() if b != "E"}
    for b, s in sorted(scores.items()):
        code = run({"type": "score", "t": t, "bidder": b, "score": s})
        assert code == (None if kind == "equity_weighted" else codes.WRONG_PHASE)
    if kind != "equity_weighted":
        scores = {}
    amounts = {}
    for bidder, _t, amount in seals:
        amounts.setdefault(bidder, amount) if _t < END else None
    for b in sorted(lot.sealed):
        assert run({"type": "reveal", "t": t, "bidder": b, "amount": amounts[b]}) is None
    if kind == "equity_weighted" and lot.sealed:
        # scores are final once a price is revealed
        assert lot.apply({"type": "score", "t": t, "bidder": "A", "score": 0}) == codes.PRICES_OPENED
    assert run({"type": "decide", "t": t}) is None
    assert lot.phase == CLOSED
    winner, price = naive_winner(kind, weight, reserve, seals, scores)
    assert (lot.winner, lot.deal_price) == (winner, price)
    assert lot.outcome == ("sold" if winner else "unsold")
    # nothing more is accepted after the close
    assert lot.apply({"type": "seal", "t": t + 1, "bidder": "A", "digest": "x"}) == codes.CLOSED
    # replay equality: the accepted commands, and a snapshot, give the same bytes
    assert replay(rules, log).canonical() == lot.canonical()
    assert Lot.from_json(lot.to_json()).canonical() == lot.canonical()


def test_a_state_without_scores_keeps_its_bytes():
    """Lots that never used scores serialise as before the score command existed (stored snapshots still match)."""
    rules = RuleSet(kind="equity_weighted", start_price=START, step=1, start_at=0, end_at=END, price_weight_bp=7000)
    lot = Lot(rules)
    lot.apply({"type": "register", "t": 1, "bidder": "A"})
    assert "scores" not in lot.to_json()
    assert lot.apply({"type": "score", "t": 2, "bidder": "A", "score": 3_000}) is None
    assert lot.phase == SEALING
    assert lot.to_json()["scores"] == {"A": 3_000}
    assert lot.apply({"type": "score", "t": 3, "bidder": "A", "score": 3_001}) == codes.BAD_SCORE
    assert lot.apply({"type": "score", "t": 3, "bidder": "B", "score": 1}) == codes.NOT_REGISTERED
    sealed = Lot(RuleSet(kind="equity_sealed", start_price=START, step=1, start_at=0, end_at=END))
    assert sealed.apply({"type": "score", "t": 1, "bidder": "A", "score": 1}) == codes.WRONG_PHASE
