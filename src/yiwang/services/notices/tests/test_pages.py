"""The pages: list, notice (with its version chain), PDF, search from the portal, subscriptions, messages,
and the staff page of the disclosure rate."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest

from yiwang.kernel.actors import Actor
from yiwang.services.notices import actions, jobs
from yiwang.services.notices.models import Subscription
from yiwang.services.notices.tests import support
from yiwang.services.notices.tests.pdftext import extract_text

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.services.notices.tests.urls")]


@pytest.fixture
def browse(client, test_actors):
    def as_actor(actor: Actor | None = None):
        headers = {}
        if actor is not None:
            key = f"page-{actor.ref}"
            test_actors[key] = actor
            headers["X-Test-Actor"] = key

        class Browser:
            def get(self, url, data=None, **extra):
                return client.get(url, data or {}, headers={**headers, **extra.pop("headers", {})}, **extra)

            def post(self, url, data=None, **extra):
                return client.post(url, data or {}, headers={**headers, **extra.pop("headers", {})}, **extra)

        return Browser()

    return as_actor


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_list_filters_and_pages(browse, clock, system):
    first = support.tender_notice(system, owner="tender.section:1")
    clock.advance(timedelta(minutes=1))
    second = support.tender_notice(
        system, owner="tender.section:2", region_code="310115", title="浦东新区道路养护工程施工招标公告"
    )
    page = html(browse().get("/notices/"))
    assert page.index(second.title) < page.index(first.title)  # newest first
    assert "共 2 条公告" in page
    only = html(browse().get("/notices/", {"region": "310115"}))
    assert second.title in only
    assert first.title not in only
    partial = html(browse().get("/notices/", {"type": "award_result"}, headers={"HX-Request": "true"}))
    assert "<html" not in partial
    assert "共 0 条公告" in partial


def test_a_notice_page_shows_content_fields_and_digest(browse, clock, system):
    notice = support.tender_notice(
        system, body_html=support.BODY + '<p onmouseover="x()">联系<script>alert(1)</script></p>'
    )
    page = html(browse().get(f"/notices/{notice.pk}/"))
    assert notice.title in page
    assert notice.number in page
    assert notice.data_sha256 in page
    assert "2026-03-25 09:30" in page  # the bid deadline, in Shanghai time
    assert "<script>alert" not in page
    assert "onmouseover" not in page
    assert f'href="/notices/{notice.pk}.pdf"' in page


def test_the_version_chain_is_shown(browse, clock, agency):
    v1 = support.tender_notice(agency)
    v2 = actions.do_correct_notice(actor=agency, notice_id=v1.pk, reason="延期开标")
    old = html(browse().get(f"/notices/{v1.pk}/"))
    assert "本公告已被更正" in old
    assert f'href="/notices/{v2.pk}/"' in old
    new = html(browse().get(f"/notices/{v2.pk}/"))
    assert "更正公告（第 2 版）" in new
    assert "延期开标" in new
    assert 'data-testid="versions"' in new
    actions.do_withdraw_notice(actor=agency, notice_id=v2.pk, reason="项目取消")
    assert "本公告已于" in html(browse().get(f"/notices/{v2.pk}/"))


def test_drafts_are_hidden_from_the_public(browse, clock, agency, staff):
    draft = support.draft(agency)
    assert browse().get(f"/notices/{draft.pk}/").status_code == 404
    assert browse(support.visitor()).get(f"/notices/{draft.pk}.pdf").status_code == 404
    assert "尚未公开" in html(browse(staff).get(f"/notices/{draft.pk}/"))
    preview = browse(agency).get(f"/notices/{draft.pk}.pdf")
    assert preview.status_code == 200
    assert "草稿预览" in extract_text(preview.content)


def test_the_pdf_is_the_stored_evidence(browse, clock, system):
    notice = support.tender_notice(system)
    r = browse().get(f"/notices/{notice.pk}.pdf")
    assert (r.status_code, r["Content-Type"]) == (200, "application/pdf")
    content = b"".join(r.streaming_content)
    assert hashlib.sha256(content).hexdigest() == notice.pdf_sha256 == r["X-Content-SHA256"]
    assert "道路大修工程" in extract_text(content)


def test_a_visitor_finds_a_notice_from_the_portal_search(browse, clock, system):
    notice = support.tender_notice(system)
    for word in ("道路", "招标"):
        page = html(browse().get("/search/", {"q": word}))
        assert f'href="/notices/{notice.pk}/"' in page, word


def test_subscriptions_page_and_messages(browse, clock, system):
    me = support.visitor()
    assert browse().get("/notices/subscriptions/").status_code == 302
    r = browse(me).post("/notices/subscriptions/", {"name": "闵行道路", "q": "道路", "region": "310112"})
    assert r.status_code == 302
    (subscription,) = Subscription.objects.filter(subscriber=me.ref)
    bad = browse(me).post("/notices/subscriptions/", {"q": "道路", "email": "bad"})
    assert bad.status_code == 422
    assert "电子邮箱地址格式不正确" in bad.content.decode()
    assert "闵行道路" in html(browse(me).get("/notices/subscriptions/"))

    notice = support.tender_notice(system)
    jobs.match_subscriptions(clock.now())
    inbox = html(browse(me).get("/messages/"))
    assert notice.title in inbox
    assert 'data-testid="unread">1<' in inbox

    browse(me).post(f"/notices/subscriptions/{subscription.pk}/toggle/")
    subscription.refresh_from_db()
    assert not subscription.active
    assert browse(support.visitor(501)).post(f"/notices/subscriptions/{subscription.pk}/delete/").status_code == 404
    browse(me).post(f"/notices/subscriptions/{subscription.pk}/delete/")
    assert not Subscription.objects.exists()


def test_the_disclosure_page_is_for_overseers(browse, clock, staff):
    actions.do_register_disclosure_obligation(
        actor=staff, owner="gp.package:1", category="gp", stage="result",
        anchor_at=clock.now() - timedelta(days=10), region_code="310112",
    )  # fmt: skip
    assert browse().get("/notices/disclosure/").status_code == 302
    assert browse(support.visitor()).get("/notices/disclosure/").status_code == 403
    page = html(browse(staff).get("/notices/disclosure/", {"from": "2026-02-01", "to": date(2026, 3, 2).isoformat()}))
    assert 'data-testid="rate">0.0%<' in page
    assert "gp.package:1" in page
    assert "应公开未公开" in page
