"""``yiwang seed-reference``: load the shipped reference data where it is missing (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from yiwang.catalog.reference import ensure_reference_data


class Command(BaseCommand):
    help = "载入随平台发布的参考数据（行政区划、代码表、节假日、六张目录清单），已有的不重复写入"

    def handle(self, *args, **options) -> None:
        rows = ensure_reference_data()
        self.stdout.write(f"reference data: {rows} rows written")
