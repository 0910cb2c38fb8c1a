"""``yiwang ocds-publish [--from-start]``: publish the OCDS releases of what the feed holds (the clock does this
every minute; ``--from-start`` re-reads the whole feed and stores only what is missing)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from yiwang.exchange.ocds import actions

MAX_PAGES = 100_000


class Command(BaseCommand):
    help = "发布 OCDS 数据 / publish the OCDS releases of the feed"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from-start", action="store_true", help="re-read the feed from its first event")

    def handle(self, *args: Any, **options: Any) -> None:
        added = existing = 0
        from_start = bool(options["from_start"])
        for _ in range(MAX_PAGES):
            result = actions.do_publish_releases(actor=actions.PUBLISHER, from_start=from_start)
            from_start = False
            added += len(result.added)
            existing += result.existing
            if result.read == 0:
                break
        self.stdout.write(f"OCDS：新发布 {added} 条，已存在 {existing} 条 / {added} new, {existing} already stored")
