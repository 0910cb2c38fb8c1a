"""Row locks of the single sign-on context."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.identity.sso.models import RelyingParty


def relying_party_for_update(client_id: str) -> QuerySet[RelyingParty]:
    return (
        RelyingParty.objects.select_for_update().select_related("application").filter(application__client_id=client_id)
    )
