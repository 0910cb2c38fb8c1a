"""The actor resolver (implements ``yiwang.platform.api.auth.ActorResolverPort``)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.http import HttpRequest

from yiwang.identity.domain.tokens import CLIENT, PERSONAL, token_hash
from yiwang.identity.models import Account, ApiClient, ClientToken, Grant, PersonalToken
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import NotAuthenticated
from yiwang.platform.clock import now

LAST_USED_RESOLUTION = timedelta(minutes=5)  # record use at most this often: no write on every request


def _role_grants(grants) -> tuple[RoleGrant, ...]:
    return tuple(
        RoleGrant(
            role=Role(g.role),
            entity_id=g.entity_id,
            organisation_id=g.organisation_id,
            region=g.region or None,
            admin=g.admin,
        )
        for g in grants
    )


def actor_for_account(account: Account) -> Actor:
    grants = Grant.objects.filter(account=account, revoked_at__isnull=True).order_by("pk")
    return Actor(ActorKind.ACCOUNT, str(account.pk), account.display_name, _role_grants(grants))


def actor_for_client(client: ApiClient) -> Actor:
    grants = Grant.objects.filter(client=client, revoked_at__isnull=True).order_by("pk")
    return Actor(ActorKind.CLIENT, client.client_id, client.name, _role_grants(grants))


def _invalid() -> NotAuthenticated:
    return NotAuthenticated(
        "auth.invalid_token",
        "访问令牌无效、已过期或已撤销",
        "The access token is invalid, expired or revoked",
    )


class ActorResolver:
    def from_bearer(self, request: HttpRequest, token: str) -> Actor:
        moment = now()
        digest = token_hash(token)
        live = Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=moment))
        if token.startswith(PERSONAL):
            found = PersonalToken.objects.select_related("account").filter(live, token_hash=digest).first()
            if found is None or not found.account.is_active:
                raise _invalid()
            if found.last_used_at is None or moment - found.last_used_at > LAST_USED_RESOLUTION:
                PersonalToken.objects.filter(pk=found.pk).update(last_used_at=moment)
            return actor_for_account(found.account)
        if token.startswith(CLIENT):
            found = ClientToken.objects.select_related("client").filter(live, token_hash=digest).first()
            if found is None or not found.client.is_active:
                raise _invalid()
            return actor_for_client(found.client)
        raise _invalid()

    def from_session(self, request: HttpRequest) -> Actor:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return Actor.anonymous()
        return actor_for_account(user)
