"""``yiwang archive``: per-project electronic archives (电子档案).

With the database (acting as the platform, ``system:archive-cli``):
  export PROJECT_REF [--out FILE] [--category C] [--title T] [--reason R]
                                  archive the project now: build, store and record a new version (the package
                                  is also written to FILE when given)
  export PROJECT_REF --no-store --out FILE   build the package into FILE only; nothing is recorded
  export PROJECT_REF --reproduce N --out FILE   rebuild recorded version N and say whether the bytes are the same
  list [--project REF]            archives, versions, retention and legal holds
  sweep                           mark versions past retention (and not held) as eligible for disposal

Offline (the package file only — never opens a database connection):
  verify FILE [--keys keys.json] [--json] [--require-witnessed]
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.kernel.errors import YiwangError


class Command(BaseCommand):
    help = "Electronic archives (电子档案): export, verify (offline), list, sweep"
    requires_system_checks: list[str] = []  # verify must work without a reachable database

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        export = sub.add_parser("export", help="archive a project (build, store, record), or export without storing")
        export.add_argument("project_ref")
        export.add_argument("--out", help="also write the package to this file")
        export.add_argument("--category", default="", help="trading category (works, gp …): chooses retention rules")
        export.add_argument("--title", default="")
        export.add_argument("--reason", default="命令行归档 / archived from the command line")
        export.add_argument("--no-store", action="store_true", help="write the package to --out, record nothing")
        export.add_argument("--reproduce", type=int, metavar="N", help="rebuild recorded version N into --out")

        verify = sub.add_parser("verify", help="verify a package offline")
        verify.add_argument("file")
        verify.add_argument("--keys", help="the platform's published public keys document (yiwang keys export-public)")
        verify.add_argument("--json", action="store_true", help="print the report as JSON")
        verify.add_argument("--require-witnessed", action="store_true", help="fail items claiming no witnessed digest")

        listing = sub.add_parser("list", help="list archives")
        listing.add_argument("--project", help="a project reference, or its beginning")

        sub.add_parser("sweep", help="mark versions past retention as eligible for disposal (deletes nothing)")

    def handle(self, *args, verb: str, **options) -> None:
        try:
            getattr(self, "_" + verb)(**options)
        except YiwangError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None

    # -- offline ------------------------------------------------------------------------------------------------

    def _verify(self, *, file: str, keys: str | None, require_witnessed: bool, **options) -> None:
        from yiwang.services.archive.package.__main__ import load_keys
        from yiwang.services.archive.package.verify import verify_package

        try:
            ring = load_keys(keys) if keys else None
        except OSError as exc:
            raise CommandError(f"cannot read the keys document {keys}: {exc}") from None
        report = verify_package(file, keys=ring, require_witnessed=require_witnessed)
        if options["json"]:
            self.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
            if not report.ok:
                raise CommandError(f"INVALID: {report.reason}")
            return
        if not report.ok:
            raise CommandError(report.describe())
        self.stdout.write(report.describe())

    # -- with the database --------------------------------------------------------------------------------------

    def _actor(self):
        from yiwang.kernel.actors import Actor

        return Actor.system("archive-cli")

    def _export(self, *, project_ref: str, out: str | None, category: str, title: str, reason: str, **options) -> None:
        from yiwang.platform.storage.queries import open_version
        from yiwang.services.archive import actions, exports, queries

        if options["reproduce"] is not None:
            if not out:
                raise CommandError("--reproduce needs --out")
            done = exports.reproduce_version(
                actor=self._actor(), project_ref=project_ref, number=options["reproduce"], out=Path(out)
            )
            if not done.identical:
                raise CommandError(
                    f"version {options['reproduce']} rebuilt into {out} differs from the recorded package "
                    f"(sha256 {done.sha256}): the project's records changed since"
                )
            self.stdout.write(f"version {options['reproduce']} reproduced byte for byte: sha256 {done.sha256}")
            return
        if options["no_store"]:
            if not out:
                raise CommandError("--no-store needs --out")
            done = exports.export_package(
                actor=self._actor(), project_ref=project_ref, out=Path(out), category=category, title=title
            )
            self.stdout.write(
                f"wrote {out}: {done.items} items, {done.entries} witness entries, tree head {done.tree_size}, "
                f"{done.size} bytes, sha256 {done.sha256} (not recorded)"
            )
            return
        version = actions.do_create_archive(
            actor=self._actor(), project_ref=project_ref, reason=reason, category=category, title=title
        )
        self.stdout.write(
            f"archived {project_ref} as version {version.number}: {version.item_count} items, "
            f"{version.entry_count} witness entries, {version.package_size} bytes, sha256 {version.package_sha256}; "
            f"kept until {version.retention_until.isoformat()}"
        )
        if out:
            with (
                open_version(queries.package_version(version.archive_id, version.number)) as src,
                open(out, "wb") as dst,
            ):
                shutil.copyfileobj(src, dst)
            self.stdout.write(f"wrote {out}")

    def _list(self, *, project: str | None, **options) -> None:
        from yiwang.services.archive import queries

        page = queries.list_archives_for(self._actor(), project=project, limit=200)
        if not page.items:
            self.stdout.write("no archives")
            return
        for archive in page.items:
            hold = f", {archive.active_holds} legal hold(s)" if archive.on_hold else ""
            self.stdout.write(f"{archive.project_ref}  {archive.title}{hold}")
            for v in archive.versions:
                self.stdout.write(
                    f"  v{v.number}  {v.created_at.isoformat()}  {v.item_count} items  {v.entry_count} entries  "
                    f"{v.package_size} bytes  {v.status}  kept until {v.retention_until.date().isoformat()}"
                )
        if page.total > len(page.items):
            self.stdout.write(f"… {page.total - len(page.items)} more")

    def _sweep(self, **options) -> None:
        from yiwang.platform.clock import now
        from yiwang.services.archive import jobs

        marked = jobs.retention_sweep(now())
        self.stdout.write(f"{marked} version(s) newly eligible for disposal")
