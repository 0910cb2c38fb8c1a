"""Persistence of the finance context: lots' deposit requirements, deposits (virtual sub-accounts), the
double-entry ledger (accounts, journal entries, lines), the bank inbox, refunds and alerts; e-guarantee
issuers, guarantees and their claims; deal settlements with their instalments and payouts; invoices.

Balances are never stored: an account's balance is the sum of its lines (see ``ledger.py``). Journal entries
and lines are immutable once written; a correction is a reversing entry. Amounts are integer fen.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from yiwang.services.finance.domain import invoices as invoice_rules
from yiwang.services.finance.domain import settlement as settlement_rules
from yiwang.services.finance.domain.deposits import REGIME_LABELS
from yiwang.services.finance.domain.guarantees import FORM_LABELS, ISSUER_KIND_LABELS, STATUS_LABELS
from yiwang.services.finance.domain.ledger import ACCOUNT_KIND_LABELS, JOURNAL_KIND_LABELS
from yiwang.services.finance.domain.refunds import FORFEIT_LABELS, REASON_LABELS


class Lot(models.Model):
    """A lot (标段/标的) as finance knows it: its opaque reference and its deposit requirement."""

    ref = models.CharField("标段引用", max_length=120, unique=True)
    title = models.CharField("名称", max_length=200, blank=True, default="")
    regime = models.CharField("交易类别", max_length=20, choices=[(k.value, v) for k, v in REGIME_LABELS.items()])
    region_code = models.CharField("行政区划", max_length=12, blank=True, default="")
    owner_entity_id = models.BigIntegerField("招标人/出让方主体", null=True, blank=True)
    currency = models.CharField(max_length=3, default="CNY")
    base_fen = models.BigIntegerField("计算基数（分）", null=True, blank=True)
    rate = models.DecimalField("比例（%）", max_digits=8, decimal_places=4, null=True, blank=True)
    required_fen = models.BigIntegerField("应缴保证金（分）")
    opening_at = models.DateTimeField("开标/截止时间")
    bid_validity_until = models.DateTimeField("投标有效期届满", null=True, blank=True)
    bank_code = models.CharField("托管银行", max_length=20)
    rules = models.JSONField("适用规则快照", default=dict)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "保证金标段"
        constraints = [models.CheckConstraint(condition=Q(required_fen__gt=0), name="finance_lot_required_positive")]

    def __str__(self) -> str:
        return self.ref


class Account(models.Model):
    """A ledger account. ``code`` names it uniquely (``deposit:tender.section:1:42``, ``bank:SIMBANK``)."""

    code = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=[(k.value, v) for k, v in ACCOUNT_KIND_LABELS.items()])
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    entity_id = models.BigIntegerField(null=True, blank=True)
    bank_code = models.CharField(max_length=20, blank=True, default="")
    currency = models.CharField(max_length=3, default="CNY")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "账户"
        indexes = [models.Index(fields=["kind"], name="finance_account_kind_idx")]

    def __str__(self) -> str:
        return self.code


class DepositStatus(models.TextChoices):
    OPEN = "open", "待缴纳"
    SATISFIED = "satisfied", "已足额"
    RELEASED = "released", "已解冻待退"
    REFUNDED = "refunded", "已退还"
    FORFEITED = "forfeited", "已没收"
    CONVERTED = "converted", "已转为成交价款"


class Deposit(models.Model):
    """One bidder's deposit for one lot, with its virtual sub-account number (虚拟子账号)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="deposits")
    entity_id = models.BigIntegerField("投标人/竞买人主体")
    bank_code = models.CharField(max_length=20)
    # null until the bank issues the number, right after the row exists (same transaction)
    virtual_account = models.CharField("虚拟子账号", max_length=40, unique=True, null=True)  # noqa: DJ001
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="deposit")
    refund_account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="refund_deposit")
    status = models.CharField(max_length=12, choices=DepositStatus.choices, default=DepositStatus.OPEN)
    opened_at = models.DateTimeField()
    first_paid_at = models.DateTimeField(null=True, blank=True)
    satisfied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    payer_mismatch = models.BooleanField("付款账户非基本账户", default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "保证金"
        constraints = [models.UniqueConstraint(fields=["lot", "entity_id"], name="finance_deposit_one_per_bidder")]
        indexes = [models.Index(fields=["entity_id"], name="finance_deposit_entity_idx")]

    def __str__(self) -> str:
        return f"{self.lot_id}:{self.entity_id}"


class JournalEntry(models.Model):
    """One business movement. ``key`` makes posting idempotent: the same movement can be posted only once."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=[(k.value, v) for k, v in JOURNAL_KIND_LABELS.items()])
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    effective_at = models.DateTimeField("起息/记账时间")
    recorded_at = models.DateTimeField("录入时间")
    memo = models.CharField(max_length=300, blank=True, default="")
    actor_ref = models.CharField(max_length=120)
    source_type = models.CharField(max_length=60, blank=True, default="")
    source_id = models.CharField(max_length=100, blank=True, default="")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")

    class Meta:
        verbose_name = "记账凭证"
        indexes = [models.Index(fields=["kind", "recorded_at"], name="finance_entry_kind_idx")]

    def __str__(self) -> str:
        return self.key


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit_fen = models.BigIntegerField(default=0)
    credit_fen = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "分录"
        constraints = [
            models.CheckConstraint(
                condition=Q(debit_fen__gte=0) & Q(credit_fen__gte=0), name="finance_line_non_negative"
            ),
            models.CheckConstraint(
                condition=(Q(debit_fen=0) & Q(credit_fen__gt=0)) | (Q(credit_fen=0) & Q(debit_fen__gt=0)),
                name="finance_line_one_side",
            ),
        ]
        indexes = [models.Index(fields=["account", "entry"], name="finance_line_account_idx")]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.account_id} {self.debit_fen}/{self.credit_fen}"


class NoticeStatus(models.TextChoices):
    RECEIVED = "received", "已接收待处理"
    POSTED = "posted", "已入账"
    SUSPENSE = "suspense", "待查明"
    ASSIGNED = "assigned", "已认领入账"
    HELD = "held", "待人工核对"
    IGNORED = "ignored", "重复确认（不入账）"


class BankNotice(models.Model):
    """The inbox: every bank notice exactly as received (raw body and signature), stored before processing."""

    bank_code = models.CharField(max_length=20)
    bank_ref = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)
    body = models.TextField()
    body_sha256 = models.CharField(max_length=64)
    signature = models.CharField(max_length=200)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.RECEIVED)
    processed_at = models.DateTimeField(null=True, blank=True)
    virtual_account = models.CharField(max_length=40, blank=True, default="")
    instruction_ref = models.CharField(max_length=64, blank=True, default="")
    amount_fen = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payer_account = models.CharField(max_length=40, blank=True, default="")
    payer_name = models.CharField(max_length=200, blank=True, default="")
    booked_at = models.DateTimeField()
    deposit = models.ForeignKey(Deposit, null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    flags = models.JSONField(default=list)

    class Meta:
        verbose_name = "银行通知"
        constraints = [models.UniqueConstraint(fields=["bank_code", "bank_ref"], name="finance_notice_once")]
        indexes = [models.Index(fields=["status", "received_at"], name="finance_notice_status_idx")]

    def __str__(self) -> str:
        return f"{self.bank_code}:{self.bank_ref}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "待发起"
    INSTRUCTED = "instructed", "已发送银行"
    PAID = "paid", "已退还"
    HELD = "held", "待人工核对"


class Refund(models.Model):
    """A refund task: released money to pay back by ``due_at`` (the legal limit, when there is one)."""

    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, related_name="refunds")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="refunds")
    entity_id = models.BigIntegerField()
    reason = models.CharField(max_length=12, choices=[(k.value, v) for k, v in REASON_LABELS.items()])
    amount_fen = models.BigIntegerField()
    interest_fen = models.BigIntegerField(default=0)
    interest_detail = models.JSONField(default=dict)
    anchor_at = models.DateTimeField("起算事件时间")
    due_at = models.DateTimeField("法定退还期限", null=True, blank=True)
    rule_id = models.CharField(max_length=80, blank=True, default="")
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    payee_account = models.CharField(max_length=40, blank=True, default="")
    payee_name = models.CharField(max_length=200, blank=True, default="")
    instruction_ref = models.CharField(max_length=64, unique=True, null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField()
    instructed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False)
    release_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="released_refund")
    payout_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="paid_refund"
    )

    class Meta:
        verbose_name = "退还任务"
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="finance_refund_positive")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="finance_refund_next_idx"),
            models.Index(fields=["status", "due_at"], name="finance_refund_due_idx"),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk}"


class AlertKind(models.TextChoices):
    PAYER_MISMATCH = "payer_mismatch", "付款账户与登记的基本账户不一致"
    SHARED_PAYER = "shared_payer", "不同投标人的保证金从同一账户转出"
    SUSPENSE = "suspense", "到账款项无法识别（待查明）"
    LATE_REFUND = "late_refund", "保证金逾期未退还"
    RULE_MISSING = "rule_missing", "规则目录缺少适用规则"
    INTEREST_RATE_MISSING = "interest_rate_missing", "规则目录缺少利率，未计利息"
    PAYOUT_MISMATCH = "payout_mismatch", "银行退款确认与指令不符"
    NOTICE_CONFLICT = "notice_conflict", "银行以同一流水号发送了不同内容"
    ISSUER_SUSPENDED = "issuer_suspended", "保函出具机构已暂停，其出具的保函需关注"
    GUARANTEE_EXPIRED = "guarantee_expired", "保函在释放前已失效"
    CLAIM_MISMATCH = "claim_mismatch", "保函索赔到账款项与索赔指令不符"
    INSTALMENT_OVERDUE = "instalment_overdue", "成交价款逾期未付"
    SETTLEMENT_OVERPAID = "settlement_overpaid", "受让方支付的价款超过应付金额"


class Alert(models.Model):
    """Something supervision or staff must look at. ``key`` makes raising an alert idempotent."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    entity_id = models.BigIntegerField(null=True, blank=True)
    notice = models.ForeignKey(BankNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    guarantee = models.ForeignKey("Guarantee", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    settlement = models.ForeignKey("Settlement", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    details = models.JSONField(default=dict)
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        verbose_name = "资金预警"
        indexes = [models.Index(fields=["kind", "raised_at"], name="finance_alert_kind_idx")]

    def __str__(self) -> str:
        return self.key


class SimBankTransfer(models.Model):
    """The simulated bank's own books (its statement): what it received and paid. Written only by the
    simulated bank adapter, in its own transaction, as an outside bank would."""

    bank_code = models.CharField(max_length=20)
    ref = models.CharField(max_length=64)
    direction = models.CharField(max_length=3)  # in | out
    virtual_account = models.CharField(max_length=40, blank=True, default="")
    instruction_ref = models.CharField(max_length=64, blank=True, default="")
    amount_fen = models.BigIntegerField()
    counterparty_account = models.CharField(max_length=40, blank=True, default="")
    counterparty_name = models.CharField(max_length=200, blank=True, default="")
    booked_at = models.DateTimeField()
    body = models.TextField()
    signature = models.CharField(max_length=200)

    class Meta:
        verbose_name = "模拟银行流水"
        constraints = [
            models.UniqueConstraint(fields=["bank_code", "ref"], name="finance_simbank_ref_once"),
            models.UniqueConstraint(
                fields=["bank_code", "instruction_ref"],
                condition=~Q(instruction_ref=""),
                name="finance_simbank_instruction_once",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="finance_simbank_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}:{self.ref}"


# -- e-guarantees ------------------------------------------------------------------------------------------------------


class IssuerStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    SUSPENDED = "suspended", "已暂停"


class GuaranteeIssuer(models.Model):
    """A bank, insurer or guarantee company whose e-guarantees the platform accepts (a registry entity)."""

    entity_id = models.BigIntegerField("主体", unique=True)
    uscc = models.CharField("统一社会信用代码", max_length=18)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类别", max_length=12, choices=[(k.value, v) for k, v in ISSUER_KIND_LABELS.items()])
    status = models.CharField(max_length=12, choices=IssuerStatus.choices, default=IssuerStatus.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True, default="")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, default="")
    registered_at = models.DateTimeField()
    registered_by = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "保函出具机构"

    def __str__(self) -> str:
        return self.name


class IssuerCertificate(models.Model):
    """A signing certificate of an issuer (bound to the issuer's entity through identity.ca)."""

    issuer = models.ForeignKey(GuaranteeIssuer, on_delete=models.PROTECT, related_name="certificates")
    fingerprint_sha256 = models.CharField(max_length=64)
    binding_id = models.BigIntegerField()
    serial = models.CharField(max_length=64, blank=True, default="")
    algorithm = models.CharField(max_length=24, blank=True, default="")
    added_at = models.DateTimeField()
    added_by = models.CharField(max_length=120)

    class Meta:
        verbose_name = "出具机构签名证书"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "fingerprint_sha256"], name="finance_issuer_cert_once")
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id}:{self.fingerprint_sha256[:12]}"


class Guarantee(models.Model):
    """A bid guarantee (电子保函) or guarantee insurance policy (保证保险保单) for one bidder and one lot: the
    application, then the issued, verified document."""

    application_no = models.CharField("申请编号", max_length=40, unique=True)
    number = models.CharField("保函/保单编号", max_length=64, unique=True, null=True, blank=True)
    form = models.CharField("形式", max_length=10, choices=[(k.value, v) for k, v in FORM_LABELS.items()])
    guarantee_type = models.CharField(max_length=10, default="bid")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="guarantees")
    entity_id = models.BigIntegerField("申请人（投标人）")
    beneficiary_entity_id = models.BigIntegerField("受益人")
    issuer = models.ForeignKey(GuaranteeIssuer, on_delete=models.PROTECT, related_name="guarantees")
    amount_fen = models.BigIntegerField("担保金额（分）")
    cost_fen = models.BigIntegerField("保费（分）", null=True, blank=True)
    rate = models.DecimalField("费率（%）", max_digits=8, decimal_places=4, null=True, blank=True)
    begin_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    letter_time = models.DateTimeField(null=True, blank=True)
    url = models.CharField(max_length=500, blank=True, default="")
    md5 = models.CharField(max_length=32, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    document_json = models.TextField(blank=True, default="")
    document_sha256 = models.CharField(max_length=64, blank=True, default="")
    letter_document_id = models.UUIDField(null=True, blank=True)
    letter_version = models.PositiveIntegerField(null=True, blank=True)
    signature = models.BinaryField(null=True, blank=True)
    signer_fingerprint = models.CharField(max_length=64, blank=True, default="")
    signer_serial = models.CharField(max_length=64, blank=True, default="")
    signature_record_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=[(k.value, v) for k, v in STATUS_LABELS.items()], default="applied"
    )
    applied_at = models.DateTimeField()
    applied_by = models.CharField(max_length=120)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # released, expired, claimed or cancelled
    release_reason = models.CharField(max_length=20, blank=True, default="")
    flagged = models.BooleanField("需关注", default=False)
    flag_reason = models.CharField(max_length=200, blank=True, default="")
    memo_account = models.OneToOneField(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="guarantee_memo"
    )
    contra_account = models.OneToOneField(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="guarantee_contra"
    )
    issuer_notified_at = models.DateTimeField(null=True, blank=True)
    notify_attempts = models.PositiveIntegerField(default=0)
    notify_next_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "电子保函"
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="finance_guarantee_positive")]
        indexes = [
            models.Index(fields=["lot", "entity_id"], name="finance_guarantee_bidder_idx"),
            models.Index(fields=["status", "end_at"], name="finance_guarantee_end_idx"),
            models.Index(fields=["issuer", "status"], name="finance_guarantee_issuer_idx"),
        ]

    def __str__(self) -> str:
        return self.number or self.application_no


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    INSTRUCTED = "instructed", "已发送出具机构"
    PAID = "paid", "已赔付"


