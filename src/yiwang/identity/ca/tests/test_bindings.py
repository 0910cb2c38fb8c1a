"""Binding certificates to entities (by the USCC in the subject) and to persons (staff), and what stops them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.identity.ca import actions, queries
from yiwang.identity.ca.domain.errors import CaConflict, CaNotFound, CaRefused
from yiwang.identity.ca.tests.support import MINHANG, PERSON_ID, PUJIANG, UNREGISTERED, counts, witness_entries
from yiwang.kernel.errors import InvalidInput, PermissionDenied


def _refused(fn, code, exc=CaRefused):
    before = counts()
    with pytest.raises(exc) as err:
        fn()
    assert err.value.code == code
    assert counts() == before
    return err.value


def test_entity_admin_binds_the_entitys_certificate(people, cert_a):
    binding = actions.do_bind_certificate(
        actor=people.actor(people.admin_a), certificate=cert_a.pem, entity_id=people.entity_a
    )
    assert (binding.subject_kind, binding.entity_id, binding.uscc) == ("entity", people.entity_a, PUJIANG)
    assert (binding.serial, binding.algorithm, binding.status) == (cert_a.cert.serial_hex, "sm2", "active")
    payload = witness_entries("ca.bind_certificate")[0].payload
    assert payload["serial"] == cert_a.cert.serial_hex
    assert payload["issuer"] == cert_a.cert.issuer_text
    views = queries.list_bindings_for(people.actor(people.member_a))
    assert [v.id for v in views] == [binding.pk]
    assert views[0].valid_now
    assert [v.id for v in queries.list_valid_certificates_of_entity(people.entity_a)] == [binding.pk]


def test_binding_refusals_store_nothing(people, pki, cert_a, staff_actor):
    admin_a = people.actor(people.admin_a)
    # an ordinary member (not admin) and another entity's admin may not bind A's certificate
    _refused(
        lambda: actions.do_bind_certificate(actor=people.actor(people.member_a), certificate=cert_a.pem),
        "ca.forbidden",
        PermissionDenied,
    )
    _refused(
        lambda: actions.do_bind_certificate(actor=people.actor(people.admin_b), certificate=cert_a.pem),
        "ca.forbidden",
        PermissionDenied,
    )
    # B's certificate presented as A's
    cert_b = pki.issue(entity=MINHANG)
    _refused(
        lambda: actions.do_bind_certificate(actor=admin_a, certificate=cert_b.pem, entity_id=people.entity_a),
        "ca.wrong_entity",
    )
    # a USCC nobody registered
    _refused(
        lambda: actions.do_bind_certificate(actor=staff_actor, certificate=pki.issue(entity=UNREGISTERED).pem),
        "ca.entity_not_registered",
    )
    # untrusted, expired, revoked, not yet valid
    from yiwang.identity.ca.tests.support import T0, Pki

    stranger = Pki("sm2", label="别家").issue(entity=PUJIANG)
    _refused(lambda: actions.do_bind_certificate(actor=admin_a, certificate=stranger.pem), "ca.unknown_issuer")
    expired = pki.issue(entity=PUJIANG, not_before=T0 - timedelta(days=40), days=30)
    _refused(lambda: actions.do_bind_certificate(actor=admin_a, certificate=expired.pem), "ca.expired")
    future = pki.issue(entity=PUJIANG, not_before=T0 + timedelta(days=1))
    _refused(lambda: actions.do_bind_certificate(actor=admin_a, certificate=future.pem), "ca.not_yet_valid")
    revoked = pki.issue(entity=PUJIANG)
    actions.do_import_crl(actor=staff_actor, crl=pki.crl("sub", [revoked.cert], this_update=T0))
    _refused(lambda: actions.do_bind_certificate(actor=admin_a, certificate=revoked.pem), "ca.revoked")
    # bound twice
    actions.do_bind_certificate(actor=admin_a, certificate=cert_a.pem)
    _refused(
        lambda: actions.do_bind_certificate(actor=staff_actor, certificate=cert_a.pem), "ca.already_bound", CaConflict
    )
    # an organisation certificate cannot go to an account
    _refused(
        lambda: actions.do_bind_certificate(actor=staff_actor, certificate=cert_b.pem, account_id=people.outsider.pk),
        "ca.binding_subject",
    )


def test_staff_bind_personal_certificates_to_accounts(people, pki, trusted, staff_actor):
    personal = pki.issue(person=PERSON_ID, name="路人甲")
    _refused(
        lambda: actions.do_bind_certificate(
            actor=people.actor(people.outsider), certificate=personal.pem, account_id=people.outsider.pk
        ),
        "ca.forbidden",
        PermissionDenied,
    )
    with pytest.raises(InvalidInput, match=r"ca\.account_required"):
        actions.do_bind_certificate(actor=staff_actor, certificate=personal.pem)
    with pytest.raises(CaNotFound):
        actions.do_bind_certificate(actor=staff_actor, certificate=personal.pem, account_id=99999)
    _refused(
        lambda: actions.do_bind_certificate(actor=staff_actor, certificate=personal.pem, entity_id=people.entity_a),
        "ca.binding_subject",
    )
    binding = actions.do_bind_certificate(actor=staff_actor, certificate=personal.pem, account_id=people.outsider.pk)
    assert (binding.subject_kind, binding.account_id, binding.person_id_masked) == (
        "person",
        people.outsider.pk,
        "1101**********002X",
    )
    assert PERSON_ID not in str(witness_entries("ca.bind_certificate")[-1].payload)  # only the masked number
    check = queries.verify_signed(b"m", personal.sign(b"m"), personal.cert.der)
    assert check.ok
    assert check.account_id == people.outsider.pk
    assert check.person == "1101**********002X"
    views = queries.list_bindings_for(people.actor(people.outsider))
    assert [v.id for v in views] == [binding.pk]
    # the person may unbind their own certificate
    actions.do_unbind_certificate(actor=people.actor(people.outsider), binding_id=binding.pk)


def test_unbinding_stops_the_certificate_at_once(people, bound_a):
    cert_a, binding = bound_a
    assert queries.verify_signed(b"m", cert_a.sign(b"m"), cert_a.cert.der).ok
    _refused(
        lambda: actions.do_unbind_certificate(actor=people.actor(people.member_a), binding_id=binding.pk),
        "ca.forbidden",
        PermissionDenied,
    )
    _refused(
        lambda: actions.do_unbind_certificate(actor=people.actor(people.admin_b), binding_id=binding.pk),
        "ca.binding_not_found",
        CaNotFound,
    )
    actions.do_unbind_certificate(actor=people.actor(people.admin_a), binding_id=binding.pk, reason="员工离职")
    assert queries.verify_signed(b"m", cert_a.sign(b"m"), cert_a.cert.der).reason == "ca.not_bound"
    _refused(
        lambda: actions.do_unbind_certificate(actor=people.actor(people.admin_a), binding_id=binding.pk),
        "ca.status_transition",
        CaConflict,
    )
    assert queries.list_valid_certificates_of_entity(people.entity_a) == []
    # and it may be bound again afterwards
    again = actions.do_bind_certificate(actor=people.actor(people.admin_a), certificate=cert_a.pem)
    assert again.pk != binding.pk


def test_valid_certificates_follow_revocation_and_time(people, pki, bound_a, staff_actor, clock):
    cert_a, binding = bound_a
    short = pki.issue(entity=PUJIANG, days=2)
    other = actions.do_bind_certificate(actor=people.actor(people.admin_a), certificate=short.pem)
    assert {v.id for v in queries.list_valid_certificates_of_entity(people.entity_a)} == {binding.pk, other.pk}
    actions.do_import_crl(actor=staff_actor, crl=pki.crl("sub", [cert_a.cert], this_update=clock.now()))
    assert [v.id for v in queries.list_valid_certificates_of_entity(people.entity_a)] == [other.pk]
    later = clock.now() + timedelta(days=3)
    assert queries.list_valid_certificates_of_entity(people.entity_a, at=later) == []
    views = {v.id: v for v in queries.list_bindings_for(people.actor(people.admin_a), entity_id=people.entity_a)}
    assert (views[binding.pk].valid_now, views[binding.pk].reason_now) == (False, "ca.revoked")
    with pytest.raises(PermissionDenied):
        queries.list_bindings_for(people.actor(people.admin_b), entity_id=people.entity_a)
