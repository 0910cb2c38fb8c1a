"""Reads of the single sign-on context: relying parties (for platform administrators) and the claims the hub
states about a person to a relying party."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from yiwang.identity import queries as identity_queries
from yiwang.identity.auth import actor_for_account
from yiwang.identity.sso.domain.uris import may_manage_relying_parties
from yiwang.identity.sso.models import RelyingParty
from yiwang.kernel.actors import ROLE_LABELS_ZH, Actor
from yiwang.kernel.errors import NotFound, PermissionDenied
from yiwang.registry import queries as registry_queries


@dataclass(frozen=True)
class RelyingPartyView:
    client_id: str
    name: str
    client_type: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    registered_at: datetime
    registered_by: str
    active: bool
    deactivated_at: datetime | None
    version: int


def _view(party: RelyingParty) -> RelyingPartyView:
    app = party.application
    return RelyingPartyView(
        client_id=app.client_id,
        name=app.name,
        client_type=app.client_type,
        redirect_uris=tuple(app.redirect_uris.split()),
        post_logout_redirect_uris=tuple(app.post_logout_redirect_uris.split()),
        registered_at=party.registered_at,
        registered_by=party.registered_by,
        active=party.is_active,
        deactivated_at=party.deactivated_at,
        version=party.version,
    )


def _require_manager(actor: Actor) -> None:
    if not may_manage_relying_parties(actor, settings.YIWANG_PLATFORM_REGION):
        raise PermissionDenied(
            "sso.forbidden",
            "仅平台管理员可查看统一认证接入系统",
            "Only platform administrators see single sign-on relying parties",
        )


def list_relying_parties_for(actor: Actor) -> list[RelyingPartyView]:
    _require_manager(actor)
    rows = RelyingParty.objects.select_related("application").order_by("-registered_at", "-pk")
    return [_view(p) for p in rows]


def get_relying_party_for(actor: Actor, client_id: str) -> RelyingPartyView:
    _require_manager(actor)
    party = RelyingParty.objects.select_related("application").filter(application__client_id=client_id).first()
    if party is None:
        raise NotFound("sso.unknown_client", f"接入系统 {client_id[:60]} 不存在", f"No relying party {client_id[:60]}")
    return _view(party)


def is_usable(client_id: str) -> bool:
    """Whether a client may still sign people in: registered here and not deactivated."""
    return RelyingParty.objects.filter(application__client_id=client_id, deactivated_at__isnull=True).exists()


# -- claims about a person ------------------------------------------------------------------------------------------
# Which scope releases which claim (OpenID Connect Core §5.4 for the standard ones).
CLAIM_SCOPES: dict[str, str] = {
    "sub": "openid",
    "name": "profile",
    "preferred_username": "profile",
    "credit_code": "entity",
    "organisation_name": "entity",
    "organisations": "entity",
    "roles": "roles",
    "role_grants": "roles",
}


def claims_for_account(account: Any) -> dict[str, Any]:
    """Everything the hub may say about ``account`` (a relying party gets the part its scopes release).

    ``organisations`` are the market entities (from the registry) and public bodies the person acts for, in
    the order of their role grants; ``credit_code`` and ``organisation_name`` are those of the first one (the
    统一社会信用代码; ``None`` for a natural person or a body without one).
    """
    actor = actor_for_account(account)
    entity_refs = registry_queries.get_entity_refs(sorted({g.entity_id for g in actor.grants if g.entity_id}))
    organisations: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    role_grants: list[dict[str, Any]] = []
    for grant in actor.grants:
        holder: dict[str, Any] | None = None
        if grant.entity_id is not None and grant.entity_id in entity_refs:
            ref = entity_refs[grant.entity_id]
            key = ("entity", ref.id)
            holder = {"type": "market_entity", "credit_code": ref.uscc, "name": ref.name, "region": ref.region_code}
        elif grant.organisation_id is not None:
            org = identity_queries.get_organisation(grant.organisation_id)
            if org is not None:
                key = ("organisation", org.pk)
                holder = {
                    "type": org.kind,
                    "credit_code": org.uscc or None,
                    "name": org.name,
                    "region": org.region_code,
                }
        if holder is not None and key not in seen:
            seen.add(key)
            organisations.append(holder)
        role_grants.append(
            {
                "role": grant.role.value,
                "role_label": ROLE_LABELS_ZH.get(grant.role, grant.role.value),
                "credit_code": holder["credit_code"] if holder else None,
                "organisation_name": holder["name"] if holder else None,
                "region": grant.region,
                "admin": grant.admin,
            }
        )
    primary = organisations[0] if organisations else None
    return {
        "name": account.display_name,
        "preferred_username": account.username,
        "credit_code": primary["credit_code"] if primary else None,
        "organisation_name": primary["name"] if primary else None,
        "organisations": organisations,
        "roles": sorted({g["role"] for g in role_grants}),
        "role_grants": role_grants,
    }
