"""Display names for facet values on the search page (codes stay the API's vocabulary).

Contexts that own a vocabulary register its names (``register_labels("category", {"gc": "工程建设", …})``);
until they do, the page shows codes. Shanghai's districts are known here so that the region filter is usable
from the start.
"""

from __future__ import annotations

from collections.abc import Mapping

_labels: dict[str, dict[str, str]] = {
    "kind": {"notice": "公告", "project": "项目", "entity": "主体"},
    "region": {
        "310000": "上海市",
        "310101": "黄浦区",
        "310104": "徐汇区",
        "310105": "长宁区",
        "310106": "静安区",
        "310107": "普陀区",
        "310109": "虹口区",
        "310110": "杨浦区",
        "310112": "闵行区",
        "310113": "宝山区",
        "310114": "嘉定区",
        "310115": "浦东新区",
        "310116": "金山区",
        "310117": "松江区",
        "310118": "青浦区",
        "310120": "奉贤区",
        "310151": "崇明区",
    },
    "category": {},
    "stage": {},
}


def register_labels(facet: str, labels: Mapping[str, str]) -> None:
    _labels.setdefault(facet, {}).update(labels)


def label(facet: str, value: str) -> str:
    return _labels.get(facet, {}).get(value, value)


def labels(facet: str) -> dict[str, str]:
    return dict(_labels.get(facet, {}))
