"""Credit records, restrictions, the tender gate and repair on the database: witnessed, refused cleanly (nothing
left behind), restricted by region and by entity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from yiwang.catalog.errors import RuleNotListed
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RuleViolation
from yiwang.platform import testing
from yiwang.supervision.credit import actions, queries
from yiwang.supervision.credit.gates import AuctionCreditGate, RegistryRoleGate, TenderCreditGate
from yiwang.supervision.credit.models import CreditRecord, RepairRequest
from yiwang.supervision.credit.tests import support
from yiwang.trading.tender.ports import CreditGate, Sanction

pytestmark = pytest.mark.django_db

MH = support.regulator("310112", 301)  # 闵行
XH = support.regulator("310104", 303)  # 徐汇
CITY_STAFF = support.staff("310000", 202)
TODAY = date(2026, 3, 2)


def penalty(entity: int, **over) -> dict:
    data = {
        "entity_id": entity,
        "kind": "penalty",
        "severity": "general",
        "title": "串通投标",
        "facts": "与其他投标人相互约定投标报价。",
        "decision_number": "闵建罚〔2026〕1号",
        "authority": "闵行区建设和管理委员会",
        "basis": "《招标投标法实施条例》第六十七条",
        "decided_on": "2026-03-02",
        "ends_on": "2026-09-01",
        "confined_actions": ["bidding"],
        "region_code": "310112",
    }
    return {**data, **over}


def test_recording_a_penalty_takes_its_publication_from_the_catalogue(clock, rules, company):
    base = testing.base()
    record = actions.do_record_credit(actor=MH, data=penalty(company))
    assert record.subject_name == "上海闵行建设工程有限公司"
    assert record.subject_code.startswith("91310112")
    assert record.public_until == date(2027, 3, 2)  # 1 year (longest, general)
    assert record.repairable_from == date(2026, 6, 2)  # 3 months (shortest, general)
    longest = record.publication_rules["longest"]
    assert longest["rule_id"] == "credit.penalty_publication_max_general"
    assert "国办发〔2025〕22号" in longest["source"]
    assert longest["article"] == "二"
    (entry,) = support.witnessed(base, "credit.record_credit")
    assert entry["entity_id"] == company
    assert entry["public_until"] == "2027-03-02"
    assert entry["facts"]
    (event,) = support.events(base)
    assert event.event_type == "credit.record_entered.v1"
    assert event.visibility == "restricted"
    assert event.data == {"record_id": record.pk, "entity_id": company, "kind": "penalty"}


def test_a_missing_catalogue_rule_is_refused_clearly_and_leaves_nothing(clock, company):
    support.unlist_credit_rules(TODAY)
    before = support.state()
    with pytest.raises(RuleNotListed) as err:
        actions.do_record_credit(actor=MH, data=penalty(company))
    assert err.value.code == "catalog.rule_not_listed"
    assert err.value.details["rule_id"] == "credit.penalty_publication_min_general"
    assert err.value.details["needed_for"]
    assert support.state() == before
    # records that need no legal number are still accepted
    actions.do_record_credit(actor=MH, data=penalty(company, kind="violation", severity="minor"))


@pytest.mark.parametrize(
    ("over", "code", "field"),
    [
        ({"entity_id": "x"}, "credit.field_invalid", "entity_id"),
        ({"title": ""}, "credit.field_required", "title"),
        ({"title": "长" * 201}, "credit.field_too_long", "title"),
        ({"decided_on": "2026-13-01"}, "credit.date_invalid", "decided_on"),
        ({"region_code": "31011"}, "region.format", "region_code"),
        ({"kind": "bogus"}, "credit.kind_invalid", "kind"),
        ({"severity": ""}, "credit.severity_required", "severity"),
        ({"ends_on": "2026-03-01"}, "credit.period_invalid", "ends_on"),
        ({"decided_on": "2026-03-03"}, "credit.decided_in_future", "decided_on"),
        ({"confined_actions": ["fly"]}, "credit.confined_invalid", "confined_actions"),
        ({"confined_actions": "bidding,bidding"}, "credit.confined_duplicate", "confined_actions"),
        ({"kind": "award", "severity": ""}, "credit.confined_not_applicable", "confined_actions"),
        ({"source": "rumour"}, "credit.source_invalid", "source"),
    ],
)
def test_bad_input_is_refused_with_its_code_and_leaves_nothing(clock, rules, company, over, code, field):
    before = support.state()
    with pytest.raises(InvalidInput) as err:
        actions.do_record_credit(actor=MH, data=penalty(company, **over))
    assert err.value.code == code
    assert err.value.details["field"] == field
    assert support.state() == before


def test_several_bad_fields_are_listed_together(clock, rules, company):
    with pytest.raises(InvalidInput) as err:
        actions.do_record_credit(actor=MH, data=penalty(company, title="", authority="", decided_on="x"))
    assert {e["field"] for e in err.value.details["errors"]} == {"title", "authority", "decided_on"}


def test_unknown_entity_is_refused(clock, rules, company):
    before = support.state()
    with pytest.raises(NotFound) as err:
        actions.do_record_credit(actor=MH, data=penalty(company + 999))
    assert err.value.code == "credit.entity_not_found"
    assert support.state() == before


@pytest.mark.parametrize(
    ("actor", "error", "code"),
    [
        (XH, PermissionDenied, "credit.region_not_covered"),
        (support.auditor(), PermissionDenied, "credit.forbidden"),
        (support.user_of(1), PermissionDenied, "credit.forbidden"),
        (Actor.anonymous(), NotAuthenticated, "credit.sign_in_required"),
    ],
)
def test_only_officers_over_the_region_record(clock, rules, company, actor, error, code):
    before = support.state()
    with pytest.raises(error) as err:
        actions.do_record_credit(actor=actor, data=penalty(company))
    assert err.value.code == code
    assert support.state() == before


def test_city_staff_record_for_a_district(clock, rules, company):
    assert actions.do_record_credit(actor=CITY_STAFF, data=penalty(company)).region_code == "310112"


def test_is_restricted_explains_itself_and_follows_the_period(clock, rules, company, other_company):
    record = actions.do_record_credit(actor=MH, data=penalty(company))
    listing = actions.do_record_credit(
        actor=MH,
        data=penalty(
            company,
            kind="blacklist",
            severity="serious",
            title="严重失信",
            starts_on="2026-04-01",
            ends_on="2027-03-31",
            confined_actions=["bidding", "auction"],
        ),
    )
    found = queries.is_restricted(company, on=TODAY)
    assert found
    assert [r.record_id for r in found.reasons] == [record.pk]
    reason = found.reasons[0]
    assert (reason.authority, reason.decision_number, reason.basis) == (
        "闵行区建设和管理委员会",
        "闵建罚〔2026〕1号",
        "《招标投标法实施条例》第六十七条",
    )
    assert (reason.starts_on, reason.ends_on) == (TODAY, date(2026, 9, 1))
    assert not queries.is_restricted(company, on=TODAY, action="auction")
    assert [r.record_id for r in queries.is_restricted(company, on=date(2026, 4, 1), action="auction").reasons] == [
        listing.pk
    ]
    assert {r.record_id for r in queries.is_restricted(company, on=date(2026, 9, 1)).reasons} == {
        record.pk,
        listing.pk,
    }
    assert [r.record_id for r in queries.is_restricted(company, on=date(2026, 9, 2)).reasons] == [listing.pk]
    assert not queries.is_restricted(company, on=date(2027, 4, 1))
    assert not queries.is_restricted(other_company, on=TODAY)
    # an instant is read as its Shanghai day: 2026-09-01 16:30 UTC is already 09-02 in Shanghai
    assert not any(
        r.record_id == record.pk
        for r in queries.is_restricted(company, on=datetime(2026, 9, 1, 16, 30, tzinfo=UTC)).reasons
    )
    with pytest.raises(ValueError, match="unknown restricted action"):
        queries.is_restricted(company, action="fly")


def test_tender_gate_adapter_speaks_the_tender_port(clock, rules, company):
    gate: CreditGate = TenderCreditGate()
    assert gate.check(company, datetime(2026, 3, 2, 2, 0, tzinfo=UTC)) == []
    record = actions.do_record_credit(
        actor=MH, data=penalty(company, kind="blacklist", severity="serious", title="行贿", ends_on=None)
    )
    (sanction,) = gate.check(company, datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    assert sanction == Sanction(
        entity_id=company,
        kind="blacklist",
        reason="严重失信主体名单（黑名单）：行贿",
        authority="闵行区建设和管理委员会",
        source="闵建罚〔2026〕1号；《招标投标法实施条例》第六十七条",
        starts=TODAY,
        ends=None,
        ref=f"supervision.credit:{record.pk}",
    )
    actions.do_end_record(actor=MH, record_id=record.pk, how="removed", reason="移出名单")
    assert gate.check(company, datetime(2026, 3, 2, 2, 0, tzinfo=UTC)) == []


def test_auction_gate_adapter_bars_only_records_that_restrict_auctions(clock, rules, company):
    gate = AuctionCreditGate()
    assert gate.check(entity_id=company, category="judicial", region_code="310112").allowed
    actions.do_record_credit(actor=MH, data=penalty(company))  # restricts bidding in tenders, not auctions
    assert gate.check(entity_id=company, category="judicial", region_code="310112").allowed
    record = actions.do_record_credit(
        actor=MH,
        data=penalty(
            company, kind="blacklist", severity="serious", title="拒不履行", ends_on=None, confined_actions=["auction"]
        ),
    )
    decision = gate.check(entity_id=company, category="judicial", region_code="310112")
    assert not decision.allowed
    assert "拒不履行" in decision.reason_zh
    assert f"supervision.credit:{record.pk}" in decision.reason_en


def test_a_registration_restriction_bars_new_trading_roles_through_the_registry(clock, rules, company):
    """失信联合惩戒 at 新增交易角色: the registry asks the credit adapter (``YIWANG_REGISTRY_ROLE_GATE``)."""
    from yiwang.registry import actions as registry
    from yiwang.registry import queries as registry_queries

    system = Actor.system("test")
    assert RegistryRoleGate().check(entity_id=company, roles=("supplier",)).allowed
    actions.do_record_credit(actor=MH, data=penalty(company))  # restricts bidding, not registration
    registry.do_update_entity(
        actor=system, entity_id=company, changes={"roles": ["bidder", "supplier"]}, expected_version=None
    )
    record = actions.do_record_credit(
        actor=MH,
        data=penalty(
            company,
            kind="blacklist",
            severity="serious",
            title="虚假注册",
            ends_on=None,
            confined_actions=["registration"],
        ),
    )
    before = testing.log_state()
    with pytest.raises(PermissionDenied) as err:
        registry.do_update_entity(
            actor=system,
            entity_id=company,
            changes={"roles": ["bidder", "supplier", "tender_agency"]},
            expected_version=None,
        )
    assert err.value.code == "registry.role_barred"
    assert err.value.details["roles"] == ["tender_agency"]
    assert err.value.details["records"] == [f"supervision.credit:{record.pk}"]
    assert "虚假注册" in err.value.message_zh
    assert testing.log_state() == before
    assert sorted(registry_queries.get_entity_for(system, company).roles) == ["bidder", "supplier"]
    registry.do_update_entity(  # giving up a role is never barred
        actor=system, entity_id=company, changes={"roles": ["bidder"]}, expected_version=None
    )
    actions.do_end_record(actor=MH, record_id=record.pk, how="removed", reason="移出名单")
    registry.do_update_entity(
        actor=system, entity_id=company, changes={"roles": ["bidder", "tender_agency"]}, expected_version=None
    )


def test_ending_a_record(clock, rules, company):
    record = actions.do_record_credit(actor=MH, data=penalty(company))
    base = testing.base()
    with pytest.raises(Conflict) as err:
        actions.do_end_record(actor=MH, record_id=record.pk, how="removed", reason="x")
    assert err.value.code == "credit.not_a_listing"
    with pytest.raises(PermissionDenied):
        actions.do_end_record(actor=XH, record_id=record.pk, how="revoked", reason="x")
    with pytest.raises(InvalidInput) as err:
        actions.do_end_record(actor=MH, record_id=record.pk, how="revoked", reason="")
    assert err.value.code == "credit.field_required"
    from yiwang.kernel.errors import PreconditionFailed

    with pytest.raises(PreconditionFailed):
        actions.do_end_record(actor=MH, record_id=record.pk, how="revoked", reason="x", expected_version=7)
    assert support.events(base) == []
    ended = actions.do_end_record(actor=MH, record_id=record.pk, how="revoked", reason="复议撤销", expected_version=1)
    assert (ended.status, ended.version) == ("revoked", 2)
    assert not queries.is_restricted(company, on=TODAY)
    with pytest.raises(Conflict) as err:
        actions.do_end_record(actor=MH, record_id=record.pk, how="revoked", reason="again")
    assert err.value.code == "credit.record_not_active"
    assert [e["status"] for e in support.witnessed(base, "credit.end_record")] == ["revoked"]


def test_visibility_of_records(clock, rules, company, other_company):
    published = actions.do_record_credit(actor=MH, data=penalty(company))
    internal = actions.do_record_credit(actor=MH, data=penalty(company, kind="violation", severity="general"))
    minor = actions.do_record_credit(actor=MH, data=penalty(company, severity="minor"))
    public = queries.get_profile_for(Actor.anonymous(), company)
    assert [r.id for r in public.records] == [published.pk]
    assert not public.full
    assert public.grade is None
    assert public.records[0].source_ref == ""
    assert public.records[0].publication_rules == {}
    own = queries.get_profile_for(support.user_of(company), company)
    assert {r.id for r in own.records} == {published.pk, internal.pk, minor.pk}
    assert own.full
    assert own.grade["grade"] == "B"
    assert own.grade["score"] == 100 - 10 - 5 - 2
    assert [r["record_id"] for r in own.restrictions["bidding"]] == [published.pk, internal.pk, minor.pk]
    assert queries.get_profile_for(MH, company).full
    assert not queries.get_profile_for(XH, company).full
    assert not queries.get_profile_for(support.user_of(other_company), company).full
    # single records: full, public view, or not found
    assert queries.get_record_for(XH, published.pk).full is False
    with pytest.raises(NotFound):
        queries.get_record_for(XH, internal.pk)
    assert queries.get_record_for(support.auditor("310000"), internal.pk).full
    assert queries.list_records_for(XH).total == 0
    assert queries.list_records_for(MH, entity_id=company).total == 3
    assert queries.list_records_for(Actor.anonymous()).total == 0
    hits = queries.search_public(Actor.anonymous(), "闵行建设")
    assert [(h["entity_id"], h["published"]) for h in hits] == [(company, 1)]


def test_restriction_query_for_people(clock, rules, company, other_company):
    actions.do_record_credit(actor=MH, data=penalty(company))
    assert queries.get_restriction_for(XH, company).restricted  # joint sanctions bind every region
    assert queries.get_restriction_for(support.user_of(company), company).restricted
    with pytest.raises(PermissionDenied):
        queries.get_restriction_for(support.user_of(other_company), company)
    with pytest.raises(NotAuthenticated):
        queries.get_restriction_for(Actor.anonymous(), company)
    with pytest.raises(InvalidInput):
        queries.get_restriction_for(MH, company, action="fly")


# -- repair -----------------------------------------------------------------------------------------------------------


def test_repair_before_the_shortest_period_is_refused_with_the_rule(clock, rules, company):
    record = actions.do_record_credit(actor=MH, data=penalty(company))
    user = support.user_of(company)
    before = support.state()
    with pytest.raises(RuleViolation) as err:
        actions.do_request_repair(actor=user, record_id=record.pk, reason="已整改", commitment="守信承诺")
    assert err.value.code == "credit.repair_too_early"
    assert err.value.details["repairable_from"] == "2026-06-02"
    assert err.value.details["rule_id"] == "credit.penalty_publication_min_general"
    assert support.state() == before


def test_repair_flow(clock, rules, company, other_company):
    record = actions.do_record_credit(actor=MH, data=penalty(company))
    clock.set(datetime(2026, 6, 2, 1, 0, tzinfo=UTC))  # 09:00 Shanghai, the shortest period has run
    user = support.user_of(company)
    with pytest.raises(NotFound):  # another entity's users do not learn the record exists
        actions.do_request_repair(actor=support.user_of(other_company), record_id=record.pk, reason="x", commitment="y")
    with pytest.raises(InvalidInput) as err:
        actions.do_request_repair(actor=user, record_id=record.pk, reason="", commitment="y")
    assert err.value.code == "credit.field_required"
    base = testing.base()
    repair = actions.do_request_repair(
        actor=user, record_id=record.pk, reason="已整改并缴纳罚款", commitment="守信承诺"
    )
    # 3 working days from Tuesday 2026-06-02: 06-03, 06-04, 06-05 → due at 2026-06-06 00:00 Shanghai
    assert repair.due_at == datetime(2026, 6, 5, 16, 0, tzinfo=UTC)
    assert repair.due_rule["rule_id"] == "credit.repair_review_max"
    with pytest.raises(Conflict) as err:
        actions.do_request_repair(actor=user, record_id=record.pk, reason="again", commitment="y")
    assert err.value.code == "credit.repair_pending"
    assert RepairRequest.objects.count() == 1
    # who decides
    with pytest.raises(PermissionDenied) as err:
        actions.do_decide_repair(actor=XH, repair_id=repair.pk, approve=True, reason="")
    assert err.value.code == "credit.region_not_covered"
    with pytest.raises(PermissionDenied) as err:
        actions.do_decide_repair(actor=support.staff("310112"), repair_id=repair.pk, approve=True, reason="")
    assert err.value.code == "credit.forbidden"
    with pytest.raises(InvalidInput):
        actions.do_decide_repair(actor=MH, repair_id=repair.pk, approve=False, reason="")
    assert [r.id for r in queries.list_repairs_for(user)] == [repair.pk]
    assert queries.list_repairs_for(XH) == []
    clock.set(datetime(2026, 6, 8, 1, 0, tzinfo=UTC))
    assert queries.get_repair_for(MH, repair.pk).overdue
    decided = actions.do_decide_repair(actor=MH, repair_id=repair.pk, approve=True, reason="")
    assert decided.status == "approved"
    assert decided.decided_late
    record.refresh_from_db()
    assert record.status == "repaired"
    assert not queries.get_profile_for(Actor.anonymous(), company).records  # no longer published
    # repair ends the publication, not the sanction: bidding stays barred until 2026-09-01
    assert queries.is_restricted(company, on=date(2026, 6, 8)).restricted
    assert not queries.is_restricted(company, on=date(2026, 9, 2)).restricted
    assert [e.event_type for e in support.events(base)] == ["credit.repair_requested.v1", "credit.repair_decided.v1"]
    assert {e.fields.action for e in base.entries()} == {"credit.request_repair", "credit.decide_repair"}
    with pytest.raises(Conflict) as err:
        actions.do_decide_repair(actor=MH, repair_id=repair.pk, approve=False, reason="x")
    assert err.value.code == "credit.repair_decided"


def test_repair_needs_the_review_rule(clock, company):
    # records entered with the periods listed, then the review limit missing: refused with the rule id
    support.list_credit_rules(TODAY)
    record = actions.do_record_credit(actor=MH, data=penalty(company))
    CreditRecord.objects.filter(pk=record.pk).update(repairable_from=TODAY)
    support.unlist_credit_rules(TODAY, ["credit.repair_review_max"])
    before = support.state()
    with pytest.raises(RuleNotListed) as err:
        actions.do_request_repair(actor=support.user_of(company), record_id=record.pk, reason="x", commitment="y")
    assert err.value.details["rule_id"] == "credit.repair_review_max"
    assert support.state() == before


def test_violations_cannot_be_repaired_on_request(clock, rules, company):
    record = actions.do_record_credit(actor=MH, data=penalty(company, kind="violation"))
    with pytest.raises(RuleViolation) as err:
        actions.do_request_repair(actor=support.user_of(company), record_id=record.pk, reason="x", commitment="y")
    assert err.value.code == "credit.repair_not_applicable"


def test_grade_of_for_other_contexts(clock, rules, company):
    assert queries.grade_of(company).grade == "A"
    actions.do_record_credit(actor=MH, data=penalty(company, kind="blacklist", severity="serious", ends_on=None))
    g = queries.grade_of(company, on=TODAY + timedelta(days=1))
    assert g.blacklisted
    assert g.grade == "D"


def test_the_rules_fixture_copes_with_a_catalogue_that_lists_them(clock, rules, company):
    support.list_credit_rules(TODAY)  # the rules exist already: they are replaced, not duplicated
    record = actions.do_record_credit(actor=MH, data=penalty(company, severity="serious"))
    assert (record.repairable_from, record.public_until) == (date(2027, 3, 2), date(2029, 3, 2))
