"""On-site witness records: kinds, attachments in the store and their digests in the witness log, corrections
as new records, irregularities for supervision, permissions, nothing left behind on refusal."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.platform import testing
from yiwang.platform.storage import queries as storage_queries
from yiwang.services.witness import actions, queries
from yiwang.services.witness.models import OnsiteRecord
from yiwang.services.witness.tests import support

pytestmark = pytest.mark.django_db


def _record(actor, **kw):
    kw.setdefault("kind", "opening_start")
    kw.setdefault("description", "开标会议开始，投标人代表 5 家到场")
    kw.setdefault("region_code", "310112")
    return actions.do_record_onsite_event(actor=actor, **kw)


def _state():
    return testing.log_state(), OnsiteRecord.objects.count()


def test_a_record_with_attachments_is_witnessed_with_their_digests(clock, staff):
    base = testing.base()
    record = _record(
        staff,
        kind="irregularity",
        description="投标人代表在开标过程中使用手机拍摄唱标内容，已制止",
        owner_ref="tender.section:12",
        booking_ref="venues.booking:7",
        occurred_at=clock.now() - timedelta(minutes=10),
        uploads=[support.png("制止现场.png")],
    )
    assert record.flagged  # irregularities go to supervision by default
    [attachment] = record.attachments
    assert attachment["sha256"] == hashlib.sha256(support.PNG).hexdigest()
    assert attachment["mime_type"] == "image/png"
    [entry] = support.witnessed(base, "onsite.record_event")
    assert entry["kind"] == "irregularity"
    assert entry["description"].startswith("投标人代表")
    assert entry["attachments"][0]["sha256"] == attachment["sha256"]
    assert entry["attachments"][0]["sm3"] == attachment["sm3"]
    assert entry["occurred_at"] == "2026-03-02T00:50:00.000000Z"
    owner = storage_queries.Owner("services.onsite", f"record:{record.pk}")
    [document] = storage_queries.list_documents_of(owner)
    assert str(document.pk) == attachment["document_id"]
    assert [e.event_type for e in base.events() if e.event_type.startswith("onsite.")] == [
        "onsite.record_made.v1",
        "onsite.irregularity_reported.v1",
    ]
    assert all(e.visibility == "restricted" for e in base.events() if e.event_type.startswith("onsite."))


def test_uploads_made_beforehand_are_attached_by_id(clock, staff):
    from yiwang.platform.storage import actions as storage

    version = storage.do_store_document(
        actor=staff,
        owner=storage.Owner.upload_of(staff.ref),
        title="签到表",
        kind="attachment",
        stream=io.BytesIO(support.PNG),
        filename="sign.png",
    )
    record = _record(staff, kind="evaluation_start", document_ids=[version.document.pk])
    assert not record.flagged
    assert record.attachments[0]["document_id"] == str(version.document.pk)
    other = support.staff("310112", 777)
    theirs = storage.do_store_document(
        actor=other,
        owner=storage.Owner.upload_of(other.ref),
        title="x",
        kind="attachment",
        stream=io.BytesIO(support.PNG),
        filename="x.png",
    )
    before = _state()
    with pytest.raises(Conflict):  # someone else's upload cannot be attached
        _record(staff, document_ids=[theirs.document.pk])
    assert _state() == before


def test_refusals_leave_nothing_behind(clock, staff):
    before = _state()
    cases = [
        (dict(kind="party"), InvalidInput, "onsite.kind_invalid"),
        (dict(description="  "), InvalidInput, "onsite.description_required"),
        (dict(region_code="999999"), InvalidInput, "region.province"),
        (dict(occurred_at=clock.now() + timedelta(hours=1)), InvalidInput, "onsite.occurred_in_future"),
        (dict(uploads=[support.png()] * 11), InvalidInput, "onsite.too_many_attachments"),
        (dict(region_code="310115"), PermissionDenied, "onsite.forbidden"),
        (dict(uploads=[actions.Upload("a.png", io.BytesIO(b""))]), InvalidInput, "storage.empty_file"),
    ]
    for kwargs, error, code in cases:
        with pytest.raises(error) as exc:
            _record(staff, **kwargs)
        assert exc.value.code == code, kwargs
    with pytest.raises(PermissionDenied):
        _record(support.agency())
    assert _state() == before


def test_corrections_are_new_records_and_the_old_one_stays(clock, staff):
    old = _record(staff, kind="equipment_failure", description="评标室1 视频监控中断 5 分钟", uploads=[support.png()])
    base = testing.base()
    with pytest.raises(InvalidInput):
        actions.do_correct_onsite_record(actor=staff, record_id=old.pk, reason="", description="x")
    fixed = actions.do_correct_onsite_record(
        actor=staff,
        record_id=old.pk,
        reason="中断时长记录有误",
        description="评标室1 视频监控中断 15 分钟",
        report=True,
    )
    assert fixed.corrects_id == old.pk
    assert fixed.kind == "equipment_failure"
    assert fixed.flagged
    assert fixed.attachments == old.attachments  # carried over, still owned by the old record
    old.refresh_from_db()
    assert old.description == "评标室1 视频监控中断 5 分钟"
    [entry] = support.witnessed(base, "onsite.correct_record")
    assert entry["corrects"] == old.pk
    assert entry["reason"] == "中断时长记录有误"
    with pytest.raises(Conflict) as exc:
        actions.do_correct_onsite_record(actor=staff, record_id=old.pk, reason="再改", description="y")
    assert exc.value.code == "onsite.already_corrected"
    assert exc.value.details["corrected_by"] == fixed.pk
    view = queries.get_record_for(staff, old.pk)
    assert view.corrected_by_id == fixed.pk
    assert queries.get_record_for(staff, fixed.pk).attachments[0].url.startswith("/files/")
    with pytest.raises(PermissionDenied):
        actions.do_correct_onsite_record(
            actor=support.staff("310115", 9), record_id=fixed.pk, reason="x", description="y"
        )


def test_irregularities_for_supervision_by_region_and_period(clock, staff):
    t = clock.now()
    first = _record(
        staff, kind="irregularity", description="专家携带手机进入评标区", occurred_at=t - timedelta(hours=2)
    )
    _record(staff, kind="onsite_objection", description="投标人对唱标价格提出异议", occurred_at=t - timedelta(hours=1))
    _record(staff, kind="other", description="保洁", occurred_at=t - timedelta(hours=1))
    _record(staff, kind="other", description="上报的其他情况", report=True, occurred_at=t - timedelta(minutes=30))
    _record(support.staff("320500", 5), kind="irregularity", description="苏州", region_code="320500")
    actions.do_correct_onsite_record(
        actor=staff, record_id=first.pk, reason="核实后非异常", description="专家手机已存放，误报", report=False
    )
    found = queries.irregularities("310000", t - timedelta(days=1), t + timedelta(minutes=1))
    assert [r.description for r in found] == ["投标人对唱标价格提出异议", "上报的其他情况"]
    assert [r.kind_label for r in found] == ["现场质疑", "其他"]
    assert queries.irregularities("310112", t - timedelta(minutes=45), t) == found[1:]
    assert len(queries.irregularities_for(support.regulator(), "310000", t - timedelta(days=1), t)) == 2
    with pytest.raises(PermissionDenied):
        queries.irregularities_for(support.regulator("320000"), "310000", t - timedelta(days=1), t)
    with pytest.raises(NotFound):
        queries.get_record_for(support.regulator("320000"), first.pk)
    assert len(queries.list_records_for(support.regulator(), current_only=True)) == 4
