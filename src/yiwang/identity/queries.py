"""Reads of the identity context, restricted by the acting user."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.identity.models import Account, Grant, Organisation, PersonalToken
from yiwang.kernel.actors import Actor, ActorKind


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
