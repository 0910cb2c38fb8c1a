"""Reading and checking the input of the pool's actions (the API, the pages and other contexts send the same
plain dicts). Each refusal names its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from yiwang.catalog import queries as catalog
from yiwang.kernel.errors import InvalidInput, NotFound
from yiwang.kernel.ids import validate_resident_id, validate_uscc
from yiwang.registry import queries as registry
from yiwang.services.experts.domain.errors import FieldErrors
from yiwang.services.experts.domain.pool import PoolKind, TitleLevel
from yiwang.services.experts.domain.specialties import normalise_code
from yiwang.services.experts.models import Specialty, TieKind
from yiwang.services.experts.notify import CHANNELS, IN_SITE, SMS

MAX_SPECIALTIES = 10
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{6,19}$")


def text(data: Mapping[str, Any], field: str, *, max_length: int, required: bool = True) -> str:
    value = str(data.get(field) or "").strip()
    if required and not value:
        raise InvalidInput(f"experts.{field}_required", "此项必填", f"{field} is required", {"field": field})
    if len(value) > max_length:
        raise InvalidInput(
            "experts.too_long",
            f"不得超过 {max_length} 个字符",
            f"at most {max_length} characters",
            {"field": field, "max_length": max_length},
        )
    return value


def as_date(value: Any, field: str) -> date:
    if isinstance(value, datetime):
        raise InvalidInput("experts.date_invalid", "须为日期", "must be a date", {"field": field})
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(
            "experts.date_invalid", "日期格式应为 YYYY-MM-DD", "a date is written YYYY-MM-DD", {"field": field}
        ) from None


def optional_date(value: Any, field: str) -> date | None:
    return None if value in (None, "") else as_date(value, field)


def as_int(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("experts.integer_invalid", "须为整数", "must be an integer", {"field": field}) from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise InvalidInput(
            "experts.integer_range",
            f"须在 {minimum}–{maximum} 之间",
            f"must be between {minimum} and {maximum}",
            {"field": field, "minimum": minimum, "maximum": maximum},
        )
    return number


def resident_id(value: Any, today: date):
    return validate_resident_id(str(value or ""), today=today)


def phone(value: Any) -> str:
    number = str(value or "").strip()
    if not _PHONE.match(number):
        raise InvalidInput(
            "experts.phone_invalid", "联系电话格式不正确", "the phone number is malformed", {"field": "phone"}
        )
    return number


def kinds(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    allowed = {k.value for k in PoolKind}
    chosen = sorted({str(k) for k in items if k})
    if not chosen or not set(chosen) <= allowed:
        raise InvalidInput(
            "experts.kinds_invalid",
            "请选择专家类别（评标专家、政府采购评审专家）",
            "choose the kinds of evaluation (works, gp)",
            {"field": "kinds", "allowed": sorted(allowed)},
        )
    return chosen


def title_level(value: Any) -> TitleLevel:
    try:
        return TitleLevel(str(value))
    except ValueError:
        raise InvalidInput(
            "experts.title_level_invalid",
            "职称级别不正确",
            "unknown title level",
            {"field": "title_level", "allowed": [t.value for t in TitleLevel]},
        ) from None


def channels(value: Any) -> list[str]:
    if value in (None, "", []):
        return [IN_SITE, SMS]
    items = value if isinstance(value, list | tuple) else [value]
    chosen = [c for c in CHANNELS if c in {str(i) for i in items}]
    if len(chosen) != len(set(items)):
        raise InvalidInput(
            "experts.channel_invalid",
            "通知方式不正确",
            "unknown notification channel",
            {"field": "notify_channels", "allowed": list(CHANNELS)},
        )
    if IN_SITE not in chosen:
        chosen.insert(0, IN_SITE)  # the workbench always shows the task
    return chosen


def specialties(value: Any) -> list[tuple[str, bool]]:
    """``[{"code": "A080101", "main": true}, …]`` → ``[(code, main)]``: 1–10 known 7-character codes, at
    least one main."""
    items = value if isinstance(value, list | tuple) else []
    if not items:
        raise InvalidInput(
            "experts.specialties_required", "至少填写一个评标专业", "at least one specialty", {"field": "specialties"}
        )
    if len(items) > MAX_SPECIALTIES:
        raise InvalidInput(
            "experts.specialties_too_many",
            f"评标专业至多 {MAX_SPECIALTIES} 个",
            f"at most {MAX_SPECIALTIES} specialties",
            {"field": "specialties"},
        )
    out: dict[str, bool] = {}
    for item in items:
        raw = item.get("code") if isinstance(item, Mapping) else item
        main = bool(item.get("main")) if isinstance(item, Mapping) else False
        code = normalise_code(raw)
        if len(code) != 7:
            raise InvalidInput(
                "experts.specialty_level",
                f"专业代码 {code} 须为 7 位（三级类别）",
                f"specialty {code} must be a 7-character (third-level) code",
                {"field": "specialties", "code": code},
            )
        out[code] = out.get(code, False) or main
    known = set(Specialty.objects.filter(code__in=list(out)).values_list("code", flat=True))
    unknown = sorted(set(out) - known)
    if unknown:
        raise InvalidInput(
            "experts.specialty_unknown",
            f"专业代码不在专业分类中：{'、'.join(unknown)}",
            f"not in the specialty classification: {', '.join(unknown)}",
            {"field": "specialties", "codes": unknown},
        )
    if not any(out.values()):
        raise InvalidInput(
            "experts.main_specialty_required",
            "须指定至少一个主专业",
            "mark at least one main specialty",
            {"field": "specialties"},
        )
    return sorted(out.items())


def require_specialty(code: Any, field: str) -> str:
    value = normalise_code(code)
    if not Specialty.objects.filter(code=value).exists():
        raise InvalidInput(
            "experts.specialty_unknown",
            f"专业代码 {value} 不在专业分类中",
            f"{value} is not in the specialty classification",
            {"field": field, "codes": [value]},
        )
    return value


def entity_refs(ids: list[int]) -> dict[int, Any]:
    """Registry summaries of several entities in one read."""
    return registry.get_entity_refs(sorted(set(ids))) if ids else {}


def firm(
    data: Mapping[str, Any], *, prefix: str, name_required: bool, known: Mapping[int, Any] | None = None
) -> dict[str, Any]:
    """A firm named by registry entity id and/or USCC (exact), with a name when it is not registered.

    Returns ``{entity_id, uscc, name}``: an entity id is checked against the registry and its USCC and name
    are taken from there; a USCC alone is looked up (and linked when registered)."""
    entity_id = data.get(f"{prefix}entity_id")
    uscc_raw = str(data.get(f"{prefix}uscc") or "").strip()
    name = str(data.get(f"{prefix}name") or "").strip()[:200]
    if entity_id not in (None, ""):
        number = as_int(entity_id, f"{prefix}entity_id", minimum=1)
        ref = known.get(number) if known is not None else registry.get_entity_ref(number)
        if ref is None:
            raise NotFound(
                "experts.entity_unknown",
                "主体库中没有该单位",
                "no such entity in the registry",
                {"field": f"{prefix}entity_id", "entity_id": entity_id},
            )
        return {"entity_id": ref.id, "uscc": ref.uscc or "", "name": ref.name}
    if uscc_raw:
        try:
            code = validate_uscc(uscc_raw)
        except InvalidInput as exc:
            raise exc.at(f"{prefix}uscc") from None
        ref = registry.find_entity_by_uscc(code)
        if ref is not None:
            return {"entity_id": ref.id, "uscc": code, "name": ref.name}
        if not name and name_required:
            raise InvalidInput(
                "experts.firm_name_required",
                "该统一社会信用代码未在主体库登记，请填写单位名称",
                "this USCC is not registered; give the firm's name",
                {"field": f"{prefix}name"},
            )
        return {"entity_id": None, "uscc": code, "name": name}
    if name_required and not name:
        raise InvalidInput(
            "experts.firm_required",
            "请填写单位（主体库编号、统一社会信用代码或名称）",
            "name the firm (registry id, USCC or name)",
            {"field": f"{prefix}name"},
        )
    return {"entity_id": None, "uscc": "", "name": name}


def region(value: Any, field: str, on: date) -> str:
    try:
        return catalog.require_region(str(value or "").strip(), on=on).code
    except InvalidInput as exc:
        raise exc.at(field) from None


def tie_kind(value: Any) -> str:
    if value not in TieKind.values:
        raise InvalidInput(
            "experts.tie_kind_invalid",
            "关系类型不正确",
            "unknown relationship kind",
            {"field": "kind", "allowed": list(TieKind.values)},
        )
    return str(value)


def collect() -> FieldErrors:
    return FieldErrors()
