"""Reads of the identity context, restricted by the acting user."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.identity.models import Account, Grant, Organisation, PersonalToken
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.ids import region_covers


def account_of(actor: Actor) -> Account | None:
    if actor.kind is not ActorKind.ACCOUNT:
        return None
    return Account.objects.filter(pk=int(actor.id), is_active=True).first()


def list_tokens_for(actor: Actor) -> QuerySet[PersonalToken]:
    if actor.kind is not ActorKind.ACCOUNT:
        return PersonalToken.objects.none()
    return PersonalToken.objects.filter(account_id=int(actor.id)).order_by("-created_at")


def list_grants_for(actor: Actor) -> QuerySet[Grant]:
    if actor.kind is ActorKind.ACCOUNT:
        return Grant.objects.filter(account_id=int(actor.id), revoked_at__isnull=True).select_related(
            "organisation", "entity"
        )
    return Grant.objects.none()


def get_organisation(pk: int) -> Organisation | None:
    return Organisation.objects.filter(pk=pk).first()


def find_account(username: str) -> Account | None:
    return Account.objects.filter(username__iexact=username.strip()).first()


def officer_refs_over(region_code: str, *roles: Role) -> list[str]:
    """The actor references (``account:<id>``) of active accounts holding one of ``roles`` over a region that
    covers ``region_code`` (a 310000 grant covers 310112) — whom a context tells about work due in that region."""
    grants = Grant.objects.filter(
        role__in=[r.value for r in roles], revoked_at__isnull=True, account__is_active=True
    ).exclude(region="")
    refs = {
        f"account:{g.account_id}" for g in grants.only("account_id", "region") if region_covers(g.region, region_code)
    }
    return sorted(refs, key=lambda ref: int(ref.split(":")[1]))
