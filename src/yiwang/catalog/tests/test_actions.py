"""Versions of the six lists and holiday years: drafts, edits, publication, permissions and bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.catalog import actions, queries
from yiwang.catalog.errors import RuleNotListed
from yiwang.kernel.errors import Conflict, InvalidInput, PermissionDenied, PreconditionFailed, YiwangError
from yiwang.platform.audit import chain
from yiwang.platform.outbox import feed

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)  # the clock fixture's day
TOMORROW = TODAY + timedelta(days=1)


def marks() -> tuple[int, int, int]:
    """(witness entries, feed events, list item rows visible through queries)"""
    items = sum(len(queries.version_items(v)) for k in ("rules", "platforms") for v in queries.list_versions(k))
    return chain.verify().last_seq, feed.read(0, 1).last_seq, items


def rule_item(**changes) -> dict:
    base = {
        "key": "tender.bid_period_min",
        "item_type": "rule",
        "title_zh": "依法必须招标项目：招标文件发出之日起至投标截止之日止不得少于",
        "data": {
            "value": "20",
            "unit": "day",
            "kind": "min_gap",
            "anchor": "tender_documents_issued",
            "document": "doc.cn.bidding_law",
            "article": "第二十四条",
            "confidence": "◇",
        },
    }
    data = {**base["data"], **changes.pop("data", {})}
    return {**base, **changes, "data": data}


def test_new_version_takes_effect_on_its_date(clock, staff_admin) -> None:
    draft = actions.do_create_draft(actor=staff_admin, kind="rules", effective_from=TOMORROW, note="延长等标期")
    assert (draft.number, draft.status, draft.based_on) == (2, "draft", 1)
    assert len(queries.version_items(draft)) == len(queries.version_items(queries.get_version("rules", 1)))
    actions.do_put_item(
        actor=staff_admin,
        kind="rules",
        number=2,
        item=rule_item(data={"value": "25"}),
        replace_key="tender.bid_period_min",
    )
    published = actions.do_publish_version(actor=staff_admin, kind="rules", number=2)
    assert published.status == "published"
    assert queries.get_version("rules", 1).status == "superseded"
    assert queries.rule("tender.bid_period_min").value == 20  # today: version 1 still in effect
    tomorrow = queries.rule("tender.bid_period_min", on=TOMORROW)
    assert (tomorrow.value, tomorrow.version, tomorrow.effective_from) == (25, 2, TOMORROW)
    event = feed.read(0, 1000, ["catalog.list_published.v1"]).events[-1]
    assert event.data["number"] == 2
    assert event.data["supersedes"] == 1
    assert event.data["changed_keys"] == ["tender.bid_period_min"]
    assert chain.verify().ok
    assert [c.key for c in queries.diff_versions("rules", 1, 2)] == ["tender.bid_period_min"]


def test_removed_rule_is_no_longer_enforceable(clock, staff_admin) -> None:
    actions.do_create_draft(actor=staff_admin, kind="rules", effective_from=TOMORROW)
    actions.do_delete_item(actor=staff_admin, kind="rules", number=2, key="judicial.sale_window")
    actions.do_publish_version(actor=staff_admin, kind="rules", number=2)
    assert queries.rule("judicial.sale_window").value == 60
    with pytest.raises(RuleNotListed):
        queries.rule("judicial.sale_window", on=TOMORROW)


def test_published_versions_are_immutable(clock, staff_admin) -> None:
    before = marks()
    with pytest.raises(Conflict) as info:
        actions.do_put_item(
            actor=staff_admin,
            kind="rules",
            number=1,
            item=rule_item(data={"value": "1"}),
            replace_key="tender.bid_period_min",
        )
    assert info.value.code == "catalog.version_not_draft"
    with pytest.raises(Conflict):
        actions.do_delete_item(actor=staff_admin, kind="rules", number=1, key="tender.bid_period_min")
    with pytest.raises(Conflict):
        actions.do_publish_version(actor=staff_admin, kind="rules", number=1)
    assert marks() == before
    assert queries.rule("tender.bid_period_min").value == 20


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (rule_item(key="tender.x", data={"unit": "fortnight"}), "catalog.rule_unit_unknown"),
        (rule_item(key="tender.x", data={"kind": "sometimes"}), "catalog.rule_kind_unknown"),
        (rule_item(key="tender.x", data={"value": "twenty"}), "catalog.rule_value_invalid"),
        (rule_item(key="tender.x", data={"value": ""}), "catalog.field_required"),
        (rule_item(key="Tender X"), "catalog.item_key_invalid"),
        (rule_item(key="tender.x", item_type="decree"), "catalog.item_type_unknown"),
        (rule_item(key="tender.x", data={"colour": "red"}), "catalog.field_unknown"),
        (rule_item(key="tender.x", data={"confidence": "?"}), "catalog.field_choice"),
        (rule_item(), "catalog.item_duplicate"),
    ],
)
def test_bad_items_leave_nothing(clock, staff_admin, item: dict, code: str) -> None:
    draft = actions.do_create_draft(actor=staff_admin, kind="rules", effective_from=TOMORROW)
    before = marks()
    with pytest.raises(YiwangError) as info:
        actions.do_put_item(actor=staff_admin, kind="rules", number=draft.number, item=item)
    assert info.value.code == code
    assert marks() == before
    assert queries.get_version("rules", draft.number).etag_version == draft.etag_version


def test_platform_naming_rule_is_enforced(clock, staff_admin) -> None:
    actions.do_create_draft(actor=staff_admin, kind="platforms", effective_from=TOMORROW)
    before = marks()
    bad = {
        "key": "sh.water",
        "item_type": "platform",
        "title_zh": "上海水权交易平台",
        "data": {"kind": "sub", "operator": "某机构", "uscc": "91310000900000145B", "status": "active"},
    }
    with pytest.raises(InvalidInput) as info:
        actions.do_put_item(actor=staff_admin, kind="platforms", number=2, item=bad)
    assert info.value.code == "catalog.platform_name"
    assert marks() == before
    with pytest.raises(InvalidInput) as info:
        actions.do_put_item(
            actor=staff_admin,
            kind="platforms",
            number=2,
            item={
                **bad,
                "title_zh": "上海市公共资源交易平台（水权交易分平台）",
                "data": {**bad["data"], "uscc": "91310000900000145A"},
            },
        )
    assert info.value.code == "uscc.check_digit"
    good = {**bad, "title_zh": "上海市公共资源交易平台（水权交易分平台）"}
    actions.do_put_item(actor=staff_admin, kind="platforms", number=2, item=good)
    actions.do_publish_version(actor=staff_admin, kind="platforms", number=2)
    assert "sh.water" in {p.code for p in queries.list_platforms(on=TOMORROW)}
    assert "sh.water" not in {p.code for p in queries.list_platforms()}


def test_effective_from_checks(clock, staff_admin) -> None:
    before = marks()
    with pytest.raises(InvalidInput) as info:
        actions.do_create_draft(actor=staff_admin, kind="rules", effective_from=TODAY - timedelta(days=1))
    assert info.value.code == "catalog.effective_from_past"
    with pytest.raises(InvalidInput) as info:
        actions.do_create_draft(actor=staff_admin, kind="rules", effective_from="2026-02-30")
    assert info.value.code == "catalog.date_invalid"
    assert marks() == before
    assert queries.current_draft("rules") is None
    # a draft whose date passed before publication cannot be published
    actions.do_create_draft(actor=staff_admin, kind="rules", effective_from=TOMORROW)
    clock.advance(timedelta(days=3))
    with pytest.raises(InvalidInput) as info:
        actions.do_publish_version(actor=staff_admin, kind="rules", number=2)
    assert info.value.code == "catalog.effective_from_past"
    assert queries.get_version("rules", 2).status == "draft"


def test_one_draft_at_a_time_and_if_match(clock, staff_admin) -> None:
    draft = actions.do_create_draft(actor=staff_admin, kind="services", effective_from=TOMORROW)
    with pytest.raises(Conflict) as info:
        actions.do_create_draft(actor=staff_admin, kind="services", effective_from=TOMORROW)
    assert info.value.code == "catalog.draft_exists"
    updated = actions.do_update_draft(
        actor=staff_admin,
        kind="services",
        number=2,
        expected_version=draft.etag_version,
        title="服务清单（2026年修订）",
    )
    assert updated.etag_version == draft.etag_version + 1
    with pytest.raises(PreconditionFailed):
        actions.do_update_draft(
            actor=staff_admin, kind="services", number=2, expected_version=draft.etag_version, title="x"
        )
    actions.do_discard_draft(actor=staff_admin, kind="services", number=2)
    assert queries.current_draft("services") is None


def test_dangling_reference_blocks_publication(clock, staff_admin) -> None:
    actions.do_create_draft(actor=staff_admin, kind="rules", effective_from=TOMORROW)
    actions.do_delete_item(actor=staff_admin, kind="rules", number=2, key="doc.cn.civil_code")
    actions.do_put_item(
        actor=staff_admin,
        kind="rules",
        number=2,
        item=rule_item(key="civil.period_rollover", data={"value": "1", "document": "doc.cn.civil_code"}),
    )
    with pytest.raises(InvalidInput) as info:
        actions.do_publish_version(actor=staff_admin, kind="rules", number=2)
    assert info.value.code == "catalog.reference_dangling"
    assert queries.get_version("rules", 2).status == "draft"


@pytest.mark.parametrize("who", ["staff_plain", "market_user"])
def test_only_staff_admins_edit(clock, request, who: str) -> None:
    actor = request.getfixturevalue(who)
    before = marks()
    for call in (
        lambda: actions.do_create_draft(actor=actor, kind="rules", effective_from=TOMORROW),
        lambda: actions.do_publish_version(actor=actor, kind="rules", number=1),
        lambda: actions.do_set_holiday_year(
            actor=actor, year=2027, off="2027-01-01 元旦", makeup="", provisional=False
        ),
    ):
        with pytest.raises(PermissionDenied) as info:
            call()
        assert info.value.code == "catalog.forbidden"
    assert marks() == before


def test_confirming_a_holiday_year_updates_the_calendar(clock, staff_admin) -> None:
    cal = queries.workday_calendar()
    assert cal.is_workday(date(2027, 2, 9))
    year = actions.do_set_holiday_year(
        actor=staff_admin,
        year=2027,
        off="2027-01-01..2027-01-03 元旦\n2027-02-05..2027-02-12 春节",
        makeup="2027-02-20 春节",
        provisional=False,
        notice="测试通知",
        expected_revision=1,
    )
    assert year.revision == 2
    assert queries.provisional_years() == frozenset()
    fresh = queries.workday_calendar()
    assert fresh is not cal
    assert not fresh.is_workday(date(2027, 2, 9))
    assert fresh.is_workday(date(2027, 2, 20))
    assert [r.revision for r in queries.holiday_revisions(year)] == [2, 1]
    event = feed.read(0, 1000, ["catalog.holiday_year_changed.v1"]).events[-1]
    assert event.data["year"] == 2027


@pytest.mark.parametrize(
    ("off", "makeup", "code"),
    [
        ("2027-02-30 春节", "", "catalog.holiday_line_invalid"),
        ("春节放假", "", "catalog.holiday_line_invalid"),
        ("2026-12-31 元旦", "", "catalog.holiday_outside_year"),
        ("2027-01-01 元旦", "2027-01-01 元旦", "catalog.holiday_conflict"),
        ("2027-01-01 元旦", "2027-01-04 元旦", "catalog.makeup_not_weekend"),
        ("2027-01-01 元旦\n2027-01-01 元旦", "", "catalog.holiday_duplicate"),
    ],
)
def test_bad_holiday_schedules_leave_nothing(clock, staff_admin, off: str, makeup: str, code: str) -> None:
    before = marks()
    cal = queries.workday_calendar()
    with pytest.raises(InvalidInput) as info:
        actions.do_set_holiday_year(actor=staff_admin, year=2027, off=off, makeup=makeup, provisional=False)
    assert info.value.code == code
    assert marks() == before
    assert queries.get_holiday_year(2027).revision == 1
    assert queries.workday_calendar() is cal


def test_stale_holiday_revision_is_refused(clock, staff_admin) -> None:
    with pytest.raises(PreconditionFailed):
        actions.do_set_holiday_year(
            actor=staff_admin, year=2026, off="2026-01-01 元旦", makeup="", provisional=False, expected_revision=7
        )
    assert queries.get_holiday_year(2026).revision == 1
