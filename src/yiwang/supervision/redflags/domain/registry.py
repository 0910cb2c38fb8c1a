"""The indicator registry: what each indicator is, whom it flags, on what basis, with which parameters — and the
results it returns (flags with evidence, or "not computable" with the reason; never a silent 0).

Adding an indicator: write a pure ``compute(snapshot, params) -> IndicatorOutput`` over the snapshot frames and
register an :class:`Indicator` with :func:`register` (see docs/redflags.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from yiwang.supervision.redflags.domain import errors
from yiwang.supervision.redflags.domain.frames import Snapshot
from yiwang.supervision.redflags.domain.stats import round4


class Unit(StrEnum):
    """What an indicator flags."""

    PROCESS = "process"  # 项目/标段: an OCDS contracting process (ocid) or a platform section
    BUYER = "buyer"  # 招标人/采购人
    PROCURING_ENTITY = "procuring_entity"  # the organisation managing the process (often the agency 代理机构)
    BIDDER = "bidder"  # 投标人 (Cardinal: Tenderer)
    BIDDER_PAIR = "bidder_pair"  # two bidders seen together
    BIDDER_GROUP = "bidder_group"  # several bidders (rotation)
    EXPERT = "expert"  # 评标专家


UNIT_LABELS_ZH = {
    Unit.PROCESS: "项目/标段",
    Unit.BUYER: "招标人/采购人",
    Unit.PROCURING_ENTITY: "招标代理/采购代理",
    Unit.BIDDER: "投标人",
    Unit.BIDDER_PAIR: "投标人对",
    Unit.BIDDER_GROUP: "投标人组",
    Unit.EXPERT: "评标专家",
}

# Cardinal's output groups
CARDINAL_GROUPS = {
    Unit.PROCESS: "OCID",
    Unit.BUYER: "Buyer",
    Unit.PROCURING_ENTITY: "ProcuringEntity",
    Unit.BIDDER: "Tenderer",
}


class Family(StrEnum):
    CARDINAL = "cardinal"  # OCP Cardinal indicators
    SCREEN = "screen"  # price-distribution screens
    FINGERPRINT = "fingerprint"  # 条例 Art.40 / 87号令 Art.37 e-bidding signals
    NETWORK = "network"  # repeated-interaction screens
    EXPERT = "expert"  # evaluation supervision


FAMILY_LABELS_ZH = {
    Family.CARDINAL: "OCP Cardinal 指标",
    Family.SCREEN: "报价分布筛查",
    Family.FINGERPRINT: "电子投标特征（串通投标情形）",
    Family.NETWORK: "关联网络筛查",
    Family.EXPERT: "评标专家监督",
}


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any  # None = "not set" (e.g. a threshold that, unset, is taken from the Tukey fence)
    kind: str  # int | float | str | codes (pipe-separated list) | map (text → int)
    description_zh: str
    description_en: str = ""
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class NotComputable:
    """Why a result could not be computed — for a whole indicator or for one unit."""

    code: str  # redflags.population_empty, redflags.too_few_bids …
    message_zh: str
    message_en: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en, **dict(self.details)}


def population_empty(what_zh: str, what_en: str) -> NotComputable:
    return NotComputable(
        "redflags.population_empty",
        f"没有可比较的{what_zh}，无法计算",
        f"No {what_en} to compare: not computable",
    )


def population_too_small(n: int, minimum: int, what_zh: str, what_en: str) -> NotComputable:
    return NotComputable(
        "redflags.population_too_small",
        f"可比较的{what_zh}只有 {n} 个（至少需要 {minimum} 个），无法计算",
        f"Only {n} {what_en} to compare (at least {minimum} needed): not computable",
        {"n": n, "minimum": minimum},
    )


def data_missing(frame: str, what_zh: str, what_en: str) -> NotComputable:
    return NotComputable(
        "redflags.data_missing",
        f"快照中没有{what_zh}数据（{frame}），无法计算",
        f"The snapshot has no {what_en} ({frame}): not computable",
        {"frame": frame},
    )


@dataclass(frozen=True)
class Finding:
    """One flagged unit, with the numbers and record ids behind it."""

    code: str
    unit: Unit
    unit_id: str
    value: float | None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    ocid: str | None = None  # the process it is about (to find its region and link it)
    related: tuple[tuple[str, str], ...] = ()  # (unit, id) of others named by the finding
    primary: bool = True  # False: a secondary mention (Cardinal also flags the winner of a flagged OCID)
    severity: float = 1.0  # 0..1, how strongly this unit is flagged


@dataclass
class IndicatorOutput:
    code: str
    findings: list[Finding] = field(default_factory=list)
    not_computable: NotComputable | None = None  # the whole indicator could not be computed
    meta: dict[str, float | None] = field(default_factory=dict)  # Cardinal's Meta (quartiles and fences)
    population: int = 0  # units evaluated
    # per-unit values of the population (unit_id, value, flagged, reason): screens and ratios, for inspection
    per_unit: pl.DataFrame | None = None
    skipped: dict[str, int] = field(default_factory=dict)  # per-unit "not computable" reasons → count
    seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def computable(self) -> bool:
        return self.not_computable is None

    def flagged(self, unit: Unit | None = None, *, primary_only: bool = False) -> dict[str, float | None]:
        return {
            f.unit_id: f.value
            for f in self.findings
            if (unit is None or f.unit == unit) and (f.primary or not primary_only)
        }


Compute = Callable[[Snapshot, Mapping[str, Any]], IndicatorOutput]


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    family: Family
    units: tuple[Unit, ...]  # the units it flags (primary first)
    basis: str  # legal basis or source
    description_zh: str
    compute: Compute
    parameters: tuple[Parameter, ...] = ()
    procedures: tuple[str, ...] = ()  # applicable procurement methods (empty: all)
    min_population: int = 1
    needs: tuple[str, ...] = ("tenders", "bids")  # frames it reads
    weight: float = 0.3  # contribution to an alert's combined score (0..1)
    description_en: str = ""
    interpretation_zh: str = ""  # how to read a flag: a reason to look closer, not proof

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}


REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code in REGISTRY:
        raise ValueError(f"indicator {indicator.code} registered twice")
    REGISTRY[indicator.code] = indicator
    return indicator


def get(code: str) -> Indicator:
    _load_all()
    try:
        return REGISTRY[code]
    except KeyError:
        raise errors.unknown_indicator(code) from None


def all_indicators() -> list[Indicator]:
    _load_all()
    return sorted(REGISTRY.values(), key=lambda i: (list(Family).index(i.family), i.code))


def _load_all() -> None:
    # the modules register their indicators when imported
    from yiwang.supervision.redflags.domain import cardinal, experts, fingerprints, network, screens  # noqa: F401


# -- parameters ---------------------------------------------------------------------------------------------------


def _coerce(indicator: Indicator, p: Parameter, value: Any) -> Any:
    code = indicator.code
    if value is None:
        return None
    if p.kind in ("int", "float"):
        if isinstance(value, bool):
            raise errors.parameter_invalid(code, p.name, "应为数字", "must be a number", value)
        try:
            number = int(value) if p.kind == "int" else float(value)
        except (TypeError, ValueError):
            raise errors.parameter_invalid(code, p.name, "应为数字", "must be a number", value) from None
        if p.kind == "int" and isinstance(value, float) and not value.is_integer():
            raise errors.parameter_invalid(code, p.name, "应为整数", "must be an integer", value)
        if isinstance(number, float) and not math.isfinite(number):
            raise errors.parameter_invalid(code, p.name, "应为有限数", "must be finite", value)
        if p.minimum is not None and number < p.minimum:
            raise errors.parameter_invalid(code, p.name, f"不得小于 {p.minimum:g}", f"below {p.minimum:g}", value)
        if p.maximum is not None and number > p.maximum:
            raise errors.parameter_invalid(code, p.name, f"不得大于 {p.maximum:g}", f"above {p.maximum:g}", value)
        return number
    if p.kind == "str":
        if not isinstance(value, str) or len(value) > 200:
            raise errors.parameter_invalid(code, p.name, "应为文本", "must be text", value)
        return value
    if p.kind == "codes":
        items = value.split("|") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(x, str) and len(x) <= 200 for x in items):
            raise errors.parameter_invalid(code, p.name, "应为以“|”分隔的文本", "must be a |-separated list", value)
        return "|".join(x for x in items if x)
    if p.kind == "map":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in value.items()
        ):
            raise errors.parameter_invalid(code, p.name, "应为“名称→整数”的对照", "must map text to integers", value)
        return dict(value)
    raise ValueError(f"unknown parameter kind {p.kind}")


def resolve_parameters(code: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The indicator's parameters: defaults, overridden (and checked) by ``overrides``."""
    indicator = get(code)
    known = {p.name: p for p in indicator.parameters}
    resolved = indicator.defaults()
    for name, value in (overrides or {}).items():
        if name not in known:
            raise errors.unknown_parameter(code, name)
        resolved[name] = _coerce(indicator, known[name], value)
    return resolved


