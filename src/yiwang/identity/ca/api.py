"""CA API (``/api/v1/ca``): the trust list (public), CA registration and status (staff), CRL import (staff),
certificate binding, signature verification, and the QR / mobile signing challenges."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from yiwang.identity.ca import actions, queries
from yiwang.identity.ca.domain.challenge import decode as decode_challenge
from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.identity.ca.schemas import (
    BindingIn,
    BindingOut,
    CaIn,
    CaOut,
    CaStatusIn,
    ChallengeIn,
    ChallengeOut,
    CrlIn,
    CrlOut,
    RespondIn,
    SignatureCheckOut,
    VerifyIn,
    pem_or_base64,
)
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import creates, updates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS, ErrorOut
from yiwang.platform.clock import now

router = Router(tags=["ca 数字证书互认"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/ca"
MAX_CRL_UPLOAD = 32 * 1024 * 1024


# -- the trust list ---------------------------------------------------------------------------------------------


class ListQuery(Schema):
    include_removed: bool = False


@router.get("/authorities", auth=PUBLIC, response={200: list[CaOut], **ERRORS})
def list_authorities(request: HttpRequest, filters: Query[ListQuery]):
    """The CA trust list (CA互认名单): every CA whose certificates the platform accepts, with status, validity
    and the latest imported CRL."""
    return queries.list_trusted_cas(include_removed=filters.include_removed)


@router.get("/authorities/{ca_id}", auth=PUBLIC, response={200: CaOut, **ERRORS})
def get_authority(request: HttpRequest, response: HttpResponse, ca_id: int):
    view = queries.get_ca(ca_id)
    response["ETag"] = etag(view.version)
    return view


@creates(router, "/authorities", response={201: CaOut, **CREATE_ERRORS})
def register_authority(request: HttpRequest, response: HttpResponse, payload: CaIn):
    """Register a root or intermediate CA (staff administrators). Intermediates must chain to a registered
    root. Refusals: ``ca.malformed``, ``ca.not_a_ca``, ``ca.unknown_issuer``, ``ca.bad_chain_signature``,
    ``ca.expired``, ``ca.mapping_invalid``, ``409 ca.duplicate``."""
    ca = actions.do_register_ca(
        actor=actor_of(request),
        certificate=pem_or_base64(payload.certificate),
        name=payload.name,
        mapping=payload.mapping,
        crl_policy=payload.crl_policy,
        note=payload.note,
    )
    response["Location"] = f"{BASE}/authorities/{ca.pk}"
    response["ETag"] = etag(ca.version)
    return Status(201, queries.get_ca(ca.pk))


@updates(router, "/authorities/{ca_id}/status", method="PUT", response={200: CaOut, **UPDATE_ERRORS})
def change_authority_status(request: HttpRequest, response: HttpResponse, ca_id: int, payload: CaStatusIn):
    """Suspend (暂停互认), reinstate or remove (移出名单, final) a CA. ``If-Match`` required. Takes effect for the
    next verification."""
    expected = if_match_version(request)
    ca = actions.do_change_ca_status(
        actor=actor_of(request), ca_id=ca_id, status=payload.status, reason=payload.reason, expected_version=expected
    )
    response["ETag"] = etag(ca.version)
    return queries.get_ca(ca_id)


@router.get("/authorities/{ca_id}/crls", auth=PUBLIC, response={200: list[CrlOut], **ERRORS})
def list_crls(request: HttpRequest, ca_id: int):
    queries.get_ca(ca_id)
    return queries.list_crls(ca_id)


def _crl_out(row) -> dict:
    return {
        "id": row.pk,
        "ca_id": row.ca_id,
        "this_update": row.this_update,
        "next_update": row.next_update,
        "crl_number": row.crl_number,
        "revoked_count": row.revoked_count,
        "sha256": row.sha256,
        "imported_at": row.imported_at,
    }


@creates(router, "/crls", response={201: CrlOut, **CREATE_ERRORS})
def import_crl(request: HttpRequest, response: HttpResponse, payload: CrlIn):
    """Import a CRL given as PEM or base64 DER (staff). Refusals: ``ca.malformed``, ``ca.crl_unknown_issuer``,
    ``ca.crl_signature_invalid``, ``409 ca.crl_outdated``, ``409 ca.crl_duplicate``."""
    row = actions.do_import_crl(actor=actor_of(request), crl=pem_or_base64(payload.crl, "crl"), ca_id=payload.ca_id)
    response["Location"] = f"{BASE}/authorities/{row.ca_id}/crls"
    return Status(201, _crl_out(row))


@creates(router, "/crls/upload", response={201: CrlOut, **CREATE_ERRORS})
def upload_crl(request: HttpRequest, response: HttpResponse, file: File[UploadedFile], ca_id: Form[int | None] = None):
    """Import a CRL file (multipart ``file``, DER or PEM) (staff)."""
    if file.size is None or file.size > MAX_CRL_UPLOAD:
        raise CaRefused("ca.malformed", reason="CRL file too large", size=file.size)
    row = actions.do_import_crl(actor=actor_of(request), crl=file.read(), ca_id=ca_id)
    response["Location"] = f"{BASE}/authorities/{row.ca_id}/crls"
    return Status(201, _crl_out(row))


# -- bindings -------------------------------------------------------------------------------------------------------


class BindingQuery(Schema):
    entity_id: int | None = None
    include_unbound: bool = False


@router.get("/bindings", response={200: list[BindingOut], **ERRORS})
def list_bindings(request: HttpRequest, filters: Query[BindingQuery]):
    """Bound certificates: of ``entity_id`` (its members, staff, regulators, auditors) or, without it, the
    caller's own and those of the entities it acts for; ``valid_now`` re-validates each one now."""
    return queries.list_bindings_for(
        actor_of(request), entity_id=filters.entity_id, include_unbound=filters.include_unbound
    )


