"""How the tender context hands a section to the evaluation and reads the result back.

The evaluation (committee formation through the experts service, compliance and qualification review, scoring,
the signed report, the ranked candidates) is the app ``yiwang.trading.tender.evaluation`` (label
``evaluation``), built alongside; it never imports the tender context. The agreed interface, written down here
and in that app's module docstrings:

**Hand-over** — the tender context calls, inside its own action, when the opening has closed::

    evaluation.actions.do_start_evaluation(
        actor=Actor,                      # the platform ("system:tender") or the person closing the opening
        section_ref="tender.section:12",  # "tender.section:12-r2" for a re-tender's second round
        title="…项目 第1标段",
        region_code="310112",
        config={...},                     # EvaluationRequest.config below
        bids=[{...}, ...],                # the valid decrypted bids, EvaluationRequest.bids below
    ) -> object with ``pk`` (or ``id``)

``config``: procedure key and title, category (works|gp), subject (works|goods|services), method
(comprehensive | lowest_evaluated_price | comprehensive_gp | lowest_price | negotiated) and its settings
(``price_weight`` in per cent, ``weights``, ``price_formula`` — GP: ``base / bid × weight``), budget and ceiling
(分), ``candidates_max``, the committee rules snapshot (``committee``: min size, large size and budget threshold,
expert share, odd), the rules snapshot entries of every rule named, the tenderer and agency entity ids (for
recusal), the venue booking reference of the evaluation room (``venues.booking:<id>``) when one was booked,
``is_test_data`` and ``acceleration``.

Each bid: ``entity_id``, ``name``, ``uscc``, ``price_fen``, ``submission_id`` and ``receipt_id`` (bid box),
``document_id`` (the decrypted bid in the document store, owner ``services.bidbox/box:<id>:opened`` — read it
with ``bidbox.queries.open_decrypted_bid``), ``plaintext_sm3``, ``summary`` (the read-out fields), and
``qualifications`` (valid qualifications from the registry: type, level, number, valid to).

**Result** — the tender context polls (clock, every ``EVALUATION_POLL_SECONDS``)::

    evaluation.queries.get_outcome(section_ref) -> None | object/dict with
        status: "in_progress" | "completed" | "failed"
        candidates: [{rank, entity_id, price_fen, score, note}]      # ≤ candidates_max, rank 1..n
        report: {document_id, sha256, sm3, signed_at, signatures}    # the report signed by every member
        rejected: [{entity_id, reason}]                              # 否决投标 with the ground
        failure_reason: str                                          # when failed (all rejected, too few valid …)

and, once the award letter is out, tells it (so the experts' names may be shown)::

    evaluation.actions.do_mark_awarded(actor=Actor, section_ref=str, at=datetime)   # optional; called if present

When the evaluation app is not installed (or ``YIWANG_TENDER["EVALUATION_GATEWAY"] = "recorded"``), the result
is recorded on the tender side (``do_record_evaluation_result``: candidates and the uploaded, signed report —
e.g. an evaluation held on another system), and the rest of the procedure runs the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps

from yiwang.kernel.actors import Actor
from yiwang.trading.tender.conf import tender_settings

EVALUATION_APP = "yiwang.trading.tender.evaluation"


@dataclass(frozen=True)
class CandidateResult:
    rank: int
    entity_id: int
    price_fen: int
    score: str = ""
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    status: str  # in_progress | completed | failed
    candidates: tuple[CandidateResult, ...] = ()
    report: Mapping[str, Any] = field(default_factory=dict)
    rejected: tuple[Mapping[str, Any], ...] = ()
    failure_reason: str = ""


class Gateway:
    name = "abstract"

    def start(
        self,
        *,
        actor: Actor,
        section_ref: str,
        title: str,
        region_code: str,
        config: Mapping[str, Any],
        bids: Sequence[Mapping[str, Any]],
    ) -> str:
        raise NotImplementedError

    def outcome(self, section_ref: str) -> Outcome | None:
        raise NotImplementedError

    def mark_awarded(self, *, actor: Actor, section_ref: str, at: datetime) -> None:
        return None

    def cancel(self, *, actor: Actor, section_ref: str, reason: str) -> None:
        return None


class RecordedGateway(Gateway):
    """No evaluation app: the result is recorded on the tender side; polling finds nothing new."""

    name = "recorded"

    def start(self, **kwargs: Any) -> str:
        return ""

    def outcome(self, section_ref: str) -> Outcome | None:
        return None


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def read_outcome(raw: Any) -> Outcome | None:
    """Adapt whatever the evaluation app returns (a dataclass or a dict) to :class:`Outcome`."""
    if raw is None:
        return None
    status = str(_get(raw, "status", "in_progress"))
    status = {"completed": "completed", "done": "completed", "signed": "completed", "failed": "failed"}.get(
        status, "in_progress"
    )
    candidates = tuple(
        CandidateResult(
            rank=int(_get(c, "rank")),
            entity_id=int(_get(c, "entity_id")),
            price_fen=int(_get(c, "price_fen") or 0),
            score=str(_get(c, "score", "") or "")[:50],
            note=str(_get(c, "note", "") or "")[:300],
        )
        for c in (_get(raw, "candidates", ()) or ())
    )
    report = _get(raw, "report", {}) or {}
    if not isinstance(report, Mapping):
        report = {k: _get(report, k) for k in ("document_id", "sha256", "sm3", "signed_at")}
    report = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in report.items()}
    rejected = tuple(
        {"entity_id": _get(r, "entity_id"), "reason": str(_get(r, "reason", ""))}
        for r in (_get(raw, "rejected", ()) or ())
    )
    return Outcome(status, candidates, dict(report), rejected, str(_get(raw, "failure_reason", "") or ""))


# the tender context's method names → the evaluation app's (domain/inputs.py ``Method``), per procedure
METHODS = {
    "comprehensive": "comprehensive",
    "lowest_evaluated_price": "lowest_evaluated",
    "comprehensive_gp": "gp_comprehensive",
    "lowest_price": "gp_lowest_price",
    "negotiated": "negotiation",
}
PROCEDURE_METHODS = {
    ("gp.consultation", "comprehensive_gp"): "consultation",
    ("gp.negotiation", "lowest_price"): "negotiation",
    ("gp.rfq", "lowest_price"): "rfq",
    ("gp.small", "lowest_price"): "rfq",
}
# the keys of a section's evaluation_config that are the evaluation app's EvaluationConfig fields
CONFIG_KEYS = (
    "items",
    "price_formula",
    "grounds",
    "requirements",
    "aggregation",
    "trim_min_members",
    "tie_break",
    "abnormally_low",
    "outliers",
    "decimals",
)


def default_items(price_weight: int | float) -> list[dict[str, Any]]:
    """Score items from a price weight alone: technical the rest less 10, commercial 10, price the weight."""
    price = int(price_weight)
    return [
        {"code": "technical", "name": "技术部分", "category": "technical", "max_points": max(100 - price - 10, 1)},
        {"code": "commercial", "name": "商务部分", "category": "commercial", "max_points": 10},
        {"code": "price", "name": "价格", "category": "price", "max_points": price},
    ]


def app_request(
    config: Mapping[str, Any], bids: Sequence[Mapping[str, Any]], *, title: str, region_code: str, now: datetime
) -> dict[str, Any]:
    """Translate the tender hand-over into the evaluation app's ``do_start_evaluation`` arguments."""
    from datetime import timedelta

    settings_ = dict(config.get("method_settings") or {})
    method = PROCEDURE_METHODS.get((config["procedure"], config["method"])) or METHODS[config["method"]]
    kind = config["subject"] if config["family"] == "tender" else f"gp_{config['subject']}"
    app_config: dict[str, Any] = {k: settings_[k] for k in CONFIG_KEYS if k in settings_}
    app_config["method"] = method
    if method in ("comprehensive", "gp_comprehensive", "consultation") and "items" not in app_config:
        app_config["items"] = default_items(settings_.get("price_weight", 30))
    if config.get("ceiling_fen"):
        app_config["ceiling_fen"] = config["ceiling_fen"]
    app_config["candidates"] = config["candidates_max"]
    acceleration = max(int(config.get("acceleration") or 1), 1)
    start = now + timedelta(minutes=int(settings_.get("meeting_delay_minutes", 60))) / acceleration
    start = max(start, now + tender_settings().evaluation_min_lead)
    end = start + timedelta(hours=int(settings_.get("meeting_hours", 8)))
    committee = config["committee"]
    lines = settings_.get("committee_lines") or [
        {"specialty": tender_settings().default_specialty, "count": committee["min_size"], "reserve": 1}
    ]
    request: dict[str, Any] = {
        "project_ref": config.get("tender_project_code") or config["section_code"][:20],
        "region_code": region_code,
        "meeting_start": start.isoformat(),
        "meeting_end": end.isoformat(),
        "lines": lines,
        "tenderer_entity_id": config.get("tenderer_entity_id"),
        "agency_entity_id": config.get("agency_entity_id"),
        "representatives": settings_.get("representatives", []),
        "budget_fen": config.get("budget_fen"),
        "title": title[:200],
    }
    if config.get("evaluation_room_id"):
        request["room_id"] = config["evaluation_room_id"]
    app_bids = [
        {
            "entity_id": b["entity_id"],
            "name": b["name"],
            "price_fen": b["price_fen"],
            "uscc": b.get("uscc", ""),
            "qualification": {"qualifications": list(b.get("qualifications", [])), **dict(b.get("summary", {}))},
            "documents": [
                {
                    "owner_context": b["box_owner"][0],
                    "owner_ref": b["box_owner"][1],
                    "submission_id": b["submission_id"],
                    "file_name": b.get("file_name", ""),
                    "title": "投标文件",
                }
            ],
        }
        for b in bids
    ]
    return {
        "kind": kind,
        "config": app_config,
        "rules_snapshot": dict(config.get("rules_snapshot") or {}),
        "bids": app_bids,
        "committee_request": request,
    }


