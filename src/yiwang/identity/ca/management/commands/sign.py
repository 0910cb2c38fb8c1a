"""``yiwang sign``: a small signing client (what a mobile certificate app does after scanning the QR code).

    yiwang sign --challenge <challenge text or file> --key key.pem --cert cert.pem [--url http://127.0.0.1:8000]
    yiwang sign --challenge … --key … --cert … --print      # only print the response body, for manual paste
    yiwang sign --file document.pdf --key … --cert …          # a detached document signature (JSON)

The challenge line (``YWSIGN1.…``) is signed exactly as shown (SM2-with-SM3 with the default user ID for SM2
keys, ECDSA P-256/SHA-256, RSA-PSS/SHA-256) and the signature and certificate are POSTed to the challenge's
``respond`` path on the platform. The private key never leaves this process.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.identity.ca.domain import challenge as challenge_format
from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.identity.ca.domain.signing import document_digest, document_signing_input
from yiwang.identity.ca.domain.x509 import parse_certificate
from yiwang.kernel.crypto import load_private_key, signer_for
from yiwang.kernel.crypto.errors import CryptoError

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 15


def post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as JSON; (status, decoded JSON answer). Replaced in tests by an in-process client."""
    request = urllib.request.Request(  # noqa: S310 — the caller allows http and https only
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


def _read_text_or_file(value: str) -> str:
    path = Path(value)
    if len(value) < 4096 and not value.startswith(challenge_format.PREFIX) and path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return value.strip()


class Command(BaseCommand):
    help = "扫码签名客户端：对挑战或文件签名（SM2 / ECDSA / RSA）"

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--challenge", help="the challenge text (YWSIGN1.…) or a file holding it")
        what.add_argument("--file", help="sign this document (detached signature, printed as JSON)")
        parser.add_argument("--key", required=True, help="private key (PKCS#8 PEM)")
        parser.add_argument("--cert", required=True, help="certificate (PEM) of that key")
        parser.add_argument("--url", default=DEFAULT_URL, help=f"platform address (default {DEFAULT_URL})")
        parser.add_argument("--print", dest="print_only", action="store_true", help="print instead of sending")

    def handle(self, *args, **options) -> None:
        try:
            key = load_private_key(Path(options["key"]).read_bytes())
            cert_bytes = Path(options["cert"]).read_bytes()
            cert = parse_certificate(cert_bytes)
        except OSError as exc:
            raise CommandError(f"cannot read: {exc}") from None
        except (CryptoError, CaRefused) as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh}") from None
        if key.public_key != cert.public_key:
            raise CommandError("私钥与证书不匹配 the private key does not belong to the certificate")
        signer = signer_for(key)
        cert_pem = _pem(cert.der)
        if options["file"]:
            self._sign_file(Path(options["file"]), signer, cert, cert_pem)
            return
        try:
            text = _read_text_or_file(options["challenge"])
            parsed = challenge_format.decode(text)
        except (CaRefused, OSError) as exc:
            raise CommandError(f"挑战格式错误 malformed challenge: {exc}") from None
        self.stderr.write(
            f"用途 purpose: {parsed.purpose_label}{'' if parsed.text == parsed.purpose_label else '：' + parsed.text}\n"
            f"账户 account: {parsed.account}  有效至 expires: {parsed.expires_at.isoformat()}\n"
            f"证书 certificate: {cert.subject_text} [{cert.serial_hex}]"
        )
        signature = signer.sign(challenge_format.signing_bytes(text))
        body = {"signature": base64.b64encode(signature).decode("ascii"), "certificate": cert_pem}
        if options["print_only"]:
            self.stdout.write(json.dumps({"respond": parsed.respond, **body}, ensure_ascii=False, indent=2))
            return
        base = options["url"].rstrip("/")
        if urlsplit(base).scheme not in ("http", "https"):
            raise CommandError("--url must be http:// or https://")
        status, answer = post_json(base + parsed.respond, body)
        if status >= 400:
            raise CommandError(
                f"{answer.get('code', status)}: {answer.get('message_zh', '')} {answer.get('message_en', '')}".strip()
            )
        self.stdout.write(f"已确认 confirmed: {answer.get('status', '')} ({answer.get('serial', cert.serial_hex)})")

    def _sign_file(self, path: Path, signer, cert, cert_pem: str) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read: {exc}") from None
        algorithm, digest = document_digest(data, cert.key_family)
        signature = signer.sign(document_signing_input(algorithm, digest))
        out = {
            "digest_algorithm": algorithm,
            "digest": digest.hex(),
            "signature_algorithm": signer.algorithm,
            "signature": base64.b64encode(signature).decode("ascii"),
            "certificate": cert_pem,
        }
        sys.stdout.flush()
        self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))


def _pem(der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    return (
        "-----BEGIN CERTIFICATE-----\n"
        + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        + "\n-----END CERTIFICATE-----\n"
    )
