"""The trust list (CA互认名单), imported CRLs, certificate bindings, signing challenges and signature records.

Private to this app (import-linter): other contexts use :mod:`yiwang.identity.ca.queries` and
:mod:`yiwang.identity.ca.actions`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class CaKind(models.TextChoices):
    ROOT = "root", "根CA"
    INTERMEDIATE = "intermediate", "中级CA"


class KeyAlgorithm(models.TextChoices):
    SM2 = "sm2", "SM2（国密）"
    ECDSA = "ecdsa", "ECDSA P-256"
    RSA = "rsa", "RSA"


class CaStatus(models.TextChoices):
    ACTIVE = "active", "互认中"
    SUSPENDED = "suspended", "暂停互认"
    REMOVED = "removed", "已移出名单"


class CrlPolicy(models.TextChoices):
    FAIL = "fail", "吊销列表缺失或过期时拒绝"
    WARN = "warn", "吊销列表缺失或过期时仅告警"


class CertificateAuthority(models.Model):
    """One CA certificate on the trust list. Intermediates point to the CA that issued them (``parent``)."""

    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=12, choices=CaKind.choices)
    algorithm = models.CharField("密钥算法", max_length=8, choices=KeyAlgorithm.choices)
    certificate_der = models.BinaryField("证书（DER）")
    fingerprint_sha256 = models.CharField("SHA-256 指纹", max_length=64, unique=True)
    fingerprint_sm3 = models.CharField("SM3 指纹", max_length=64)
    subject = models.CharField("主题", max_length=1000)
    subject_key = models.CharField(max_length=64, db_index=True)  # normalised-name hash, for issuer lookups
    issuer = models.CharField("签发者", max_length=1000)
    serial = models.CharField("序列号（十六进制）", max_length=64)
    subject_key_id = models.CharField(max_length=128, blank=True, default="")
    not_before = models.DateTimeField("生效时间")
    not_after = models.DateTimeField("失效时间")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    status = models.CharField("状态", max_length=12, choices=CaStatus.choices, default=CaStatus.ACTIVE)
    mapping = models.JSONField("主题映射", default=dict, blank=True)
    crl_policy = models.CharField("吊销列表策略", max_length=8, choices=CrlPolicy.choices, default=CrlPolicy.FAIL)
    note = models.CharField("说明", max_length=500, blank=True, default="")
    registered_at = models.DateTimeField()
    registered_by = models.CharField(max_length=120)
    status_changed_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "互认CA"
        ordering = ["kind", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}，{self.get_status_display()}）"


class CaStatusChange(models.Model):
    """History of a CA's status on the trust list (registration included)."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(max_length=12, blank=True, default="")
    new_status = models.CharField(max_length=12, choices=CaStatus.choices)
    reason = models.CharField(max_length=500, blank=True, default="")
    actor_ref = models.CharField(max_length=120)
    actor_label = models.CharField(max_length=200)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "CA状态变更"
        ordering = ["ca", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ca_id}: {self.old_status or '—'} → {self.new_status}"


