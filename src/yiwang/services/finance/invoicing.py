"""The invoice port (电子发票开具), and the simulated invoicing service.

- :class:`InvoicePort` (chosen by ``settings.YIWANG_FINANCE_INVOICE_PORT``) issues an invoice for an
  :class:`~yiwang.services.finance.domain.invoices.InvoiceData` and answers with its number, code, date, the
  invoice document and the service's signature over it. It is idempotent by ``request_key``: asking again
  returns the same invoice, so a retried task never issues two.
- :class:`SimulatedInvoicer` keeps its own books (:class:`~yiwang.services.finance.models.SimInvoice`, in its
  own transaction like an outside service), numbers invoices ``<yy>31<16-digit serial>`` (20 digits, like the
  fully digital 全电 invoices), renders XML and signs it with HMAC-SHA256 under a key derived from
  ``SECRET_KEY`` (a real service signs with its certificate).

Operator data for invoices (the platform's name and tax id, the tax rate and its basis) are read by
:func:`invoice_settings`: ``settings.YIWANG_FINANCE_INVOICE`` over ``data/fees.json`` → ``invoice``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from yiwang.kernel.periods import local_date
from yiwang.platform.clock import now
from yiwang.services.finance.domain.invoices import InvoiceData, invoice_xml

_SCHEME = "hmac-sha256="


@dataclass(frozen=True)
class IssuedInvoice:
    number: str
    code: str
    issued_on: date
    body: bytes  # the invoice document (XML)
    signature: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class InvoicePort(Protocol):
    def issue(self, data: InvoiceData) -> IssuedInvoice:
        """Issue (or return the already issued) invoice for ``data.request_key``."""
        ...


@cache
def _port(path: str) -> InvoicePort:
    return import_string(path)()


def port() -> InvoicePort:
    return _port(
        getattr(settings, "YIWANG_FINANCE_INVOICE_PORT", "yiwang.services.finance.invoicing.SimulatedInvoicer")
    )


@dataclass(frozen=True)
class InvoiceSettings:
    seller_name: str
    seller_tax_id: str
    tax_rate_percent: Decimal
    basis: str


def invoice_settings() -> InvoiceSettings:
    from yiwang.services.finance.queries import fee_invoice_data

    data = {**fee_invoice_data(), **dict(getattr(settings, "YIWANG_FINANCE_INVOICE", None) or {})}
    return InvoiceSettings(
        seller_name=str(data.get("seller_name") or settings.YIWANG_PLATFORM_NAME),
        seller_tax_id=str(data.get("seller_tax_id") or settings.YIWANG_PLATFORM_CODE),
        tax_rate_percent=Decimal(str(data["tax_rate_percent"])),
        basis=str(data.get("basis", "")),
    )


def _key() -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), b"yiwang.finance.invoice", hashlib.sha256).digest()


def sign_invoice(body: bytes) -> str:
    return _SCHEME + hmac.new(_key(), body, hashlib.sha256).hexdigest()


def verify_invoice_signature(body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign_invoice(body).encode(), (signature or "").encode())


class SimulatedInvoicer:
    def _existing(self, request_key: str) -> IssuedInvoice | None:
        from yiwang.services.finance.models import SimInvoice

        row = SimInvoice.objects.filter(request_key=request_key).first()
        if row is None:
            return None
        return IssuedInvoice(row.number, row.code, row.issued_on, row.body.encode("utf-8"), row.signature)

    def issue(self, data: InvoiceData) -> IssuedInvoice:
        from yiwang.services.finance.models import SimInvoice

        found = self._existing(data.request_key)
        if found is not None:
            return found
        today = local_date(now())
        try:
            with transaction.atomic():
                row = SimInvoice.objects.create(
                    request_key=data.request_key,
                    number=f"tmp{secrets.token_hex(12)}",
                    code=f"0310{today:%y%m}0000",
                    issued_on=today,
                    body="",
                    signature="",
                )
                row.number = f"{today:%y}31{row.pk:016d}"
                body = invoice_xml(data, number=row.number, code=row.code, issued_on=today)
                row.body = body.decode("utf-8")
                row.signature = sign_invoice(body)
                row.save(update_fields=["number", "body", "signature"])
        except IntegrityError:
            again = self._existing(data.request_key)
            if again is None:
                raise
            return again
        return IssuedInvoice(row.number, row.code, row.issued_on, body, row.signature)
