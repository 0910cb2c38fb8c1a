"""Migration operations that run on one database engine only (the full-text structures differ per engine)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


class RunSQLOn(migrations.RunSQL):
    """``RunSQL`` executed only when the database's vendor is ``vendor`` (``sqlite``, ``postgresql``)."""

    def __init__(self, vendor: str, sql: Any, reverse_sql: Any = None, **kwargs: Any):
        self.vendor = vendor
        super().__init__(sql, reverse_sql, **kwargs)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, *args], kwargs

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Raw SQL operation on {self.vendor}"
