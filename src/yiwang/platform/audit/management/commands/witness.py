"""``yiwang witness``: the witness log's tools.

With the database:
  verify                          recompute the chain, check entry signatures, the stored Merkle tree and the
                                  signed tree heads; report the first problem
  sign-head [--size N]            sign and keep a tree head now
  backfill-tree [--batch N]       build the Merkle tree for entries that predate it (resumable)
  export --out FILE [--upto SEQ]  write an archive (entries 1..SEQ and a freshly signed head), streaming

Offline (files only — these never open a database connection):
  verify --archive FILE [--keys keys.json] [--trusted-head head.json]
  prove --archive FILE --seq N [--out proof.json] [--keys keys.json]
  verify-proof proof.json [--keys keys.json] [--trusted-head head.json]
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.kernel.errors import YiwangError
from yiwang.platform.audit import offline


class Command(BaseCommand):
    help = "Witness log (见证日志) tools: verify, sign-head, backfill-tree, export, prove, verify-proof"
    requires_system_checks: list[str] = []  # offline verbs must work without a reachable database

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        verify = sub.add_parser("verify", help="verify the log in the database, or an exported archive (--archive)")
        verify.add_argument("--batch", type=int, default=2000)
        verify.add_argument("--skip-signatures", action="store_true", help="database: do not check entry signatures")
        verify.add_argument("--archive", help="verify this archive file offline instead of the database")
        verify.add_argument("--keys", help="the platform public keys document (yiwang keys export-public)")
        verify.add_argument("--trusted-head", help="a tree head obtained elsewhere the archive must extend")
        verify.add_argument(
            "--skip-entry-signatures",
            action="store_true",
            help="archive: check only the head's signature (it covers every entry through the Merkle root)",
        )
        verify.add_argument(
            "--require-entry-signatures", action="store_true", help="archive: refuse entries without a signature"
        )

        sign = sub.add_parser("sign-head", help="sign and keep a tree head of the current tree (or of --size)")
        sign.add_argument("--size", type=int)

        backfill = sub.add_parser("backfill-tree", help="build the Merkle tree for entries that predate it")
        backfill.add_argument("--batch", type=int, default=5000)

        export = sub.add_parser("export", help="export an archive with a freshly signed tree head")
        export.add_argument("--out", required=True)
        export.add_argument("--upto", type=int, help="last entry to include (default: the whole tree)")
        export.add_argument("--batch", type=int, default=2000)

        prove = sub.add_parser("prove", help="prove one entry from an archive (offline)")
        prove.add_argument("--archive", required=True)
        prove.add_argument("--seq", type=int, required=True)
        prove.add_argument("--out", help="file to write the proof to (default: standard output)")
        prove.add_argument("--keys", help="check the archive's signatures with these keys while proving")

        check = sub.add_parser("verify-proof", help="verify a proof document (offline)")
        check.add_argument("proof")
        check.add_argument("--keys", help="the platform public keys document")
        check.add_argument("--trusted-head", help="the proof must be against this tree head")

    def handle(self, *args, verb: str, **options) -> None:
        try:
            getattr(self, "_" + verb.replace("-", "_"))(**options)
        except YiwangError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None

    # -- offline ------------------------------------------------------------------------------------------

    def _ring(self, keys: str | None):
        if not keys:
            self.stderr.write("warning: no --keys given, signatures are NOT checked")
            return None
        ring = offline.load_key_ring(keys)
        for problem in ring.check_endorsements():
            self.stderr.write(f"warning: key rotation chain: {problem}")
        return ring

    def _verify_archive(self, archive: str, keys: str | None, trusted_head: str | None, **options) -> None:
        ring = self._ring(keys)
        trusted = offline.load_tree_head(trusted_head) if trusted_head else None
        report = offline.verify_archive_file(
            archive,
            ring,
            trusted_head=trusted,
            entry_signatures=not options["skip_entry_signatures"],
            require_entry_signatures=options["require_entry_signatures"],
        )
        if not report.ok:
            raise CommandError(report.describe())
        self.stdout.write(report.describe())

    def _prove(self, *, archive: str, seq: int, out: str | None, keys: str | None, **options) -> None:
        proof = offline.prove_from_archive(archive, seq, self._ring(keys))
        text = offline.dumps(proof.to_json())
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote the proof of entry {seq} against the head of size {proof.head.tree_size}")
        else:
            self.stdout.write(text, ending="")

    def _verify_proof(self, *, proof: str, keys: str | None, trusted_head: str | None, **options) -> None:
        try:
            document = offline.read_json_file(proof)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {proof}: {exc}") from None
        trusted = offline.load_tree_head(trusted_head) if trusted_head else None
        report = offline.verify_proof_document(document, self._ring(keys), trusted_head=trusted)
        kind = offline.proof_kind(document)
        if not report.ok:
            raise CommandError(f"{kind} proof {report.describe()}")
        self.stdout.write(f"{kind} proof {report.describe()}")

    # -- with the database ----------------------------------------------------------------------------------

    def _verify(self, *, archive: str | None = None, **options) -> None:
        if archive:
            self._verify_archive(archive, **options)
            return
        from yiwang.platform.audit import chain

        report = chain.verify(batch=options["batch"], signatures=not options["skip_signatures"])
        if not report.ok:
            raise CommandError(report.describe())
        self.stdout.write(report.describe())

    def _sign_head(self, *, size: int | None = None, **options) -> None:
        from yiwang.platform.audit import heads

        signed = heads.sign_head(size)
        self.stdout.write(json.dumps(signed.to_json(), ensure_ascii=False))

    def _backfill_tree(self, *, batch: int, **options) -> None:
        from yiwang.platform.audit import tree

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"  tree: {done:,} / {total:,} leaves")

        added = tree.backfill(batch, progress=progress)
        self.stdout.write(f"backfill: {added:,} leaves added")

    def _export(self, *, out: str, upto: int | None, batch: int, **options) -> None:
        from yiwang.platform.audit import export

        target = Path(out)
        temporary = target.with_name(target.name + ".partial")
        try:
            with open(temporary, "w", encoding="utf-8") as stream:
                head = export.write_archive_from_db(stream, upto=upto, batch=batch)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self.stdout.write(
            f"wrote {out}: {head.tree_size:,} entries, root {head.root_hash.hex()}, signed by {head.key_id}"
        )
