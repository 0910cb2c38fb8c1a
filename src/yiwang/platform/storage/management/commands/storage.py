"""``yiwang storage verify`` (re-hash every stored version) and ``yiwang storage sweep`` (remove orphans)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.platform.clock import now
from yiwang.platform.storage.blobs import verify_blob
from yiwang.platform.storage.models import DocumentVersion
from yiwang.platform.storage.sweep import sweep_everything


class Command(BaseCommand):
    help = "Document store (文件存储) tools: verify, sweep"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="re-read every stored version, recompute SHA-256 and SM3, report problems")
        sub.add_parser("sweep", help="remove unreferenced blobs older than the grace period, and stale temp files")

    def handle(self, *args, verb: str, **options) -> None:
        if verb == "verify":
            self._verify()
        elif verb == "sweep":
            removed = sweep_everything(now())
            self.stdout.write(f"swept {removed} orphan blob(s) / temporary file(s)")

    def _verify(self) -> None:
        rows = (
            DocumentVersion.objects.order_by("sha256", "pk")
            .values_list("sha256", "sm3", "size", "pk", "document_id", "number")
            .iterator(chunk_size=1000)
        )
        checked = problems = 0
        last: tuple[str, str, int] | None = None
        verdict = None
        for sha256, sm3, size, pk, document_id, number in rows:
            if (sha256, sm3, size) != last:  # one read per blob, however many versions share it
                last = (sha256, sm3, size)
                verdict = verify_blob(sha256, sm3=sm3, size=size)
                checked += 1
            assert verdict is not None
            if not verdict.ok:
                problems += 1
                detail = ""
                if verdict.status == "corrupted":
                    detail = (
                        f" (now sha256={verdict.actual_sha256} sm3={verdict.actual_sm3} size={verdict.actual_size})"
                    )
                self.stdout.write(
                    f"{verdict.status.upper()}: document {document_id} version {number} (#{pk}) blob {sha256}{detail}"
                )
        summary = f"checked {checked} blob(s); {problems} version(s) with a missing or corrupted blob"
        if problems:
            raise CommandError(summary)
        self.stdout.write(f"OK: {summary}")
