"""``yiwang keys``: the platform's signing keys — show, export-public, rotate (witnessed)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.crypto import load_private_key
from yiwang.kernel.errors import YiwangError
from yiwang.platform.keys import service
from yiwang.platform.keys.stores import KEY_KINDS


class Command(BaseCommand):
    help = "Platform signing keys (平台签名密钥): show, export-public, rotate"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("show", help="list the platform keys (current first) and where the current one is kept")
        export = sub.add_parser("export-public", help="write the public keys document (JSON) for offline verifiers")
        export.add_argument("--out", help="file to write (default: standard output)")
        rotate = sub.add_parser("rotate", help="make a new key, endorse it with the old one, retire the old one")
        rotate.add_argument("--algorithm", choices=KEY_KINDS, help="kind of the new key (default: the setting)")
        rotate.add_argument("--key-file", help="adopt this PKCS#8 PEM private key instead of making one")
        rotate.add_argument("--reason", default="", help="why (recorded in the witness log)")

    def handle(self, *args, verb: str, **options) -> None:
        try:
            getattr(self, "_" + verb.replace("-", "_"))(**options)
        except YiwangError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None

    def _show(self, **options) -> None:
        current = service.platform_key_id()
        for record in sorted(service.key_records(), key=lambda r: (r.retired_at is not None, r.valid_from)):
            state = "current" if record.key_id == current else f"retired {iso_utc(record.retired_at)}"
            endorsed = f", endorsed by {record.endorsed_by[:16]}…" if record.endorsed_by else ""
            self.stdout.write(
                f"{record.key_id}  {record.algorithm}  from {iso_utc(record.valid_from)}  {state}{endorsed}"
            )
        names = ", ".join(store.name for store in service.stores())
        self.stdout.write(f"key stores (asked in this order): {names}")

    def _export_public(self, *, out: str | None = None, **options) -> None:
        service.platform_signer()  # make sure there is a key to export
        text = json.dumps(service.public_keys_document(), ensure_ascii=False, indent=2) + "\n"
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {out}")
        else:
            self.stdout.write(text, ending="")

    def _rotate(self, *, algorithm: str | None = None, key_file: str | None = None, reason: str = "", **options):
        from yiwang.platform.keys.actions import do_rotate_platform_key

        private_key = None
        if key_file:
            try:
                private_key = load_private_key(Path(key_file).read_bytes())
            except OSError as exc:
                raise CommandError(f"cannot read {key_file}: {exc}") from None
        previous = service.platform_key_id()
        record = do_rotate_platform_key(
            actor=Actor.system("keys-cli"), kind=algorithm, private_key=private_key, reason=reason
        )
        self.stdout.write(f"rotated: {previous} → {record.key_id} ({record.algorithm})")
