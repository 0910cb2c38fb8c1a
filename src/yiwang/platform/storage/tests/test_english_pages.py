"""English under the switch for the page of a download link that cannot be used: the heading shows the error's
English message, the Chinese page its Chinese message with the English one below (unchanged)."""

from __future__ import annotations

import pytest

from yiwang.platform.web.testing import chinese_left, use_english

pytestmark = pytest.mark.django_db


def test_a_refused_link_in_english(client):
    chinese = client.get("/files/garbage")
    assert chinese.status_code == 403
    text = chinese.content.decode()
    assert "下载链接不可用" in text
    assert "storage.link_invalid" in text
    use_english(client)
    page = client.get("/files/garbage")
    assert page.status_code == 403
    html = page.content.decode()
    assert "Download link unavailable" in html
    assert "storage.link_invalid" in html
    assert chinese_left(html, "中文") == []
