"""The naming rule of the platform list (平台目录).

沪发改法〔2020〕14号 §四.1: every trading platform within the catalogue is named
"上海市公共资源交易平台（某某分平台）"; the hub itself is "上海市公共资源交易平台". Market-run platforms that join
the 一网交易 system keep their own names and are flagged as market-run.
"""

from __future__ import annotations

import re

from yiwang.kernel.errors import InvalidInput

HUB_NAME = "上海市公共资源交易平台"
SUB_PLATFORM_NAME = re.compile(r"^上海市公共资源交易平台（([^（）()]{1,30})分平台）$")

PLATFORM_KINDS = {"hub": "总平台", "sub": "分平台", "market": "市场化交易平台"}


def sub_platform_name(short: str) -> str:
    """``"政府采购"`` → ``"上海市公共资源交易平台（政府采购分平台）"``."""
    return f"{HUB_NAME}（{short}分平台）"


def check_platform_name(name: str, kind: str) -> str:
    """Refuse a name that breaks the naming rule for its kind (``catalog.platform_name``)."""
    name = name.strip()
    if kind == "hub":
        ok = name == HUB_NAME
        expected = HUB_NAME
    elif kind == "sub":
        ok = bool(SUB_PLATFORM_NAME.match(name))
        expected = "上海市公共资源交易平台（X分平台）"
    elif kind == "market":
        ok = bool(name) and not name.startswith(HUB_NAME)
        expected = "市场化交易平台使用自身名称，不得冠以“上海市公共资源交易平台”"
    else:
        raise InvalidInput(
            "catalog.platform_kind_unknown",
            f"未知的平台类别“{kind}”",
            f"unknown platform kind {kind!r}",
            {"kind": kind, "allowed": sorted(PLATFORM_KINDS)},
        )
    if not ok:
        raise InvalidInput(
            "catalog.platform_name",
            f"平台名称“{name}”不符合命名规则：{expected}",
            f"platform name {name!r} breaks the naming rule for a {kind} platform: {expected}",
            {"name": name, "kind": kind, "expected": expected},
        )
    return name
