# Written by hand (no model change): PostgreSQL only, and only where the RUM access method is available
# (docs/adr/0011-postgresql-search-rum.md, docs/search.md "PostgreSQL: RUM"). A RUM index over ``tsm``
# that stores each document's ``published_at`` in the posting lists: the matches of a query come out in
# publication order, sorted from the index alone, without reading a heap row for the date. Where ``rum`` is
# not in ``pg_available_extensions`` (or not installed and the migrating role may not create it: it is an
# untrusted extension, so a superuser must), nothing is done and search keeps its GIN plans; on SQLite
# nothing is done either. The adapter looks for the index at its first search. (``order_by_attach`` was
# measured too: a 55 % larger index, built 40 % slower, and no faster: RUM 1.3 sorts every match either way.)

from django.db import migrations

INDEX = "search_doc_rum"
CREATE_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON search_document "
    "USING rum (tsm rum_tsvector_addon_ops, published_at) "
    "WITH (attach = 'published_at', to = 'tsm')"
)


def create_rum_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT installed_version IS NOT NULL FROM pg_available_extensions WHERE name = 'rum'")
        row = cursor.fetchone()
        if row is None:  # the package of the server's major version is not installed: GIN only
            return
        if not row[0]:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:  # a DBA may create the extension and this index later (docs)
                return
            cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
        cursor.execute(CREATE_INDEX)


def drop_rum_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0004_fts_filter_tags"),
    ]

    operations = [
        migrations.RunPython(create_rum_index, drop_rum_index),
    ]
