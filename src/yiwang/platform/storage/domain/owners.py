"""Who a stored document belongs to: a context and an object of that context.

The store knows nothing of tenders or bids; it records ``Owner("trading.tender", "bid:42")`` and lets the
owning context decide who may see the document. Uploads through the generic API belong to
``Owner(UPLOADS, "<actor ref>")`` until a context attaches them to one of its objects.

Pure Python: no Django here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yiwang.kernel.errors import InvalidInput

UPLOADS = "storage.uploads"  # the owner context of files uploaded through the generic API
CONTEXT = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)*$")
REF = re.compile(r"^[\x21-\x7e]{1,120}$")
MAX_CONTEXT = 60


@dataclass(frozen=True)
class Owner:
    context: str  # the owning context, dotted: "trading.tender", "services.archive"
    ref: str  # that context's reference of the owning object: "bid:42", "notice:2026-0001"

    def __post_init__(self) -> None:
        if not (CONTEXT.match(self.context) and len(self.context) <= MAX_CONTEXT):
            raise InvalidInput(
                "storage.owner_invalid",
                "文件所属业务域格式不正确",
                "The owner context must be a dotted lower-case name",
                {"field": "owner_context", "value": self.context[:80]},
            )
        if not REF.match(self.ref):
            raise InvalidInput(
                "storage.owner_invalid",
                "文件所属对象引用须为 1–120 个可见 ASCII 字符",
                "The owner reference must be 1-120 visible ASCII characters",
                {"field": "owner_ref"},
            )

    @classmethod
    def upload_of(cls, actor_ref: str) -> Owner:
        return cls(UPLOADS, actor_ref)

    def __str__(self) -> str:
        return f"{self.context}/{self.ref}"