class GuaranteeClaim(models.Model):
    """A claim (索赔) on a guarantee in a forfeiture case: sent to the issuer, paid through the bank into the
    claim's own virtual account."""

    guarantee = models.OneToOneField(Guarantee, on_delete=models.PROTECT, related_name="claim")
    ref = models.CharField(max_length=40, unique=True)
    reason = models.CharField(max_length=20, choices=[(k.value, v) for k, v in FORFEIT_LABELS.items()])
    note = models.CharField(max_length=200, blank=True, default="")
    amount_fen = models.BigIntegerField()
    bank_code = models.CharField(max_length=20)
    virtual_account = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    requested_at = models.DateTimeField()
    requested_by = models.CharField(max_length=120)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    instructed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="guarantee_claim"
    )

    class Meta:
        verbose_name = "保函索赔"
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="finance_claim_positive")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="finance_claim_next_idx")]

    def __str__(self) -> str:
        return self.ref


class SimIssuerMessage(models.Model):
    """The simulated issuer's own log of what the platform told it (claims, releases): written only by the
    simulated adapter, like an outside system would keep it."""

    issuer_uscc = models.CharField(max_length=18)
    kind = models.CharField(max_length=10)  # claim | release
    ref = models.CharField(max_length=80)
    body = models.TextField()
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = "模拟出具机构消息"
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="finance_simissuer_once")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