@creates(router, "/bindings", response={201: BindingOut, **CREATE_ERRORS})
def bind_certificate(request: HttpRequest, response: HttpResponse, payload: BindingIn):
    """Bind a certificate: an organisation certificate to the entity its USCC names (entity administrators or
    staff); a personal one to an account (staff). Refusals: every chain reason, ``ca.subject_unmapped``,
    ``ca.entity_not_registered``, ``ca.wrong_entity``, ``ca.binding_subject``, ``409 ca.already_bound``."""
    actor = actor_of(request)
    binding = actions.do_bind_certificate(
        actor=actor,
        certificate=pem_or_base64(payload.certificate),
        entity_id=payload.entity_id,
        account_id=payload.account_id,
    )
    response["Location"] = f"{BASE}/bindings/{binding.pk}"
    return Status(201, queries.get_binding_for(actor, binding.pk))


@router.get("/bindings/{binding_id}", response={200: BindingOut, **ERRORS})
def get_binding(request: HttpRequest, binding_id: int):
    return queries.get_binding_for(actor_of(request), binding_id)


@router.delete("/bindings/{binding_id}", response={200: BindingOut, 409: ErrorOut, **ERRORS})
def unbind_certificate(request: HttpRequest, binding_id: int, reason: str = ""):
    """Unbind (解绑): the certificate stops working on this platform at once."""
    actor = actor_of(request)
    actions.do_unbind_certificate(actor=actor, binding_id=binding_id, reason=reason)
    return queries.get_binding_for(actor, binding_id)


# -- verification ---------------------------------------------------------------------------------------------------


def _check_out(check: queries.SignatureCheck) -> dict:
    return {
        **{f: getattr(check, f) for f in check.__dataclass_fields__},
        "warnings": list(check.warnings),
        "message_zh": check.message_zh,
        "message_en": check.message_en,
    }


def _signature(value: str) -> bytes:
    return queries.decode_signature(value)


