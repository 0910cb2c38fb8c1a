"""Identity API: the OAuth2 token endpoint for machines, the caller's own profile and personal tokens."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Form, Router, Schema, Status

from yiwang.identity import actions, queries
from yiwang.kernel.actors import ROLE_LABELS_ZH
from yiwang.kernel.errors import NotAuthenticated
from yiwang.platform.api.auth import actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import creates, updates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS, ErrorOut
from yiwang.platform.clock import now

router = Router(tags=["identity 身份"])


class TokenOut(Schema):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


def _oauth_error(status: int, error: str, description: str) -> JsonResponse:
    # RFC 6749 §5.2 error body (machines speaking OAuth2 expect this shape here)
    return JsonResponse({"error": error, "error_description": description}, status=status)


@router.post("/oauth/token", auth=None, response={200: TokenOut, 400: dict, 401: dict, 422: ErrorOut})
def token(
    request: HttpRequest,
    grant_type: str = Form(...),
    client_id: str | None = Form(None),
    client_secret: str | None = Form(None),
):
    """OAuth2 client-credentials grant (RFC 6749 §4.4). Credentials in HTTP Basic or in the form body."""
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _oauth_error(400, "invalid_request", "malformed Basic credentials")
    if not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "client_id and client_secret are required")
    try:
        plaintext, expires_at = actions.do_issue_client_token(client_id=client_id, client_secret=client_secret)
    except NotAuthenticated:
        return _oauth_error(401, "invalid_client", "client authentication failed")
    lifetime = int((expires_at - now()).total_seconds())
    response = JsonResponse({"access_token": plaintext, "token_type": "Bearer", "expires_in": max(lifetime, 0)})
    response["Cache-Control"] = "no-store"
    return response


class GrantOut(Schema):
    role: str
    role_label: str
    entity_id: int | None
    organisation_id: int | None
    region: str | None
    admin: bool


class ProfileOut(Schema):
    username: str
    display_name: str
    mobile: str
    email: str
    version: int


class MeOut(Schema):
    ref: str
    kind: str
    label: str
    grants: list[GrantOut]
    profile: ProfileOut | None = Field(None, description="the account's profile (people only, not machines)")


class ProfileIn(Schema):
    display_name: str | None = Field(None, max_length=100)
    mobile: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254)


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest, response: HttpResponse):
    """Who the caller is and which roles it holds (and, for a person, the profile; ETag = its version)."""
    actor = actor_of(request)
    account = queries.account_of(actor)
    if account is not None:
        response["ETag"] = etag(account.version)
    return {
        "profile": account,
        "ref": actor.ref,
        "kind": actor.kind.value,
        "label": actor.label,
        "grants": [
            {
                "role": g.role.value,
                "role_label": ROLE_LABELS_ZH[g.role],
                "entity_id": g.entity_id,
                "organisation_id": g.organisation_id,
                "region": g.region,
                "admin": g.admin,
            }
            for g in actor.grants
        ],
    }


@updates(router, "/me", response={200: ProfileOut, **UPDATE_ERRORS})
def update_me(request: HttpRequest, response: HttpResponse, payload: ProfileIn):
    """Change one's own display name, mobile or e-mail. Requires ``If-Match`` with the ETag from ``GET /me``."""
    expected = if_match_version(request)
    account = _account_or_401(request)
    changes = payload.model_dump(exclude_none=True)
    updated = actions.do_update_profile(
        actor=actor_of(request), account=account, changes=changes, expected_version=expected
    )
    response["ETag"] = etag(updated.version)
    return updated


class PersonalTokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_in_days: int | None = Field(90, ge=1, le=actions.MAX_PERSONAL_TOKEN_DAYS)


class PersonalTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenOut(PersonalTokenOut):
    token: str = Field(description="shown once; store it now")


def _account_or_401(request: HttpRequest):
    account = queries.account_of(actor_of(request))
    if account is None:
        raise NotAuthenticated("auth.account_required", "此操作须以个人账户登录", "A personal account is required")
    return account


@creates(router, "/me/tokens", response={201: IssuedTokenOut, **CREATE_ERRORS})
def issue_token(request: HttpRequest, payload: PersonalTokenIn):
    """Issue a personal access token (the value is in this response only)."""
    account = _account_or_401(request)
    token_row, plaintext = actions.do_issue_personal_token(
        actor=actor_of(request), account=account, name=payload.name, expires_in_days=payload.expires_in_days
    )
    return Status(201, {**PersonalTokenOut.model_validate(token_row).model_dump(), "token": plaintext})


@router.get("/me/tokens", response={200: list[PersonalTokenOut], **ERRORS})
def list_tokens(request: HttpRequest):
    return list(queries.list_tokens_for(actor_of(request)))


@router.delete("/me/tokens/{token_id}", response={200: PersonalTokenOut, 409: ErrorOut, **ERRORS})
def revoke_token(request: HttpRequest, token_id: int):
    return actions.do_revoke_personal_token(actor=actor_of(request), token_id=token_id)
