"""``yiwang ocds-import FILE [--label TEXT]``: import external OCDS (a release or record package, or JSON Lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiwang.exchange.ocds import actions
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError


class Command(BaseCommand):
    help = "导入外部 OCDS 数据 / import external OCDS data"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--label", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            batch = actions.do_import_ocds(
                actor=Actor.system("ocds-import"), data=data, label=options["label"] or path.name
            )
        except YiwangError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from exc
        summary = batch.summary
        counts = f"重复 {batch.duplicates}，冲突 {batch.conflicts}，无法读取 {summary['malformed']} 行"
        self.stdout.write(f"导入 {batch.added} 条（{counts}）")
        for error in summary["errors"][:50]:
            self.stdout.write(f"  第 {error['line']} 行 {error['code']}: {error['message']}")
