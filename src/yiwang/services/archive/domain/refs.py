"""Project references: ``<object type>:<object id>``, the witness-log reference of the project's own object.

``tender.project:12`` names the object the witness log records as type ``tender.project``, id ``12``; the
archive gathers the witness entries about it and about every object its items relate to. The type is a dotted
lower-case name (a model's ``app_label.model``), the id 1–100 visible ASCII characters (it may contain ``:``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yiwang.kernel.errors import InvalidInput

TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
ID = re.compile(r"^[\x21-\x7e]{1,100}$")
MAX_TYPE = 100
MAX_REF = 120  # the document store's owner reference holds at most 120 characters


@dataclass(frozen=True, order=True)
class ProjectRef:
    object_type: str
    object_id: str

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id}"

    @property
    def pair(self) -> tuple[str, str]:
        return self.object_type, self.object_id


def invalid_ref(value: object) -> InvalidInput:
    return InvalidInput(
        "archive.project_ref_invalid",
        "项目引用须为“对象类型:对象编号”，如 tender.project:12",
        "A project reference is '<object type>:<object id>', e.g. tender.project:12",
        {"field": "project_ref", "value": str(value)[:120]},
    )


def parse_project_ref(value: object) -> ProjectRef:
    """``ProjectRef`` of ``"tender.project:12"``; ``archive.project_ref_invalid`` for anything else."""
    if not isinstance(value, str) or len(value) > MAX_REF:
        raise invalid_ref(value)
    kind, sep, ident = value.strip().partition(":")
    if not sep or len(kind) > MAX_TYPE or not TYPE.match(kind) or not ID.match(ident):
        raise invalid_ref(value)
    return ProjectRef(kind, ident)
