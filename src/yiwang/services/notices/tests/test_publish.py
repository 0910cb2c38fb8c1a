"""Publishing: the notice, its PDF and data digest, its search document, its event — all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import digest_json
from yiwang.kernel.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation, ServiceUnavailable
from yiwang.platform import testing
from yiwang.platform.search.domain.documents import SearchQuery
from yiwang.platform.search.queries import search_for
from yiwang.platform.storage import queries as stored
from yiwang.services.notices import actions, queries, rendering
from yiwang.services.notices.models import Notice, NoticeAttachment
from yiwang.services.notices.tests import support
from yiwang.services.notices.tests.pdftext import embedded_fonts, extract_text

pytestmark = pytest.mark.django_db


def pdf_of(notice: Notice) -> bytes:
    document = stored.get_owned_document(
        stored.Owner("services.notices", f"notice:{notice.pk}"), notice.pdf_document_id
    )
    with stored.open_version(stored.get_version(document)) as stream:
        return stream.read()


def search(words: str, actor: Actor | None = None, **kw):
    return search_for(actor or Actor.anonymous(), SearchQuery(text=words, kinds=("notice",), **kw))


def index_size() -> int:
    return search_for(Actor.system("t"), SearchQuery(kinds=("notice",), include_private=True)).total


def test_publishing_now_makes_it_public_with_data_pdf_search_and_event(clock, system):
    base = testing.base()
    notice = support.tender_notice(system)
    assert (notice.status, notice.published_at, notice.stage) == ("published", clock.now(), "notice")
    assert notice.number == f"GG2026{notice.pk:07d}"
    assert notice.amount_fen == 1_250_000_000

    view = queries.notice_json(notice, actor=Actor.anonymous())
    data = view["data"]
    assert digest_json(data) == notice.data_sha256 == view["data_sha256"]
    assert data["NOTICE_NAME"] == "闵行区七宝镇道路大修工程施工招标公告"
    assert data["NOTICE_SEND_TIME"] == "2026-03-02T09:00:00+08:00"
    assert (data["NOTICE_NATURE"], data["BULLETIN_TYPE"], data["BULLETIN_TYPE_NAME"]) == (
        "1",
        "tender_notice",
        "招标公告",
    )
    assert data["BID_DOC_REFER_END_TIME"] == "2026-03-25T09:30:00+08:00"
    assert data["REGION_CODE"] == "310112"
    assert view["pdf"]["sha256"] == notice.pdf_sha256

    events = [e for e in base.events() if e.event_type == "notices.notice_published.v1"]
    assert len(events) == 1
    assert events[0].data["data_sha256"] == notice.data_sha256
    assert events[0].visibility == "public"
    assert "notices.publish_notice" in {e.fields.action for e in base.entries()}


def test_the_pdf_is_stored_with_its_digest_and_has_chinese_text(clock, system):
    notice = support.tender_notice(system)
    pdf = pdf_of(notice)
    assert pdf.startswith(b"%PDF-")
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == notice.pdf_sha256
    assert any("CJK" in name for name in embedded_fonts(pdf))
    text = extract_text(pdf)
    for expected in ("闵行区七宝镇道路大修工程施工招标公告", notice.number, "上海市公共资源交易平台", "投标截止时间",
                     "2026-03-25 09:30", "12,500,000.00 元", notice.data_sha256, "公开招标"):  # fmt: skip
        assert expected in text, expected
    document = stored.get_document_for(system, notice.pdf_document_id)
    assert (document.kind, document.public) == ("notice", True)


def test_a_visitor_finds_a_published_notice_by_two_character_words_but_not_a_draft(clock, system):
    published = support.tender_notice(system)
    support.draft(system, title="浦东新区道路照明工程招标公告（草稿）", owner="tender.section:35")
    for word in ("道路", "招标", "七宝", "闵行 道路"):
        hits = search(word).hits
        assert [h.key for h in hits] == [str(published.pk)], word
    assert search("照明").total == 0  # the draft is not indexed at all
    assert search("浦东").total == 0
    assert index_size() == 1
    (hit,) = search("道路").hits
    assert hit.url == f"/notices/{published.pk}/"
    assert hit.extra["type_label"] == "招标公告"


def test_body_html_is_sanitised_everywhere(clock, system):
    notice = support.tender_notice(
        system,
        body_html='<p onclick="steal()">正文<script>alert(1)</script><a href="javascript:alert(1)">链接</a></p>'
        '<iframe src="https://evil.example/"></iframe><p style="x">道路</p>',
    )
    assert notice.body_html == '<p>正文<a rel="noopener noreferrer nofollow">链接</a></p><p>道路</p>'
    assert "alert" not in notice.body_text
    text = extract_text(pdf_of(notice))
    assert "alert" not in text
    assert "正文" in text


def test_a_body_with_nothing_left_after_sanitising_is_refused(clock, system):
    with pytest.raises(InvalidInput) as refused:
        support.tender_notice(system, body_html="<script>alert(1)</script>")
    assert (refused.value.code, refused.value.details["field"]) == ("notices.body_required", "body_html")


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"notice_type": "no_such_type"}, "notices.type_unknown"),
        ({"category": "bananas"}, "notices.category_unknown"),
        ({"region_code": "319999"}, "notices.region_invalid"),
        ({"owner": "section 34"}, "notices.owner_invalid"),
        ({"title": ""}, "notices.title_invalid"),
        ({"deal_code": "NOT-A-CODE"}, "notices.deal_code_invalid"),
        ({"fields": {"BID_OPEN_TIME": "2026-03-25T09:30:00+08:00"}}, "notices.field_required"),
        ({"publisher_entity_id": -3}, "notices.publisher_invalid"),
        ({"attachments": ["not-a-uuid"]}, "notices.attachment_invalid"),
        ({"attachments": ["6f1c2f4e-3a52-4d5e-9a7b-2b8c4f1d0e99"]}, "storage.document_not_found"),
    ],
)
def test_bad_input_is_refused_and_leaves_nothing(clock, system, override, code):
    before = testing.log_state()
    with pytest.raises(InvalidInput if code != "storage.document_not_found" else NotFound) as refused:
        support.tender_notice(system, **override)
    assert refused.value.code == code
    assert testing.log_state() == before
    assert not Notice.objects.exists()
    assert index_size() == 0


def test_a_publish_time_in_the_past_is_refused(clock, system):
    with pytest.raises(InvalidInput) as refused:
        support.tender_notice(system, publish_at=clock.now() - timedelta(minutes=1))
    assert refused.value.code == "notices.publish_at_past"
    with pytest.raises(InvalidInput) as refused:
        support.tender_notice(system, publish_at=clock.now() + timedelta(days=400))
    assert refused.value.code == "notices.publish_at_too_far"
    assert not Notice.objects.exists()


def test_a_renderer_failure_leaves_nothing_behind(clock, system, monkeypatch):
    before = testing.log_state()

    def broken(context):
        raise RuntimeError("fonts gone")

    monkeypatch.setattr(rendering, "render_pdf", broken)
    with pytest.raises(ServiceUnavailable) as refused:
        support.tender_notice(system)
    assert refused.value.code == "notices.pdf_unavailable"
    assert testing.log_state() == before
    assert not Notice.objects.exists()
    assert index_size() == 0


def test_a_failing_caller_action_takes_the_notice_with_it(clock, system):
    """The trading context publishes inside its own action; if that fails, nothing of the notice stays."""
    before = testing.log_state()
    with pytest.raises(testing.Boom):
        testing.do_touch_thing(actor=system, n=1, inside=lambda act: support.tender_notice(system), fail=True)
    assert testing.log_state() == before
    assert not Notice.objects.exists()
    assert index_size() == 0


def test_who_may_publish(clock, agency, staff):
    support.tender_notice(agency)  # a user of the publishing agency
    support.tender_notice(staff, owner="tender.section:36")  # staff over all of Shanghai
    for actor in (
        support.visitor(),
        support.agency(entity_id=5),  # another agency
        support.staff(region="310115"),  # staff of 浦东 for a 闵行 notice
        support.regulator(),
        Actor.anonymous(),
    ):
        with pytest.raises(PermissionDenied) as refused:
            support.tender_notice(actor, owner="tender.section:99")
        assert refused.value.code == "notices.forbidden"
    assert Notice.objects.count() == 2


def test_drafts_are_private_and_published_notices_public(clock, system, staff, agency):
    draft = support.draft(system)
    for reader in (staff, agency, support.regulator(), system):
        assert queries.get_notice_for(reader, draft.pk) == draft
    for stranger in (Actor.anonymous(), support.visitor(), support.agency(entity_id=5), support.staff("310115")):
        with pytest.raises(NotFound):
            queries.get_notice_for(stranger, draft.pk)
    published = actions.do_publish_draft(actor=agency, notice_id=draft.pk)
    assert queries.get_notice_for(Actor.anonymous(), published.pk).status == "published"


def test_attachments_are_taken_over_and_listed(clock, agency):
    import io

    from yiwang.platform.storage.actions import UPLOADS, Owner, do_store_document

    upload = do_store_document(
        actor=agency, owner=Owner(UPLOADS, agency.ref), title="招标文件", kind="attachment",
        stream=io.BytesIO(b"%PDF-1.4\n%test\n"), filename="招标文件.pdf",
    ).document  # fmt: skip
    notice = support.tender_notice(agency, attachments=[str(upload.pk)])
    (attachment,) = NoticeAttachment.objects.filter(notice=notice)
    assert attachment.filename == "招标文件.pdf"
    document = stored.get_owned_document(stored.Owner("services.notices", f"notice:{notice.pk}"), upload.pk)
    assert (document.owner_context, document.owner_ref) == ("services.notices", f"notice:{notice.pk}")
    data = queries.notice_json(notice, actor=Actor.anonymous())["data"]
    assert data["ATTACHMENTS"] == [
        {"NAME": "招标文件", "FILE_NAME": "招标文件.pdf", "SHA256": attachment.sha256, "SIZE": attachment.size}
    ]
    links = queries.attachment_links(Actor.anonymous(), notice)
    assert links[0]["url"].startswith("/files/")
    # someone else's upload cannot be attached
    other = do_store_document(
        actor=support.visitor(), owner=Owner(UPLOADS, support.visitor().ref), title="x", kind="attachment",
        stream=io.BytesIO(b"%PDF-1.4\n%x\n"), filename="x.pdf",
    ).document  # fmt: skip
    with pytest.raises(NotFound):
        support.tender_notice(agency, owner="tender.section:40", attachments=[str(other.pk)])


def test_candidate_publicity_must_last_as_the_catalogue_says(clock, system):
    fields = dict(support.CANDIDATE_FIELDS, PUBLICITY_END_TIME="2026-03-04T17:00:00+08:00")
    with pytest.raises(RuleViolation) as refused:
        actions.do_publish_notice(
            actor=system, owner="tender.section:34", notice_type="candidates", category="works", region_code="310112",
            title="道路大修工程中标候选人公示", body_html="<p>公示如下</p>", fields=fields,
        )  # fmt: skip
    error = refused.value
    assert (error.code, error.details["rule_id"]) == (
        "notices.publicity_too_short",
        "tender.candidate_publicity_period_min",
    )
    assert error.details["earliest_end"] == "2026-03-05T00:00:00+08:00"
    ok = actions.do_publish_notice(
        actor=system, owner="tender.section:34", notice_type="candidates", category="works", region_code="310112",
        title="道路大修工程中标候选人公示", body_html="<p>公示如下</p>", fields=support.CANDIDATE_FIELDS,
    )  # fmt: skip
    assert ok.stage == "candidates"
    text = extract_text(pdf_of(ok))
    assert "上海甲建设集团有限公司" in text
    assert "在公示期内以书面形式向招标人提出" in text


def test_every_notice_type_of_the_code_table_has_a_schema(db):
    from yiwang.catalog.queries import code_entries
    from yiwang.services.notices.domain.fields import SCHEMAS

    codes = {e.code for e in code_entries("notice_type")}
    assert codes
    assert codes <= set(SCHEMAS)


def test_a_calling_context_may_attach_its_own_documents(clock, agency):
    """Documents another context owns are attached when that context hands over the document itself."""
    import io

    from yiwang.platform.storage.actions import Owner, do_store_document

    owned = do_store_document(
        actor=Actor.system("tender"), owner=Owner("trading.tender", "section:34"), title="招标文件正文",
        kind="tender_document", stream=io.BytesIO(b"%PDF-1.4\n%doc\n"), filename="tender.pdf",
    ).document  # fmt: skip
    notice = support.tender_notice(agency, attachments=[owned])
    (attachment,) = NoticeAttachment.objects.filter(notice=notice)
    assert attachment.document_id == owned.pk
    still = stored.get_owned_document(Owner("trading.tender", "section:34"), owned.pk)
    assert still.owner_context == "trading.tender"  # referenced, not taken over
    with pytest.raises(NotFound):  # by id, through the API door, it is not the agency's to attach
        support.tender_notice(agency, owner="tender.section:41", attachments=[str(owned.pk)])


def test_a_rebuild_yields_one_current_document_per_chain(clock, agency):
    from yiwang.platform.search.index import rebuild_index

    v1 = support.tender_notice(agency)
    v2 = actions.do_correct_notice(
        actor=agency, notice_id=v1.pk, reason="更正", title="闵行区七宝镇道路大修工程（更正）"
    )
    support.draft(agency, owner="tender.section:50")
    report = rebuild_index()
    assert report.sources["notices"] == 1
    (hit,) = search("道路").hits
    assert (hit.key, hit.url) == (str(v1.pk), f"/notices/{v2.pk}/")


def test_publishing_inside_the_callers_action_is_one_transaction(clock, system):
    base = testing.base()

    def inside(act):
        support.tender_notice(system)
        actions.do_register_disclosure_obligation(
            actor=system, owner="tender.section:34", category="works", stage="notice",
            anchor_at=clock.now() + timedelta(days=30), region_code="310112",
        )  # fmt: skip

    testing.do_touch_thing(actor=system, n=7, inside=inside)
    actions_seen = [e.fields.action for e in base.entries()]
    assert actions_seen[0] == "test.touch_thing"
    assert {"notices.publish_notice", "storage.store_document", "notices.register_obligation"} <= set(actions_seen)
    obligation = actions.DisclosureObligation.objects.get()
    assert obligation.notice_id == Notice.objects.get().pk


def test_the_font_check_passes_where_cjk_fonts_are_installed():
    from yiwang.services.notices.apps import cjk_font_check

    assert cjk_font_check() == []
