"""中标通知书 / 成交通知书 as PDF (WeasyPrint with the system's CJK font, a QR code of its verification page).

The letter is rendered from ``tender/award_letter.html``; the renderer may load ``data:`` URIs only (no network,
no file system). The PDF is stored in the document store and its digests sealed with the platform key; the
letter number and the SHA-256 are printed on it so a holder can check a copy on the project page.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

_local = threading.local()


def _font_config() -> Any:
    config = getattr(_local, "fonts", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.fonts = FontConfiguration()
    return config


def qr_data_uri(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=3, border=2)


def render_award_letter(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    context = {**context, "platform_name": getattr(settings, "YIWANG_PLATFORM_NAME", "一网交易")}
    if context.get("verify_url"):
        context["qr"] = qr_data_uri(context["verify_url"])
    html = render_to_string("tender/award_letter.html", context)
    fetcher = URLFetcher(allowed_protocols=["data"], allow_redirects=False, timeout=1)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=_font_config())
