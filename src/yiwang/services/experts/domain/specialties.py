"""Specialty codes (专业分类, MAJOR_CODE): one letter (A 工程 / B 货物 / C 服务) and up to three levels of two
digits — ``A``, ``A08``, ``A0801``, ``A080101``. A code covers itself and every code below it, so a request for
``A0801`` (房屋建筑工程) draws experts registered under ``A080101``, ``A080104`` …"""

from __future__ import annotations

import re

from yiwang.kernel.errors import InvalidInput

_CODE = re.compile(r"^[A-Z](\d{2}){0,3}$")
LEVEL_LABELS_ZH = {1: "大类", 2: "一级类别", 3: "二级类别", 4: "三级类别"}


def normalise_code(value: object) -> str:
    """Strip and upper-case; refuse anything not shaped like a specialty code (``experts.specialty_format``)."""
    code = str(value or "").strip().upper()
    if not _CODE.match(code):
        raise InvalidInput(
            "experts.specialty_format",
            f"专业代码“{code}”格式不正确（应为 1 位大类字母加 2、4 或 6 位数字，如 A080101）",
            f"specialty code {code!r} is malformed (a letter followed by 2, 4 or 6 digits, e.g. A080101)",
            {"value": code},
        )
    return code


def level(code: str) -> int:
    """1 for ``A``, 2 for ``A08``, 3 for ``A0801``, 4 for ``A080101``."""
    return 1 + (len(code) - 1) // 2


def parent(code: str) -> str | None:
    if len(code) <= 1:
        return None
    return code[:1] if len(code) == 3 else code[:-2]


def covers(requested: str, held: str) -> bool:
    """Does a request for ``requested`` match an expert holding ``held``? (``held`` is it or below it)"""
    return held.startswith(requested)


def upper_bound(prefix: str) -> str:
    """The smallest text greater than every code starting with ``prefix`` (for index range scans)."""
    return prefix + "~"
