"""The index's own tables: one narrow row per searchable document (filters, order, title tokens) and one row
with its original text.

The full-text structure beside it depends on the engine and is made by the migration, not by a model:
SQLite: the FTS5 table ``search_fts`` (rowid = ``IndexedDocument.id``) holding the token streams, plus a
trigger that removes a document's FTS row when its row is deleted; PostgreSQL: a ``tsv tsvector`` column on
this table with a GIN index. Only the adapters in ``backends/`` write here.
"""

from __future__ import annotations

from django.db import models


class IndexedDocument(models.Model):
    """The narrow part of a document: what filters, sorts and relevance tiers read (small rows, so walking
    an index and looking rows up stays cheap). The text lives in :class:`IndexedText`."""

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
    title_tokens = models.TextField()  # the distinct title tokens, space-separated (relevance tiers)

    class Meta:
        db_table = "search_document"
        verbose_name = "索引文档"
        verbose_name_plural = "索引文档"
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="search_doc_kind_key")]
        indexes = [
            # newest first, carrying every filter column: a browse or a date walk never reads the table
            models.Index(
                fields=["published_at", "tiebreak", "public", "kind", "category", "region", "stage", "amount_fen"],
                name="search_doc_newest",
            ),
            # a district or a category first, then newest, then the other filters (covering as well)
            models.Index(
                fields=["region", "published_at", "tiebreak", "public", "kind", "category", "stage", "amount_fen"],
                name="search_doc_region_newest",
            ),
            models.Index(
                fields=["category", "published_at", "tiebreak", "public", "kind", "region", "stage", "amount_fen"],
                name="search_doc_cat_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class IndexedText(models.Model):
    """The wide part: the original text highlights are cut from, read only for the hits of a page."""

    document = models.OneToOneField(
        IndexedDocument, primary_key=True, on_delete=models.CASCADE, related_name="text", db_column="document_id"
    )
    title = models.TextField()
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "search_document_text"
        verbose_name = "索引文档正文"
        verbose_name_plural = "索引文档正文"

    def __str__(self) -> str:
        return self.title[:40]


class IndexStat(models.Model):
    """Counts kept with the index, updated by every write in its transaction: documents per token
    (``field`` = ``term``), per filter value (``kind``, ``category``, ``region``, ``stage``, ``public``) and in
    all (``corpus`` / ``documents``). Queries read them to estimate match sets instead of counting
    (``domain/estimate.py``) and to score without counting document frequencies."""

    field = models.CharField(max_length=16)
    value = models.CharField(max_length=64)
    n = models.BigIntegerField()

    class Meta:
        db_table = "search_stat"
        verbose_name = "索引统计"
        verbose_name_plural = "索引统计"
        constraints = [models.UniqueConstraint(fields=["field", "value"], name="search_stat_field_value")]

    def __str__(self) -> str:
        return f"{self.field}:{self.value}={self.n}"
