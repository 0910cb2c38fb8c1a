"""English under the switch: the OCDS publication page (downloads, daily packages, processes, the import form)
and a contracting process read in English. The releases' own contents stay as published (titles, names).
Without the switch the pages are Chinese."""

from __future__ import annotations

import json

import pytest

from yiwang.exchange.ocds import actions
from yiwang.exchange.ocds.tests.test_api import STAFF, _local, _release
from yiwang.exchange.ocds.tests.test_api import actors as actors  # the fixture
from yiwang.platform.web.testing import chinese_left, use_english

pytestmark = pytest.mark.django_db


def test_the_ocds_pages_in_english(client, clock, actors):
    _local(_release("a", "2026-03-01T15:30:00.000000Z", tender={"id": "t", "title": "浦江道路工程"}))
    release = _release("r1", "2026-03-01T00:00:00Z", ocid="ext-9", tender={"id": "t", "title": "外省项目"})
    actions.do_import_ocds(actor=STAFF, data=json.dumps(release).encode())
    staff = {"X-Test-Actor": "staff"}
    assert "每日发布包" in client.get("/exchange/ocds/").content.decode()

    use_english(client)
    html = client.get("/exchange/ocds/", headers=staff).content.decode()
    for english in ("OCDS data publication", "Daily release packages", "Import outside OCDS data"):
        assert english in html, english
    assert chinese_left(html, "浦江道路工程", "外省项目", STAFF.label, "中文") == []
    html = client.get("/exchange/ocds/records/ext-9/", headers=staff).content.decode()
    assert "Releases (1)" in html
    assert chinese_left(html, "外省项目", STAFF.label, "中文") == []