# -- deal settlement ---------------------------------------------------------------------------------------------------


class Settlement(models.Model):
    """The settlement of one deal's price between its buyer and seller (交易价款结算)."""

    deal_ref = models.CharField("成交引用", max_length=120, unique=True)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="settlements")
    regime = models.CharField("交易类别", max_length=20, choices=[(k.value, v) for k, v in REGIME_LABELS.items()])
    title = models.CharField(max_length=200, blank=True, default="")
    buyer_entity_id = models.BigIntegerField("受让方/买受人")
    seller_entity_id = models.BigIntegerField("转让方/出让方")
    price_fen = models.BigIntegerField("成交价款（分）")
    interest_fen = models.BigIntegerField("分期利息（分）", default=0)
    deposit_converted_fen = models.BigIntegerField("保证金转价款（分）", default=0)
    fee_fen = models.BigIntegerField("服务费（分）", default=0)
    fee_code = models.CharField(max_length=60, blank=True, default="")
    fee_basis = models.CharField(max_length=200, blank=True, default="")
    mode = models.CharField(max_length=12, choices=[(k.value, v) for k, v in settlement_rules.MODE_LABELS.items()])
    interest_rate = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    rules = models.JSONField("适用规则快照", default=dict)
    security = models.CharField("担保", max_length=300, blank=True, default="")
    anchor_at = models.DateTimeField("合同生效时间")
    bank_code = models.CharField(max_length=20)
    virtual_account = models.CharField(max_length=40, unique=True, null=True)  # noqa: DJ001
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="settlement")
    payable_account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="settlement_payable")
    receivable_account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="settlement_receivable")
    contra_account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="settlement_contra")
    status = models.CharField(
        max_length=12,
        choices=[(k.value, v) for k, v in settlement_rules.STATUS_LABELS.items()],
        default=settlement_rules.Status.ACTIVE.value,
    )
    transfer_confirmed_at = models.DateTimeField("交割确认时间", null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=120)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "交易价款结算"
        constraints = [models.CheckConstraint(condition=Q(price_fen__gt=0), name="finance_settlement_positive")]
        indexes = [
            models.Index(fields=["buyer_entity_id"], name="finance_settlement_buyer_idx"),
            models.Index(fields=["seller_entity_id"], name="finance_settlement_seller_idx"),
        ]

    def __str__(self) -> str:
        return self.deal_ref


