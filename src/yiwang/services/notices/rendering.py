"""A notice as data (data-spec names), as HTML pieces and as PDF (WeasyPrint with a CJK font, a QR code of the
notice's address and the SHA-256 of its data).

**Data.** :func:`notice_data` is the published content of one version under the national data-spec names
(``NOTICE_NAME``, ``NOTICE_CONTENT``, ``NOTICE_SEND_TIME``, ``NOTICE_NATURE``, ``BULLETIN_TYPE``,
``UNIFIED_DEAL_CODE``, ``REGION_CODE`` … plus the type's own fields, flat, as the specification lays its
records out). Its canonical-JSON SHA-256 (:func:`yiwang.kernel.canonical.digest_json`) is stored when the
version is published and printed on the PDF: anyone holding the JSON from ``/api/v1/notices/<id>`` can
recompute it.

**PDF.** Rendered once, when the version is published, and stored in platform.storage (kind ``notice``),
so the file people downloaded is the evidence. The renderer may fetch nothing: the only resources it may
load are ``data:`` URIs (the QR code); a notice body cannot contain images (the sanitiser's allow-list), and
any other URL is refused. Fonts: the system's Noto CJK (Debian ``fonts-noto-cjk``); without a CJK font the
PDF would show empty boxes, which the system check ``notices.W001`` warns about.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from yiwang.kernel.money import Money
from yiwang.services.notices.domain import fields as field_rules
from yiwang.services.notices.domain.fields import SHANGHAI

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def public_url(path: str) -> str:
    """An absolute address of a site path (``settings.YIWANG_PUBLIC_URL``, default the local server)."""
    base = (getattr(settings, "YIWANG_PUBLIC_URL", "") or DEFAULT_PUBLIC_URL).rstrip("/")
    return f"{base}{path}"


def notice_path(notice_id: int) -> str:
    return f"/notices/{notice_id}/"


def pdf_path(notice_id: int) -> str:
    return f"/notices/{notice_id}.pdf"


def local_iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def notice_data(notice: Any, attachments: Sequence[Any], *, type_label: str) -> dict[str, Any]:
    """The content of a notice version under data-spec names (what is hashed and published as data)."""
    data: dict[str, Any] = {
        "NOTICE_ID": notice.pk,
        "NOTICE_CODE": notice.number,
        "NOTICE_NAME": notice.title,
        "NOTICE_CONTENT": notice.body_html,
        "NOTICE_SEND_TIME": local_iso(notice.published_at),
        "NOTICE_NATURE": notice.nature,
        "BULLETIN_TYPE": notice.notice_type,
        "BULLETIN_TYPE_NAME": type_label,
        "NOTICE_VERSION": notice.notice_version,
        "SUPERSEDES_NOTICE_ID": notice.supersedes_id,
        "CORRECTION_REASON": notice.correction_reason or None,
        "UNIFIED_DEAL_CODE": notice.deal_code or None,
        "REGION_CODE": notice.region_code,
        "TRADE_CATEGORY": notice.category,
        "STAGE": notice.stage or None,
        "OWNER_REF": notice.owner_ref,
        "PLATFORM_CODE": getattr(settings, "YIWANG_PLATFORM_CODE", ""),
        "URL": public_url(notice_path(notice.pk)),
        "ATTACHMENTS": [
            {"NAME": a.title, "FILE_NAME": a.filename, "SHA256": a.sha256, "SIZE": a.size} for a in attachments
        ],
    }
    for name, value in (notice.fields or {}).items():
        data.setdefault(name, value)
    return data


def display_value(spec: field_rules.FieldSpec, value: Any) -> str:
    if value is None:
        return ""
    if spec.kind == field_rules.DATETIME:
        return field_rules.parse_datetime(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if spec.kind == field_rules.FEN:
        return f"{Money(value).format_yuan()} 元"
    if spec.kind == field_rules.BOOL:
        return "是" if value else "否"
    if spec.kind == field_rules.CODES:
        return "、".join(value)
    return str(value)


def field_rows(notice_type: str, values: dict[str, Any]) -> dict[str, Any]:
    """The fields for people: ``rows`` (label, value) and ``tables`` (label, column labels, rows) for lists."""
    schema = field_rules.schema_for(notice_type)
    rows, tables = [], []
    for spec in schema.all_fields:
        if spec.name not in values:
            continue
        if spec.kind == field_rules.LIST:
            columns = [s for s in spec.items if any(s.name in e for e in values[spec.name])]
            tables.append(
                {
                    "label": spec.label_zh,
                    "columns": [c.label_zh for c in columns],
                    "rows": [[display_value(c, e.get(c.name)) for c in columns] for e in values[spec.name]],
                }
            )
        else:
            rows.append((spec.label_zh, display_value(spec, values[spec.name])))
    return {"rows": rows, "tables": tables}


def qr_data_uri(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=3, border=2)


_local = threading.local()


def _font_config() -> Any:
    """One WeasyPrint font configuration per thread (building it loads fontconfig; reusing it saves that)."""
    config = getattr(_local, "fonts", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.fonts = FontConfiguration()
    return config


def render_pdf(context: dict[str, Any]) -> bytes:
    """The PDF of a notice from the ``notices/pdf.html`` template. Most of the time goes into subsetting the
    CJK fonts (one regular, one bold face): about 0.2–0.4 s per notice on our machines (bench/notices_bench.py)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("notices/pdf.html", context)
    # data: URIs only (the QR code): the renderer never reaches the network or the file system
    fetcher = URLFetcher(allowed_protocols=["data"], allow_redirects=False, timeout=1)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=_font_config())


def pdf_context(notice: Any, attachments: Sequence[Any], *, type_label: str, data_sha256: str, preview: bool) -> dict:
    return {
        "notice": notice,
        "platform_name": getattr(settings, "YIWANG_PLATFORM_NAME", "一网交易"),
        "type_label": type_label,
        "published_at": notice.published_at.astimezone(SHANGHAI) if notice.published_at else None,
        "fields": field_rows(notice.notice_type, notice.fields or {}),
        "attachments": attachments,
        "data_sha256": data_sha256,
        "url": public_url(notice_path(notice.pk)),
        "qr": qr_data_uri(public_url(notice_path(notice.pk))),
        "preview": preview,
    }


_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"))


def cjk_font_installed() -> bool:
    """Is a Noto/Source Han CJK font where fontconfig looks (what WeasyPrint uses)?"""
    patterns = ("**/*NotoSansCJK*", "**/*NotoSerifCJK*", "**/*SourceHan*", "**/*wqy*")
    return any(glob.glob(os.path.join(d, p), recursive=True) for d in _FONT_DIRS for p in patterns if os.path.isdir(d))
