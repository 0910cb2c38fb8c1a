"""Identity's implementations of ports declared by lower contexts."""

from __future__ import annotations

from yiwang.identity import actions
from yiwang.kernel.actors import Actor, ActorKind

AGENCY_PARTY_ROLES = frozenset({"tender_agency", "procurement_agency"})


class RegistrantBecomesAdmin:
    """registry's ``RegistrationHook``: the person who registers an entity becomes its administrator (as an
    agency user when the entity registers as a tendering or procurement agency)."""

    def entity_registered(self, *, actor: Actor, entity_id: int, roles: tuple[str, ...]) -> None:
        if actor.kind is not ActorKind.ACCOUNT:
            return  # staff, the system and machines register on someone's behalf; grants are given separately
        actions.do_grant_registrant_admin(
            actor=actor, entity_id=entity_id, agency=bool(AGENCY_PARTY_ROLES & set(roles))
        )
