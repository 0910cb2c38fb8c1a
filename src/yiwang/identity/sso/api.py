"""统一身份认证（OpenID Connect） API: relying parties (接入系统), for platform administrators.

The provider's own endpoints (discovery, JWKS, authorize, token, userinfo, logout) are under ``/sso/`` and
follow OpenID Connect, not this API's conventions; their addresses are in ``/sso/.well-known/openid-configuration``.
"""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from yiwang.identity.sso import actions, queries
from yiwang.identity.sso.schemas import DeactivateIn, RelyingPartyCreatedOut, RelyingPartyIn, RelyingPartyOut
from yiwang.platform.api.auth import actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS

router = Router(tags=["sso 统一身份认证"])
BASE = "/api/v1/sso"


@router.get("/relying-parties", response={200: list[RelyingPartyOut], **ERRORS})
def list_relying_parties(request: HttpRequest):
    """Every registered relying party, newest first (platform administrators)."""
    return queries.list_relying_parties_for(actor_of(request))


@router.get("/relying-parties/{client_id}", response={200: RelyingPartyOut, **ERRORS})
def get_relying_party(request: HttpRequest, response: HttpResponse, client_id: str):
    view = queries.get_relying_party_for(actor_of(request), client_id)
    response["ETag"] = etag(view.version)
    return view


@creates(router, "/relying-parties", response={201: RelyingPartyCreatedOut, **CREATE_ERRORS})
def register_relying_party(request: HttpRequest, response: HttpResponse, payload: RelyingPartyIn):
    """Register a sub-platform as an OpenID Connect client. A confidential client's ``client_secret`` is in
    this response only. Refusals: ``403 sso.forbidden``, ``422 sso.invalid_name``, ``sso.invalid_redirect_uri``,
    ``sso.redirect_uri_required``, ``sso.too_many_uris``, ``409 sso.duplicate_name``."""
    actor = actor_of(request)
    party, secret = actions.do_register_relying_party(
        actor=actor,
        name=payload.name,
        redirect_uris=payload.redirect_uris,
        post_logout_redirect_uris=payload.post_logout_redirect_uris,
        confidential=payload.client_type == "confidential",
    )
    view = queries.get_relying_party_for(actor, party.application.client_id)
    response["Location"] = f"{BASE}/relying-parties/{view.client_id}"
    response["ETag"] = etag(view.version)
    return Status(201, {**asdict(view), "client_secret": secret})


@acts(router, "/relying-parties/{client_id}/deactivate", response={200: RelyingPartyOut, **UPDATE_ERRORS})
def deactivate_relying_party(request: HttpRequest, response: HttpResponse, client_id: str, payload: DeactivateIn):
    """Stop a relying party (``If-Match`` required): its sign-ins, code exchanges and tokens are refused from
    now on. Refusals: ``404 sso.unknown_client``, ``409 sso.already_deactivated``, ``412``/``428``."""
    actor = actor_of(request)
    expected = if_match_version(request)
    actions.do_deactivate_relying_party(
        actor=actor, client_id=client_id, reason=payload.reason, expected_version=expected
    )
    view = queries.get_relying_party_for(actor, client_id)
    response["ETag"] = etag(view.version)
    return view
