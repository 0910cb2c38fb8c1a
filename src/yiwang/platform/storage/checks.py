"""System check (``yiwang check``, run before the server and migrations): is ``YIWANG_STORAGE`` usable?"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def check_storage_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from yiwang.platform.storage.blobs import get_blob_store
    from yiwang.platform.storage.conf import storage_settings

    problems: list[checks.CheckMessage] = []
    try:
        conf = storage_settings()
        get_blob_store()
        import_string(conf.virus_scanner)
    except (ImproperlyConfigured, ImportError, TypeError, ValueError, OSError) as exc:
        problems.append(checks.Error(f"YIWANG_STORAGE is not usable: {exc}", id="storage.E001"))
    return problems
