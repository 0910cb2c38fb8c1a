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
    rejected = tuple(
        {"entity_id": _get(r, "entity_id"), "reason": str(_get(r, "reason", ""))}
        for r in (_get(raw, "rejected", ()) or ())
    )
    return Outcome(status, candidates, dict(report), rejected, str(_get(raw, "failure_reason", "") or ""))


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

        evaluation = import_module(f"{EVALUATION_APP}.actions")
        started = evaluation.do_start_evaluation(
            actor=actor,
            section_ref=section_ref,
            title=title,
            region_code=region_code,
            config=dict(config),
            bids=[dict(b) for b in bids],
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
