"""Procedure types as data: what a procedure is made of, read from ``data/procedures.json``.

A procedure (公开招标, 邀请招标, 政府采购公开招标, 竞争性谈判 …) is a configuration, not code: which stages it has,
which notice types it publishes, which evaluation methods it allows, and — for every period, count, committee size
and price weight it enforces — the **rule id** of the rules catalogue holding the legal number. The engine is the
same for all of them. When a project is created, its procedure entry (with the file's version) and the catalogue
values of the rules it names are copied onto the project, so a later change of the file or of the catalogue never
changes a running procedure.

Pure Python: standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAMILIES = ("tender", "gp")
SUBJECTS = ("works", "goods", "services")
SUBJECT_LABELS = {"works": "工程", "goods": "货物", "services": "服务"}
OBJECTION_KINDS = ("objection", "challenge")

# Evaluation methods (评标办法) and their names; which ones a procedure allows is in its entry.
METHODS = {
    "comprehensive": "综合评估法",
    "lowest_evaluated_price": "经评审的最低投标价法",
    "comprehensive_gp": "综合评分法",
    "lowest_price": "最低评标价法",
    "negotiated": "协商确定成交价",
}
# Methods whose scores weigh price against other factors (a price weight is required and checked).
SCORED_METHODS = frozenset({"comprehensive", "comprehensive_gp"})

PERIOD_KEYS = frozenset(
    {
        "bid_period",
        "notice_period",
        "doc_sale",
        "pq_submission",
        "pq_clarification_gap",
        "pq_objection",
        "clarification_gap",
        "doc_objection",
        "objection_answer",
        "candidate_publicity_delay",
        "candidate_publicity",
        "candidate_objection_answer",
        "challenge_period",
        "challenge_answer",
        "winner_determination",
        "award_notice",
        "award_notice_period",
        "contract_signing",
        "contract_publication",
        "award_report",
        "withdrawal_refund",
    }
)
NOTICE_KEYS = frozenset(
    {"plan", "clarification", "opening", "candidates", "award", "contract", "performance", "failed", "termination"}
)
COMMITTEE_KEYS = frozenset(
    {"min_size_rule", "large_size_rule", "large_budget_rule", "expert_share_rule", "extension_share_rule", "odd"}
)
REQUIRED_PERIODS = frozenset({"bid_period", "contract_signing"})


class ProcedureConfigError(ValueError):
    """The procedures file is malformed (a programming or packaging error, caught by the tests)."""


@dataclass(frozen=True)
class Procedure:
    key: str
    title_zh: str
    family: str  # tender (招标投标法) | gp (政府采购法)
    category: str  # the notices/disclosure category: works | gp
    trading_items: tuple[str, ...]
    subjects: tuple[str, ...]
    notice_type: str  # the first notice: tender_notice | pq_notice | invitation | gp_notice | single_source_publicity
    invitation: bool  # only named (invited or pre-qualified) entities may take part
    prequalification: bool
    candidates_publicity: bool  # 中标候选人公示 (tender family)
    objection_kind: str  # objection (异议) | challenge (质疑)
    stages: tuple[str, ...]
    periods: Mapping[str, str]
    opening_rule: str
    min_bidders_rule: str
    candidates_max_rule: str
    committee: Mapping[str, Any]
    methods: tuple[str, ...]
    price_weight_rules: Mapping[str, Mapping[str, str]]
    deposit_regimes: Mapping[str, str]
    notices: Mapping[str, str]
    version: int
    invitation_notice_type: str = ""
    purchaser_mode: str = ""
    pq_min_qualified_rule: str = ""
    performance_security_rule: str = ""
    below_threshold_rule: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_gp(self) -> bool:
        return self.family == "gp"

    def period(self, name: str) -> str | None:
        """The rule id of a period of this procedure, or ``None`` when it does not have that period."""
        return self.periods.get(name)

    def notice(self, name: str) -> str | None:
        return self.notices.get(name)

    def has_stage(self, stage: str) -> bool:
        return stage in self.stages

    def rule_ids(self) -> set[str]:
        """Every rule id the procedure names (to snapshot, and to refuse creating it when one is not listed)."""
        ids = set(self.periods.values())
        ids |= {self.opening_rule, self.min_bidders_rule, self.candidates_max_rule}
        ids |= {v for k, v in self.committee.items() if k.endswith("_rule") and v}
        for bounds in self.price_weight_rules.values():
            ids |= set(bounds.values())
        for extra in (self.pq_min_qualified_rule, self.performance_security_rule, self.below_threshold_rule):
            if extra:
                ids.add(extra)
        return {i for i in ids if i}

    def as_json(self) -> dict[str, Any]:
        """The entry as snapshotted onto a project (plus the file version)."""
        return {**dict(self.raw), "key": self.key, "version": self.version}


def _text(entry: Mapping[str, Any], name: str, key: str, *, required: bool = True) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str) or (required and not value):
        raise ProcedureConfigError(f"procedure {key}: {name} must be a non-empty string")
    return value


def _strings(entry: Mapping[str, Any], name: str, key: str) -> tuple[str, ...]:
    value = entry.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ProcedureConfigError(f"procedure {key}: {name} must be a list of strings")
    return tuple(value)


def _mapping(entry: Mapping[str, Any], name: str, key: str, allowed: frozenset[str] | None = None) -> dict[str, Any]:
    value = entry.get(name, {})
    if not isinstance(value, dict):
        raise ProcedureConfigError(f"procedure {key}: {name} must be an object")
    if allowed is not None and set(value) - allowed:
        raise ProcedureConfigError(f"procedure {key}: unknown {name} keys {sorted(set(value) - allowed)}")
    return dict(value)


def parse_procedure(key: str, entry: Mapping[str, Any], version: int) -> Procedure:
    family = _text(entry, "family", key)
    if family not in FAMILIES:
        raise ProcedureConfigError(f"procedure {key}: family must be one of {FAMILIES}")
    subjects = _strings(entry, "subjects", key)
    if not subjects or set(subjects) - set(SUBJECTS):
        raise ProcedureConfigError(f"procedure {key}: subjects must be among {SUBJECTS}")
    methods = _strings(entry, "methods", key)
    if not methods or set(methods) - set(METHODS):
        raise ProcedureConfigError(f"procedure {key}: methods must be among {sorted(METHODS)}")
    periods = _mapping(entry, "periods", key, PERIOD_KEYS)
    missing = REQUIRED_PERIODS - set(periods)
    if missing:
        raise ProcedureConfigError(f"procedure {key}: periods {sorted(missing)} are required")
    objection_kind = _text(entry, "objection_kind", key)
    if objection_kind not in OBJECTION_KINDS:
        raise ProcedureConfigError(f"procedure {key}: objection_kind must be one of {OBJECTION_KINDS}")
    price_weights = _mapping(entry, "price_weight_rules", key)
    for subject, bounds in price_weights.items():
        if subject not in SUBJECTS or not isinstance(bounds, dict) or set(bounds) - {"min", "max"}:
            raise ProcedureConfigError(f"procedure {key}: price_weight_rules.{subject} is malformed")
    regimes = _mapping(entry, "deposit_regimes", key)
    if set(subjects) - set(regimes):
        raise ProcedureConfigError(f"procedure {key}: every subject needs a deposit regime")
    prequalification = bool(entry.get("prequalification", False))
    proc = Procedure(
        key=key,
        title_zh=_text(entry, "title_zh", key),
        family=family,
        category=_text(entry, "category", key),
        trading_items=_strings(entry, "trading_items", key),
        subjects=subjects,
        notice_type=_text(entry, "notice_type", key),
        invitation=bool(entry.get("invitation", False)),
        prequalification=prequalification,
        candidates_publicity=bool(entry.get("candidates_publicity", False)),
        objection_kind=objection_kind,
        stages=_strings(entry, "stages", key),
        periods=periods,
        opening_rule=_text(entry, "opening_rule", key),
        min_bidders_rule=_text(entry, "min_bidders_rule", key),
        candidates_max_rule=_text(entry, "candidates_max_rule", key),
        committee=_mapping(entry, "committee", key, COMMITTEE_KEYS),
        methods=methods,
        price_weight_rules=price_weights,
        deposit_regimes=regimes,
        notices=_mapping(entry, "notices", key, NOTICE_KEYS),
        version=version,
        invitation_notice_type=_text(entry, "invitation_notice_type", key, required=prequalification),
        purchaser_mode=_text(entry, "purchaser_mode", key, required=False),
        pq_min_qualified_rule=_text(entry, "pq_min_qualified_rule", key, required=prequalification),
        performance_security_rule=_text(entry, "performance_security_rule", key, required=False),
        below_threshold_rule=_text(entry, "below_threshold_rule", key, required=False),
        raw=dict(entry),
    )
    if "min_size_rule" not in proc.committee:
        raise ProcedureConfigError(f"procedure {key}: committee.min_size_rule is required")
    return proc


def parse_procedures(document: Mapping[str, Any]) -> dict[str, Procedure]:
    version = document.get("version")
    if not isinstance(version, int) or version < 1:
        raise ProcedureConfigError("the procedures file needs a positive integer version")
    entries = document.get("procedures")
    if not isinstance(entries, dict) or not entries:
        raise ProcedureConfigError("the procedures file lists no procedures")
    return {key: parse_procedure(key, entry, version) for key, entry in entries.items()}


def from_snapshot(snapshot: Mapping[str, Any]) -> Procedure:
    """The procedure as it was snapshotted onto a project."""
    entry = {k: v for k, v in snapshot.items() if k not in ("key", "version")}
    return parse_procedure(str(snapshot["key"]), entry, int(snapshot["version"]))


_DATA = Path(__file__).resolve().parent.parent / "data" / "procedures.json"
_cache: dict[str, Procedure] | None = None


def procedures() -> dict[str, Procedure]:
    """The procedures shipped with the app (read once per process)."""
    global _cache
    if _cache is None:
        _cache = parse_procedures(json.loads(_DATA.read_text(encoding="utf-8")))
    return _cache


def get_procedure(key: str) -> Procedure | None:
    return procedures().get(key)
