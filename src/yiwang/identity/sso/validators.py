"""The hub's OAuth2/OpenID Connect request validator (django-oauth-toolkit's, with Yiwang's rules added).

* claims: the person's name, organisations with their 统一社会信用代码, and roles from the grants, released
  by the ``profile``, ``entity`` and ``roles`` scopes (``queries.claims_for_account``);
* a deactivated account gets no code exchanged, no token refreshed and no userinfo;
* a relying party that is not registered here, or deactivated, is treated as unknown.
"""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator

from yiwang.identity.sso import queries


def _active(user) -> bool:
    return user is not None and getattr(user, "is_active", False)


class HubValidator(OAuth2Validator):
    oidc_claim_scope = queries.CLAIM_SCOPES

    def _load_application(self, client_id, request):
        client = super()._load_application(client_id, request)
        if client is not None and not queries.is_usable(client.client_id):
            request.client = None
            return None
        return client

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        return super().validate_code(client_id, code, client, request, *args, **kwargs) and _active(request.user)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and _active(request.user)

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        client = request.client
        if not _active(request.user) or (client is not None and not queries.is_usable(client.client_id)):
            request.oauth2_error = {"error": "invalid_token", "error_description": "The access token is invalid."}
            return False
        return True

    def get_additional_claims(self, request):
        claims = queries.claims_for_account(request.user)
        claims.pop("sub", None)
        return claims

    def get_discovery_claims(self, request):
        return list(queries.CLAIM_SCOPES)
