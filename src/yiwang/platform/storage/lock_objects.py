"""Row locks of the document store (``SELECT … FOR UPDATE``), in one place."""

from __future__ import annotations

from typing import Any

from yiwang.platform.storage.models import Document


def document_for_update(document_id: Any) -> Document | None:
    """Lock a document row while a version is added (serialises version numbers)."""
    return Document.objects.select_for_update().filter(pk=document_id).first()
