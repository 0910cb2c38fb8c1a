"""Ports to external credit platforms (信用中国, 中国执行信息公开网 失信被执行人, 中国政府采购网 …) for the
check points where the rules require a credit query (财库〔2016〕125号: between the bid deadline and the end of
the evaluation).

``CreditPlatform.lookup(code=USCC, name=…) -> ExternalAnswer`` is the whole interface. The platforms in use
are chosen by ``settings.YIWANG_CREDIT["EXTERNAL_PLATFORMS"]`` — a list of ``{"class": dotted path, "options":
{…}}``; the default is the two simulated platforms below, which answer from a local data file
(``data/external_sim.json`` or ``YIWANG_CREDIT["EXTERNAL_DATA_FILE"]``). A real adapter implements the same
method over the platform's interface (docs/credit.md §External credit platforms); it must raise
:class:`ServiceUnavailable` when the platform cannot answer — a check then records "unavailable", never "clean".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from django.utils.module_loading import import_string

from yiwang.kernel.errors import ServiceUnavailable
from yiwang.supervision.credit.policy import DATA, conf


@dataclass(frozen=True)
class ExternalHit:
    list_code: str  # serious_dishonesty | judgment_defaulter | gp_serious_violation …
    list_name: str
    case_number: str
    authority: str
    reason: str
    starts_on: date | None
    ends_on: date | None
    confined_actions: tuple[str, ...] = ()

    def in_force(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (self.ends_on is None or day <= self.ends_on)

    def as_json(self) -> dict[str, Any]:
        return {
            "list_code": self.list_code,
            "list_name": self.list_name,
            "case_number": self.case_number,
            "authority": self.authority,
            "reason": self.reason,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "confined_actions": list(self.confined_actions),
        }


@dataclass(frozen=True)
class ExternalAnswer:
    platform: str
    platform_name: str
    reference: str  # the platform's query reference (查询编号), kept as evidence
    subject_code: str
    hits: tuple[ExternalHit, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)


class CreditPlatform(Protocol):
    code: str
    name: str

    def lookup(self, *, code: str, name: str = "") -> ExternalAnswer:
        """What the platform lists about the organisation with USCC ``code``. Raises ServiceUnavailable."""
        ...


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


class SimulatedCreditPlatform:
    """Answers from a local JSON file (section ``platforms.<code>``): for tests, the demo and training.

    The file maps USCCs to lists of hits; ``"unavailable": true`` in the section makes the platform fail."""

    def __init__(self, code: str, path: str | None = None):
        self.code = code
        self.path = Path(path or conf().get("EXTERNAL_DATA_FILE") or DATA / "external_sim.json")
        try:
            self.name = str(self._section().get("name", code))
        except ServiceUnavailable:
            self.name = code

    def _section(self) -> dict[str, Any]:
        try:
            content = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ServiceUnavailable(
                "credit.external_unavailable",
                f"外部信用平台（{self.code}）暂时无法查询",
                f"the external credit platform {self.code} cannot be reached",
                {"platform": self.code},
            ) from exc
        return dict(content.get("platforms", {}).get(self.code, {}))

    def lookup(self, *, code: str, name: str = "") -> ExternalAnswer:
        section = self._section()
        if section.get("unavailable"):
            raise ServiceUnavailable(
                "credit.external_unavailable",
                f"外部信用平台（{self.name}）暂时无法查询",
                f"the external credit platform {self.code} cannot be reached",
                {"platform": self.code},
            )
        lists = section.get("lists", {})
        raw_hits = list(section.get("hits", {}).get(code, []))
        try:
            hits = tuple(
                ExternalHit(
                    list_code=str(h["list"]),
                    list_name=str(lists.get(h["list"], h["list"])),
                    case_number=str(h.get("case_number", "")),
                    authority=str(h.get("authority", "")),
                    reason=str(h.get("reason", "")),
                    starts_on=_date(h.get("starts_on")),
                    ends_on=_date(h.get("ends_on")),
                    confined_actions=tuple(h.get("confined_actions", ("bidding",))),
                )
                for h in raw_hits
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ServiceUnavailable(
                "credit.external_unavailable",
                f"外部信用平台（{self.name}）的答复无法识别",
                f"the answer of {self.code} cannot be read",
                {"platform": self.code},
            ) from exc
        return ExternalAnswer(
            platform=self.code,
            platform_name=self.name,
            reference=f"SIM-{self.code}-{code}",
            subject_code=code,
            hits=hits,
            raw={"code": code, "name": name, "hits": raw_hits, "simulated": True},
        )


DEFAULT_PLATFORMS = (
    {"class": "yiwang.supervision.credit.external.SimulatedCreditPlatform", "options": {"code": "creditchina"}},
    {"class": "yiwang.supervision.credit.external.SimulatedCreditPlatform", "options": {"code": "zxgk"}},
)


def platforms() -> list[CreditPlatform]:
    configured = conf().get("EXTERNAL_PLATFORMS", DEFAULT_PLATFORMS)
    return [import_string(p["class"])(**dict(p.get("options", {}))) for p in configured]
