"""一网尽览: full-text Chinese search over every notice and project (a platform port with two adapters).

Contexts feed it through :mod:`yiwang.platform.search.index` (``index_document``, ``remove_document``,
``register_source``) and read it through :mod:`yiwang.platform.search.queries` (``search_for``). The engine is
chosen by settings: SQLite FTS5 on the embedded profile, PostgreSQL tsvector + GIN in production. See
docs/search.md.
"""