class EvaluationAppGateway(Gateway):
    """The evaluation app (``yiwang.trading.tender.evaluation``) through its actions and queries."""

    name = "app"

    def start(
        self,
        *,
        actor: Actor,
        section_ref: str,
        title: str,
        region_code: str,
        config: Mapping[str, Any],
        bids: Sequence[Mapping[str, Any]],
    ) -> str:
        from importlib import import_module

        from yiwang.platform.clock import now

        evaluation = import_module(f"{EVALUATION_APP}.actions")
        started = evaluation.do_start_evaluation(
            actor=actor,
            section_ref=section_ref,
            **app_request(config, bids, title=title, region_code=region_code, now=now()),
        )
        return str(_get(started, "pk", None) or _get(started, "id", "") or "")

    def outcome(self, section_ref: str) -> Outcome | None:
        from importlib import import_module

        queries = import_module(f"{EVALUATION_APP}.queries")
        return read_outcome(queries.get_outcome(section_ref))

    def mark_awarded(self, *, actor: Actor, section_ref: str, at: datetime) -> None:
        from importlib import import_module

        evaluation = import_module(f"{EVALUATION_APP}.actions")
        hook = getattr(evaluation, "do_mark_awarded", None)
        if hook is not None:
            hook(actor=actor, section_ref=section_ref, at=at)

    def cancel(self, *, actor: Actor, section_ref: str, reason: str) -> None:
        from importlib import import_module

        evaluation = import_module(f"{EVALUATION_APP}.actions")
        hook = getattr(evaluation, "do_cancel_evaluation", None)
        if hook is not None:
            hook(actor=actor, section_ref=section_ref, reason=reason[:500])


def app_available() -> bool:
    if not apps.is_installed(EVALUATION_APP):
        return False
    from importlib import util

    return (
        util.find_spec(f"{EVALUATION_APP}.actions") is not None
        and util.find_spec(f"{EVALUATION_APP}.queries") is not None
    )


def gateway() -> Gateway:
    choice = tender_settings().evaluation_gateway
    if choice == "recorded":
        return RecordedGateway()
    if choice == "app":
        return EvaluationAppGateway()
    if choice == "auto":
        return EvaluationAppGateway() if app_available() else RecordedGateway()
    from django.utils.module_loading import import_string

    return import_string(choice)()


def gateway_named(name: str) -> Gateway:
    return EvaluationAppGateway() if name == "app" else RecordedGateway()
