"""The carbon market's read model and ledger.

The state of record is the command stream (``platform.commands``, stream ``orderbook.instrument:<code>``)
folded by the pure engine; these rows are written from each command's outcome in the same transaction that
journals the command, so they always agree with it (the end-of-day reconciliation checks that they do).
Participants are registry entities (``entity_id``); prices are fen per tonne, quantities whole tonnes.
"""

from __future__ import annotations

from django.db import models


class Market(models.Model):
    """One traded product with its own command stream, book and accounts (全国碳排放配额 CEA, 上海碳配额 SHEA …)."""

    MODES = [("listing", "挂牌协议（点选成交）"), ("continuous", "连续竞价（价格优先、时间优先）")]
    PHASES = [("closed", "休市"), ("open", "交易中"), ("halted", "暂停（午间休市）")]

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    mode = models.CharField(max_length=12, choices=MODES)
    item_key = models.CharField(max_length=60, default="carbon.allowance")  # 交易目录 item
    reference_fen = models.BigIntegerField()  # the first day's reference price (挂牌基准价)
    index_weight = models.PositiveIntegerField(default=1)  # weight in the carbon price index
    phase = models.CharField(max_length=8, choices=PHASES, default="closed")
    current_day = models.DateField(null=True, blank=True)
    last_close_fen = models.BigIntegerField(default=0)
    last_price_fen = models.BigIntegerField(default=0)
    lower_fen = models.BigIntegerField(default=0)  # today's price limits (挂牌)
    upper_fen = models.BigIntegerField(default=0)
    projected_seq = models.BigIntegerField(default=0)  # the last command of the stream written to these rows
    created_at = models.DateTimeField()

    class Meta:
        db_table = "orderbook_market"
        verbose_name = "碳市场交易品种"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def stream(self) -> str:
        return f"orderbook.instrument:{self.code}"


class Participant(models.Model):
    """A registry entity's trading account in one market (交易账户: funds and allowance holdings)."""

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="participants")
    entity_id = models.BigIntegerField()
    name = models.CharField(max_length=200)
    opened_at = models.DateTimeField()

    class Meta:
        db_table = "orderbook_participant"
        constraints = [models.UniqueConstraint(fields=["market", "entity_id"], name="orderbook_participant_uniq")]
        verbose_name = "交易账户"

    def __str__(self) -> str:
        return f"{self.market.code}:{self.entity_id}"


class Order(models.Model):
    STATUSES = [
        ("open", "挂单中"),
        ("filled", "全部成交"),
        ("cancelled", "已撤单"),
        ("expired", "当日失效"),
        ("killed", "未成交部分已撤销"),
    ]
    TYPES = [
        ("limit", "限价"),
        ("market", "市价转限价"),
        ("ioc", "即时成交剩余撤销"),
        ("fok", "全额成交或撤销"),
        ("take", "摘牌"),
    ]

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="orders")
    oid = models.BigIntegerField()  # the engine's order id
    entity_id = models.BigIntegerField()
    client_order_id = models.CharField(max_length=64, blank=True)
    side = models.CharField(max_length=4)  # buy | sell
    order_type = models.CharField(max_length=6, choices=TYPES)
    target_oid = models.BigIntegerField(null=True, blank=True)  # for a take (摘牌): the listing taken
    price_fen = models.BigIntegerField()
    quantity_t = models.BigIntegerField()  # everything entered (raised by amendments)
    open_t = models.BigIntegerField()
    filled_t = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=STATUSES)
    reason = models.CharField(max_length=12, blank=True)  # cancelled | stp | ioc | fok | expired
    day = models.DateField()
    command_seq = models.BigIntegerField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "orderbook_order"
        constraints = [models.UniqueConstraint(fields=["market", "oid"], name="orderbook_order_uniq")]
        indexes = [
            models.Index(fields=["market", "entity_id", "day"], name="orderbook_order_owner_idx"),
            models.Index(fields=["market", "status"], name="orderbook_order_status_idx"),
        ]
        verbose_name = "委托"

    def __str__(self) -> str:
        return f"{self.market_id}:{self.oid}"


class Trade(models.Model):
    KINDS = [
        ("continuous", "连续竞价"),
        ("listing", "挂牌协议"),
        ("block", "大宗协议"),
        ("repo_open", "回购初始交易"),
        ("repo_close", "回购购回交易"),
    ]

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="trades")
    tid = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=KINDS)
    price_fen = models.BigIntegerField()
    quantity_t = models.BigIntegerField()
    amount_fen = models.BigIntegerField()
    buy_oid = models.BigIntegerField(null=True, blank=True)
    sell_oid = models.BigIntegerField(null=True, blank=True)
    buyer_entity_id = models.BigIntegerField()
    seller_entity_id = models.BigIntegerField()
    aggressor = models.CharField(max_length=4)
    ref = models.BigIntegerField(default=0)  # block proposal or repo id
    eligible = models.BooleanField()  # counts towards the closing price
    day = models.DateField()
    executed_at = models.DateTimeField()
    command_seq = models.BigIntegerField()

    class Meta:
        db_table = "orderbook_trade"
        constraints = [models.UniqueConstraint(fields=["market", "tid"], name="orderbook_trade_uniq")]
        indexes = [
            models.Index(fields=["market", "day"], name="orderbook_trade_day_idx"),
            models.Index(fields=["market", "buyer_entity_id"], name="orderbook_trade_buyer_idx"),
            models.Index(fields=["market", "seller_entity_id"], name="orderbook_trade_seller_idx"),
        ]
        verbose_name = "成交"

    def __str__(self) -> str:
        return f"{self.market_id}:{self.tid}"


