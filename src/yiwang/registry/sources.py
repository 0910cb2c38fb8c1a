"""The authoritative-source port (零提供): where the official record of an organisation comes from.

A deployment connects the registry to the market-regulation register or an e-licence service by writing an
adapter with a ``lookup`` method and naming it in the setting :data:`SETTING` (Warehouse-style port and
adapter). Two adapters ship:

- :class:`DemoAuthoritativeSource` (the default): fictional organisations from ``registry/data/``, for the
  demo and the tests;
- :class:`NoAuthoritativeSource`: no source at all (every registration is typed in full).
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.registry.domain.official import OfficialRecord

SETTING = "YIWANG_REGISTRY_AUTHORITATIVE_SOURCE"
DEFAULT = "yiwang.registry.sources.DemoAuthoritativeSource"
DEMO_FILE = Path(__file__).parent / "data" / "authoritative_demo.json"


class AuthoritativeSource(Protocol):
    """Answers "what does the register say about this USCC?"."""

    def lookup(self, uscc: str) -> OfficialRecord | None:
        """The official record of ``uscc`` (already validated and normalised), or ``None`` when the source has
        no record. Raise :class:`~yiwang.kernel.errors.ServiceUnavailable` when the source cannot be reached."""
        ...


def _record(raw: dict[str, Any], source: str) -> OfficialRecord:
    established = raw.get("established_on")
    return OfficialRecord(
        uscc=raw["uscc"],
        name=raw["name"],
        kind=raw.get("kind"),
        legal_rep_name=raw.get("legal_rep_name"),
        region_code=raw.get("region_code"),
        established_on=date.fromisoformat(established) if established else None,
        registered_capital_fen=raw.get("registered_capital_fen"),
        enterprise_nature=raw.get("enterprise_nature"),
        status=raw.get("status", "active"),
        address=raw.get("address"),
        business_scope=raw.get("business_scope"),
        source=source,
    )


class DemoAuthoritativeSource:
    """Fictional records read from a JSON file (``{"source": ..., "records": [...]}``)."""

    def __init__(self, path: Path | str = DEMO_FILE):
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        source = document.get("source", "demo")
        self.records = {raw["uscc"]: _record(raw, source) for raw in document["records"]}

    def lookup(self, uscc: str) -> OfficialRecord | None:
        return self.records.get(uscc)


class NoAuthoritativeSource:
    """For deployments without a connected register."""

    def lookup(self, uscc: str) -> OfficialRecord | None:
        return None


@cache
def _load(dotted: str) -> AuthoritativeSource:
    return import_string(dotted)()


def authoritative_source() -> AuthoritativeSource:
    """The adapter named by the setting (default: the demo source)."""
    return _load(getattr(settings, SETTING, DEFAULT))