class RevocationList(models.Model):
    """An imported CRL of one CA (checked against the CA's key when imported). The latest counts."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.CASCADE, related_name="crls")
    der = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    this_update = models.DateTimeField("本次更新")
    next_update = models.DateTimeField("下次更新", null=True, blank=True)
    crl_number = models.CharField("CRL 序号", max_length=60, blank=True, default="")  # decimal text (up to 20 octets)
    revoked_count = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField()
    imported_by = models.CharField(max_length=120)

    class Meta:
        verbose_name = "证书吊销列表"
        ordering = ["ca", "-this_update", "-pk"]
        constraints = [models.UniqueConstraint(fields=["ca", "sha256"], name="ca_crl_unique_per_ca")]
        indexes = [models.Index(fields=["ca", "this_update"], name="ca_crl_latest_idx")]

    def __str__(self) -> str:
        return f"CRL {self.crl_number or '?'} of CA {self.ca_id} ({self.this_update:%Y-%m-%d %H:%M})"


class RevokedSerial(models.Model):
    """One entry of an imported CRL."""

    crl = models.ForeignKey(RevocationList, on_delete=models.CASCADE, related_name="entries")
    serial = models.CharField(max_length=64)  # hex, upper case, no leading zeros
    revoked_at = models.DateTimeField()
    reason = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        verbose_name = "吊销条目"
        constraints = [models.UniqueConstraint(fields=["crl", "serial"], name="ca_revoked_unique")]

    def __str__(self) -> str:
        return f"{self.serial} @ {self.revoked_at:%Y-%m-%d}"


class SubjectKind(models.TextChoices):
    ENTITY = "entity", "单位证书"
    PERSON = "person", "个人证书"


class BindingStatus(models.TextChoices):
    ACTIVE = "active", "已绑定"
    UNBOUND = "unbound", "已解绑"


class CertificateBinding(models.Model):
    """A certificate bound to a market entity (by the USCC in its subject) or to a person's account.

    Binding does not freeze trust: every use validates the chain, validity and revocation again."""

    certificate_der = models.BinaryField()
    fingerprint_sha256 = models.CharField(max_length=64, db_index=True)
    fingerprint_sm3 = models.CharField(max_length=64)
    serial = models.CharField(max_length=64)
    issuer = models.CharField(max_length=1000)
    ca = models.ForeignKey(CertificateAuthority, on_delete=models.PROTECT, related_name="bindings")
    algorithm = models.CharField(max_length=8, choices=KeyAlgorithm.choices)
    subject = models.CharField(max_length=1000)
    subject_name = models.CharField(max_length=200)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    subject_kind = models.CharField(max_length=8, choices=SubjectKind.choices)
    entity = models.ForeignKey("registry.Entity", null=True, blank=True, on_delete=models.PROTECT)
    uscc = models.CharField(max_length=18, blank=True, default="")
    account = models.ForeignKey("identity.Account", null=True, blank=True, on_delete=models.PROTECT)
    person_id_digest = models.CharField(max_length=64, blank=True, default="")  # SM3 of the resident ID
    person_id_masked = models.CharField(max_length=18, blank=True, default="")
    status = models.CharField(max_length=8, choices=BindingStatus.choices, default=BindingStatus.ACTIVE)
    bound_at = models.DateTimeField()
    bound_by = models.CharField(max_length=120)
    unbound_at = models.DateTimeField(null=True, blank=True)
    unbound_by = models.CharField(max_length=120, blank=True, default="")
    unbind_reason = models.CharField(max_length=300, blank=True, default="")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "证书绑定"
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint_sha256"], condition=Q(status="active"), name="ca_binding_one_active"
            ),
            models.CheckConstraint(
                name="ca_binding_target",
                condition=Q(subject_kind="entity", entity__isnull=False, account__isnull=True)
                | Q(subject_kind="person", entity__isnull=True, account__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "status"], name="ca_binding_entity_idx"),
            models.Index(fields=["account", "status"], name="ca_binding_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} [{self.serial}] ({self.get_status_display()})"


class ChallengeStatus(models.TextChoices):
    PENDING = "pending", "待签名"
    CONFIRMED = "confirmed", "已确认"


class SigningChallenge(models.Model):
    """A challenge shown as a QR code; confirmed once by a signature of a certificate bound to the account."""

    id = models.CharField(primary_key=True, max_length=32)
    account = models.ForeignKey("identity.Account", on_delete=models.CASCADE, related_name="ca_challenges")
    purpose = models.CharField(max_length=20)
    text = models.TextField()  # the exact line to sign
    session_digest = models.CharField(max_length=64, blank=True, default="")  # SHA-256 of the browser session key
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=ChallengeStatus.choices, default=ChallengeStatus.PENDING)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    binding = models.ForeignKey(CertificateBinding, null=True, blank=True, on_delete=models.PROTECT)
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    serial = models.CharField(max_length=64, blank=True, default="")
    issuer = models.CharField(max_length=1000, blank=True, default="")
    algorithm = models.CharField(max_length=24, blank=True, default="")
    entity_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "扫码签名挑战"

    def __str__(self) -> str:
        return f"challenge {self.id[:8]}… ({self.status})"


class SeenNonce(models.Model):
    """Nonces of signed API requests within the replay window (technical bookkeeping, like idempotency keys)."""

    key = models.CharField(max_length=64, unique=True)  # SHA-256 of (certificate fingerprint, nonce)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "已用随机数"

    def __str__(self) -> str:
        return self.key[:12]


class SignatureRecord(models.Model):
    """A legally relevant signature, verified and recorded (with a witness entry) by ``do_record_signature``."""

    purpose = models.CharField(max_length=80)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    entity_id = models.BigIntegerField(null=True, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True)
    binding = models.ForeignKey(CertificateBinding, null=True, blank=True, on_delete=models.PROTECT)
    fingerprint = models.CharField(max_length=64)
    serial = models.CharField(max_length=64)
    issuer = models.CharField(max_length=1000)
    algorithm = models.CharField(max_length=24)
    digest_algorithm = models.CharField(max_length=10)
    digest = models.CharField(max_length=128)
    signature = models.BinaryField()
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=120)

    class Meta:
        verbose_name = "签名记录"
        indexes = [models.Index(fields=["object_type", "object_id"], name="ca_signature_object_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.object_type}:{self.object_id} by {self.serial}"
