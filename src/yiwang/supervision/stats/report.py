"""The periodic evaluation report (交易监管评估报告): the indicators of one period and region, the breakdowns
and the red-flag alert counts, as an HTML page and as a PDF (WeasyPrint with the system's Noto CJK font, as the
notices' PDFs; the renderer may fetch nothing)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from yiwang.kernel.actors import Actor
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.clock import now
from yiwang.supervision.stats import queries


@dataclass(frozen=True)
class Report:
    set: queries.IndicatorSet
    alerts: Any  # redflags.queries.AlertCounts
    generated_at: datetime
    generated_by: str
    platform_name: str

    @property
    def title(self) -> str:
        f = self.set.filters
        return f"{f.region_label}公共资源交易监管评估报告（{f.period.label_zh}）"


def build(actor: Actor, *, period: str | None = None, region: str | None = None) -> Report:
    from yiwang.supervision.redflags import queries as redflags

    s = queries.indicators_for(actor, period=period, region=region)
    p = s.filters.period
    since = datetime.combine(p.first, time.min, tzinfo=SHANGHAI)
    until = datetime.combine(p.last + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    alerts = redflags.count_alerts_for(actor, region=s.filters.region, since=since, until=until)
    return Report(
        set=s,
        alerts=alerts,
        generated_at=now().astimezone(SHANGHAI),
        generated_by=actor.label,
        platform_name=getattr(settings, "YIWANG_PLATFORM_NAME", "一网交易"),
    )


_local = threading.local()


def _font_config() -> Any:
    config = getattr(_local, "fonts", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.fonts = FontConfiguration()
    return config


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    with translation.override(settings.LANGUAGE_CODE):  # the report is a Chinese document, whatever the page's language
        html = render_to_string("stats/report_pdf.html", {"report": report, "s": report.set})
    fetcher = URLFetcher(allowed_protocols=["data"], allow_redirects=False, timeout=1)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=_font_config())
