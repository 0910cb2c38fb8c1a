"""Two journeys of issue 11 that the tender journey sets up on the test side, here through the pages:

- a bidder's administrator binds the company's digital certificate on 我的证书 (a certificate of an unknown CA is
  refused with its reason next to the field; the company's own, issued by a CA on the trust list, is bound and shown
  valid);
- a bidder asks a question about a published tender on its project page, the agency sees the question (not who
  asked) and answers it with a clarification that names it, and every visitor then reads the clarification.

Both run against the live server on the wall clock: the CA and its revocation lists are valid now.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from tests.e2e.people import PAGE_TIMEOUT_MS, signed_in

from yiwang.identity import actions as identity
from yiwang.identity.ca import queries as ca_queries
from yiwang.identity.ca.tests.support import Pki
from yiwang.kernel.actors import Actor, Role
from yiwang.platform.clock import now
from yiwang.services.bidbox import actions as bidbox
from yiwang.trading.tender import actions as tender
from yiwang.trading.tender.models import Question
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(browser, live_server, username: str, opened: list):
    return signed_in(browser, live_server, username, support.PASSWORD, opened)


@pytest.fixture
def opened():
    contexts: list = []
    yield contexts
    for context in contexts:
        context.close()


def test_a_bidder_binds_its_company_certificate(browser, live_server, fast_passwords, opened):
    world = support.live_world("cb", "证书测试")
    bidder = support.make_party("cb-bidder", support.PUJIANG, ["bidder"], None)  # registered, no certificate yet
    own = world.pki.issue(entity=support.PUJIANG, name=bidder.name, not_before=world.moment - timedelta(days=1))
    stranger = Pki("sm2", label="未列入").issue(entity=support.PUJIANG, name=bidder.name)

    desk = _sign_in(browser, live_server, "cb-bidder", opened)
    desk.goto("/ca/certificates/")
    assert "尚未绑定数字证书" in desk.locator("main").inner_text()

    desk.get_by_label("证书（PEM）").fill(stranger.pem)
    desk.get_by_role("button", name="绑定").click()
    refused = desk.locator(".alert-danger").first.inner_text()
    assert "ca.unknown_issuer" in refused  # the reason, next to the form
    assert ca_queries.list_bindings_for(bidder.actor) == []  # nothing bound

    desk.get_by_label("证书（PEM）").fill(own.pem)
    desk.get_by_role("button", name="绑定").click()
    desk.wait_for_url("**/ca/certificates/")
    body = desk.locator("main").inner_text()
    assert "证书已绑定" in body
    assert own.cert.serial_hex in body
    row = desk.locator("tr", has_text=own.cert.serial_hex)
    assert "有效" in row.inner_text()
    assert support.PUJIANG in row.inner_text()  # bound to the company by its credit code
    (binding,) = ca_queries.list_bindings_for(bidder.actor)
    assert binding.serial == own.cert.serial_hex


def test_an_agency_answers_a_bidders_question_with_a_clarification(browser, live_server, page, fast_passwords, opened):
    world = support.live_world("qa", "答疑测试")
    identity.do_grant_role(
        actor=Actor.system("journey"),
        role=Role.AGENCY,
        account=world.agency.account,
        entity_id=world.agency.entity_id,
        admin=True,
    )
    bidder = world.certified_bidder("qa-bidder", support.PUJIANG)
    ceremony = bidbox.do_run_key_ceremony(
        actor=world.staff_actor, threshold=2, custodians=["保管人甲", "保管人乙", "保管人丙"], label="答疑测试开标密钥"
    )
    project = tender.do_create_project(
        actor=world.agency.actor,
        procedure="tender.open",
        name="闵行区浦锦路道路改建工程",
        region_code="310112",
        tenderer_entity_id=world.tenderer.entity_id,
        agency_entity_id=world.agency.entity_id,
        subject="works",
        sections=support.section_data(),
    )
    tender.do_upload_document(
        actor=world.agency.actor,
        project_id=project.pk,
        kind="tender_documents",
        title="招标文件",
        stream=io.BytesIO(support.PDF + b"qa"),
        filename="招标文件.pdf",
    )
    moment = now()
    tender.do_publish_project(
        actor=world.agency.actor,
        project_id=project.pk,
        bid_deadline=moment + timedelta(days=30),
        doc_get_end=moment + timedelta(days=10),
        opening_key=ceremony.key.pk,
    )
    question = "第三章技术标准中沥青面层厚度为4cm还是5cm？请予以澄清。"

    # the bidder asks on the project page
    desk = _sign_in(browser, live_server, "qa-bidder", opened)
    desk.goto(f"/tender/projects/{project.pk}/")
    desk.get_by_text("对招标文件提问").click()
    desk.locator("form[action$='/ask/'] textarea").fill(question)
    desk.get_by_role("button", name="提交提问").click()
    assert "提问已提交" in desk.locator("[role=alert]").first.inner_text()
    (asked,) = Question.objects.filter(project_id=project.pk)

    # the agency sees the question (not who asked) and answers it with a clarification naming it
    office = _sign_in(browser, live_server, "qa-agency", opened)
    office.goto(f"/tender/projects/{project.pk}/")
    manage = office.locator(".card", has_text="招标人 / 代理机构操作")
    assert "沥青面层厚度" in manage.inner_text()
    assert bidder.name not in office.locator("main").inner_text()  # the asker stays unnamed
    answer = "答复：沥青面层厚度为5cm，以第三章第2.1条为准，其余内容不变。"
    manage.locator("textarea").fill(answer)
    manage.locator(f"input[name=answers][value='{asked.pk}']").check()
    manage.get_by_role("button", name="发布澄清").click()
    assert "澄清已发布" in office.locator("[role=alert]").first.inner_text()
    asked.refresh_from_db()
    assert asked.clarification_id is not None  # the question is answered by that clarification

    # every visitor reads the clarification on the project page
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(f"/tender/projects/{project.pk}/")
    clarifications = page.locator("h2", has_text="澄清与修改").locator("xpath=following-sibling::ul[1]")
    text = clarifications.inner_text()
    assert re.search(r"第\s*1\s*号", text)
    assert "沥青面层厚度为5cm" in text
    assert bidder.name not in page.locator("main").inner_text()
