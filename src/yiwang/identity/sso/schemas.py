"""API shapes of single sign-on."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema


class RelyingPartyIn(Schema):
    name: str = Field(..., max_length=100, description="接入系统名称")
    client_type: Literal["confidential", "public"] = Field(
        "confidential", description="confidential: a server with a secret; public: mobile/single-page, PKCE only"
    )
    redirect_uris: list[str] = Field(..., max_length=10, description="absolute https:// URIs, matched exactly")
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=10)


class RelyingPartyOut(Schema):
    client_id: str
    name: str
    client_type: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    registered_at: datetime
    registered_by: str
    active: bool
    deactivated_at: datetime | None
    version: int


class RelyingPartyCreatedOut(RelyingPartyOut):
    client_secret: str | None = Field(None, description="shown in this response only; stored hashed")


class DeactivateIn(Schema):
    reason: str = Field("", max_length=500)
