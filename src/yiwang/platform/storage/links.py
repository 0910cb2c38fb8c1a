"""Signed, time-limited download links: ``/files/<token>``.

The token is ``django.core.signing`` over ``{version id, expiry, actor ref, purpose}`` with a key derived from
``SECRET_KEY`` and this module's salt (HMAC-SHA256; ``SECRET_KEY_FALLBACKS`` keep links valid across a key
rotation). Expiry is checked against :func:`yiwang.platform.clock.now`, so tests move it with the manual clock.

A link is a capability: whoever holds it may fetch that one version until it expires, which is why links are
short-lived and bound to the actor who asked (recorded in the download's witness entry). Deciding who may
*get* a link is the owning context's business; the store only enforces the signature and the expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core import signing
from django.urls import reverse

from yiwang.kernel.actors import Actor, ActorKind
from yiwang.kernel.canonical import iso_utc
from yiwang.platform.clock import now
from yiwang.platform.storage import errors
from yiwang.platform.storage.conf import storage_settings
from yiwang.platform.storage.models import DocumentVersion

SALT = "yiwang.platform.storage.download-link.v1"
PURPOSES = ("download", "view")  # download: Content-Disposition attachment; view: inline (PDF in the browser)


@dataclass(frozen=True)
class DownloadLink:
    url: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkClaims:
    version_id: int
    expires_at: datetime
    actor_ref: str
    purpose: str


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, algorithm="sha256")


def make_link(
    actor: Actor, version: DocumentVersion, ttl: int | timedelta | None = None, *, purpose: str = "download"
) -> DownloadLink:
    """A signed link to ``version`` for ``actor``, valid ``ttl`` seconds (default and maximum from settings)."""
    conf = storage_settings()
    seconds = conf.link_ttl_seconds if ttl is None else ttl
    seconds = int(seconds.total_seconds()) if isinstance(seconds, timedelta) else int(seconds)
    if not 1 <= seconds <= conf.link_max_ttl_seconds:
        raise errors.link_ttl(conf.link_max_ttl_seconds)
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    expires = int(now().timestamp()) + seconds
    token = _signer().sign_object({"v": version.pk, "e": expires, "a": actor.ref, "p": purpose}, compress=False)
    url = reverse("storage:download", kwargs={"token": token})
    return DownloadLink(url=url, token=token, expires_at=datetime.fromtimestamp(expires, UTC))


def download_url(
    actor: Actor, version: DocumentVersion, ttl: int | timedelta | None = None, *, purpose: str = "download"
) -> str:
    """``/files/<token>``: the path of a signed, time-limited link to ``version`` (see :func:`make_link`)."""
    return make_link(actor, version, ttl, purpose=purpose).url


def read_link(token: str) -> LinkClaims:
    """The claims of a link; ``storage.link_invalid`` (403) if forged or altered, ``storage.link_expired``
    (410) once its time is up."""
    try:
        data = _signer().unsign_object(token)
        claims = LinkClaims(
            version_id=int(data["v"]),
            expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            actor_ref=str(data["a"]),
            purpose=str(data["p"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError):
        raise errors.link_invalid() from None
    if claims.purpose not in PURPOSES:
        raise errors.link_invalid()
    if now() >= claims.expires_at:
        raise errors.link_expired(iso_utc(claims.expires_at))
    return claims


def actor_of_link(claims: LinkClaims) -> Actor:
    """The actor a link was issued to, as far as the link tells (its ref; no roles)."""
    kind, _, ident = claims.actor_ref.partition(":")
    try:
        actor_kind = ActorKind(kind)
    except ValueError:
        raise errors.link_invalid() from None
    if actor_kind is ActorKind.ANONYMOUS:
        return Actor.anonymous()
    return Actor(actor_kind, ident, claims.actor_ref)
