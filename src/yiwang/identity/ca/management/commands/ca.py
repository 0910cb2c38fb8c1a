"""``yiwang ca …``: the demo CA (test certificates for the demo and the tests) and its registration.

    yiwang ca init   [--dir DIR] [--alg sm2|ecdsa|all] [--force] [--register]
    yiwang ca issue  (--entity USCC | --person 身份证号码) [--alg sm2|ecdsa] [--name NAME] [--days N]
                     [--not-before ISO] [--out DIR] [--bind] [--dir DIR]
    yiwang ca revoke SERIAL [--reason key_compromise|…] [--dir DIR]
    yiwang ca crl    [--days N] [--import] [--dir DIR]
    yiwang ca register [--dir DIR]        # put the demo roots and issuing CAs on the trust list (+ CRLs)

``DIR`` defaults to ``<data dir>/demo-ca`` (never the repository). Times come from the platform clock.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.identity.ca import actions, queries
from yiwang.identity.ca.demo import DemoCa, DemoCaError
from yiwang.identity.ca.domain.mapping import PRESETS
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import now

REASONS = (
    "unspecified",
    "key_compromise",
    "ca_compromise",
    "affiliation_changed",
    "superseded",
    "cessation_of_operation",
    "certificate_hold",
)


def default_dir() -> Path:
    return Path(settings.DATA_DIR) / "demo-ca"


def _demo_name(algorithm: str, role: str) -> str:
    return f"一网交易演示CA（{'SM2' if algorithm == 'sm2' else 'ECDSA'}，{'根' if role == 'root' else '签发'}）"


def _algorithms(value: str) -> tuple[str, ...]:
    return ("sm2", "ecdsa") if value == "all" else (value,)


class Command(BaseCommand):
    help = "演示CA（测试证书）：init / issue / revoke / crl / register"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        def with_dir(p: CommandParser) -> CommandParser:
            p.add_argument("--dir", default=None, help="demo CA directory (default: <data dir>/demo-ca)")
            return p

        init = with_dir(sub.add_parser("init", help="create demo root and issuing CAs (SM2 and ECDSA P-256)"))
        init.add_argument("--alg", choices=("sm2", "ecdsa", "all"), default="all")
        init.add_argument("--force", action="store_true", help="replace existing demo CAs")
        init.add_argument("--register", action="store_true", help="also put them on the trust list, with CRLs")

        issue = with_dir(sub.add_parser("issue", help="issue an end-entity signing certificate"))
        who = issue.add_mutually_exclusive_group(required=True)
        who.add_argument("--entity", help="统一社会信用代码 of the organisation")
        who.add_argument("--person", help="居民身份证号码 of the person")
        issue.add_argument("--alg", choices=("sm2", "ecdsa"), default="sm2")
        issue.add_argument("--name", default=None, help="name in the subject (default: the registry name)")
        issue.add_argument("--days", type=int, default=365)
        issue.add_argument("--not-before", default=None, help="ISO 8601 start of validity (default: now)")
        issue.add_argument("--out", default=None, help="directory for key.pem, cert.pem, chain.pem")
        issue.add_argument("--bind", action="store_true", help="bind the certificate to its registry entity")

        revoke = with_dir(sub.add_parser("revoke", help="revoke a certificate (then run `yiwang ca crl`)"))
        revoke.add_argument("serial", help="serial number (hex)")
        revoke.add_argument("--reason", choices=REASONS, default="key_compromise")

        crl = with_dir(sub.add_parser("crl", help="write fresh CRLs for every demo CA"))
        crl.add_argument("--days", type=int, default=7, help="nextUpdate after this many days")
        crl.add_argument("--import", dest="do_import", action="store_true", help="import them into the trust list")

        with_dir(sub.add_parser("register", help="put the demo CAs on the trust list and import their CRLs"))

    def handle(self, *args, verb: str, **options) -> None:
        demo = DemoCa(options.get("dir") or default_dir())
        try:
            getattr(self, f"_{verb}")(demo, **options)
        except DemoCaError as exc:
            raise CommandError(str(exc)) from None
        except YiwangError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en} {exc.details or ''}") from None

    # -- verbs ----------------------------------------------------------------------------------------------------
    def _init(self, demo: DemoCa, **options) -> None:
        made = demo.init(at=now(), algorithms=_algorithms(options["alg"]), force=options["force"])
        for ca in made:
            fingerprint = ca.certificate.fingerprint_sha256[:16]
            self.stdout.write(f"{ca.algorithm:5} {ca.role:4} {ca.certificate.subject_text}  sha256:{fingerprint}…")
        self.stdout.write(f"演示CA目录 demo CA directory: {demo.dir}")
        if options["register"]:
            self._register(demo, **options)

    def _issue(self, demo: DemoCa, **options) -> None:
        name = options["name"]
        if options["entity"] and not name:
            from yiwang.registry import queries as registry

            ref = registry.find_entity_by_uscc(options["entity"])
            name = ref.name if ref else None
        not_before = datetime.fromisoformat(options["not_before"]) if options["not_before"] else None
        if not_before is not None and not_before.tzinfo is None:
            raise CommandError("--not-before needs a time zone offset (…+08:00 or …Z)")
        issued = demo.issue(
            algorithm=options["alg"],
            at=now(),
            entity=options["entity"],
            person=options["person"],
            name=name,
            days=options["days"],
            not_before=not_before,
            out=options["out"],
        )
        cert = issued.certificate
        self.stdout.write(f"serial {issued.serial}  {cert.subject_text}")
        self.stdout.write(f"valid {cert.not_before.isoformat()} … {cert.not_after.isoformat()}")
        self.stdout.write(f"key   {issued.key_path}\ncert  {issued.cert_path}\nchain {issued.chain_path}")
        if options["bind"]:
            binding = actions.do_bind_certificate(
                actor=Actor.system("ca-demo"), certificate=issued.cert_path.read_bytes()
            )
            self.stdout.write(f"bound to entity {binding.entity_id} (binding {binding.pk})")

    def _revoke(self, demo: DemoCa, **options) -> None:
        item = demo.revoke(options["serial"], at=now(), reason=options["reason"])
        self.stdout.write(f"revoked {options['serial']} ({item['reason']}); run `yiwang ca crl --import` to publish")

    def _crl(self, demo: DemoCa, **options) -> None:
        if not 1 <= options["days"] <= 365:
            raise CommandError("--days must be 1..365")
        paths = demo.make_crls(at=now(), days=options["days"])
        for path in paths:
            self.stdout.write(f"CRL {path}")
        if options["do_import"]:
            self._import(paths)

    def _import(self, paths: list[Path]) -> None:
        actor = Actor.system("ca-demo")
        for path in paths:
            row = actions.do_import_crl(actor=actor, crl=path.read_bytes())
            self.stdout.write(f"imported CRL #{row.crl_number} of CA {row.ca_id} ({row.revoked_count} revoked)")

    def _register(self, demo: DemoCa, **options) -> None:
        actor = Actor.system("ca-demo")
        known = {ca.fingerprint_sha256 for ca in queries.list_trusted_cas(include_removed=True)}
        paths = []
        for algorithm in ("sm2", "ecdsa"):
            if not demo.exists(algorithm):
                continue
            for role in ("root", "sub"):
                files = demo.load(algorithm, role)
                if files.certificate.fingerprint_sha256 in known:
                    self.stdout.write(f"already on the trust list: {files.certificate.subject_text}")
                    continue
                ca = actions.do_register_ca(
                    actor=actor,
                    certificate=files.certificate.der,
                    name=_demo_name(algorithm, role),
                    mapping=PRESETS["demo"] if role == "root" else None,
                    note="演示与测试用，生产环境请移出 demo only",
                )
                self.stdout.write(f"registered CA {ca.pk}: {ca.name}")
        paths = demo.make_crls(at=now())
        self._import(paths)
