"""Staff pages: the registry (and registering through it), the records received, the records refused with their
field errors, and the quality rate per sub-platform. Not for market participants."""

from __future__ import annotations

import json

import pytest

from yiwang.exchange.subplatform.tests.support import GP, WORKS, counts, project, tender_project
from yiwang.kernel.actors import Role

pytestmark = pytest.mark.django_db

PAGES = ("/exchange/", "/exchange/records/", "/exchange/refusals/", "/exchange/quality/")


def test_the_pages_show_registry_records_refusals_and_quality(hub, client):
    hub.works.push("PROJECT", project())
    hub.works.push("TENDER_PROJECT", tender_project())
    hub.works.push("TENDER_PROJECT", tender_project(TENDER_PROJECT_CODE="E3101120001000002", REGION_CODE="999999"))
    client.force_login(hub.staff)

    index = client.get("/exchange/").content.decode()
    assert WORKS in index
    assert "sp-works" in index
    assert "登记分平台" in index  # staff administrators see the form

    records = client.get("/exchange/records/", {"dataset": "TENDER_PROJECT"}).content.decode()
    assert "莘庄镇社区文化中心新建工程施工招标" in records
    assert "2026-310112-48-01" not in records  # the PROJECT record is filtered out

    refusals = client.get("/exchange/refusals/").content.decode()
    assert "E3101120001000002" in refusals
    assert "REGION_CODE" in refusals
    assert "exchange.bad_code" in refusals

    quality = client.get("/exchange/quality/").content.decode()
    assert f'data-testid="rate-{WORKS}">66.7%' in quality
    assert "小时" in quality  # the mean lag is shown


def test_registering_through_the_page_shows_the_secret_once(hub, client):
    client.force_login(hub.staff)
    cert = hub.pki.issue(entity=GP)
    response = client.post(
        "/exchange/register/",
        {"platform_code": GP, "client_id": "sp-gp", "region_code": "310000", "certificate_text": cert.pem},
    )
    assert response.status_code == 200
    assert 'data-testid="client-secret"' in response.content.decode()
    before = counts()
    again = client.post(
        "/exchange/register/",
        {"platform_code": GP, "client_id": "sp-gp2", "region_code": "310000", "certificate_text": cert.pem},
    )
    assert again.status_code == 409
    assert "已登记" in again.content.decode()
    assert counts() == before


def test_market_participants_get_403_and_visitors_sign_in(hub, client):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302
        assert "/accounts/" in response["Location"]
    bidder = hub.account("bidder")
    client.force_login(bidder)
    for page in PAGES:
        assert client.get(page).status_code == 403
    assert client.post("/exchange/register/", {}).status_code == 403


def test_regulators_read_but_may_not_register(hub, client):
    regulator = hub.account("regulator", Role.REGULATOR)
    client.force_login(regulator)
    for page in PAGES:
        assert client.get(page).status_code == 200
    assert "登记分平台" not in client.get("/exchange/").content.decode()
    assert client.post("/exchange/register/", {}).status_code == 403


def test_personal_data_is_never_public(hub, client, api):
    from yiwang.exchange.subplatform.models import Record
    from yiwang.exchange.subplatform.tests.support import section

    hub.works.push("PROJECT", project())
    hub.works.push("TENDER_PROJECT", tender_project())
    hub.works.push("SECTION", section())
    expert = {
        "DATA_TYPE": "1",
        "PLATFORM_CODE": WORKS,
        "DATA_TIMESTAMP": "20260302085900",
        "TENDER_PROJECT_CODE": "E3101120001000001",
        "BID_SECTION_CODE": "E3101120001000001001",
        "EXPERT_NAME": "王建国",
        "ID_CARD": "11010519491231002X",
    }
    assert hub.works.push("BID_EVALUATION_EXPERT", expert).status_code == 200
    record = Record.objects.get(dataset="BID_EVALUATION_EXPERT")
    assert client.get(f"/exchange/records/{record.pk}/").status_code == 404
    feed = api.get("/feed", {"type": "exchange.bid_evaluation_expert.received.v1"}).json()
    assert feed["events"][0]["redacted"]
    assert not hub.search("王建国")
    client.force_login(hub.staff)
    page = client.get(f"/exchange/records/{record.pk}/").content.decode()
    assert "王建国" in page
    # even privileged feed readers never get the non-public fields
    staff_feed = client.get("/api/v1/feed", {"type": "exchange.bid_evaluation_expert.received.v1"}).json()
    assert "ID_CARD" not in staff_feed["events"][0]["data"]["record"]
    assert "11010519491231002X" not in json.dumps(staff_feed, ensure_ascii=False)
