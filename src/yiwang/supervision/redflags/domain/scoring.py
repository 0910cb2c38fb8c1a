"""From findings to ranked alert subjects: group the primary findings of a run by what they are about, combine
their weights into one score, and let regulators' verdicts on past alerts temper each indicator's weight.

score(subject) = 1 − Π over indicators k of (1 − wₖ · fₖ · sₖ), where wₖ is the indicator's weight, sₖ the
strongest severity among its findings on the subject, and fₖ the feedback factor: the posterior mean precision
of the indicator under a Beta(2, 2) prior, (tp + 2) / (tp + fp + 4), divided by the prior mean ½, clamped to
[0.25, 1.5]. With no verdicts fₖ = 1; an indicator regulators keep dismissing fades, one they keep confirming
counts more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from yiwang.supervision.redflags.domain.registry import Finding, Unit


def feedback_factor(true_positives: int, false_positives: int) -> float:
    posterior = (true_positives + 2.0) / (true_positives + false_positives + 4.0)
    return max(0.25, min(1.5, posterior / 0.5))


def combine(contributions: Iterable[float]) -> float:
    remaining = 1.0
    for c in contributions:
        remaining *= 1.0 - max(0.0, min(1.0, c))
    return 1.0 - remaining


@dataclass
class Subject:
    unit: Unit
    unit_id: str
    findings: list[Finding] = field(default_factory=list)
    score: float = 0.0
    contributions: dict[str, float] = field(default_factory=dict)  # code → wₖ·fₖ·sₖ

    @property
    def key(self) -> str:
        return f"{self.unit.value}:{self.unit_id}"

    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})

    @property
    def ocid(self) -> str | None:
        for f in self.findings:
            if f.ocid:
                return f.ocid
        return self.unit_id if self.unit == Unit.PROCESS else None

    def related(self) -> list[tuple[str, str]]:
        seen: dict[tuple[str, str], None] = {}
        for f in self.findings:
            for r in f.related:
                seen.setdefault((str(r[0]), str(r[1])), None)
        return list(seen)


def subjects(
    findings: Iterable[Finding],
    weights: Mapping[str, float],
    factors: Mapping[str, float] | None = None,
) -> list[Subject]:
    """The primary findings grouped by subject, scored, strongest first (ties by key)."""
    grouped: dict[tuple[Unit, str], Subject] = {}
    for f in findings:
        if not f.primary:
            continue
        grouped.setdefault((f.unit, f.unit_id), Subject(f.unit, f.unit_id)).findings.append(f)
    for s in grouped.values():
        strongest: dict[str, float] = {}
        for f in s.findings:
            strongest[f.code] = max(strongest.get(f.code, 0.0), f.severity)
        s.contributions = {
            code: weights.get(code, 0.3) * (factors or {}).get(code, 1.0) * sev
            for code, sev in sorted(strongest.items())
        }
        s.score = combine(s.contributions.values())
    return sorted(grouped.values(), key=lambda s: (-s.score, s.key))
