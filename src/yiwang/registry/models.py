"""The entity registry (主体库): one registration per market entity, used by every platform and region.

Other contexts refer to an entity by its id (``ForeignKey("registry.Entity")``) or its USCC and read it through
:mod:`yiwang.registry.queries`; they never copy it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class EntityKind(models.TextChoices):
    LEGAL_PERSON = "legal_person", "法人"
    OTHER_ORGANISATION = "other_org", "非法人组织"
    INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
    NATURAL_PERSON = "natural_person", "自然人"


class EntityStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    SUSPENDED = "suspended", "暂停"
    CANCELLED = "cancelled", "注销"


class Entity(models.Model):
    """A market entity (市场主体). Organisations are keyed by 统一社会信用代码, natural persons by an identity
    document (居民身份证 or another type from the ``id_document_type`` code table)."""

    kind = models.CharField("主体类型", max_length=24, choices=EntityKind.choices)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    id_document_type = models.CharField("证件类型", max_length=40, blank=True, default="")
    # NULL (not "") for organisations: the check constraint and the partial unique constraint rely on it.
    id_number = models.CharField("证件号码", max_length=32, null=True, blank=True)  # noqa: DJ001
    name = models.CharField("名称", max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)  # normalised name, for search and comparisons
    legal_rep_name = models.CharField("法定代表人（负责人）", max_length=100, blank=True, default="")
    legal_rep_id_type = models.CharField("法定代表人证件类型", max_length=40, blank=True, default="")
    legal_rep_id_number = models.CharField("法定代表人证件号码", max_length=32, blank=True, default="")
    region_code = models.CharField("所在行政区划", max_length=6, db_index=True)
    address = models.CharField("住所（经营场所）", max_length=300, blank=True, default="")
    contact_name = models.CharField("联系人", max_length=100, blank=True, default="")
    contact_phone = models.CharField("联系电话", max_length=30, blank=True, default="")
    contact_email = models.CharField("电子邮箱", max_length=254, blank=True, default="")
    registered_capital_fen = models.BigIntegerField("注册资本（分）", null=True, blank=True)
    established_on = models.DateField("成立日期", null=True, blank=True)
    enterprise_nature = models.CharField("企业性质", max_length=40, blank=True, default="")
    business_scope = models.TextField("经营范围", blank=True, default="")
    status = models.CharField("状态", max_length=12, choices=EntityStatus.choices, default=EntityStatus.ACTIVE)
    # 零提供: which authoritative source confirmed the official fields, and when (empty: not confirmed).
    verified_source = models.CharField(max_length=100, blank=True, default="")
    verified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    registered_at = models.DateTimeField()
    registered_by = models.CharField(max_length=120, blank=True, default="")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "市场主体"
        constraints = [
            models.CheckConstraint(
                name="entity_key_matches_kind",
                condition=(
                    Q(kind="natural_person", id_number__isnull=False, uscc__isnull=True)
                    | (~Q(kind="natural_person") & Q(uscc__isnull=False, id_number__isnull=True))
                ),
            ),
            models.UniqueConstraint(
                fields=["id_document_type", "id_number"],
                condition=Q(id_number__isnull=False),
                name="entity_unique_person_document",
            ),
            models.CheckConstraint(
                name="entity_capital_not_negative",
                condition=Q(registered_capital_fen__isnull=True) | Q(registered_capital_fen__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc or '自然人'})"


class EntityRole(models.Model):
    """A role the entity plays in trading (``party_role`` code table: 招标人, 投标人, 代理机构 …)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=40)

    class Meta:
        verbose_name = "主体角色"
        constraints = [models.UniqueConstraint(fields=["entity", "role"], name="entity_role_unique")]
        indexes = [models.Index(fields=["role", "entity"], name="entity_role_role_idx")]

    def __str__(self) -> str:
        return f"{self.entity_id}:{self.role}"


