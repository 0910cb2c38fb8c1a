"""The verification service other contexts call: one reason per failure, documents by digest, signed API
payloads with a replay window, and recorded (witnessed) signatures."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from yiwang.identity.ca import actions, queries
from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.identity.ca.tests.conftest import put_on_list
from yiwang.identity.ca.tests.support import MINHANG, PUJIANG, T0, UNREGISTERED, Pki, counts, witness_entries
from yiwang.kernel.canonical import iso_utc
from yiwang.platform.audit import queries as audit

MESSAGE = "投标文件摘要 bid-file digest".encode()


def _verify(issued, *, message=MESSAGE, signature=None, **kwargs):
    return queries.verify_signed(message, signature or issued.sign(message), issued.cert.der, **kwargs)


@pytest.mark.parametrize("algorithm", ["sm2", "ecdsa"])
def test_a_bound_certificate_verifies(people, staff_actor, algorithm):
    pki = Pki(algorithm, label=algorithm)
    _root, sub = put_on_list(pki, staff_actor)
    leaf = pki.issue(entity=PUJIANG)
    binding = actions.do_bind_certificate(actor=people.actor(people.admin_a), certificate=leaf.pem)
    check = _verify(leaf, expected_entity_id=people.entity_a)
    assert check.ok, check
    assert (check.entity_id, check.uscc, check.binding_id, check.ca_id) == (
        people.entity_a,
        PUJIANG,
        binding.pk,
        sub.pk,
    )
    assert check.algorithm == {"sm2": "sm2-sm3", "ecdsa": "ecdsa-p256-sha256"}[algorithm]
    assert check.digest_algorithm == {"sm2": "sm3", "ecdsa": "sha256"}[algorithm]
    assert check.fingerprint == leaf.cert.fingerprint_sha256
    assert check.serial == leaf.cert.serial_hex
    assert check.message_zh == "签名有效"


def test_tampered_payload_is_signature_invalid(people, bound_a):
    cert_a, _ = bound_a
    check = _verify(cert_a, signature=cert_a.sign(MESSAGE), message=MESSAGE + b"!")
    assert (check.ok, check.reason) == (False, "ca.signature_invalid")
    assert check.message_zh.startswith("签名验证失败")
    with pytest.raises(CaRefused, match=r"ca\.signature_invalid"):
        check.raise_for_failure()


def test_signature_by_another_entitys_certificate_is_wrong_entity(people, pki, bound_a):
    cert_b = pki.issue(entity=MINHANG, name="上海闵行绿源环保科技有限公司")
    actions.do_bind_certificate(actor=people.actor(people.admin_b), certificate=cert_b.cert.der)
    check = _verify(cert_b, expected_entity_id=people.entity_a)
    assert (check.ok, check.reason, check.entity_id) == (False, "ca.wrong_entity", people.entity_b)
    assert check.details == {"expected_entity_id": people.entity_a, "entity_id": people.entity_b}
    assert _verify(cert_b, expected_entity_id=people.entity_b).ok


def test_untrusted_unknown_suspended(people, staff_actor, pki, bound_a):
    cert_a, _ = bound_a
    other = Pki("sm2", label="别家")
    stranger = other.issue(entity=PUJIANG)
    assert _verify(stranger).reason == "ca.unknown_issuer"
    root_id = queries.list_trusted_cas()[0].id
    actions.do_change_ca_status(actor=staff_actor, ca_id=root_id, status="suspended", reason="审查")
    assert _verify(cert_a).reason == "ca.ca_suspended"
    actions.do_change_ca_status(actor=staff_actor, ca_id=root_id, status="removed", reason="停止")
    check = _verify(cert_a)
    assert (check.reason, check.details["ca_id"]) == ("ca.untrusted", root_id)


def test_expired_and_not_yet_valid_certificates(people, staff_actor, pki, trusted, clock):
    soon = pki.issue(entity=PUJIANG, days=2)
    actions.do_bind_certificate(actor=people.actor(people.admin_a), certificate=soon.cert.der)
    assert _verify(soon).ok
    clock.advance(timedelta(days=3))
    actions.do_import_crl(actor=staff_actor, crl=pki.crl("root", this_update=clock.now()))
    actions.do_import_crl(actor=staff_actor, crl=pki.crl("sub", this_update=clock.now()))
    check = _verify(soon)
    assert (check.reason, check.details["role"]) == ("ca.expired", "end_entity")
    future = pki.issue(entity=PUJIANG, not_before=clock.now() + timedelta(days=1))
    assert _verify(future, require_binding=False).reason == "ca.not_yet_valid"
    # the instant is injectable: at signing time the expired certificate was fine
    assert _verify(soon, at=T0).ok


def test_bad_chain_signature_and_unmapped_subject(people, pki, trusted):
    from yiwang.kernel.crypto import generate_private_key

    forged = pki.issue(entity=PUJIANG, signer_key=generate_private_key("sm2"))
    assert _verify(forged, require_binding=False).reason == "ca.bad_chain_signature"
    anonymous = pki.issue(subject=[("C", "CN"), ("CN", "无代码")])
    assert _verify(anonymous, require_binding=False).reason == "ca.subject_unmapped"
    assert queries.verify_signed(MESSAGE, b"x", b"not a certificate").reason == "ca.malformed"


def test_unbound_certificates_need_require_binding_false(people, pki, trusted):
    unregistered = pki.issue(entity=UNREGISTERED)
    assert _verify(unregistered).reason == "ca.not_bound"
    check = _verify(unregistered, require_binding=False)
    assert check.ok
    assert check.entity_id is None
    assert check.uscc == UNREGISTERED
    assert _verify(unregistered, require_binding=False, expected_entity_id=people.entity_a).reason == "ca.wrong_entity"
    # organisations that are not registry entities (a sub-platform operator) are checked by USCC
    assert _verify(unregistered, require_binding=False, expected_uscc=UNREGISTERED.lower()).ok
    wrong = _verify(unregistered, require_binding=False, expected_uscc=PUJIANG)
    assert (wrong.reason_code, wrong.details["uscc"]) == ("ca.wrong_entity", UNREGISTERED)


def test_document_signatures_by_digest(people, bound_a, pki_ecdsa, trusted_ecdsa):
    cert_a, _ = bound_a
    document = "招标文件正文……".encode() * 1000
    from yiwang.identity.ca.domain.signing import document_digest, document_signing_input

    algorithm, digest = document_digest(document, "sm2")
    signature = cert_a.sign(document_signing_input(algorithm, digest))
    by_data = queries.verify_document(signature, cert_a.cert.der, data=document, expected_entity_id=people.entity_a)
    by_digest = queries.verify_document(signature, cert_a.pem, digest=digest, digest_algorithm="sm3")
    assert by_data.ok
    assert by_digest.ok
    assert by_data.digest == digest.hex()
    assert by_data.digest_algorithm == "sm3"
    assert queries.verify_document(signature, cert_a.cert.der, data=document + b"x").reason == "ca.signature_invalid"
    assert queries.verify_document(signature, cert_a.cert.der, digest=digest, digest_algorithm="sha256").reason == (
        "ca.algorithm_unsupported"
    )
    # ECDSA certificates sign SHA-256 digests
    leaf = pki_ecdsa.issue(entity=PUJIANG)
    algorithm, digest = document_digest(document, "ecdsa")
    assert algorithm == "sha256"
    check = queries.verify_document(
        leaf.sign(document_signing_input(algorithm, digest)), leaf.cert.der, data=document, require_binding=False
    )
    assert check.ok
    assert check.digest_algorithm == "sha256"


def test_signed_api_requests_have_a_replay_window(people, bound_a, clock):
    cert_a, _ = bound_a
    payload = {"DATA_KEY": "SH01500000000000000001", "DATA_TYPE": 1, "PROJECT_NAME": "示范项目"}
    timestamp = iso_utc(clock.now())
    nonce = "n0nce-0000000000001"
    message = queries.api_signing_input(payload, timestamp=timestamp, nonce=nonce)
    signature = cert_a.sign(message)

    def accept(**kwargs):
        values = {
            "payload": payload,
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": signature,
            "certificate": cert_a.cert.der,
            "expected_entity_id": people.entity_a,
            **kwargs,
        }
        return actions.accept_signed_api_request(**values)

    assert accept().ok
    assert accept().reason == "ca.replayed"
    assert accept(payload={**payload, "DATA_TYPE": 3}).reason == "ca.signature_invalid"
    other_nonce = "n0nce-0000000000002"
    late = queries.api_signing_input(payload, timestamp=timestamp, nonce=other_nonce)
    clock.advance(timedelta(minutes=6))
    assert accept(nonce=other_nonce, signature=cert_a.sign(late)).reason == "ca.timestamp_out_of_window"
    assert accept(timestamp="not a time").reason == "ca.malformed"
    assert actions.purge_seen_nonces(clock.now()) == 1


def test_recording_a_signature_witnesses_serial_issuer_algorithm_and_digest(people, bound_a, system):
    cert_a, _binding = bound_a
    signature = cert_a.sign(MESSAGE)
    check = _verify(cert_a, signature=signature, expected_entity_id=people.entity_a)
    record = actions.do_record_signature(
        actor=people.actor(people.admin_a),
        check=check,
        signature=signature,
        purpose="tender.bid_submission",
        obj=("tender.bid", 42),
    )
    assert (record.serial, record.algorithm, record.digest_algorithm) == (cert_a.cert.serial_hex, "sm2-sm3", "sm3")
    (entry,) = [e for e in audit.entries_about(("tender.bid", 42)) if e.action == "ca.record_signature"]
    payload = witness_entries("ca.record_signature")[0].payload
    assert payload["serial"] == cert_a.cert.serial_hex
    assert payload["issuer"] == cert_a.cert.issuer_text
    assert payload["algorithm"] == "sm2-sm3"
    assert payload["digest"] == check.digest
    assert entry.object_id == "42"
    assert [s.id for s in queries.list_signatures_of("tender.bid", 42)] == [record.pk]
    # a failed check is refused with its reason, nothing stored
    bad = _verify(cert_a, signature=signature, message=b"other")
    before = counts()
    with pytest.raises(CaRefused, match=r"ca\.signature_invalid"):
        actions.do_record_signature(actor=system, check=bad, signature=signature, purpose="x", obj=("tender.bid", 43))
    assert counts() == before


def test_verify_accepts_base64_and_hex_signatures():
    raw = bytes(range(70))
    assert queries.decode_signature(base64.b64encode(raw).decode()) == raw
    assert queries.decode_signature(raw.hex()) == raw
    assert queries.decode_signature(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    with pytest.raises(CaRefused, match=r"ca\.malformed"):
        queries.decode_signature("***")
