"""English for the archive pages (/archive/): under the switch the list with its filters, an archive with its
versions, legal holds and disposal, and the archive and hold forms read in English (headings, labels, buttons,
table heads, version states). What people entered stays as written (reasons, titles, the names of the people who
acted) and is named in the test. Without the switch the same pages are Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.services.archive import actions
from yiwang.services.archive.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.services.archive.tests.urls")]

WRITTEN = ["项目结束归档", "案件调查", "调查结束", "保存期满，经鉴定销毁", "测试用户staff", "测试用户reg", "中文"]


def test_the_archive_pages_in_english(client, test_actors, project, staff, clock):
    test_actors.update(staff=staff, regulator=support.regulator())
    client.defaults["HTTP_X_TEST_ACTOR"] = "staff"
    version = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="项目结束归档", category="gp")
    actions.do_place_legal_hold(actor=support.regulator(), project_ref=project.ref, reason="案件调查")
    detail = f"/archive/{version.archive_id}/"
    pages = {"/archive/": "每个项目的公告", detail: "法律保全中（1 项）", "/archive/new/": "生成电子档案"}
    for url, chinese in pages.items():
        assert chinese in client.get(url).content.decode(), url
    use_english(client)
    english = {
        "/archive/": ("Electronic archive", "Latest version", "Kept until", "On hold", "Kept", "1 archives in all."),
        detail: (
            "On legal hold (1)",
            "Download the package",
            "Manifest and signatures",
            "Release the hold",
            "In force",
        ),
        "/archive/new/": ("Create an electronic archive", "Project reference", "Reason for archiving", "Archive"),
        "/archive/holds/new/": ("Place a legal hold", "Reason for the hold", "Hold"),
    }
    for url, words in english.items():
        html = client.get(url).content.decode()
        for word in words:
            assert word in html, (url, word)
        assert chinese_left(html, *WRITTEN) == [], url

    held = client.post(f"{detail}dispose/", {"reason": "保存期满，经鉴定销毁"}, follow=True).content.decode()
    assert "(archive." in held  # refused under the hold, in English with its code
    assert chinese_left(held, *WRITTEN) == []
    actions.do_release_legal_hold(actor=support.regulator(), project_ref=project.ref, reason="调查结束")
    clock.advance(timedelta(days=366 * 16))
    html = client.get(detail).content.decode()
    for word in ("May be disposed of", "Released on", "The retention period of version 1 is over", "Dispose of"):
        assert word in html, word
    assert chinese_left(html, *WRITTEN) == []
    done = client.post(f"{detail}dispose/", {"reason": "保存期满，经鉴定销毁"}, follow=True).content.decode()
    assert "Disposed of: version 1 (the manifest and the disposal record are kept)." in done
    assert "Disposed of on" in done
    assert chinese_left(done, *WRITTEN) == []
