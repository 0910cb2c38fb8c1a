"""On-site witness records (现场见证记录): what staff saw during an opening or an evaluation.

Records are never edited: a correction is a new record that names the one it corrects (``corrects``), and a
record can be corrected once (the correction itself may be corrected in turn), so the chain of corrections is
a line. Attachments live in the document store, owned by ``services.onsite``/``record:<id>``; the record keeps
their digests.
"""

from __future__ import annotations

from django.db import models

from yiwang.services.witness.domain.rules import KIND_LABELS_ZH


class OnsiteRecord(models.Model):
    kind = models.CharField(max_length=20, choices=[(k.value, v) for k, v in KIND_LABELS_ZH.items()])
    description = models.TextField()
    occurred_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField()
    region_code = models.CharField(max_length=6, db_index=True)  # where it happened (the site's region)
    owner_ref = models.CharField(max_length=120, blank=True, default="", db_index=True)  # "tender.section:12"
    booking_ref = models.CharField(max_length=120, blank=True, default="", db_index=True)  # "venues.booking:7"
    title = models.CharField(max_length=200, blank=True, default="")  # the project, for the reader
    place = models.CharField(max_length=200, blank=True, default="")  # site and room, as staff wrote them
    flagged = models.BooleanField(default=False, db_index=True)  # reported to supervision
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )
    correction_reason = models.CharField(max_length=300, blank=True, default="")
    attachments = models.JSONField(default=list)  # [{document_id, filename, size, sha256, sm3, mime_type}]
    recorded_by_ref = models.CharField(max_length=120)
    recorded_by_label = models.CharField(max_length=200)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["flagged", "region_code", "occurred_at"], name="onsite_flagged_idx")]
        verbose_name = "现场见证记录"

    def __str__(self) -> str:
        return f"onsite record {self.pk}"

    @property
    def ref(self) -> str:
        return f"onsite.record:{self.pk}"
