"""The index's own table: one row per searchable document, with the original text and the filter columns.

The full-text structure beside it depends on the engine and is made by the migration, not by a model:
SQLite: the FTS5 table ``search_fts`` (rowid = ``IndexedDocument.id``) holding the token streams, plus a
trigger that removes a document's FTS row when its row is deleted; PostgreSQL: a ``tsv tsvector`` column on
this table with a GIN index. Only the adapters in ``backends/`` write here.
"""

from __future__ import annotations

from django.db import models


class IndexedDocument(models.Model):
    # small filter columns first: SQLite reads a row's columns in order, and the big texts come last
    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=128)
    public = models.BooleanField()
    category = models.CharField(max_length=32, blank=True, default="")
    region = models.CharField(max_length=6, blank=True, default="")
    stage = models.CharField(max_length=32, blank=True, default="")
    published_at = models.DateTimeField()
    tiebreak = models.BigIntegerField()  # orders documents published at the same instant (domain.tiebreak_of)
    amount_fen = models.BigIntegerField(null=True, blank=True)
    indexed_at = models.DateTimeField()
    url = models.CharField(max_length=500, blank=True, default="")
    extra = models.JSONField(default=dict, blank=True)
    title = models.TextField()
    title_tokens = models.TextField()  # the distinct title tokens, space-separated (relevance tiers)
    body = models.TextField(blank=True, default="")

    class Meta:
        db_table = "search_document"
        verbose_name = "索引文档"
        verbose_name_plural = "索引文档"
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="search_doc_kind_key")]
        indexes = [
            models.Index(fields=["published_at", "tiebreak"], name="search_doc_newest"),
            models.Index(fields=["kind", "published_at", "tiebreak"], name="search_doc_kind_newest"),
            models.Index(fields=["category", "published_at", "tiebreak"], name="search_doc_cat_newest"),
            models.Index(fields=["region", "published_at", "tiebreak"], name="search_doc_region_newest"),
            models.Index(fields=["stage", "published_at", "tiebreak"], name="search_doc_stage_newest"),
            models.Index(fields=["amount_fen"], name="search_doc_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} {self.title[:40]}"
