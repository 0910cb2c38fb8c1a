"""Who may do what with archives (pure questions about the actor; regions limit staff, regulators, auditors).

- read archives, manifests, download links: trading-centre staff, auditors, regulators (and the platform);
- create an archive (a version): staff, or the platform itself (clock, command line);
- place or release a legal hold: staff or regulators (and the platform);
- dispose of a version: staff only — an explicit act of a person, never the platform on its own.

An archive made with a region is visible to those whose scope covers that region; one without, to all holders
of the role.
"""

from __future__ import annotations

from yiwang.kernel.actors import Actor, Role

READERS = (Role.STAFF, Role.AUDITOR, Role.REGULATOR)
HOLDERS = (Role.STAFF, Role.REGULATOR)


def _holds(actor: Actor, roles: tuple[Role, ...], region: str) -> bool:
    if not actor.has_role(*roles):
        return False
    return actor.covers_region(region, *roles) if region else True


def may_read(actor: Actor, region: str = "") -> bool:
    return actor.is_system or _holds(actor, READERS, region)


def may_create(actor: Actor, region: str = "") -> bool:
    return actor.is_system or _holds(actor, (Role.STAFF,), region)


def may_hold(actor: Actor, region: str = "") -> bool:
    return actor.is_system or _holds(actor, HOLDERS, region)


def may_dispose(actor: Actor, region: str = "") -> bool:
    return _holds(actor, (Role.STAFF,), region)
