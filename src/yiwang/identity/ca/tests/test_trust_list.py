"""The trust list: registering roots and intermediates, status changes with history, CRL imports — and every
refusal leaving nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.identity.ca import actions, queries
from yiwang.identity.ca.domain.errors import CaConflict, CaRefused
from yiwang.identity.ca.tests.conftest import put_on_list
from yiwang.identity.ca.tests.support import PUJIANG, T0, Pki, counts, witness_entries
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import InvalidInput, PermissionDenied, PreconditionFailed


def test_register_root_then_intermediate(people, staff_actor, pki):
    root = actions.do_register_ca(actor=staff_actor, certificate=pki.root.cert.der, mapping="demo", name="测试根CA")
    sub = actions.do_register_ca(actor=staff_actor, certificate=pki.sub.cert.der)
    assert (root.kind, root.algorithm, root.parent_id, root.status) == ("root", "sm2", None, "active")
    assert (sub.kind, sub.parent_id, sub.name) == ("intermediate", root.pk, pki.sub.cert.display_name)
    assert root.fingerprint_sha256 == pki.root.cert.fingerprint_sha256
    assert root.fingerprint_sm3 == pki.root.cert.fingerprint_sm3
    assert root.mapping["rules"][0] == {"kind": "entity", "source": "subject.serialNumber"}
    listed = queries.list_trusted_cas()
    assert [c.id for c in listed] == [root.pk, sub.pk]
    entries = witness_entries("ca.register_ca")
    assert len(entries) == 2
    assert entries[0].payload["fingerprint_sm3"] == root.fingerprint_sm3
    assert [h.new_status for h in queries.list_status_changes(root.pk)] == ["active"]


def test_ecdsa_and_rsa_roots_register_too(people, staff_actor, pki_ecdsa):
    put_on_list(pki_ecdsa, staff_actor)
    rsa = Pki("rsa", label="RSA")
    ca = actions.do_register_ca(actor=staff_actor, certificate=rsa.root.cert.der)
    assert {c.algorithm for c in queries.list_trusted_cas()} == {"ecdsa", "rsa"}
    assert ca.kind == "root"


def _refused(fn, code, *, exc=CaRefused):
    before = counts()
    with pytest.raises(exc) as err:
        fn()
    assert err.value.code == code
    assert counts() == before, "a refused action must leave nothing behind"
    return err.value


def test_refusals_store_nothing(people, staff_actor, pki):
    # an intermediate before its root: the issuer is unknown
    _refused(lambda: actions.do_register_ca(actor=staff_actor, certificate=pki.sub.cert.der), "ca.unknown_issuer")
    # not a certificate
    _refused(lambda: actions.do_register_ca(actor=staff_actor, certificate=b"nope"), "ca.malformed")
    # an end-entity certificate is not a CA
    actions.do_register_ca(actor=staff_actor, certificate=pki.root.cert.der)
    leaf = pki.issue(entity=PUJIANG)
    _refused(lambda: actions.do_register_ca(actor=staff_actor, certificate=leaf.cert.der), "ca.not_a_ca")
    # twice the same root
    _refused(
        lambda: actions.do_register_ca(actor=staff_actor, certificate=pki.root.cert.der), "ca.duplicate", exc=CaConflict
    )
    # a bad mapping
    other = Pki("sm2", label="另一")
    _refused(
        lambda: actions.do_register_ca(actor=staff_actor, certificate=other.root.cert.der, mapping={"rules": 1}),
        "ca.mapping_invalid",
    )
    # an intermediate whose signature is not the root's (a forged issuing CA)
    forged = pki.intermediate(signer_key=other.root.key)
    _refused(lambda: actions.do_register_ca(actor=staff_actor, certificate=forged.cert.der), "ca.bad_chain_signature")
    # an expired CA certificate
    old = Pki("sm2", label="旧", start=T0 - timedelta(days=4000))
    _refused(lambda: actions.do_register_ca(actor=staff_actor, certificate=old.root.cert.der), "ca.expired")


def test_only_staff_administrators_manage_the_list(people, pki):
    plain_staff = Actor(ActorKind.ACCOUNT, "77", "普通工作人员", (RoleGrant(Role.STAFF, region="310000"),))
    district_admin = Actor(ActorKind.ACCOUNT, "78", "区管理员", (RoleGrant(Role.STAFF, region="310112", admin=True),))
    for actor in (plain_staff, district_admin, people.actor(people.admin_a), Actor.anonymous()):
        _refused(
            lambda a=actor: actions.do_register_ca(actor=a, certificate=pki.root.cert.der),
            "ca.forbidden",
            exc=PermissionDenied,
        )


def test_status_changes_keep_history_and_removal_is_final(people, staff_actor, trusted):
    root, sub = trusted
    with pytest.raises(InvalidInput, match=r"ca\.reason_required"):
        actions.do_change_ca_status(actor=staff_actor, ca_id=root.pk, status="suspended")
    suspended = actions.do_change_ca_status(
        actor=staff_actor, ca_id=root.pk, status="suspended", reason="密钥管理审查", expected_version=1
    )
    assert (suspended.status, suspended.version) == ("suspended", 2)
    sub_view = queries.get_ca(sub.pk)
    assert (sub_view.status, sub_view.effective_status, sub_view.inherited_from) == ("active", "suspended", root.pk)
    with pytest.raises(PreconditionFailed):
        actions.do_change_ca_status(actor=staff_actor, ca_id=root.pk, status="active", expected_version=1)
    actions.do_change_ca_status(actor=staff_actor, ca_id=root.pk, status="active", expected_version=2)
    actions.do_change_ca_status(actor=staff_actor, ca_id=root.pk, status="removed", reason="停止互认")
    _refused(
        lambda: actions.do_change_ca_status(actor=staff_actor, ca_id=root.pk, status="active"),
        "ca.status_transition",
        exc=CaConflict,
    )
    history = queries.list_status_changes(root.pk)
    assert [h.new_status for h in history] == ["active", "suspended", "active", "removed"]
    assert history[1].reason == "密钥管理审查"
    assert root.pk not in [c.id for c in queries.list_trusted_cas()]
    assert root.pk in [c.id for c in queries.list_trusted_cas(include_removed=True)]
    (listed_sub,) = queries.list_trusted_cas()
    assert (listed_sub.id, listed_sub.effective_status_label) == (sub.pk, "已移出名单")


def test_crl_import_and_revocation_take_effect_at_once(people, staff_actor, pki, bound_a, clock):
    cert_a, _binding = bound_a
    message = b"bid digest"
    signature = cert_a.sign(message)
    assert queries.verify_signed(message, signature, cert_a.cert.der).ok
    row = actions.do_import_crl(actor=staff_actor, crl=pki.crl("sub", [cert_a.cert], this_update=T0))
    assert (row.revoked_count, row.crl_number) == (1, str(pki.crl_number))
    check = queries.verify_signed(message, signature, cert_a.cert.der)
    assert (check.ok, check.reason, check.details["serial"]) == (False, "ca.revoked", cert_a.cert.serial_hex)
    entry = witness_entries("ca.import_crl")[-1]
    assert entry.payload["revoked_count"] == 1


def test_crl_refusals_store_nothing(people, staff_actor, pki, trusted):
    other = Pki("sm2", label="别家")
    _refused(lambda: actions.do_import_crl(actor=staff_actor, crl=other.crl("sub")), "ca.crl_unknown_issuer")
    # a CRL with the issuing CA's name, signed with another key (forged)
    from yiwang.identity.ca.domain.build import build_crl
    from yiwang.kernel.crypto import signer_for

    forged = build_crl(
        pki.sub.cert.subject,
        signer_for(other.sub.key),
        this_update=T0,
        next_update=T0 + timedelta(days=1),
        crl_number=99,
    )
    _refused(lambda: actions.do_import_crl(actor=staff_actor, crl=forged), "ca.crl_signature_invalid")
    _refused(lambda: actions.do_import_crl(actor=staff_actor, crl=b"garbage"), "ca.malformed")
    older = pki.crl("sub", this_update=T0 - timedelta(days=2), number=0)
    _refused(lambda: actions.do_import_crl(actor=staff_actor, crl=older), "ca.crl_outdated", exc=CaConflict)
    current = queries.list_crls(trusted[1].pk)[0]
    from yiwang.identity.ca.models import RevocationList

    same = bytes(RevocationList.objects.get(pk=current.id).der)
    _refused(lambda: actions.do_import_crl(actor=staff_actor, crl=same), "ca.crl_duplicate", exc=CaConflict)
    outsider = people.actor(people.outsider)
    _refused(lambda: actions.do_import_crl(actor=outsider, crl=pki.crl("sub")), "ca.forbidden", exc=PermissionDenied)


def test_a_newer_crl_by_number_replaces_the_older(people, staff_actor, pki, trusted):
    leaf = pki.issue(entity=PUJIANG)
    actions.do_import_crl(actor=staff_actor, crl=pki.crl("sub", [leaf.cert], this_update=T0))
    assert queries.verify_signed(b"x", leaf.sign(b"x"), leaf.cert.der, require_binding=False).reason == "ca.revoked"
    # the CA lifts a certificate hold: the next CRL no longer lists it
    actions.do_import_crl(actor=staff_actor, crl=pki.crl("sub", [], this_update=T0 + timedelta(minutes=1)))
    assert queries.verify_signed(b"x", leaf.sign(b"x"), leaf.cert.der, require_binding=False).ok
    ca = queries.get_ca(trusted[1].pk)
    assert ca.crl_number == str(pki.crl_number)
    assert not ca.crl_stale


def test_stale_crl_policy(people, staff_actor, pki, clock):
    _root, sub = put_on_list(pki, staff_actor)
    leaf = pki.issue(entity=PUJIANG, days=3650)
    clock.advance(timedelta(days=8))  # past the CRLs' nextUpdate
    check = queries.verify_signed(b"x", leaf.sign(b"x"), leaf.cert.der, require_binding=False)
    assert check.reason == "ca.crl_stale"
    assert queries.get_ca(sub.pk).crl_stale
    warn = Pki("sm2", label="告警")
    put_on_list(warn, staff_actor, crl_policy="warn")
    leaf2 = warn.issue(entity=PUJIANG, days=3650)
    check = queries.verify_signed(b"x", leaf2.sign(b"x"), leaf2.cert.der, require_binding=False)
    assert check.ok
    assert check.warnings == ("ca.crl_stale",)
