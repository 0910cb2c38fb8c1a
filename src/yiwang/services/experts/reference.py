"""The specialty classification shipped in ``data/specialties.json``, loaded idempotently.

``ensure_reference_data()`` is registered with :mod:`yiwang.platform.reference` and runs with every other
loader (``yiwang seed-reference``, the test suite). It writes the codes that are missing, in one witnessed
action, and nothing when all are present.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import sha256_hex
from yiwang.platform.actions import action
from yiwang.services.experts.domain.specialties import level, normalise_code, parent
from yiwang.services.experts.models import Specialty

DATA = Path(__file__).resolve().parent / "data" / "specialties.json"
SEED_ACTOR = Actor.system("seed")


@cache
def _raw() -> bytes:
    return DATA.read_bytes()


def shipped() -> dict[str, Any]:
    return json.loads(_raw())


def ensure_reference_data() -> int:
    """Load the specialty codes that are missing; return how many rows were written."""
    nodes = shipped()["nodes"]
    if Specialty.objects.count() >= len(nodes) and set(Specialty.objects.values_list("code", flat=True)) >= {
        n["code"] for n in nodes
    }:
        return 0
    with action(SEED_ACTOR, "experts.load_specialties") as act:
        present = set(Specialty.objects.values_list("code", flat=True))
        rows = [
            Specialty(
                code=normalise_code(n["code"]),
                name=n["name"],
                parent_code=parent(n["code"]) or "",
                level=level(n["code"]),
                inferred=bool(n.get("inferred")),
                sort=i,
            )
            for i, n in enumerate(nodes)
            if n["code"] not in present
        ]
        Specialty.objects.bulk_create(rows)
        act.witness(("experts.specialties", "shipped"), {"sha256": sha256_hex(_raw()), "rows": len(rows)})
        return len(rows)
