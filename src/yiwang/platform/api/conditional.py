"""ETag / If-Match: updates say which version they change, so no one overwrites a change they never saw.

Every updatable resource carries an integer ``version``; its ETag is ``"<version>"``. An update without
``If-Match`` is refused with 428, a stale one with 412. The comparison itself happens inside the action,
under the row lock (:func:`yiwang.kernel.versioning.check_version`), so two racing updates cannot both pass.
"""

from __future__ import annotations

import re

from django.http import HttpRequest

from yiwang.kernel.errors import PreconditionFailed, PreconditionRequired

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')
ANY = None


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request: HttpRequest) -> int | None:
    """The version named by ``If-Match`` (``None`` for ``*``). Missing → 428; unparsable → 412."""
    value = request.headers.get("If-Match")
    if value is None or not value.strip():
        raise PreconditionRequired(
            "precondition.if_match_required",
            "更新请求须携带 If-Match 头（先读取资源获得 ETag）",
            "Updates require an If-Match header carrying the resource's ETag",
        )
    value = value.strip()
    if value == "*":
        return ANY
    match = _ETAG.match(value)
    if not match:
        raise PreconditionFailed(
            "precondition.if_match_invalid",
            "If-Match 格式不正确",
            "If-Match is not a valid ETag",
            {"if_match": value},
        )
    return int(match.group(1))


OPENAPI_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "资源当前的 ETag / the resource's current ETag (from a previous GET)",
}
