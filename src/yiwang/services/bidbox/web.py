"""Request helpers of the bid box for the pages and the API (and for an owning context's own upload page)."""

from __future__ import annotations

from django.http import HttpRequest

from yiwang.services.bidbox.conf import bidbox_settings
from yiwang.services.bidbox.domain.fingerprints import upload_address


def upload_address_of(request: HttpRequest) -> dict[str, str]:
    """The uploader's address as keyword arguments of ``actions.do_submit_envelope`` (``upload_ip``,
    ``upload_ip_source``): ``REMOTE_ADDR``, or — only when that is one of ``YIWANG_BIDBOX["TRUSTED_PROXIES"]`` —
    the right-most untrusted hop of ``X-Forwarded-For``."""
    found = upload_address(
        request.META.get("REMOTE_ADDR"),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        bidbox_settings().trusted_proxies,
    )
    return {"upload_ip": found.ip, "upload_ip_source": found.source}