class BlockProposal(models.Model):
    STATUSES = [
        ("pending", "待确认"),
        ("confirmed", "已成交"),
        ("rejected", "对手方拒绝"),
        ("withdrawn", "已撤回"),
        ("expired", "当日失效"),
    ]

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="blocks")
    pid = models.BigIntegerField()
    proposer_entity_id = models.BigIntegerField()
    counterparty_entity_id = models.BigIntegerField()
    side = models.CharField(max_length=4)  # the proposer's side
    price_fen = models.BigIntegerField()
    quantity_t = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=STATUSES)
    trade_tid = models.BigIntegerField(null=True, blank=True)
    day = models.DateField()
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "orderbook_block"
        constraints = [models.UniqueConstraint(fields=["market", "pid"], name="orderbook_block_uniq")]
        verbose_name = "大宗协议申报"

    def __str__(self) -> str:
        return f"{self.market_id}:B{self.pid}"


class Repo(models.Model):
    STATUSES = [
        ("proposed", "待确认"),
        ("open", "回购中"),
        ("closed", "已购回"),
        ("defaulted", "违约处置"),
        ("rejected", "对手方拒绝"),
        ("withdrawn", "已撤回"),
        ("expired", "当日失效"),
    ]

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="repos")
    rid = models.BigIntegerField()
    seller_entity_id = models.BigIntegerField()  # 正回购方: sells now, buys back
    buyer_entity_id = models.BigIntegerField()  # 逆回购方
    quantity_t = models.BigIntegerField()
    price_open_fen = models.BigIntegerField()
    price_close_fen = models.BigIntegerField()
    repurchase_day = models.DateField()
    margin_fen = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=STATUSES)
    open_tid = models.BigIntegerField(null=True, blank=True)
    close_tid = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "orderbook_repo"
        constraints = [models.UniqueConstraint(fields=["market", "rid"], name="orderbook_repo_uniq")]
        indexes = [models.Index(fields=["status", "repurchase_day"], name="orderbook_repo_due_idx")]
        verbose_name = "配额回购"

    def __str__(self) -> str:
        return f"{self.market_id}:R{self.rid}"


class TradingDay(models.Model):
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="days")
    day = models.DateField()
    status = models.CharField(max_length=8, default="open")  # open | closed
    rules = models.JSONField()  # the day's numbers, as journalled in the open_day command
    previous_close_fen = models.BigIntegerField()
    lower_fen = models.BigIntegerField()
    upper_fen = models.BigIntegerField()
    block_lower_fen = models.BigIntegerField()
    block_upper_fen = models.BigIntegerField()
    open_fen = models.BigIntegerField(null=True, blank=True)
    high_fen = models.BigIntegerField(null=True, blank=True)
    low_fen = models.BigIntegerField(null=True, blank=True)
    close_fen = models.BigIntegerField(null=True, blank=True)
    eligible_volume_t = models.BigIntegerField(default=0)
    eligible_value_fen = models.BigIntegerField(default=0)
    volume_t = models.JSONField(default=dict)  # by trade kind
    value_fen = models.JSONField(default=dict)
    trades = models.IntegerField(default=0)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    reconciliation = models.JSONField(default=dict)  # the end-of-day check

    class Meta:
        db_table = "orderbook_day"
        constraints = [models.UniqueConstraint(fields=["market", "day"], name="orderbook_day_uniq")]
        verbose_name = "交易日"

    def __str__(self) -> str:
        return f"{self.market_id}:{self.day}"


class IndexPoint(models.Model):
    """A published value of the carbon price index (上海碳价指数), recomputable from the trade log."""

    code = models.CharField(max_length=20)
    day = models.DateField()
    value_e4 = models.BigIntegerField()  # index × 10 000
    method = models.CharField(max_length=30)
    prices = models.JSONField()  # the reference prices of the day, by market code
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "orderbook_index"
        constraints = [models.UniqueConstraint(fields=["code", "day"], name="orderbook_index_uniq")]
        verbose_name = "碳价指数"

    def __str__(self) -> str:
        return f"{self.code} {self.day}"


class LedgerAccount(models.Model):
    """One account of the market's ledger: a participant's bucket (entity_id > 0) or a custody account (0)."""

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="ledger_accounts")
    bucket = models.CharField(max_length=20)
    entity_id = models.BigIntegerField()
    unit = models.CharField(max_length=3)  # fen | t

    class Meta:
        db_table = "orderbook_ledger_account"
        constraints = [
            models.UniqueConstraint(fields=["market", "bucket", "entity_id"], name="orderbook_ledger_account_uniq")
        ]
        verbose_name = "分户账"

    def __str__(self) -> str:
        return f"{self.market_id}:{self.bucket}:{self.entity_id}"


class LedgerEntry(models.Model):
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=24)
    ref = models.CharField(max_length=40)
    trade_tid = models.BigIntegerField(null=True, blank=True)
    command_seq = models.BigIntegerField()
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "orderbook_ledger_entry"
        indexes = [models.Index(fields=["market", "command_seq"], name="orderbook_entry_seq_idx")]
        verbose_name = "记账凭证"

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class LedgerLine(models.Model):
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines")
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        db_table = "orderbook_ledger_line"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="orderbook_line_one_side",
            )
        ]
        verbose_name = "分录"

    def __str__(self) -> str:
        return f"{self.account_id} D{self.debit} C{self.credit}"
