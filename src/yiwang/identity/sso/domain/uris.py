"""Which redirect URIs a relying party may register, and who may register relying parties.

OpenID Connect (Core §3.1.2.1) and RFC 9700 §2.1 want redirect URIs compared exactly, so they must be absolute,
without a fragment and without wildcards; the hub accepts HTTPS only (sub-platforms are public services).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.ids import region_covers

MAX_URIS = 10
MAX_URI_LENGTH = 500
MAX_NAME_LENGTH = 100


def clean_uris(uris: list[str], *, field: str, required: bool) -> list[str]:
    """The URIs, stripped and deduplicated in order; ``sso.invalid_redirect_uri`` (422) naming the first bad one."""
    cleaned: list[str] = []
    for uri in (u.strip() for u in uris):
        if not uri or uri in cleaned:
            continue
        parts = urlsplit(uri)
        problem = None
        if len(uri) > MAX_URI_LENGTH:
            problem = ("过长", "too long")
        elif parts.scheme != "https" or not parts.hostname:
            problem = ("须为 https:// 开头的完整地址", "must be an absolute https:// URI")
        elif parts.fragment or "#" in uri:
            problem = ("不得含片段（#）", "must not contain a fragment")
        elif "*" in uri or any(c.isspace() for c in uri):
            problem = ("不得含通配符或空白", "must not contain wildcards or spaces")
        if problem:
            raise InvalidInput(
                "sso.invalid_redirect_uri",
                f"回调地址 {uri[:80]} {problem[0]}",
                f"Redirect URI {uri[:80]} {problem[1]}",
                {"uri": uri[:MAX_URI_LENGTH]},
            ).at(field)
        cleaned.append(uri)
    if required and not cleaned:
        raise InvalidInput(
            "sso.redirect_uri_required", "请至少填写一个登录回调地址", "At least one redirect URI is required"
        ).at(field)
    if len(cleaned) > MAX_URIS:
        raise InvalidInput(
            "sso.too_many_uris",
            f"回调地址最多 {MAX_URIS} 个",
            f"At most {MAX_URIS} URIs",
            {"max": MAX_URIS},
        ).at(field)
    return cleaned


def clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            "sso.invalid_name",
            f"请填写接入系统名称（不超过 {MAX_NAME_LENGTH} 字）",
            f"A name of at most {MAX_NAME_LENGTH} characters is required",
        ).at("name")
    return name


def may_manage_relying_parties(actor: Actor, platform_region: str) -> bool:
    """Platform staff administrators over the hub's whole region (and the system itself) register sub-platforms."""
    if actor.is_system:
        return True
    return any(
        g.role is Role.STAFF and g.admin and g.region and region_covers(g.region, platform_region) for g in actor.grants
    )