class Instalment(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="instalments")
    seq = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    principal_fen = models.BigIntegerField()
    interest_fen = models.BigIntegerField(default=0)
    paid_fen = models.BigIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "价款分期"
        constraints = [
            models.UniqueConstraint(fields=["settlement", "seq"], name="finance_instalment_once"),
            models.CheckConstraint(condition=Q(principal_fen__gt=0), name="finance_instalment_positive"),
        ]
        indexes = [models.Index(fields=["due_at"], name="finance_instalment_due_idx")]

    def __str__(self) -> str:
        return f"{self.settlement_id}#{self.seq}"

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "待发起"
    INSTRUCTED = "instructed", "已发送银行"
    PAID = "paid", "已划转"


class SettlementPayout(models.Model):
    """Money released to the seller, to be paid by the bank to its basic account."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="payouts")
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=12, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    payee_account = models.CharField(max_length=40, blank=True, default="")
    payee_name = models.CharField(max_length=200, blank=True, default="")
    instruction_ref = models.CharField(max_length=64, unique=True, null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField()
    instructed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    release_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="released_payout")
    payout_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="paid_payout"
    )

    class Meta:
        verbose_name = "价款划转"
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="finance_payout_positive")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="finance_payout_next_idx")]

    def __str__(self) -> str:
        return f"payout {self.pk}"


# -- invoices ----------------------------------------------------------------------------------------------------------


class Invoice(models.Model):
    """An e-invoice for one fee (blue), or the red-letter invoice negating it after a reversal."""

    request_key = models.CharField(max_length=220, unique=True)
    kind = models.CharField(max_length=6, choices=[(k.value, v) for k, v in invoice_rules.KIND_LABELS.items()])
    status = models.CharField(
        max_length=10,
        choices=[(k.value, v) for k, v in invoice_rules.STATUS_LABELS.items()],
        default=invoice_rules.Status.PENDING.value,
    )
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="invoices")
    original = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="red_letter")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    settlement = models.ForeignKey(Settlement, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    buyer_entity_id = models.BigIntegerField("购买方主体", null=True, blank=True)
    item_name = models.CharField(max_length=200)
    amount_fen = models.BigIntegerField("价税合计（分）")
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3)
    net_fen = models.BigIntegerField()
    tax_fen = models.BigIntegerField()
    number = models.CharField("发票号码", max_length=30, unique=True, null=True, blank=True)
    code = models.CharField("发票代码", max_length=20, blank=True, default="")
    issued_on = models.DateField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    document_id = models.UUIDField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    signature = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()

    class Meta:
        verbose_name = "电子发票"
        constraints = [
            models.UniqueConstraint(fields=["entry", "kind"], name="finance_invoice_one_per_fee"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="finance_invoice_next_idx"),
            models.Index(fields=["buyer_entity_id"], name="finance_invoice_buyer_idx"),
        ]

    def __str__(self) -> str:
        return self.number or self.request_key


class SimInvoice(models.Model):
    """The simulated invoicing service's own books: one invoice per request key (idempotent)."""

    request_key = models.CharField(max_length=220, unique=True)
    number = models.CharField(max_length=30, unique=True)
    code = models.CharField(max_length=20)
    issued_on = models.DateField()
    body = models.TextField()
    signature = models.CharField(max_length=200)

    class Meta:
        verbose_name = "模拟开票记录"

    def __str__(self) -> str:
        return self.number