class EntityChange(models.Model):
    """One changed field of one witnessed change (变更记录): the entity's timeline."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="changes")
    version = models.PositiveIntegerField()  # the entity's version after the change
    action = models.CharField(max_length=80)
    field = models.CharField(max_length=80)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, default="")
    actor_ref = models.CharField(max_length=120)
    actor_label = models.CharField(max_length=200)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "主体变更记录"
        ordering = ["entity", "version", "pk"]
        indexes = [models.Index(fields=["entity", "version"], name="entity_change_entity_idx")]

    def __str__(self) -> str:
        return f"{self.entity_id} v{self.version} {self.field}"


class Qualification(models.Model):
    """A qualification certificate (资质证书) held by an entity. Its status follows from the dates."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="qualifications")
    qualification_type = models.CharField("资质类别", max_length=40)
    certificate_no = models.CharField("证书编号", max_length=64)
    level = models.CharField("等级", max_length=50, blank=True, default="")
    scope = models.TextField("资质范围", blank=True, default="")
    issuing_authority = models.CharField("发证机关", max_length=200, blank=True, default="")
    valid_from = models.DateField("有效期起", null=True, blank=True)
    valid_to = models.DateField("有效期至", null=True, blank=True)  # inclusive; empty = 长期
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "资质"
        constraints = [
            # One certificate has one holder: the same type and number cannot be in force twice.
            models.UniqueConstraint(
                fields=["qualification_type", "certificate_no"],
                condition=Q(withdrawn_at__isnull=True),
                name="qualification_unique_certificate",
            ),
            models.CheckConstraint(
                name="qualification_dates_ordered",
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
            ),
        ]
        indexes = [models.Index(fields=["entity", "valid_to"], name="qualification_entity_idx")]

    def __str__(self) -> str:
        return f"{self.qualification_type} {self.certificate_no}"


class Personnel(models.Model):
    """A key person of the entity (项目负责人, 技术负责人, 注册建造师 …). The identity number is stored in full
    and shown masked to the public and to other entities."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="personnel")
    name = models.CharField("姓名", max_length=100)
    id_document_type = models.CharField("证件类型", max_length=40)
    id_number = models.CharField("证件号码", max_length=32)
    personnel_role = models.CharField("人员类别", max_length=40)
    title = models.CharField("职称", max_length=100, blank=True, default="")
    is_active = models.BooleanField("在职", default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "人员"
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "id_document_type", "id_number"],
                condition=Q(is_active=True),
                name="personnel_unique_active_person",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PractisingCertificate(models.Model):
    """A practising certificate (执业资格/注册证书) of a key person."""

    personnel = models.ForeignKey(Personnel, on_delete=models.CASCADE, related_name="certificates")
    certificate_type = models.CharField("执业资格类别", max_length=40)
    number = models.CharField("证书编号", max_length=64)
    specialty = models.CharField("专业", max_length=100, blank=True, default="")
    valid_to = models.DateField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = "执业资格证书"
        ordering = ["personnel", "pk"]

    def __str__(self) -> str:
        return f"{self.certificate_type} {self.number}"


class BankAccount(models.Model):
    """A basic deposit account (基本存款账户) of the entity, in force from ``valid_from`` until ``valid_to``.

    A change closes the current row and opens a new one, so "which account was the basic account at instant
    t" always has one answer (deposits check the payer against it)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="bank_accounts")
    bank_name = models.CharField("开户银行", max_length=100)
    branch_name = models.CharField("开户网点", max_length=200, blank=True, default="")
    account_name = models.CharField("户名", max_length=200)
    account_number = models.CharField("账号", max_length=32)
    permit_number = models.CharField("基本存款账户编号", max_length=14, blank=True, default="")
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=120)

    class Meta:
        verbose_name = "基本存款账户"
        ordering = ["entity", "valid_from", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity"], condition=Q(valid_to__isnull=True), name="bank_account_one_current"
            ),
        ]
        indexes = [models.Index(fields=["entity", "valid_from"], name="bank_account_entity_idx")]

    def __str__(self) -> str:
        return f"{self.bank_name} ****{self.account_number[-4:]}"