def pipe_set(value: str | None) -> frozenset[str]:
    return frozenset(x for x in (value or "").split("|") if x)


# -- running --------------------------------------------------------------------------------------------------------


@dataclass
class RunOutput:
    outputs: dict[str, IndicatorOutput]
    parameters: dict[str, dict[str, Any]]
    seconds: float


def check_selection(
    codes: Iterable[str] | None, overrides: Mapping[str, Mapping[str, Any]] | None
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Validate a selection of indicators and parameter overrides before anything runs."""
    chosen = list(dict.fromkeys(codes)) if codes is not None else [i.code for i in all_indicators()]
    if not chosen:
        raise errors.no_indicators()
    for code in chosen:
        get(code)
    every = dict((overrides or {}).get("*") or {})
    for code in overrides or {}:
        if code != "*" and code not in chosen:
            get(code)  # an unknown code is refused; a known one that is not chosen is simply unused
    parameters = {}
    for code in chosen:
        known = {p.name for p in REGISTRY[code].parameters}
        # "*" sets a parameter on every chosen indicator that has it (e.g. the main currency)
        merged = {k: v for k, v in every.items() if k in known}
        merged.update((overrides or {}).get(code) or {})
        parameters[code] = resolve_parameters(code, merged)
    return chosen, parameters


def run(
    snapshot: Snapshot,
    codes: Iterable[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> RunOutput:
    """Compute the chosen indicators (default: all) over the snapshot."""
    chosen, parameters = check_selection(codes, overrides)
    started = time.perf_counter()
    outputs: dict[str, IndicatorOutput] = {}
    for code in chosen:
        indicator = REGISTRY[code]
        t0 = time.perf_counter()
        out = indicator.compute(snapshot, parameters[code])
        out.seconds = time.perf_counter() - t0
        out.parameters = parameters[code]
        outputs[code] = out
    return RunOutput(outputs, parameters, time.perf_counter() - started)


def cardinal_json(outputs: Mapping[str, IndicatorOutput], *, meta: bool = True, maps: bool = False) -> dict[str, Any]:
    """The results in Cardinal's output shape: ``{OCID: {id: {code: value}}, Buyer, ProcuringEntity, Tenderer,
    Meta: {code: {q1, q3, …}}}`` (groups without results are left out, as Cardinal does). Only units that Cardinal
    has groups for are included; a flag without a number is 0.0, as in Cardinal (e.g. the winner of R024)."""
    groups: dict[str, dict[str, dict[str, float]]] = {}
    tenderer_maps: dict[str, dict[str, set[str]]] = {}
    for code, out in outputs.items():
        for f in out.findings:
            group = CARDINAL_GROUPS.get(f.unit)
            if group is None:
                continue
            value = 0.0 if f.value is None else float(f.value)
            groups.setdefault(group, {}).setdefault(f.unit_id, {})[code] = value
            if maps and f.unit == Unit.BIDDER and f.ocid:
                tenderer_maps.setdefault(f"ocid_tenderer_{code.lower()}", {}).setdefault(f.ocid, set()).add(f.unit_id)
    result: dict[str, Any] = {g: groups[g] for g in ("OCID", "Buyer", "ProcuringEntity", "Tenderer") if g in groups}
    if meta:
        result["Meta"] = {
            code: {k: round4(v) for k, v in out.meta.items()} for code, out in outputs.items() if out.meta
        }
    if maps:
        result["Maps"] = {k: {o: sorted(ids) for o, ids in v.items()} for k, v in sorted(tenderer_maps.items())}
    return result
