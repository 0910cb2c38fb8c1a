"""``yiwang bidbox …``: the opening-key ceremony, and the bidder's tool (a stand-in for a bid-making tool, so the
whole flow runs without a browser plug-in).

    yiwang bidbox ceremony --k 3 --n 5 --custodian 张三 … [--label TEXT] [--alg sm2|ec-p256]
    yiwang bidbox pubkey   --box ID [--out box.pub]
    yiwang bidbox seal     --box ID --file bid.json --key bidder.pem --cert bidder-cert.pem
                           [--opening-key box.pub] [--bidder USCC] [--machine] [--extra KEY=VALUE …]
                           --out bid.ywenv
    yiwang bidbox unwrap   --envelope bid.ywenv --key bidder.pem          # prints the content key (hex)
    yiwang bidbox verify-receipt --envelope bid-with-receipt.ywenv        # checks the platform's receipt

``ceremony`` prints each custodian's share once; nothing but the public key is stored. ``seal`` reads the box's
codes and deadline (and, without ``--opening-key``, its published opening key) and wraps the content key to the
opening key and to the bidder's own certificate key. ``--machine`` writes this machine's codes into the envelope's
signed ``meta.extra`` as a bid tool does (``tool.machine.*``, docs/trust/bidbox.md §4a); ``--extra`` adds or
overrides entries (``--extra tool.file_creation_id=…``).
"""

from __future__ import annotations

import base64
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.actors import Actor
from yiwang.kernel.crypto import envelope, load_private_key, load_public_key, signer_for
from yiwang.kernel.crypto.envelope import BidMeta, Recipient
from yiwang.kernel.errors import YiwangError
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.tool import machine_fingerprints


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None


def _certificate_der(data: bytes) -> bytes:
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        body = b"".join(line for line in text.splitlines() if line and not line.startswith(b"-----"))
        return base64.b64decode(body)
    return data


