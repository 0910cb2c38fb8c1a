"""The database's own guard against double bookings (PostgreSQL only).

``RoomTimeExclusion`` adds an exclusion constraint: no two rows that hold a room may have overlapping blocked
intervals in that room::

    EXCLUDE USING gist (int8range(room_id, room_id, '[]') WITH &&,
                        tstzrange(blocked_from, blocked_until, '[)') WITH &&)
    WHERE (status IN ('pending', 'approved', 'done'))

The room is compared as a one-point integer range, which GiST indexes natively; ``room_id WITH =`` would
need the ``btree_gist`` extension, whose installation needs a privilege that production database roles often
lack. Both forms forbid exactly the same pairs of rows. On SQLite the constraint emits no SQL: there the
row lock on the room (``lock_objects.room_for_update``) and SQLite's single writer (``BEGIN IMMEDIATE``) are
the guard.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BaseConstraint


class RoomTimeExclusion(BaseConstraint):
    def __init__(
        self,
        *,
        name: str,
        room: str,
        start: str,
        end: str,
        status: str,
        holding: tuple[str, ...] | list[str],
        **kwargs: Any,
    ):
        super().__init__(name=name, **kwargs)
        self.room, self.start, self.end, self.status = room, start, end, status
        self.holding = tuple(holding)

    def _body(self, model: Any, schema_editor: Any) -> str:
        q = schema_editor.quote_name
        column = {f: q(model._meta.get_field(f).column) for f in (self.room, self.start, self.end, self.status)}
        statuses = ", ".join("'" + s.replace("'", "''") + "'" for s in self.holding)
        return (
            f"CONSTRAINT {q(self.name)} EXCLUDE USING gist ("
            f"int8range({column[self.room]}, {column[self.room]}, '[]') WITH &&, "
            f"tstzrange({column[self.start]}, {column[self.end]}, '[)') WITH &&"
            f") WHERE ({column[self.status]} IN ({statuses}))"
        )

    @staticmethod
    def _applies(schema_editor: Any) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model: Any, schema_editor: Any) -> str | None:
        return self._body(model, schema_editor) if self._applies(schema_editor) else None

    def create_sql(self, model: Any, schema_editor: Any) -> str | None:
        if not self._applies(schema_editor):
            return None
        table = schema_editor.quote_name(model._meta.db_table)
        return f"ALTER TABLE {table} ADD {self._body(model, schema_editor)}"

    def remove_sql(self, model: Any, schema_editor: Any) -> str | None:
        if not self._applies(schema_editor):
            return None
        table = schema_editor.quote_name(model._meta.db_table)
        return f"ALTER TABLE {table} DROP CONSTRAINT {schema_editor.quote_name(self.name)}"

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: Any = None) -> None:
        """Model validation does not check this: the booking action does, under the room's row lock."""

    def deconstruct(self) -> tuple[str, tuple, dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        kwargs.update(room=self.room, start=self.start, end=self.end, status=self.status, holding=list(self.holding))
        return path, args, kwargs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RoomTimeExclusion):
            return NotImplemented
        return self.deconstruct() == other.deconstruct()

    def __hash__(self) -> int:
        return hash(self.name)
