"""Persistence of the catalog context: regions, code tables, the holiday calendar and the six lists.

The six lists (交易目录 规则目录 平台目录 公开目录 服务清单 权责清单) share one versioned shape: a
:class:`ListVersion` (draft → published → superseded, with ``effective_from``) holding :class:`ListItem` rows whose
``data`` follows the schema of its list kind and item type (``catalog.domain.schema``). Published versions are
never changed; staff copy the current one into a draft, edit it and publish it.

Regions and holiday years are versioned by their own validity: a region has ``valid_from``/``valid_to``; a
holiday year keeps every edit as a :class:`HolidayRevision`.
"""

from __future__ import annotations

from django.db import models

from yiwang.catalog.domain.lists import ListKind, VersionStatus


class Region(models.Model):
    """A GB/T 2260 code over ``[valid_from, valid_to)`` (``None``: open-ended)."""

    key = models.CharField(max_length=20, unique=True)  # "<code>@<valid_from or ->": the loader's natural key
    code = models.CharField(max_length=6, db_index=True)
    name = models.CharField(max_length=60)
    level = models.CharField(max_length=12)  # province | prefecture | county
    parent_code = models.CharField(max_length=6, blank=True, default="")  # "" for provinces
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)  # exclusive: the first day the code is no longer valid
    successor_code = models.CharField(max_length=6, blank=True, default="")
    source = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        verbose_name = "行政区划"
        ordering = ["code", "valid_from"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CodeTable(models.Model):
    name = models.CharField(max_length=60, unique=True)
    title_zh = models.CharField(max_length=100)
    title_en = models.CharField(max_length=100, blank=True, default="")
    spec_ref = models.CharField(max_length=200, blank=True, default="")
    note = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "代码表"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CodeEntry(models.Model):
    table = models.ForeignKey(CodeTable, on_delete=models.CASCADE, related_name="entries")
    code = models.CharField(max_length=40)
    label_zh = models.CharField(max_length=120)
    label_en = models.CharField(max_length=160, blank=True, default="")
    sort = models.IntegerField(default=0)
    valid = models.BooleanField(default=True)

    class Meta:
        verbose_name = "代码项"
        ordering = ["table", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="catalog_code_entry_unique")]

    def __str__(self) -> str:
        return f"{self.table.name}:{self.code}"


class HolidayYear(models.Model):
    """One year of the State Council holiday schedule. ``provisional``: not yet confirmed against the
    published notice; staff must confirm it (the calendar reports such years)."""

    year = models.PositiveIntegerField(unique=True)
    provisional = models.BooleanField(default=False)
    notice = models.CharField(max_length=200, blank=True, default="")  # 文号 and title of the notice
    source = models.CharField(max_length=300, blank=True, default="")
    note = models.TextField(blank=True, default="")
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=100)

    class Meta:
        verbose_name = "节假日安排年度"
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class HolidayDay(models.Model):
    OFF = "off"
    MAKEUP = "makeup"

    year = models.ForeignKey(HolidayYear, on_delete=models.CASCADE, related_name="days")
    day = models.DateField(unique=True)
    kind = models.CharField(max_length=8)  # off: 放假 | makeup: 调休上班
    name = models.CharField(max_length=40, blank=True, default="")  # 春节, 国庆节 …

    class Meta:
        verbose_name = "节假日"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.kind} {self.name}"


class HolidayRevision(models.Model):
    """The full schedule of a year after each edit (the history staff and the public can read)."""

    year = models.ForeignKey(HolidayYear, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    snapshot = models.JSONField()
    changed_at = models.DateTimeField()
    changed_by = models.CharField(max_length=100)
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["year", "revision"]
        constraints = [models.UniqueConstraint(fields=["year", "revision"], name="catalog_holiday_revision_unique")]

    def __str__(self) -> str:
        return f"{self.year_id} r{self.revision}"


class CalendarStamp(models.Model):
    """A random token replaced whenever holiday data changes: processes rebuild their cached calendar when it
    differs from the one they built from (a rolled-back change never reuses a token)."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class ListVersion(models.Model):
    kind = models.CharField(max_length=12, choices=[(k.value, k.label_zh) for k in ListKind])
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=[(s.value, s.label_zh) for s in VersionStatus])
    effective_from = models.DateField()
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True, default="")
    source = models.CharField(max_length=300, blank=True, default="")
    etag_version = models.PositiveIntegerField(default=1)  # bumped on every change of a draft (If-Match)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=100)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.CharField(max_length=100, blank=True, default="")
    superseded_at = models.DateTimeField(null=True, blank=True)
    based_on = models.PositiveIntegerField(null=True, blank=True)  # number of the version this draft copied

    class Meta:
        verbose_name = "目录版本"
        ordering = ["kind", "number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="catalog_list_version_unique"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(status="draft"), name="catalog_one_draft_per_list"
            ),
        ]
        indexes = [models.Index(fields=["kind", "status", "effective_from"], name="catalog_version_in_effect")]

    def __str__(self) -> str:
        return f"{self.kind} v{self.number} ({self.status})"


class ListItem(models.Model):
    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=80)
    item_type = models.CharField(max_length=20)
    sort = models.IntegerField(default=0)
    title_zh = models.CharField(max_length=200)
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = "目录条目"
        ordering = ["version", "sort", "key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="catalog_list_item_unique")]

    def __str__(self) -> str:
        return self.key


class ReferenceFile(models.Model):
    """A shipped data file that was loaded (by name and SHA-256), so loading again skips it."""

    name = models.CharField(max_length=60)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "sha256"], name="catalog_reference_file_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.sha256[:12]}"
