"""``yiwang federation``: this hub's identity for its peers, registering peers from their identity files,
the delivery state, and one relay run (queue + deliver) outside the clock."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.exchange.federation import actions, queries
from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import now

OPERATOR = Actor.system("federation-cli")


class Command(BaseCommand):
    help = "Federation of hubs (跨区域互联): identity, add-peer, set-certificate, sync, status, relay"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        identity = sub.add_parser("identity", help="print this hub's identity (JSON) for its peers to register")
        identity.add_argument("--out", help="file to write (default: standard output)")
        add = sub.add_parser("add-peer", help="register a peer from its identity file (witnessed)")
        add.add_argument("identity_file", nargs="+", help="identity JSON written by `yiwang federation identity`")
        add.add_argument("--url", help="the peer's address, when it differs from the one in the file (one file only)")
        add.add_argument("--kind", choices=("hub", "national"), default="hub", help="national: the national uplink")
        add.add_argument("--format", choices=("json", "xml"), default="json", help="xml: SOAP-style uplink")
        cert = sub.add_parser("set-certificate", help="pin a CA-issued certificate for a peer's key (witnessed)")
        cert.add_argument("code", help="the peer's PLATFORM_CODE")
        cert.add_argument("certificate_file", nargs="?", help="PEM file (left out: remove the certificate)")
        sync = sub.add_parser("sync", help="sync a peer hub again from the beginning (witnessed)")
        sync.add_argument("code", help="the peer's PLATFORM_CODE")
        sub.add_parser("status", help="the peers and their delivery state (JSON)")
        sub.add_parser("relay", help="queue what is new in the feed and deliver what is due, once")

    def handle(self, *args, verb: str, **options) -> None:
        try:
            getattr(self, "_" + verb.replace("-", "_"))(**options)
        except YiwangError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None

    def _identity(self, *, out: str | None = None, **options) -> None:
        text = json.dumps(actions.own_identity(), ensure_ascii=False, indent=2)
        if out:
            Path(out).write_text(text + "\n", encoding="utf-8")
        else:
            self.stdout.write(text)

    def _add_peer(
        self, *, identity_file: list[str], url: str | None = None, kind: str = "hub", format: str = "json", **options
    ) -> None:
        if url and len(identity_file) > 1:
            raise CommandError("--url goes with one identity file only")
        for name in identity_file:
            try:
                data = json.loads(Path(name).read_text(encoding="utf-8"))
                code, title, key = data["code"], data["name"], data["public_key_pem"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"{name}: not an identity file ({exc})") from None
            peer = actions.do_register_peer(
                actor=OPERATOR,
                code=code,
                name=title,
                base_url=url or data.get("base_url", ""),
                public_key=key,
                kind=kind,
                wire_format=format,
            )
            self.stdout.write(f"registered {peer.code} {peer.name} at {peer.base_url} (key {peer.key_id})")
            certificate = data.get("certificate_pem") or ""
            if certificate:  # published in its identity file: pinned (checked against this hub's CA trust list)
                actions.do_set_peer_certificate(actor=OPERATOR, code=peer.code, certificate=certificate)
                self.stdout.write(f"{peer.code}: certificate pinned")

    def _set_certificate(self, *, code: str, certificate_file: str | None = None, **options) -> None:
        pem = ""
        if certificate_file:
            try:
                pem = Path(certificate_file).read_text(encoding="ascii")
            except (OSError, ValueError) as exc:
                raise CommandError(f"{certificate_file}: cannot read ({exc})") from None
        peer = actions.do_set_peer_certificate(actor=OPERATOR, code=code, certificate=pem)
        self.stdout.write(f"{peer.code}: certificate {'pinned' if pem else 'removed'}")

    def _sync(self, *, code: str, **options) -> None:
        peer = actions.do_start_peer_sync(actor=OPERATOR, code=code)
        self.stdout.write(f"{peer.code}: sync started (the relay queues it step by step)")

    def _status(self, **options) -> None:
        rows = []
        for view in queries.list_peers_for(OPERATOR):
            row = dict(view.__dict__)
            for name in (
                "registered_at",
                "next_attempt_at",
                "last_delivered_at",
                "sync_started_at",
                "sync_finished_at",
            ):
                row[name] = iso_utc(row[name]) if row[name] else None
            rows.append(row)
        self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))

    def _relay(self, **options) -> None:
        self.stdout.write(f"{actions.relay(now())} messages queued or acknowledged")