@creates(router, "/verify", auth=PUBLIC, response={200: SignatureCheckOut, **CREATE_ERRORS})
def verify(request: HttpRequest, payload: VerifyIn):
    """Verify a signature and say why not (``ok`` + ``reason``): ``ca.unknown_issuer``, ``ca.untrusted``,
    ``ca.ca_suspended``, ``ca.expired``, ``ca.not_yet_valid``, ``ca.revoked``, ``ca.bad_chain_signature``,
    ``ca.subject_unmapped``, ``ca.signature_invalid``, ``ca.wrong_entity``, ``ca.not_bound`` …
    Stores nothing (a context that accepts a signed act records it with ``do_record_signature``)."""
    certificate = pem_or_base64(payload.certificate)
    signature = _signature(payload.signature)
    if payload.kind == "document":
        if not payload.document_digest:
            raise InvalidInput("ca.document_missing", "须提供文件摘要", "document_digest is required")
        try:
            digest = bytes.fromhex(payload.document_digest)
        except ValueError:
            raise CaRefused("ca.malformed", reason="document_digest is not hex") from None
        check = queries.verify_document(
            signature,
            certificate,
            digest=digest,
            expected_entity_id=payload.expected_entity_id,
            at=payload.at,
            require_binding=payload.require_binding,
        )
    else:
        if payload.payload_base64 is not None:
            try:
                data = base64.b64decode(payload.payload_base64, validate=True)
            except (ValueError, binascii.Error):
                raise CaRefused("ca.malformed", reason="payload_base64 is not base64") from None
        elif payload.payload_text is not None:
            data = payload.payload_text.encode("utf-8")
        else:
            raise InvalidInput("ca.payload_missing", "须提供被签名的数据", "payload_base64 or payload_text is required")
        check = queries.verify_signed(
            data,
            signature,
            certificate,
            expected_entity_id=payload.expected_entity_id,
            at=payload.at,
            require_binding=payload.require_binding,
        )
    return _check_out(check)


# -- challenges -----------------------------------------------------------------------------------------------------


def _challenge_out(row) -> dict:
    parsed = decode_challenge(row.text)
    return {
        "id": row.pk,
        "purpose": row.purpose,
        "status": row.status,
        "text": row.text,
        "respond": parsed.respond,
        "issued_at": row.issued_at,
        "expires_at": row.expires_at,
        "expired": queries.challenge_expired(row, now()) and row.status == "pending",
        "confirmed_at": row.confirmed_at,
        "serial": row.serial,
        "algorithm": row.algorithm,
    }


@creates(router, "/challenges", response={201: ChallengeOut, **CREATE_ERRORS})
def start_challenge(request: HttpRequest, response: HttpResponse, payload: ChallengeIn):
    """Start a QR / mobile signing challenge for the signed-in person (valid 2–5 minutes, single use)."""
    session = getattr(request, "session", None)
    row = actions.do_start_challenge(
        actor=actor_of(request),
        purpose=payload.purpose,
        text=payload.text,
        session_key=session.session_key if session is not None else None,
    )
    response["Location"] = f"{BASE}/challenges/{row.pk}"
    return Status(201, _challenge_out(row))


@router.get("/challenges/{challenge_id}", response={200: ChallengeOut, **ERRORS})
def get_challenge(request: HttpRequest, challenge_id: str):
    """The challenge's state, for the account that started it (poll until ``confirmed``)."""
    return _challenge_out(queries.get_challenge_for(actor_of(request), challenge_id))


@creates(
    router,
    "/challenges/{challenge_id}/respond",
    auth=None,
    response={200: ChallengeOut, 409: ErrorOut, **CREATE_ERRORS},
)
def respond_challenge(request: HttpRequest, challenge_id: str, payload: RespondIn):
    """The signing client's answer: a signature over the exact challenge line and the certificate. No sign-in:
    the signature of a certificate bound to the account (or to an entity it acts for) is the proof.
    Refusals: ``404 ca.challenge_not_found``, ``ca.challenge_expired``, ``409 ca.challenge_used``,
    ``ca.wrong_account``, ``ca.not_bound``, ``ca.signature_invalid`` and every chain reason."""
    row = actions.do_respond_challenge(
        challenge_id=challenge_id,
        signature=_signature(payload.signature),
        certificate=pem_or_base64(payload.certificate),
    )
    return _challenge_out(row)
