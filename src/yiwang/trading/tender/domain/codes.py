"""The codes of a procedure, with the lengths the national data specification gives them.

- **项目编号** ``PROJECT_CODE`` (17): a kind letter (``E`` 工程建设, ``G`` 政府采购), the 6-digit region code,
  the 4-digit year and a 6-digit serial per letter, region and year — ``E310112202600001``… (1 + 6 + 4 + 6).
- **招标项目编号** ``TENDER_PROJECT_CODE`` (20): the project code and a 3-digit serial of the tender projects of
  that project (one construction project may be tendered in several tender projects).
- **标段（包）编号** ``BID_SECTION_CODE`` (23): the tender-project code and the 3-digit section number.

The 统一交易标识码 (``UNIFIED_DEAL_CODE``) is the kernel's :func:`yiwang.kernel.ids.make_deal_code`.

Pure Python.
"""

from __future__ import annotations

import re

from yiwang.kernel.errors import InvalidInput

PROJECT_CODE_LENGTH = 17
TENDER_PROJECT_CODE_LENGTH = 20
SECTION_CODE_LENGTH = 23
KIND_LETTERS = {"tender": "E", "gp": "G"}
MAX_SECTIONS = 999

_PROJECT = re.compile(r"^[A-Z]\d{16}$")
_TENDER_PROJECT = re.compile(r"^[A-Z]\d{19}$")
_SECTION = re.compile(r"^[A-Z]\d{22}$")


def project_code(family: str, region_code: str, year: int, serial: int) -> str:
    letter = KIND_LETTERS[family]
    if not re.fullmatch(r"\d{6}", region_code) or not 1 <= serial <= 999_999 or not 2000 <= year <= 9999:
        raise ValueError("region code, year or serial out of range")
    code = f"{letter}{region_code}{year:04d}{serial:06d}"
    assert len(code) == PROJECT_CODE_LENGTH
    return code


def tender_project_code(project: str, serial: int) -> str:
    if not 1 <= serial <= 999:
        raise InvalidInput(
            "tender.too_many_tender_projects",
            "同一项目下的招标项目不能超过999个",
            "a project has at most 999 tender projects",
            {"project_code": project},
        )
    code = f"{validate_project_code(project)}{serial:03d}"
    assert len(code) == TENDER_PROJECT_CODE_LENGTH
    return code


def section_code(tender_project: str, number: int) -> str:
    if not 1 <= number <= MAX_SECTIONS:
        raise InvalidInput(
            "tender.too_many_sections",
            "一个招标项目的标段（包）不能超过999个",
            "a tender project has at most 999 sections",
            {"number": number},
        )
    code = f"{tender_project}{number:03d}"
    assert len(code) == SECTION_CODE_LENGTH
    return code


def _check(value: str, pattern: re.Pattern[str], length: int, code: str, zh: str, en: str) -> str:
    text = (value or "").strip().upper()
    if not pattern.match(text):
        raise InvalidInput(
            code, f"{zh}应为{length}位（1位字母+数字）", f"{en} must be {length} characters", {"value": text}
        )
    return text


def validate_project_code(value: str) -> str:
    return _check(value, _PROJECT, PROJECT_CODE_LENGTH, "tender.project_code_invalid", "项目编号", "a project code")


def validate_tender_project_code(value: str) -> str:
    return _check(
        value,
        _TENDER_PROJECT,
        TENDER_PROJECT_CODE_LENGTH,
        "tender.tender_project_code_invalid",
        "招标项目编号",
        "a tender project code",
    )


def validate_section_code(value: str) -> str:
    return _check(value, _SECTION, SECTION_CODE_LENGTH, "tender.section_code_invalid", "标段编号", "a section code")
