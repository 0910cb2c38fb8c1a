# Written by hand (no model change): PostgreSQL only, and only where migration 0005 made the RUM index.
# The planner chose the RUM index for statements meant for GIN or the date index — the newest slice of a common
# word read all 880 000 postings of 招标 through it: 60–75 ms where the date walk takes 16 (docs/search.md,
# "PostgreSQL: RUM"). Made partial over ``tsm <> ''`` (documents with words: every document a text query can
# match), it serves only the statements that state that condition, which the adapter writes exactly where it
# has chosen RUM; the planner can prove it from nothing else a search says.

from django.db import migrations

INDEX = "search_doc_rum"
COLUMNS = "USING rum (tsm rum_tsvector_addon_ops, published_at) WITH (attach = 'published_at', to = 'tsm')"
PREDICATE = "tsm <> ''::tsvector"  # the adapter's RUM statements carry the same condition (backends/postgres.py)


def _exists(cursor) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [INDEX])
    return cursor.fetchone()[0]


def _rebuild(schema_editor, where: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not _exists(cursor):  # 0005 made none here (no rum package, or no right to create the extension)
            return
        cursor.execute(f"DROP INDEX {INDEX}")
        cursor.execute(f"CREATE INDEX {INDEX} ON search_document {COLUMNS}{where}")


def partial(apps, schema_editor):
    _rebuild(schema_editor, f" WHERE {PREDICATE}")


def whole(apps, schema_editor):
    _rebuild(schema_editor, "")


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0005_rum_publication_order"),
    ]

    operations = [
        migrations.RunPython(partial, whole),
    ]
