"""``yiwang search rebuild | check | maintain | query``: maintain and try the unified search index (一网尽览)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.platform.clock import now
from yiwang.platform.search.backends import get_index
from yiwang.platform.search.domain.documents import SearchQuery
from yiwang.platform.search.sources import registered_sources


class Command(BaseCommand):
    help = "Unified search (一网尽览) tools: rebuild, check, maintain, query"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("rebuild", help="re-feed the index from every registered source, drop stale documents")
        sub.add_parser("check", help="compare the document table with the full-text structure")
        sub.add_parser("maintain", help="the engine's upkeep now (PostgreSQL: make missing period indexes)")
        query = sub.add_parser("query", help="run a search (public documents) and print the hits")
        query.add_argument("text", nargs="?", default="")
        query.add_argument("--sort", default="relevance", choices=("relevance", "newest"))
        query.add_argument("--size", type=int, default=10)

    def handle(self, *args, verb: str, **options) -> None:
        index = get_index()
        if verb == "rebuild":
            names = ", ".join(s.name for s in registered_sources()) or "none"
            self.stdout.write(f"sources: {names}")
            report = index.rebuild()
            for name, n in report.sources.items():
                self.stdout.write(f"  {name}: {n} documents")
            self.stdout.write(f"indexed {report.indexed}, removed {report.removed}, total {index.count()}")
        elif verb == "check":
            report = index.check()
            if not report.ok:
                raise CommandError("; ".join(report.problems))
            self.stdout.write(f"ok: {report.documents} documents")
        elif verb == "maintain":
            made = index.maintain(now())
            self.stdout.write(f"made {len(made)}: {', '.join(made)}" if made else "nothing to make")
        else:
            page = index.search(SearchQuery(text=options["text"], sort=options["sort"], size=options["size"]))
            self.stdout.write(f"{page.total_display} hits in {page.took_ms} ms")
            for hit in page.hits:
                self.stdout.write(f"  [{hit.kind}:{hit.key}] {hit.title}")
