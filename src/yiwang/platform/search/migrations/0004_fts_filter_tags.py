# Written by hand (no model change): SQLite only. The FTS5 table gets a third column, ``tags``: a document's
# visibility, region levels and category as tokens (backends/sqlite.py, docs/search.md "Filters as tokens"),
# so that a query whose filters are all tags is counted and walked by FTS5 alone. The table is rebuilt in
# rowid order from the token streams it holds (no re-segmentation); the tags are computed from the document
# rows by the SQL below, which must stay equal to ``backends.sqlite.TAGS_SQL`` (a test compares them).

from django.db import migrations

from yiwang.platform.search.ddl import RunSQLOn

TAGS_SQL = (
    "trim(CASE WHEN d.public THEN '' ELSE char(57344) END"
    " || CASE WHEN length(d.region) = 6 THEN ' ' || char(57345) || substr(d.region, 1, 2) || '0000 '"
    " || char(57345) || substr(d.region, 1, 4) || '00 ' || char(57345) || d.region ELSE '' END"
    " || CASE WHEN d.category <> '' THEN ' ' || char(57346) || lower(hex(d.category)) ELSE '' END)"
)
MASK = (1 << 29) - 1  # the document id in the low bits of the FTS5 rowid (migration 0003)


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0003_fts_rowid_in_publication_order"),
    ]

    operations = [
        RunSQLOn(
            "sqlite",
            [
                "CREATE VIRTUAL TABLE search_fts_tagged USING fts5(title, body, tags, tokenize = 'ascii')",
                "INSERT INTO search_fts_tagged (rowid, title, body, tags) "
                f"SELECT f.rowid, f.title, f.body, {TAGS_SQL} "
                f"FROM search_fts f CROSS JOIN search_document d ON d.id = (f.rowid & {MASK}) ORDER BY f.rowid",
                "DROP TRIGGER search_document_fts_delete",
                "DROP TABLE search_fts",
                "ALTER TABLE search_fts_tagged RENAME TO search_fts",
                "INSERT INTO search_fts (search_fts) VALUES ('optimize')",
                "CREATE TRIGGER search_document_fts_delete AFTER DELETE ON search_document "
                "BEGIN DELETE FROM search_fts WHERE rowid = old.fts_rowid; END",
            ],
            reverse_sql=[
                "CREATE VIRTUAL TABLE search_fts_untagged USING fts5(title, body, tokenize = 'ascii')",
                "INSERT INTO search_fts_untagged (rowid, title, body) SELECT rowid, title, body FROM search_fts "
                "ORDER BY rowid",
                "DROP TRIGGER search_document_fts_delete",
                "DROP TABLE search_fts",
                "ALTER TABLE search_fts_untagged RENAME TO search_fts",
                "CREATE TRIGGER search_document_fts_delete AFTER DELETE ON search_document "
                "BEGIN DELETE FROM search_fts WHERE rowid = old.fts_rowid; END",
            ],
        ),
    ]
