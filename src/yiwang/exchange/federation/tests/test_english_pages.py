"""The federation page under the English switch: a visitor's regional notices and recognised organisations, and
the linked hubs a regulator reads, in English; the hubs' and organisations' names, notice titles and numbers
stay as their home hubs wrote them. Without the switch the page is Chinese."""

from __future__ import annotations

import pytest

from yiwang.exchange.federation.tests.test_pages import PAGE, as_actor  # noqa: F401  (fixture)
from yiwang.kernel.actors import Role, RoleGrant
from yiwang.platform.web.testing import chinese_left, use_english

pytestmark = pytest.mark.django_db


def test_the_federation_page_in_english(client, api, jiangsu, as_actor):  # noqa: F811
    jiangsu.send(api, jiangsu.batch(("notice.published", jiangsu.notice(1)), ("entity.registration", jiangsu.entity())))
    reader = as_actor("监管", RoleGrant(Role.REGULATOR, region="310000"))
    chinese = client.get(PAGE, headers=reader).content.decode()
    for text in ("区域公告（长三角互联平台）", "互认主体（一地注册、区域通用）", "已互认（只读副本）", "互联平台"):
        assert text in chinese, text

    use_english(client)
    html = client.get(PAGE, headers=reader).content.decode()
    for text in ("Regional notices", "Recognised organisations", "Recognised (read-only copy)", "Linked hubs"):
        assert text in html, text
    data = (
        "苏州工业园区第1号道路改造工程施工招标公告",
        "江苏省公共资源交易平台",
        "苏州示范路桥建设有限公司",
        "上海市公共资源交易平台",  # this hub's own name, in its identity file
        "中文",
        "监管",
    )
    assert chinese_left(html, *data) == []
