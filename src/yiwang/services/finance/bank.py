"""Banks: the port the platform talks to them through, notice signatures, and the simulated bank.

- :class:`BankGateway` is the port (Warehouse style, chosen by ``settings.YIWANG_FINANCE_BANK_GATEWAY``):
  it issues virtual sub-account numbers, executes payout instructions (refunds) and reads the bank statement.
- Incoming notices are verified by **one function**, :func:`verify_notice_signature`. Today it checks an
  HMAC-SHA256 over the raw body with a per-bank shared secret; the trust layer will switch it to SM2
  certificate signatures without touching any caller.
- :class:`SimulatedBank` plays a real bank for the embedded profile, the demo and the tests: it keeps its own
  books (:class:`~yiwang.services.finance.models.SimBankTransfer`, in its own transaction, like an outside
  system), signs its notices, and answers a repeated payout instruction with the same confirmation.

Virtual sub-account numbers are derived from a serial unique per bank. Serials are split into ranges, one per
kind of sub-account: a deposit's own pk (below :data:`CLAIM_SERIALS`), a guarantee claim's pk +
:data:`CLAIM_SERIALS` (the issuer pays a claim into it), a settlement's pk + :data:`SETTLEMENT_SERIALS` (the
buyer pays the deal price into it). The platform recognises a receipt by its virtual account, whatever its kind.

Banks are configured in ``settings.YIWANG_FINANCE_BANKS`` (``{code: {"name": …, "secret": …}}``); without it
there is one simulated bank ``SIMBANK`` whose secret is derived from ``SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from yiwang.kernel.errors import NotAuthenticated, NotFound
from yiwang.platform.clock import now
from yiwang.services.finance.domain.deposits import luhn_digit, normalise_account_number
from yiwang.services.finance.domain.notices import notice_body

SIGNATURE_HEADER = "X-Bank-Signature"
_SCHEME = "hmac-sha256="
DEFAULT_BANK = "SIMBANK"
CLAIM_SERIALS = 500_000_000_000
SETTLEMENT_SERIALS = 600_000_000_000


@dataclass(frozen=True)
class SignedNotice:
    bank_code: str
    body: bytes
    signature: str


@dataclass(frozen=True)
class PayoutInstruction:
    """Pay ``amount_fen`` from the custody account of ``bank_code`` to the payee; ``ref`` is unique and makes
    the instruction idempotent at the bank."""

    bank_code: str
    ref: str
    amount_fen: int
    payee_account: str
    payee_name: str
    memo: str = ""


@dataclass(frozen=True)
class StatementLine:
    bank_code: str
    ref: str
    direction: str  # in | out
    virtual_account: str
    instruction_ref: str
    amount_fen: int
    booked_at: datetime


class BankGateway(Protocol):
    def virtual_account_number(self, bank_code: str, serial: int) -> str:
        """The virtual sub-account number for deposit ``serial`` (unique per bank)."""
        ...

    def send_payout(self, instruction: PayoutInstruction) -> list[SignedNotice]:
        """Execute (or re-send) a payout. Returns the confirmations already available (a bank that answers
        later posts them to the notification endpoint instead). Sending the same ``ref`` twice pays once."""
        ...

    def statement(self, bank_code: str) -> list[StatementLine]:
        """Every movement of the custody account and its virtual sub-accounts, oldest first."""
        ...


# -- configuration and signatures -------------------------------------------------------------------------------


def banks() -> dict[str, dict[str, Any]]:
    configured = getattr(settings, "YIWANG_FINANCE_BANKS", None)
    if configured:
        return dict(configured)
    return {DEFAULT_BANK: {"name": "模拟银行（演示）"}}


def default_bank() -> str:
    return getattr(settings, "YIWANG_FINANCE_DEFAULT_BANK", None) or next(iter(banks()))


def bank_name(bank_code: str) -> str:
    return str(banks().get(bank_code, {}).get("name", bank_code))


def require_bank(bank_code: str) -> str:
    if bank_code not in banks():
        raise NotFound(
            "finance.bank_unknown",
            f"未登记的银行“{bank_code[:20]}”",
            f"unknown bank {bank_code[:20]!r}",
            {"field": "bank_code"},
        )
    return bank_code


def _secret(bank_code: str) -> bytes:
    config = banks()[require_bank(bank_code)]
    if config.get("secret"):
        return str(config["secret"]).encode()
    # no configured secret: derive a per-bank one from the platform's SECRET_KEY (embedded profile, tests)
    return hmac.new(settings.SECRET_KEY.encode(), f"yiwang.finance.bank:{bank_code}".encode(), hashlib.sha256).digest()


def sign_notice(bank_code: str, body: bytes) -> str:
    """What a bank puts in ``X-Bank-Signature`` (the simulated bank and the tests sign with it)."""
    return _SCHEME + hmac.new(_secret(bank_code), body, hashlib.sha256).hexdigest()


def verify_notice_signature(bank_code: str, body: bytes, signature: str) -> None:
    """The one place a bank notice's signature is checked: ``finance.bank_unknown`` (404) for a bank not
    configured, ``finance.bad_signature`` (401) when the signature is missing or does not match."""
    require_bank(bank_code)
    expected = sign_notice(bank_code, body)
    if not signature or not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise NotAuthenticated(
            "finance.bad_signature",
            "银行通知签名校验失败，已拒收",
            "The bank notice's signature does not verify; the notice was refused",
            {"bank_code": bank_code},
        )


@cache
def _gateway(path: str) -> BankGateway:
    return import_string(path)()


def gateway() -> BankGateway:
    return _gateway(getattr(settings, "YIWANG_FINANCE_BANK_GATEWAY", "yiwang.services.finance.bank.SimulatedBank"))


# -- the simulated bank ---------------------------------------------------------------------------------------------


class SimulatedBank:
    """A bank that lives in this database (its own table), for the embedded profile, demos and tests."""

    PREFIX = "95"

    def virtual_account_number(self, bank_code: str, serial: int) -> str:
        digits = f"{self.PREFIX}{serial:012d}"
        return digits + luhn_digit(digits)

    def _book(self, row: dict[str, Any]) -> SignedNotice:
        from yiwang.services.finance.models import SimBankTransfer

        body = notice_body(row["notice"])
        signature = sign_notice(row["bank_code"], body)
        fields = {k: v for k, v in row.items() if k != "notice"}
        try:
            with transaction.atomic():
                SimBankTransfer.objects.create(**fields, body=body.decode(), signature=signature)
        except IntegrityError:
            existing = SimBankTransfer.objects.get(bank_code=row["bank_code"], ref=row["ref"])
            return SignedNotice(existing.bank_code, existing.body.encode(), existing.signature)
        return SignedNotice(row["bank_code"], body, signature)

    def pay_in(
        self,
        *,
        virtual_account: str,
        amount_fen: int,
        payer_account: str,
        payer_name: str,
        bank_code: str = DEFAULT_BANK,
        payer_bank: str = "",
        ref: str | None = None,
        booked_at: datetime | None = None,
        currency: str = "CNY",
    ) -> SignedNotice:
        """A customer transfers money to a virtual sub-account: the bank books it and returns the signed credit
        notice it sends the platform. The same ``ref`` booked twice returns the first notice."""
        ref = ref or f"SIMIN{secrets.token_hex(8).upper()}"
        booked = booked_at or now()
        notice = {
            "bank": bank_code,
            "ref": ref,
            "kind": "credit",
            "virtual_account": virtual_account,
            "amount_fen": amount_fen,
            "currency": currency,
            "payer_account": normalise_account_number(payer_account),
            "payer_name": payer_name,
            "payer_bank": payer_bank,
            "booked_at": booked.isoformat(),
        }
        return self._book(
            {
                "bank_code": bank_code,
                "ref": ref,
                "direction": "in",
                "virtual_account": virtual_account,
                "amount_fen": amount_fen,
                "counterparty_account": normalise_account_number(payer_account),
                "counterparty_name": payer_name,
                "booked_at": booked,
                "notice": notice,
            }
        )

    def send_payout(self, instruction: PayoutInstruction) -> list[SignedNotice]:
        from yiwang.services.finance.models import SimBankTransfer

        existing = SimBankTransfer.objects.filter(
            bank_code=instruction.bank_code, instruction_ref=instruction.ref
        ).first()
        if existing is not None:  # a re-sent instruction: the bank paid once and confirms the same way again
            return [SignedNotice(existing.bank_code, existing.body.encode(), existing.signature)]
        booked = now()
        ref = f"SIMOUT{instruction.ref}"
        notice = {
            "bank": instruction.bank_code,
            "ref": ref,
            "kind": "payout",
            "instruction_ref": instruction.ref,
            "amount_fen": instruction.amount_fen,
            "currency": "CNY",
            "payer_account": normalise_account_number(instruction.payee_account),
            "payer_name": instruction.payee_name,
            "booked_at": booked.isoformat(),
        }
        return [
            self._book(
                {
                    "bank_code": instruction.bank_code,
                    "ref": ref,
                    "direction": "out",
                    "instruction_ref": instruction.ref,
                    "amount_fen": instruction.amount_fen,
                    "counterparty_account": normalise_account_number(instruction.payee_account),
                    "counterparty_name": instruction.payee_name,
                    "booked_at": booked,
                    "notice": notice,
                }
            )
        ]

    def statement(self, bank_code: str) -> list[StatementLine]:
        from yiwang.services.finance.models import SimBankTransfer

        return [
            StatementLine(
                r.bank_code, r.ref, r.direction, r.virtual_account, r.instruction_ref, r.amount_fen, r.booked_at
            )
            for r in SimBankTransfer.objects.filter(bank_code=bank_code).order_by("booked_at", "pk")
        ]
