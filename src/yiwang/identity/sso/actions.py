"""State changes of single sign-on: registering and deactivating relying parties, a person's consent, and the
end of a session started through the hub. Each is atomic and witnessed; client secrets never enter the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from yiwang.identity.sso.domain.uris import clean_name, clean_uris, may_manage_relying_parties
from yiwang.identity.sso.lock_objects import relying_party_for_update
from yiwang.identity.sso.models import RelyingParty
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import action
from yiwang.platform.outbox.feed import Visibility

T = TypeVar("T")
SCOPES_OFFERED = ("openid", "profile", "entity", "roles")


def _require_manager(actor: Actor) -> None:
    if not may_manage_relying_parties(actor, settings.YIWANG_PLATFORM_REGION):
        raise PermissionDenied(
            "sso.forbidden",
            "仅平台管理员可管理统一认证接入系统",
            "Only platform administrators manage single sign-on relying parties",
        )


def _not_found(client_id: str) -> NotFound:
    return NotFound("sso.unknown_client", f"接入系统 {client_id[:60]} 不存在", f"No relying party {client_id[:60]}")


def do_register_relying_party(
    *,
    actor: Actor,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str] | None = None,
    confidential: bool = True,
) -> tuple[RelyingParty, str | None]:
    """Register a sub-platform as an OpenID Connect client (authorization code + PKCE, ID tokens signed RS256).

    Returns the row and, for a confidential client, its secret: shown this once, stored only hashed. A public
    client (a mobile or single-page app) has no secret and relies on PKCE alone.
    """
    _require_manager(actor)
    name = clean_name(name)
    redirects = clean_uris(redirect_uris, field="redirect_uris", required=True)
    logouts = clean_uris(post_logout_redirect_uris or [], field="post_logout_redirect_uris", required=False)
    Application = get_application_model()
    secret = generate_client_secret() if confidential else ""
    with action(actor, "sso.register_relying_party") as act:
        if Application.objects.filter(name=name).exists():
            raise Conflict("sso.duplicate_name", f"接入系统 {name} 已登记", f"Relying party {name} exists").at("name")
        application = Application(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL if confidential else Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(redirects),
            post_logout_redirect_uris=" ".join(logouts),
            client_secret=secret,
            hash_client_secret=True,
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=False,
        )
        try:
            application.full_clean(exclude=["client_secret", "user"])
        except DjangoValidationError as exc:
            messages = exc.messages
            raise InvalidInput(
                "sso.invalid_client", "；".join(messages), "; ".join(messages), {"errors": messages}
            ) from None
        application.save()  # django-oauth-toolkit hashes the secret on save
        party = RelyingParty.objects.create(application=application, registered_at=act.now, registered_by=actor.ref)
        payload = {
            "client_id": application.client_id,
            "name": name,
            "client_type": application.client_type,
            "redirect_uris": redirects,
            "post_logout_redirect_uris": logouts,
        }
        act.witness(party, payload)
        act.emit(
            "sso.relying_party_registered.v1",
            party,
            {"client_id": application.client_id, "name": name},
            visibility=Visibility.RESTRICTED,
        )
    return party, (secret or None)


def do_deactivate_relying_party(
    *, actor: Actor, client_id: str, reason: str = "", expected_version: int | None = None
) -> RelyingParty:
    """Stop a relying party: its sign-ins, codes, tokens and logout requests are refused from now on."""
    _require_manager(actor)
    with action(actor, "sso.deactivate_relying_party") as act:
        party = relying_party_for_update(client_id).first()
        if party is None:
            raise _not_found(client_id)
        check_version(party.version, expected_version)
        if party.deactivated_at is not None:
            raise Conflict("sso.already_deactivated", "该接入系统已停用", "The relying party is already deactivated")
        party.deactivated_at = act.now
        party.version += 1
        party.save(update_fields=["deactivated_at", "version"])
        act.witness(party, {"client_id": client_id, "reason": reason.strip()[:500]})
        act.emit("sso.relying_party_deactivated.v1", party, {"client_id": client_id}, visibility=Visibility.RESTRICTED)
        return party


def do_authorize(*, actor: Actor, client_id: str, scopes: list[str], allowed: bool, issue: Callable[[], T]) -> T:
    """A signed-in person answers a relying party's sign-in request (consent, 授权). ``issue`` makes the
    authorization response (django-oauth-toolkit stores the code); it runs inside this action, so the code
    exists only if the consent is witnessed."""
    with action(actor, "sso.authorize") as act:
        result = issue()
        party = RelyingParty.objects.filter(application__client_id=client_id).first()
        target = party if party is not None else ("oauth2_provider.application", client_id[:100])
        act.witness(target, {"client_id": client_id, "scopes": sorted(scopes), "allowed": allowed})
        return result


def do_end_session(*, actor: Actor, client_id: str | None, end: Callable[[], T]) -> T:
    """RP-initiated logout: ``end`` revokes the person's tokens and ends the hub session, witnessed here."""
    with action(actor, "sso.end_session") as act:
        result = end()
        act.witness(("identity.account", actor.id), {"client_id": client_id})
        return result
