"""Settings of the OCDS publication, all optional::

    YIWANG_OCDS = {
        "OCID_PREFIX": "ocds-yw0001",        # the prefix registered for this publisher
        "PUBLISHER_NAME": "一网交易平台",
        "PUBLISHER_UID": "",                 # the publisher's 统一社会信用代码, if it has one
    }

Package and record URIs start with ``YIWANG_PUBLIC_URL`` (the site's public address).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {"OCID_PREFIX": "ocds-yw0001", "PUBLISHER_NAME": "一网交易平台", "PUBLISHER_UID": ""}


def conf() -> dict[str, Any]:
    return {**DEFAULTS, **(getattr(settings, "YIWANG_OCDS", None) or {})}


def ocid_prefix() -> str:
    return str(conf()["OCID_PREFIX"])


def publisher() -> dict[str, str]:
    c = conf()
    out = {"name": str(c["PUBLISHER_NAME"])}
    if c["PUBLISHER_UID"]:
        out["scheme"] = "CN-USCC"
        out["uid"] = str(c["PUBLISHER_UID"])
    return out


def public_url() -> str:
    return str(getattr(settings, "YIWANG_PUBLIC_URL", "") or "http://localhost:8000").rstrip("/")
