"""Sub-platforms registered for the exchange, their certificates, and the national-spec records they push.

``Record`` holds the current version of each record (one row per dataset and record key); ``RecordVersion``
keeps every accepted version (append-only); ``Receipt`` is one push request that stored something (what the
witness entries of its records point back to); ``Refusal`` is the quality log of records refused for their
content (not witnessed: nothing was stored, see docs/exchange.md §4).
"""

from __future__ import annotations

from django.db import models


class SubPlatform(models.Model):
    """A sub-platform of the 平台目录 allowed to push: its PLATFORM_CODE (the operator's USCC), the OAuth2
    client it pushes with and the certificates it signs with."""

    platform_code = models.CharField("交易系统标识码", max_length=18, unique=True)
    catalog_key = models.CharField("平台目录键", max_length=40)
    name = models.CharField("平台名称", max_length=200)
    client_id = models.CharField("接口客户端标识", max_length=64, unique=True)
    region_code = models.CharField("所属区域", max_length=6)
    is_active = models.BooleanField(default=True)
    registered_at = models.DateTimeField()
    registered_by = models.CharField(max_length=120)

    class Meta:
        verbose_name = "对接分平台"

    def __str__(self) -> str:
        return f"{self.name}（{self.platform_code}）"


class SubPlatformCertificate(models.Model):
    """A signing certificate registered for a sub-platform (by its SHA-256 fingerprint over the DER)."""

    subplatform = models.ForeignKey(SubPlatform, on_delete=models.PROTECT, related_name="certificates")
    fingerprint = models.CharField(max_length=64, unique=True)
    der = models.BinaryField()
    subject = models.CharField(max_length=300, blank=True, default="")
    added_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "分平台签名证书"

    def __str__(self) -> str:
        return f"{self.subject}（{self.fingerprint[:16]}…）"


class Receipt(models.Model):
    """One push request that stored at least one record version (single record or batch)."""

    platform = models.ForeignKey(SubPlatform, on_delete=models.PROTECT, related_name="receipts")
    channel = models.CharField(max_length=8)  # single | batch
    received_at = models.DateTimeField()
    certificate_fingerprint = models.CharField(max_length=64)
    nonce = models.CharField(max_length=128)
    accepted = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "接收回执"

    def __str__(self) -> str:
        return f"回执 {self.pk}（{self.channel}）"


class Record(models.Model):
    """The current version of one national-spec record."""

    platform = models.ForeignKey(SubPlatform, on_delete=models.PROTECT, related_name="records")
    dataset = models.CharField(max_length=40)
    record_key = models.CharField(max_length=300)
    data_key = models.CharField(max_length=40, blank=True, default="")
    chain = models.CharField(max_length=100)  # the tender project (or deal) the record belongs to
    parent_key = models.CharField(max_length=300, blank=True, default="")
    stage = models.PositiveSmallIntegerField()
    data_type = models.CharField(max_length=1)  # the last operation: 1 add, 2 update, 3 delete
    data_timestamp = models.CharField(max_length=14)
    deleted = models.BooleanField(default=False)
    content = models.JSONField()
    digest = models.CharField(max_length=64)
    title = models.CharField(max_length=600, blank=True, default="")
    region_code = models.CharField(max_length=6, blank=True, default="")
    first_received_at = models.DateTimeField()
    received_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "分平台数据"
        constraints = [models.UniqueConstraint(fields=["dataset", "record_key"], name="exchange_record_key_unique")]
        indexes = [
            models.Index(fields=["platform", "dataset", "data_timestamp"], name="exchange_record_day_idx"),
            models.Index(fields=["platform", "dataset", "data_key"], name="exchange_record_datakey_idx"),
            models.Index(fields=["dataset", "parent_key"], name="exchange_record_parent_idx"),
            models.Index(fields=["platform", "received_at"], name="exchange_record_recv_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} {self.record_key}"


class RecordVersion(models.Model):
    """Every accepted version of a record, in order (append-only)."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="history")
    number = models.PositiveIntegerField()
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="versions")
    data_type = models.CharField(max_length=1)
    data_timestamp = models.CharField(max_length=14)
    digest = models.CharField(max_length=64)
    content = models.JSONField()
    received_at = models.DateTimeField()
    completeness = models.PositiveSmallIntegerField(null=True)  # permille of the dataset's own fields filled
    lag_seconds = models.BigIntegerField(null=True)  # received_at minus the event's own time (None: delete)

    class Meta:
        verbose_name = "分平台数据版本"
        constraints = [models.UniqueConstraint(fields=["record", "number"], name="exchange_version_unique")]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.number}"


class Refusal(models.Model):
    """A pushed record refused for its content (the errors as returned to the sub-platform)."""

    platform = models.ForeignKey(SubPlatform, on_delete=models.PROTECT, related_name="refusals")
    channel = models.CharField(max_length=8)
    dataset = models.CharField(max_length=64)
    record_key = models.CharField(max_length=300, blank=True, default="")
    data_timestamp = models.CharField(max_length=14, blank=True, default="")
    errors = models.JSONField()
    first_code = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = "分平台数据拒收记录"
        indexes = [models.Index(fields=["platform", "received_at"], name="exchange_refusal_recv_idx")]

    def __str__(self) -> str:
        return f"{self.dataset} {self.record_key}：{self.first_code}"
