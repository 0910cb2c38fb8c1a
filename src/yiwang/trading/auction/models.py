"""Read models of auctions.

The truth of a lot's bidding is its command stream ``auction.lot:<id>`` (platform.commands); these rows are what
pages and queries read, written by the same action that logs the command, so they never disagree with the log
after a commit (``queries.check_lot`` compares them)."""

from __future__ import annotations

from django.db import models


class Lot(models.Model):
    """一个标的 (lot) with its rules snapshot and the current public state."""

    ref = models.CharField(max_length=40, unique=True)  # 竞价编号, e.g. JA-2026-000001
    title = models.CharField(max_length=200)
    preset = models.CharField(max_length=30)  # presets.PRESETS key
    kind = models.CharField(max_length=20)  # RuleSet.kind
    category = models.CharField(max_length=40)  # trading-catalogue category: judicial | land | state_assets | …
    region_code = models.CharField(max_length=12, default="310000")
    description = models.TextField(blank=True)
    appraisal_fen = models.BigIntegerField(null=True, blank=True)
    start_price_fen = models.BigIntegerField()
    step_fen = models.BigIntegerField()
    deposit_fen = models.BigIntegerField(default=0)
    rules = models.JSONField()  # the engine RuleSet (the reserve included: never shown before the close)
    legal = models.JSONField(default=dict)  # catalogue rules snapshotted at creation: rule id -> RuleValue JSON
    round_no = models.PositiveSmallIntegerField(default=1)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_rounds")
    # the public state, copied from the engine after each command
    phase = models.CharField(max_length=20, default="scheduled")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(null=True, blank=True)  # the end in force (moves with soft close, countdown)
    price_fen = models.BigIntegerField()
    leader_code = models.CharField(max_length=20, blank=True)
    bid_count = models.PositiveIntegerField(default=0)
    ext_count = models.PositiveIntegerField(default=0)
    bidder_count = models.PositiveIntegerField(default=0)
    seq = models.PositiveBigIntegerField(default=0)  # the last command of the stream reflected here
    # when the current phase ends by time (the start, the end, a countdown …): the clock looks again then
    next_check = models.DateTimeField(null=True, blank=True, db_index=True)
    # the result
    outcome = models.CharField(max_length=10, blank=True)  # sold | unsold
    winner_entity_id = models.BigIntegerField(null=True, blank=True)
    winner_code = models.CharField(max_length=20, blank=True)
    deal_price_fen = models.BigIntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    settled = models.CharField(max_length=20, blank=True)  # "" | confirmed | reneged
    result_notice_id = models.BigIntegerField(null=True, blank=True)
    problems = models.JSONField(default=list)  # follow-ups that failed at the close (notice, refunds), for staff
    # the close's follow-ups (成交公告, the losers' refunds): when the clock completes what is still missing
    # (set by the close, cleared once both are done), and when the losers' deposits were released
    follow_up_due = models.DateTimeField(null=True, blank=True, db_index=True)
    deposits_released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def stream(self) -> str:
        return f"auction.lot:{self.pk}"

    @property
    def finance_ref(self) -> str:
        return f"auction.lot:{self.pk}"


class Bidder(models.Model):
    """A registered bidder (竞买人) and the pseudonym (竞买号) it bids under."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="bidders")
    entity_id = models.BigIntegerField()
    account_ref = models.CharField(max_length=100)
    code = models.CharField(max_length=20)
    priority = models.PositiveSmallIntegerField(default=0)  # 优先购买权 rank (0 = none)
    registered_at = models.DateTimeField()
    status = models.CharField(max_length=20, default="registered")  # registered | reneged

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lot", "entity_id"], name="auction_bidder_once_per_lot"),
            models.UniqueConstraint(fields=["lot", "code"], name="auction_bidder_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} @ {self.lot_id}"


class Bid(models.Model):
    """An accepted bid as the public record shows it (pseudonym, amount, server time)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="bids")
    seq = models.PositiveBigIntegerField()
    code = models.CharField(max_length=20)
    amount_fen = models.BigIntegerField()
    at = models.DateTimeField()
    how = models.CharField(max_length=10, default="bid")  # bid | exercise | sale | accept

    class Meta:
        ordering = ["-seq"]
        constraints = [models.UniqueConstraint(fields=["lot", "seq"], name="auction_bid_seq_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.amount_fen} @ {self.lot_id}#{self.seq}"


class Intervention(models.Model):
    """Suspensions and resumptions with their reasons (witnessed)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="interventions")
    kind = models.CharField(max_length=10)  # suspend | resume
    reason = models.CharField(max_length=500)
    actor_ref = models.CharField(max_length=100)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} @ {self.lot_id}"


class Preemption(models.Model):
    """A pre-emption right (优先购买权) recorded by staff before the holder registers; rank 1 is the strongest
    among holders only in the sense the court decided (higher ``rank`` wins ties between holders)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="preemptions")
    entity_id = models.BigIntegerField()
    rank = models.PositiveSmallIntegerField()
    basis = models.CharField(max_length=500)
    granted_by = models.CharField(max_length=100)
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lot", "entity_id"], name="auction_preemption_once")]

    def __str__(self) -> str:
        return f"{self.entity_id} rank {self.rank} @ {self.lot_id}"
