"""The entity registry (主体库): one registration per market entity, used by every platform and region."""

from __future__ import annotations

from django.db import models


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
    """A market entity. Organisations are keyed by 统一社会信用代码, natural persons by 身份证号码."""

    kind = models.CharField(max_length=24, choices=EntityKind.choices)
    uscc = models.CharField(max_length=18, unique=True, null=True, blank=True)
    id_number = models.CharField(max_length=18, unique=True, null=True, blank=True)
    name = models.CharField(max_length=200)
    region_code = models.CharField(max_length=6)
    status = models.CharField(max_length=12, choices=EntityStatus.choices, default=EntityStatus.ACTIVE)
    version = models.PositiveIntegerField(default=1)
    registered_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "市场主体"
        constraints = [
            models.CheckConstraint(
                name="entity_key_matches_kind",
                condition=(
                    models.Q(kind="natural_person", id_number__isnull=False, uscc__isnull=True)
                    | (~models.Q(kind="natural_person") & models.Q(uscc__isnull=False, id_number__isnull=True))
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc or '自然人'})"
