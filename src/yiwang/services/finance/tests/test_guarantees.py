"""E-guarantees (电子保函) and guarantee insurance policies: issue and verification with identity.ca, every
refusal with its code and nothing stored, the bid gate, public verification, claims paid once, releases,
expiry, suspended issuers, and the ledger's off-balance memo."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.services.finance import actions, issuers, jobs, ledger, queries
from yiwang.services.finance.domain.guarantees import GuaranteeForm
from yiwang.services.finance.models import (
    Alert,
    AlertKind,
    BankNotice,
    ClaimStatus,
    Guarantee,
    GuaranteeClaim,
    JournalEntry,
    NoticeStatus,
    SimIssuerMessage,
)
from yiwang.services.finance.tests import guarantee_support as gs
from yiwang.services.finance.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def env(clock):
    return gs.make_env()


def _state() -> dict[str, int]:
    """What a refused issue must not leave behind."""
    models = {
        "witness": ("audit", "WitnessEntry"),
        "events": ("outbox", "OutboxEvent"),
        "documents": ("storage", "Document"),
        "signatures": ("ca", "SignatureRecord"),
        "entries": ("finance", "JournalEntry"),
        "accounts": ("finance", "Account"),
    }
    return {k: apps.get_model(*m).objects.count() for k, m in models.items()}


def _refused(env, application, error_type, code, **issue_kwargs):
    before = _state()
    with pytest.raises(error_type) as err:
        env.issue(application, **issue_kwargs)
    assert err.value.code == code, err.value
    assert _state() == before
    application.refresh_from_db()
    assert application.status == "applied"
    assert application.number is None
    assert not queries.has_satisfied_deposit(env.actor_of(application.entity_id), env.lot.ref, application.entity_id)
    return err.value


# -- the happy path ----------------------------------------------------------------------------------------------------


def test_guarantee_from_a_trusted_issuer_satisfies_the_deposit(env, clock):
    bidder = env.bidders[0]
    assert not queries.has_satisfied_deposit(bidder.actor, env.lot.ref, bidder.entity_id)
    application = env.apply()
    assert application.status == "applied"
    assert application.amount_fen == env.lot.required_fen
    assert application.beneficiary_entity_id == env.owner_id
    g = env.issue(application)
    assert g.status == "valid"
    assert g.number.startswith("BH2026")
    view = queries.get_deposit_satisfaction_for(bidder.actor, env.lot.ref, bidder.entity_id)
    assert (view.satisfied, view.via, view.guarantee_no, view.held_fen) == (True, "letter", g.number, 0)
    assert queries.has_satisfied_deposit(bidder.actor, env.lot.ref, bidder.entity_id)
    # the other bidder has not
    other = env.bidders[1]
    assert not queries.has_satisfied_deposit(other.actor, env.lot.ref, other.entity_id)
    # signature recorded and witnessed by identity.ca; letter stored by digest
    record = apps.get_model("ca", "SignatureRecord").objects.get(object_id=str(g.pk))
    assert record.purpose == "finance.guarantee_issued"
    assert record.serial == env.bank_cert.cert.serial_hex
    document = apps.get_model("storage", "Document").objects.get(pk=g.letter_document_id)
    assert document.versions.get().sha256 == g.sha256
    # off balance: a memo pair, no money
    entry = JournalEntry.objects.get(key=f"guarantee:{g.pk}")
    assert entry.kind == "guarantee_issued"
    assert ledger.balance_of(g.memo_account) == g.amount_fen == ledger.balance_of(g.contra_account)
    report = queries.build_reconciliation()
    assert report.reconciled
    assert all(b.ledger_balance_fen == 0 for b in report.banks)
    # restricted events only: the bidder's identity does not reach the public feed
    events = apps.get_model("outbox", "OutboxEvent").objects.filter(event_type__startswith="finance.guarantee_")
    assert {e.visibility for e in events if e.event_type != "finance.guarantee_issuer_registered.v1"} == {"restricted"}


def test_insurance_policy_works_the_same_way(env, clock):
    bidder = env.bidders[1]
    with pytest.raises(Conflict) as wrong:
        env.apply(1, issuer=env.insurer, form="letter")  # an insurer issues policies, not letters
    assert wrong.value.code == "finance.guarantee_form_mismatch"
    with pytest.raises(Conflict) as wrong_bank:
        env.apply(1, issuer=env.bank, form="policy")
    assert wrong_bank.value.code == "finance.guarantee_form_mismatch"
    policy = env.guarantee(1, issuer=env.insurer, form="policy")
    assert policy.form == GuaranteeForm.POLICY
    view = queries.get_deposit_satisfaction_for(bidder.actor, env.lot.ref, bidder.entity_id)
    assert (view.satisfied, view.via) == (True, "policy")
    public = queries.get_guarantee_verification(policy.number)
    assert (public.form_label, public.issuer_kind_label) == ("保证保险保单", "保险公司")


@pytest.mark.parametrize("algorithm", ["sm2", "ecdsa"])
def test_both_certificate_algorithms_verify(clock, algorithm):
    env = gs.make_env(algorithm=algorithm)
    g = env.guarantee()
    record = apps.get_model("ca", "SignatureRecord").objects.get(object_id=str(g.pk))
    assert record.algorithm == {"sm2": "sm2-sm3", "ecdsa": "ecdsa-p256-sha256"}[algorithm]


# -- refusals: each with its code, nothing stored ----------------------------------------------------------------------


def test_bad_signature_is_refused(env):
    _refused(env, env.apply(), InvalidInput, "ca.signature_invalid", tamper=True)


def test_certificate_of_another_entity_is_refused(env):
    other = env.pki.issue(entity=support.PUJIANG)  # the bidder's own company certificate
    _refused(env, env.apply(), InvalidInput, "ca.wrong_entity", signer=other)


def test_certificate_not_registered_for_the_issuer_is_refused(env):
    second = env.pki.issue(entity=gs.BANK_USCC, name="上海浦江银行股份有限公司")
    from yiwang.identity.ca import actions as ca_actions

    ca_actions.do_bind_certificate(actor=support.staff(), certificate=second.pem)  # bound, not registered
    _refused(env, env.apply(), Conflict, "finance.issuer_certificate_unknown", signer=second)
    actions.do_add_issuer_certificate(actor=support.staff(), issuer_id=env.bank.pk, certificate=second.pem)
    assert env.issue(env.apply(1), signer=second).status == "valid"


def test_suspended_issuer_is_refused_and_its_guarantees_are_flagged(env, clock):
    held = env.guarantee(0)
    pending = env.apply(1)
    actions.do_set_issuer_status(actor=support.staff(), issuer_id=env.bank.pk, status="suspended", reason="监管通报")
    _refused(env, pending, Conflict, "finance.issuer_suspended")
    with pytest.raises(Conflict) as new:
        env.apply(1)
    assert new.value.code == "finance.issuer_suspended"
    held.refresh_from_db()
    assert held.flagged
    assert "监管通报" in held.flag_reason
    assert Alert.objects.filter(kind=AlertKind.ISSUER_SUSPENDED, guarantee=held).count() == 1
    assert queries.get_guarantee_verification(held.number).issuer_status == "suspended"
    # the guarantee already given still stands (flagged for staff), reactivation lifts the flag
    assert queries.has_satisfied_deposit(env.actor_of(held.entity_id), env.lot.ref, held.entity_id)
    actions.do_set_issuer_status(actor=support.staff(), issuer_id=env.bank.pk, status="active")
    held.refresh_from_db()
    assert not held.flagged


def test_amount_too_low_is_refused(env):
    application = env.apply()
    _refused(
        env,
        application,
        InvalidInput,
        "finance.guarantee_amount_too_low",
        doc=env.document(application, amount_fen=env.lot.required_fen - 1),
    )


def test_wrong_beneficiary_is_refused(env):
    application = env.apply()
    doc = env.document(application, beneficiary_code=support.MINHANG, beneficiary="上海闵行绿源环保科技有限公司")
    _refused(env, application, Conflict, "finance.guarantee_beneficiary_mismatch", doc=doc)


def test_wrong_lot_is_refused(env):
    application = env.apply()
    _refused(
        env,
        application,
        Conflict,
        "finance.guarantee_lot_mismatch",
        doc=env.document(application, lot_ref="tender.section:2"),
    )


def test_validity_too_short_is_refused(env):
    application = env.apply()
    lot = env.lot
    short = env.document(application, end_at=lot.bid_validity_until - timedelta(days=1))
    _refused(env, application, InvalidInput, "finance.guarantee_validity_too_short", doc=short)
    late_start = env.document(application, begin_at=lot.opening_at + timedelta(hours=1))
    _refused(env, application, InvalidInput, "finance.guarantee_validity_too_short", doc=late_start)


def test_expired_guarantee_is_refused(env, clock):
    application = env.apply()
    doc = env.document(application, begin_at=clock.now() - timedelta(days=30), end_at=clock.now() - timedelta(days=1))
    _refused(env, application, InvalidInput, "finance.guarantee_expired", doc=doc)


def test_letter_file_must_match_the_digests(env):
    _refused(env, env.apply(), InvalidInput, "finance.guarantee_file_mismatch", letter=gs.LETTER + b"x")


def test_malformed_document_is_refused(env):
    application = env.apply()
    before = _state()
    with pytest.raises(InvalidInput) as err:
        actions.do_issue_guarantee(
            actor=env.bank_user,
            application_no=application.application_no,
            document=b'{"spec": "yiwang-guarantee-v1"}',
            signature=b"x",
            certificate=env.bank_cert.pem,
            letter=gs.LETTER,
        )
    assert err.value.code == "finance.guarantee_document_invalid"
    assert _state() == before


def test_only_the_issuer_may_answer_and_only_once(env):
    application = env.apply()
    with pytest.raises(NotFound):
        env.issue(application, actor=env.bidders[0].actor)
    with pytest.raises(NotFound):
        env.issue(application, actor=env.insurer_user)
    g = env.issue(application)
    with pytest.raises(Conflict) as again:
        env.issue(g)
    assert again.value.code == "finance.guarantee_not_pending"


def test_duplicate_number_is_refused(env):
    first = env.guarantee(0)
    application = env.apply(1)
    doc = env.document(application, number=first.number)
    _refused(env, application, Conflict, "finance.guarantee_duplicate", doc=doc)


def test_no_guarantee_after_the_opening(env, clock):
    application = env.apply()
    doc = env.document(application)
    clock.advance(timedelta(days=21))
    _refused(env, application, Conflict, "finance.lot_closed", doc=doc)
    with pytest.raises(Conflict) as late:
        env.apply(1)
    assert late.value.code == "finance.lot_closed"


def test_application_needs_beneficiary_and_bid_validity(clock):
    env = gs.make_env()
    lot = support.make_lot("tender.section:nobv")
    with pytest.raises(Conflict) as err:
        actions.do_apply_guarantee(
            actor=env.bidders[0].actor, lot_ref=lot.ref, entity_id=env.bidders[0].entity_id, issuer_id=env.bank.pk
        )
    assert err.value.code == "finance.bid_validity_unknown"
    with pytest.raises(PermissionDenied):
        actions.do_apply_guarantee(
            actor=env.bidders[1].actor, lot_ref=env.lot.ref, entity_id=env.bidders[0].entity_id, issuer_id=env.bank.pk
        )


def test_requirement_raised_after_issue_no_longer_satisfied(env):
    g = env.guarantee()
    actions.do_set_deposit_requirement(
        actor=support.SYSTEM,
        lot_ref=env.lot.ref,
        regime="works",
        opening_at=env.lot.opening_at,
        amount_fen=env.lot.required_fen + 100,
        base_fen=1_000_000_000,
        owner_entity_id=env.owner_id,
    )
    assert not queries.has_satisfied_deposit(env.actor_of(g.entity_id), env.lot.ref, g.entity_id)


def test_extended_bid_validity_needs_an_extended_guarantee(env):
    g = env.guarantee()
    actor = env.actor_of(g.entity_id)
    actions.do_set_deposit_requirement(
        actor=support.SYSTEM,
        lot_ref=env.lot.ref,
        regime="works",
        opening_at=env.lot.opening_at,
        amount_fen=env.lot.required_fen,
        base_fen=1_000_000_000,
        bid_validity_until=g.end_at + timedelta(days=1),
    )
    assert not queries.has_satisfied_deposit(actor, env.lot.ref, g.entity_id)
    longer = env.apply()  # the owner named before is kept: a new guarantee can be had
    env.issue(longer, doc=env.document(longer, end_at=g.end_at + timedelta(days=30)))
    assert queries.has_satisfied_deposit(actor, env.lot.ref, g.entity_id)


# -- public verification -----------------------------------------------------------------------------------------------


def test_public_verification_hides_the_bidder_before_the_opening(env, clock, api):
    g = env.guarantee()
    public = queries.get_guarantee_verification(g.number)
    assert public.status == "valid"
    assert public.in_force
    assert (public.amount_fen, public.lot_title, public.issuer_name) == (
        g.amount_fen,
        env.lot.title,
        "上海浦江银行股份有限公司",
    )
    assert public.applicant_name is None
    assert public.beneficiary_name == "上海申城工程咨询有限公司"
    body = api.get(f"/finance/guarantees/{g.number}/verification").json()
    text = str(body)
    assert env.bidders[0].name not in text
    assert "cost" not in text
    assert "rate" not in text
    assert body["md5"] == g.md5
    assert api.get("/finance/guarantees/NOPE-000000/verification").status_code == 404
    # an application not yet issued has no number and is never found
    env.apply(1)
    clock.advance(timedelta(days=21))
    after = queries.get_guarantee_verification(g.number)
    assert after.applicant_name == env.bidders[0].name


def test_who_sees_a_guarantee(env, clock):
    g = env.guarantee()
    bidder, other = env.bidders
    assert queries.get_guarantee_for(bidder.actor, g.number).cost_fen == 150_00
    assert queries.get_guarantee_for(env.bank_user, g.application_no).number == g.number
    for viewer in (other.actor, support.staff(), env.insurer_user):
        with pytest.raises(NotFound):
            queries.get_guarantee_for(viewer, g.number)
    assert [v.number for v in queries.list_issuer_applications_for(env.bank_user)] == [g.number]
    with pytest.raises(PermissionDenied):
        queries.list_issuer_applications_for(bidder.actor)
    counts = queries.get_lot_deposits_for(support.staff(), env.lot.ref)
    assert (counts.guarantees, counts.guarantee_rows) == (1, None)
    clock.advance(timedelta(days=21))
    assert queries.get_guarantee_for(support.staff(), g.number).entity_id == bidder.entity_id
    rows = queries.get_lot_deposits_for(support.staff(), env.lot.ref).guarantee_rows
    assert [r.number for r in rows] == [g.number]


# -- claims ------------------------------------------------------------------------------------------------------------


def test_claim_is_paid_once_into_the_forfeited_account(env, clock):
    g = env.guarantee()
    clock.advance(timedelta(days=21))
    with pytest.raises(PermissionDenied):
        actions.do_claim_guarantee(actor=env.bidders[0].actor, guarantee_no=g.number, reason="refused_contract")
    claim = actions.do_claim_guarantee(actor=support.staff(), guarantee_no=g.number, reason="refused_contract")
    again = actions.do_claim_guarantee(actor=support.staff(), guarantee_no=g.number, reason="refused_contract")
    assert again.pk == claim.pk
    g.refresh_from_db()
    assert g.status == "claiming"
    # no longer stands for the deposit
    assert not queries.has_satisfied_deposit(support.SYSTEM, env.lot.ref, g.entity_id)
    assert queries.has_satisfied_deposit(support.SYSTEM, env.lot.ref, g.entity_id, at=g.accepted_at)
    assert jobs.run_guarantees(clock.now()) >= 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    g.refresh_from_db()
    assert g.status == "claimed"
    assert SimIssuerMessage.objects.filter(kind="claim", ref=claim.ref).count() == 1
    forfeit = ledger.ensure_account(ledger.forfeit_code(env.lot.ref), ledger.AccountKind.FORFEITED, clock.now())
    assert ledger.balance_of(forfeit) == claim.amount_fen == env.lot.required_fen
    assert ledger.balance_of(g.memo_account) == 0 == ledger.balance_of(g.contra_account)
    # the issuer re-sends its payment confirmation, and the instruction is re-sent: still paid once
    notice = BankNotice.objects.get(virtual_account=claim.virtual_account)
    received = actions.receive_bank_notice(
        bank_code=notice.bank_code, body=notice.body.encode(), signature=notice.signature
    )
    assert received.duplicate
    GuaranteeClaim.objects.filter(pk=claim.pk).update(status=ClaimStatus.INSTRUCTED)  # as if the answer was lost
    assert actions.send_claim(claim.pk, actor=support.SYSTEM) is False  # within its retry delay
    assert JournalEntry.objects.filter(kind="guarantee_claimed").count() == 1
    # a second, different payment into the claim account is held in suspense, never lost
    GuaranteeClaim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PAID)
    extra = support.pay(
        None, claim.amount_fen, "6228000000000001", ref="CLAIM-DUP", virtual_account=claim.virtual_account
    )
    assert extra.notice.status == NoticeStatus.SUSPENSE
    assert Alert.objects.filter(kind=AlertKind.CLAIM_MISMATCH).count() == 1
    report = queries.build_reconciliation()
    assert report.reconciled, report
    assert report.banks[0].ledger_balance_fen == 2 * claim.amount_fen


def test_forfeit_security_claims_guarantees_and_forfeits_cash(env, clock):
    g = env.guarantee(0)
    cash_bidder = env.bidders[1]
    deposit = actions.do_open_deposit_account(
        actor=cash_bidder.actor, lot_ref=env.lot.ref, entity_id=cash_bidder.entity_id
    )
    support.pay(deposit, env.lot.required_fen, cash_bidder.basic_account)
    clock.advance(timedelta(days=21))
    outcome = actions.do_forfeit_security(
        actor=support.SYSTEM, lot_ref=env.lot.ref, entity_id=g.entity_id, reason="reneged"
    )
    assert outcome.entry is None
    assert [c.guarantee_id for c in outcome.claims] == [g.pk]
    cash = actions.do_forfeit_security(
        actor=support.SYSTEM, lot_ref=env.lot.ref, entity_id=cash_bidder.entity_id, reason="reneged"
    )
    assert cash.entry is not None
    assert cash.claims == []
    with pytest.raises(Conflict) as nothing:
        actions.do_forfeit_security(
            actor=support.SYSTEM, lot_ref=env.lot.ref, entity_id=cash_bidder.entity_id, reason="reneged"
        )
    assert nothing.value.code == "finance.nothing_to_forfeit"


# -- release and expiry ------------------------------------------------------------------------------------------------


def test_release_with_the_deposits_notifies_the_issuer(env, clock):
    winner_g = env.guarantee(0)
    loser_g = env.guarantee(1, issuer=env.insurer, form="policy")
    clock.advance(timedelta(days=21))
    actions.do_release_deposits(
        actor=support.SYSTEM,
        lot_ref=env.lot.ref,
        reason="loser",
        anchor_at=clock.now(),
        except_entity_ids=[winner_g.entity_id],
    )
    loser_g.refresh_from_db()
    winner_g.refresh_from_db()
    assert (loser_g.status, winner_g.status) == ("released", "valid")
    assert ledger.balance_of(loser_g.memo_account) == 0
    jobs.run_guarantees(clock.now())
    loser_g.refresh_from_db()
    assert loser_g.issuer_notified_at is not None
    assert SimIssuerMessage.objects.filter(kind="release", ref=loser_g.number).count() == 1
    jobs.run_guarantees(clock.now())
    assert SimIssuerMessage.objects.filter(kind="release").count() == 1
    released = actions.do_release_guarantee(actor=support.SYSTEM, guarantee_no=winner_g.number, reason="winner")
    assert released.status == "released"
    with pytest.raises(Conflict) as twice:
        actions.do_release_guarantee(actor=support.SYSTEM, guarantee_no=winner_g.number, reason="winner")
    assert twice.value.code == "finance.guarantee_not_releasable"
    assert queries.build_reconciliation().reconciled


def test_issuer_port_failure_is_retried(env, clock, monkeypatch):
    g = env.guarantee()
    actions.do_release_guarantees(actor=support.SYSTEM, lot_ref=env.lot.ref, reason="terminated")

    def down(self, notice):
        raise ConnectionError("issuer unreachable")

    monkeypatch.setattr(issuers.SimulatedIssuer, "notify_release", down)
    jobs.run_guarantees(clock.now())
    g.refresh_from_db()
    assert (g.issuer_notified_at, g.notify_attempts) == (None, 1)
    monkeypatch.undo()
    clock.advance(timedelta(minutes=1))
    jobs.run_guarantees(clock.now())
    g.refresh_from_db()
    assert g.issuer_notified_at is not None


def test_expiry_by_the_clock(env, clock):
    application = env.apply()
    g = env.issue(application, doc=env.document(application, end_at=env.lot.bid_validity_until))
    clock.set(env.lot.bid_validity_until + timedelta(seconds=1))
    assert not queries.has_satisfied_deposit(support.SYSTEM, env.lot.ref, g.entity_id)
    jobs.run_guarantees(clock.now())
    g.refresh_from_db()
    assert g.status == "expired"
    assert Alert.objects.filter(kind=AlertKind.GUARANTEE_EXPIRED, guarantee=g).count() == 1
    assert g.issuer_notified_at is not None
    with pytest.raises(Conflict):
        actions.do_claim_guarantee(actor=support.SYSTEM, guarantee_no=g.number, reason="reneged")
    jobs.run_guarantees(clock.now())
    assert JournalEntry.objects.filter(kind="guarantee_released").count() == 1


def test_cancel_application(env):
    application = env.apply()
    with pytest.raises(NotFound):
        actions.do_cancel_guarantee_application(actor=env.bidders[1].actor, application_no=application.application_no)
    cancelled = actions.do_cancel_guarantee_application(
        actor=env.bidders[0].actor, application_no=application.application_no
    )
    assert cancelled.status == "cancelled"
    with pytest.raises(Conflict):
        env.issue(application)


def test_register_issuer_refusals(env):
    with pytest.raises(PermissionDenied):
        actions.do_register_guarantee_issuer(actor=env.bidders[0].actor, entity_id=env.owner_id, kind="bank")
    with pytest.raises(Conflict) as twice:
        actions.do_register_guarantee_issuer(actor=support.staff(), entity_id=env.bank.entity_id, kind="bank")
    assert twice.value.code == "finance.issuer_exists"
    with pytest.raises(InvalidInput):
        actions.do_register_guarantee_issuer(actor=support.staff(), entity_id=env.owner_id, kind="pawnshop")
    guarantor = gs.register_company(gs.GUARANTOR_USCC, "上海闵行融资担保有限公司", ["guarantor"], region="310112")
    wrong = env.pki.issue(entity=support.MINHANG)  # not the guarantor's certificate
    before = Guarantee.objects.count(), apps.get_model("finance", "GuaranteeIssuer").objects.count()
    with pytest.raises(InvalidInput) as err:
        actions.do_register_guarantee_issuer(
            actor=support.staff(), entity_id=guarantor, kind="guarantor", certificates=[wrong.pem]
        )
    assert err.value.code in ("ca.wrong_entity", "ca.entity_not_registered")
    assert (Guarantee.objects.count(), apps.get_model("finance", "GuaranteeIssuer").objects.count()) == before
    issuers_list = queries.list_guarantee_issuers()
    assert {i.kind for i in issuers_list} == {"bank", "insurer"}
    assert replace(issuers_list[0]).certificates == 1
