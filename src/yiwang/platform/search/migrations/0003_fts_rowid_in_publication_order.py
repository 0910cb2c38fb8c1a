# Written by hand (no model change): SQLite only. The FTS5 rowid becomes a key in publication order
# (backends/sqlite.py, docs/search.md "Postings in publication order"): a column on search_document keeps
# each document's key, and the FTS5 table is rebuilt with the new rowids from the token streams it holds
# (no re-segmentation). At 1 M documents this takes minutes (docs/search.md has the measurement).

from django.db import migrations

from yiwang.platform.search.ddl import RunSQLOn

BATCH = 5_000


def key_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from yiwang.platform.search.backends.sqlite import fts_rowid

    document = apps.get_model("search", "IndexedDocument")
    keys = []
    with schema_editor.connection.cursor() as cursor:
        for row_id, published_at in document.objects.values_list("id", "published_at").iterator(chunk_size=BATCH):
            keys.append((fts_rowid(row_id, published_at), row_id))
            if len(keys) == BATCH:
                cursor.executemany("UPDATE search_document SET fts_rowid = %s WHERE id = %s", keys)
                keys = []
        if keys:
            cursor.executemany("UPDATE search_document SET fts_rowid = %s WHERE id = %s", keys)


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0002_index_stats"),
    ]

    operations = [
        RunSQLOn(
            "sqlite",
            ["ALTER TABLE search_document ADD COLUMN fts_rowid INTEGER"],
            reverse_sql=["ALTER TABLE search_document DROP COLUMN fts_rowid"],
        ),
        migrations.RunPython(key_documents, migrations.RunPython.noop),
        RunSQLOn(
            "sqlite",
            [
                "CREATE VIRTUAL TABLE search_fts_ordered USING fts5(title, body, tokenize = 'ascii')",
                "INSERT INTO search_fts_ordered (rowid, title, body) SELECT d.fts_rowid, f.title, f.body "
                "FROM search_document d JOIN search_fts f ON f.rowid = d.id ORDER BY d.fts_rowid",
                "DROP TRIGGER search_document_fts_delete",
                "DROP TABLE search_fts",
                "ALTER TABLE search_fts_ordered RENAME TO search_fts",
                "INSERT INTO search_fts (search_fts) VALUES ('optimize')",
                "CREATE TRIGGER search_document_fts_delete AFTER DELETE ON search_document "
                "BEGIN DELETE FROM search_fts WHERE rowid = old.fts_rowid; END",
            ],
            reverse_sql=[
                "CREATE VIRTUAL TABLE search_fts_by_id USING fts5(title, body, tokenize = 'ascii')",
                "INSERT INTO search_fts_by_id (rowid, title, body) SELECT d.id, f.title, f.body "
                "FROM search_document d JOIN search_fts f ON f.rowid = d.fts_rowid",
                "DROP TRIGGER search_document_fts_delete",
                "DROP TABLE search_fts",
                "ALTER TABLE search_fts_by_id RENAME TO search_fts",
                "CREATE TRIGGER search_document_fts_delete AFTER DELETE ON search_document "
                "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END",
            ],
        ),
    ]
