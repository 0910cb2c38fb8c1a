"""Operating settings of the tender context (not legal numbers: those come from the rules catalogue).

``settings.YIWANG_TENDER`` (all optional)::

    YIWANG_TENDER = {
        "CREDIT_GATE": "yiwang.trading.tender.ports.NoCreditGate",   # supervision's adapter later
        "EVALUATION_GATEWAY": "auto",        # auto | app | recorded | a dotted class path
        "EVALUATION_POLL_SECONDS": 30,       # how often the clock asks the evaluation for its result
        "EVALUATION_MIN_LEAD_SECONDS": 2,    # an accelerated project's committee meets at least this long after
                                             # the hand-over (the experts confirm until the meeting starts)
        "SUSPENSION_GUARD_MINUTES": 720,     # a suspended section's bid box is pushed on this long before it closes
        "SUSPENSION_STEP_HOURS": 24,         # … by this much each time
        "DECRYPTION_WINDOW_MINUTES": None,   # None: the bid box's own default
        "MAX_ACCELERATION": 10_000_000,      # the largest acceleration a test-data project may carry
        "DUE_BATCH": 100,                    # sections handled per clock tick
        "DEFAULT_SPECIALTY": "A080101",      # the experts' specialty drawn when a section names none
    }
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings


@dataclass(frozen=True)
class TenderSettings:
    credit_gate: str
    evaluation_gateway: str
    evaluation_poll: timedelta
    evaluation_min_lead: timedelta
    suspension_guard: timedelta
    suspension_step: timedelta
    decryption_window: timedelta | None
    max_acceleration: int
    due_batch: int
    default_specialty: str


def tender_settings() -> TenderSettings:
    conf = dict(getattr(settings, "YIWANG_TENDER", {}) or {})
    window = conf.get("DECRYPTION_WINDOW_MINUTES")
    return TenderSettings(
        credit_gate=str(conf.get("CREDIT_GATE", "yiwang.trading.tender.ports.NoCreditGate")),
        evaluation_gateway=str(conf.get("EVALUATION_GATEWAY", "auto")),
        evaluation_poll=timedelta(seconds=int(conf.get("EVALUATION_POLL_SECONDS", 30))),
        evaluation_min_lead=timedelta(seconds=float(conf.get("EVALUATION_MIN_LEAD_SECONDS", 2))),
        suspension_guard=timedelta(minutes=int(conf.get("SUSPENSION_GUARD_MINUTES", 720))),
        suspension_step=timedelta(hours=int(conf.get("SUSPENSION_STEP_HOURS", 24))),
        decryption_window=timedelta(minutes=int(window)) if window else None,
        max_acceleration=int(conf.get("MAX_ACCELERATION", 10_000_000)),
        due_batch=int(conf.get("DUE_BATCH", 100)),
        default_specialty=str(conf.get("DEFAULT_SPECIALTY", "A080101")),
    )
