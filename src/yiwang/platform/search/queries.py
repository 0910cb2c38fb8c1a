"""The read side: search as a given actor (private documents only for privileged actors)."""

from __future__ import annotations

from dataclasses import replace

from yiwang.kernel.actors import Actor, Role
from yiwang.platform.search.backends import get_index
from yiwang.platform.search.domain.documents import SearchPage, SearchQuery

# Roles that may see documents not (yet) public, within the regions they hold the role for.
PRIVILEGED_ROLES = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


def private_scope(actor: Actor) -> tuple[bool, tuple[str, ...] | None]:
    """``(include_private, private_regions)`` for ``actor``: the system sees everything; staff, regulators
    and auditors see private documents of their regions (a grant without a region: every region); everyone
    else sees public documents only."""
    if actor.is_system:
        return True, None
    grants = [g for g in actor.grants if g.role in PRIVILEGED_ROLES]
    if not grants:
        return False, None
    if any(not g.region for g in grants):
        return True, None
    return True, tuple(sorted({g.region for g in grants if g.region}))


def search_for(actor: Actor, query: SearchQuery) -> SearchPage:
    """Run ``query`` with the visibility ``actor`` is entitled to (whatever ``query`` asked for)."""
    include_private, regions = private_scope(actor)
    if not query.include_private or not include_private:
        query = replace(query, include_private=False, private_regions=None)
    else:
        query = replace(query, include_private=True, private_regions=regions)
    return get_index().search(query)