class Command(BaseCommand):
    help = "电子投标箱：密钥仪式 ceremony / 投标工具 seal, unwrap / pubkey / verify-receipt"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        ceremony = sub.add_parser("ceremony", help="make an opening key; print each custodian's share once")
        ceremony.add_argument("--k", type=int, required=True, help="shares needed (threshold)")
        ceremony.add_argument("--n", type=int, required=True, help="shares made (custodians)")
        ceremony.add_argument("--custodian", action="append", default=[], help="a custodian's name (n times)")
        ceremony.add_argument("--label", default="")
        ceremony.add_argument("--alg", choices=("sm2", "ec-p256"), default="sm2")

        pubkey = sub.add_parser("pubkey", help="print (or write) a box's opening public key")
        pubkey.add_argument("--box", type=int, required=True)
        pubkey.add_argument("--out", default=None)

        seal = sub.add_parser("seal", help="seal a bid file for a box (the bidder's tool)")
        seal.add_argument("--box", type=int, required=True)
        seal.add_argument("--file", required=True)
        seal.add_argument("--key", required=True, help="the bidder's private key (PEM)")
        seal.add_argument("--cert", required=True, help="the bidder's certificate (PEM or DER)")
        seal.add_argument("--opening-key", default=None, help="the box's opening public key (default: published)")
        seal.add_argument("--bidder", default=None, help="bidder id in the envelope (default: the certificate's USCC)")
        seal.add_argument("--name", default=None, help="file name recorded in the envelope")
        seal.add_argument("--machine", action="store_true", help="record this machine's codes (tool.machine.*)")
        seal.add_argument("--extra", action="append", default=[], help="a meta.extra entry KEY=VALUE (repeatable)")
        seal.add_argument("--out", required=True)

        unwrap = sub.add_parser("unwrap", help="unwrap the content key with the bidder's key (at the opening)")
        unwrap.add_argument("--envelope", required=True)
        unwrap.add_argument("--key", required=True)

        verify = sub.add_parser("verify-receipt", help="verify the platform's receipt appended to an envelope")
        verify.add_argument("--envelope", required=True)

    def handle(self, *args, **options) -> None:
        try:
            getattr(self, "_" + options["verb"].replace("-", "_"))(options)
        except YiwangError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en} {exc.details or ''}") from None

    def _ceremony(self, options) -> None:
        names = options["custodian"] or [f"保管人{i}" for i in range(1, options["n"] + 1)]
        if len(names) != options["n"]:
            raise CommandError(f"give --custodian {options['n']} times (got {len(names)})")
        result = actions.do_run_key_ceremony(
            actor=Actor.system("bidbox-ceremony"),
            threshold=options["k"],
            custodians=names,
            label=options["label"],
            algorithm=options["alg"],
        )
        key = result.key
        self.stdout.write(f"opening key #{key.pk}  {key.key_id}  ({key.threshold} of {key.total})")
        self.stdout.write(actions.opening_key_of(key).to_pem().decode("ascii"))
        self.stdout.write("Shares — each shown only now; hand each to its custodian, nothing is stored:")
        for share in result.shares:
            self.stdout.write(f"  [{share.index}] {share.name}: {share.text}")

    def _pubkey(self, options) -> None:
        pem = queries.get_box_for(Actor.anonymous(), options["box"]).opening_key_pem
        if options["out"]:
            Path(options["out"]).write_text(pem)
            self.stdout.write(f"wrote {options['out']}")
        else:
            self.stdout.write(pem)

    def _seal(self, options) -> None:
        box = queries.get_box_for(Actor.anonymous(), options["box"])
        private = load_private_key(_read(options["key"]))
        cert = _certificate_der(_read(options["cert"]))
        opening_pem = _read(options["opening_key"]) if options["opening_key"] else box.opening_key_pem.encode()
        opening = load_public_key(opening_pem)
        if opening.key_id != box.opening_key_id:
            self.stderr.write("warning: this opening key is not the box's published key; the box will refuse it")
        signer = signer_for(private)
        bidder = options["bidder"]
        if not bidder:
            probe = b"yiwang bidbox seal: certificate probe"
            check = ca_queries.verify_signed(probe, signer.sign(probe), cert, require_binding=False)
            if not check.uscc:
                raise CommandError(f"no USCC found in the certificate ({check.reason}); pass --bidder")
            bidder = check.uscc
        plaintext = _read(options["file"])
        extra = machine_fingerprints() if options["machine"] else {}
        for item in options["extra"]:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise CommandError(f"--extra wants KEY=VALUE (got {item!r})")
            extra[key] = value
        meta = BidMeta(
            project_code=box.project_code,
            section_code=box.section_code,
            bidder_id=bidder,
            deadline=box.deadline,
            file_name=options["name"] or Path(options["file"]).name,
            file_size=len(plaintext),
            extra=extra,
        )
        sealed = envelope.seal(
            plaintext,
            meta=meta,
            bidder_signer=signer,
            recipients=[Recipient("bidder", private.public_key), Recipient("opening", opening)],
            bidder_certificate=cert,
            max_size=box.max_bytes,
        )
        Path(options["out"]).write_bytes(sealed)
        info = envelope.inspect(sealed)
        self.stdout.write(f"sealed {options['out']}: {len(sealed)} bytes, envelope SM3 {info.envelope_sm3}")
        self.stdout.write(f"bid file SM3 {info.plaintext_sm3}")

    def _unwrap(self, options) -> None:
        private = load_private_key(_read(options["key"]))
        key = envelope.unwrap_content_key(_read(options["envelope"]), private_key=private)
        self.stdout.write(key.hex())

    def _verify_receipt(self, options) -> None:
        from yiwang.platform import keys as platform_keys

        data = _read(options["envelope"])
        found = envelope.verify_receipt(data)
        key = platform_keys.platform_public_key(None)
        ok = found.signer_public_key == key
        if not ok:  # an older platform key: look it up by id
            key = platform_keys.platform_public_key(found.signer_public_key.key_id)
            ok = found.signer_public_key == key
        if not ok:
            raise CommandError("the receipt is not signed by a platform key")
        self.stdout.write(
            f"receipt {found.receipt_id} valid: received {found.received_at.isoformat()}, envelope SM3 "
            f"{found.envelope_sm3}"
        )
