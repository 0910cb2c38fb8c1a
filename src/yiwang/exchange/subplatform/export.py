"""The CSV download of a monthly quality report's findings (page and API share it)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse

from yiwang.exchange.subplatform.queries import FINDING_COLUMNS, MonthlyReport, findings_csv_rows


def findings_csv_response(rep: MonthlyReport) -> HttpResponse:
    """The findings as a CSV download (UTF-8 with BOM so spreadsheet programs read the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FINDING_COLUMNS)
    writer.writerows(findings_csv_rows(rep))
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"quality-{rep.platform.platform_code}-{rep.month}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
