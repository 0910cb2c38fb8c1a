"""The port to guarantee issuers (banks, insurers, guarantee companies), and the simulated issuer.

- :class:`GuaranteeIssuerPort` (chosen by ``settings.YIWANG_FINANCE_ISSUER_PORT``): the platform sends a
  **claim instruction** (索赔通知: guarantee number, claim reference, amount, the virtual account to pay into)
  and **release notices** (a guarantee released or expired: the issuer may close it). Both are idempotent at the
  issuer by their reference. Money for a claim never comes through this port: the issuer pays it by bank
  transfer into the claim's virtual sub-account, and the bank's signed credit notice is what posts it — so a
  claim is paid once, however often the instruction or its confirmation is repeated.
- :class:`SimulatedIssuer` plays every issuer in the embedded profile, the demo and the tests: it keeps its
  own log (:class:`~yiwang.services.finance.models.SimIssuerMessage`) and pays a claim at once through the
  simulated bank, returning the bank's notice (a real adapter returns nothing; the bank notifies later).

Issuers *issue* guarantees through the API (``POST /finance/guarantee-applications/{no}/issue``): a signed
document, verified by the platform — not through this port.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from yiwang.platform.clock import now
from yiwang.services.finance import bank


@dataclass(frozen=True)
class ClaimInstruction:
    issuer_uscc: str
    issuer_name: str
    guarantee_no: str
    claim_ref: str  # unique; the issuer pays each reference once
    amount_fen: int
    reason: str
    lot_ref: str
    beneficiary_name: str
    bank_code: str
    pay_to_virtual_account: str  # the claim's virtual sub-account at the custody bank
    pay_to_name: str


@dataclass(frozen=True)
class ReleaseNotice:
    issuer_uscc: str
    guarantee_no: str
    status: str  # released | expired
    reason: str
    at: str  # ISO 8601


class GuaranteeIssuerPort(Protocol):
    def send_claim(self, claim: ClaimInstruction) -> list[bank.SignedNotice]:
        """Deliver (or re-deliver) a claim. Returns bank notices already available (a simulated issuer pays
        at once); a real issuer pays later and the bank notifies the platform."""
        ...

    def notify_release(self, notice: ReleaseNotice) -> None:
        """Tell the issuer its guarantee no longer binds it (released or expired). Idempotent."""
        ...


@cache
def _port(path: str) -> GuaranteeIssuerPort:
    return import_string(path)()


def port() -> GuaranteeIssuerPort:
    return _port(getattr(settings, "YIWANG_FINANCE_ISSUER_PORT", "yiwang.services.finance.issuers.SimulatedIssuer"))


def _payer_account(uscc: str) -> str:
    """The simulated issuer's bank account: 16 digits derived from its USCC."""
    digits = str(int(hashlib.sha256(uscc.encode()).hexdigest(), 16))
    return "6228" + digits[:12]


class SimulatedIssuer:
    """Every issuer, simulated: logs what it is told and pays claims through the simulated bank."""

    def _log(self, kind: str, ref: str, issuer_uscc: str, body: dict) -> bool:
        """Record a message once; False when it had been received before."""
        from yiwang.services.finance.models import SimIssuerMessage

        try:
            with transaction.atomic():
                SimIssuerMessage.objects.create(
                    issuer_uscc=issuer_uscc,
                    kind=kind,
                    ref=ref,
                    body=json.dumps(body, ensure_ascii=False, sort_keys=True),
                    received_at=now(),
                )
        except IntegrityError:
            return False
        return True

    def send_claim(self, claim: ClaimInstruction) -> list[bank.SignedNotice]:
        self._log("claim", claim.claim_ref, claim.issuer_uscc, asdict(claim))
        simulated = bank.gateway()
        if not isinstance(simulated, bank.SimulatedBank):
            return []
        notice = simulated.pay_in(
            bank_code=claim.bank_code,
            virtual_account=claim.pay_to_virtual_account,
            amount_fen=claim.amount_fen,
            payer_account=_payer_account(claim.issuer_uscc),
            payer_name=claim.issuer_name,
            ref=f"SIMCLAIM{claim.claim_ref}",
        )
        return [notice]

    def notify_release(self, notice: ReleaseNotice) -> None:
        self._log("release", notice.guarantee_no, notice.issuer_uscc, asdict(notice))
