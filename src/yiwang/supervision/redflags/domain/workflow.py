"""The life of an alert: new → assigned → investigating → confirmed | dismissed → closed.

Assigning is allowed again while nobody investigates (to hand an alert to a colleague); a confirmation, a
dismissal and a closure each need a reason. Pure rules: the actions check them under the row lock."""

from __future__ import annotations

from enum import StrEnum

from yiwang.supervision.redflags.domain import errors


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    CLOSED = "closed"


STATUS_LABELS_ZH = {
    Status.NEW: "待分派",
    Status.ASSIGNED: "已分派",
    Status.INVESTIGATING: "核查中",
    Status.CONFIRMED: "已确认",
    Status.DISMISSED: "已排除",
    Status.CLOSED: "已办结",
}
OPEN = (Status.NEW, Status.ASSIGNED, Status.INVESTIGATING)


class Verb(StrEnum):
    ASSIGN = "assign"
    INVESTIGATE = "investigate"
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    CLOSE = "close"


VERB_LABELS_ZH = {
    Verb.ASSIGN: "分派",
    Verb.INVESTIGATE: "开始核查",
    Verb.CONFIRM: "确认问题",
    Verb.DISMISS: "排除（误报）",
    Verb.CLOSE: "办结",
}

TRANSITIONS: dict[Verb, tuple[tuple[Status, ...], Status]] = {
    Verb.ASSIGN: ((Status.NEW, Status.ASSIGNED), Status.ASSIGNED),
    Verb.INVESTIGATE: ((Status.ASSIGNED,), Status.INVESTIGATING),
    Verb.CONFIRM: ((Status.INVESTIGATING,), Status.CONFIRMED),
    Verb.DISMISS: ((Status.INVESTIGATING,), Status.DISMISSED),
    Verb.CLOSE: ((Status.CONFIRMED, Status.DISMISSED), Status.CLOSED),
}
NEEDS_REASON = (Verb.CONFIRM, Verb.DISMISS, Verb.CLOSE)


def next_status(current: str, verb: Verb) -> Status:
    sources, target = TRANSITIONS[verb]
    if Status(current) not in sources:
        raise errors.transition_refused(STATUS_LABELS_ZH[Status(current)], VERB_LABELS_ZH[verb])
    return target


def allowed(current: str) -> list[Verb]:
    return [verb for verb, (sources, _) in TRANSITIONS.items() if Status(current) in sources]


def check_reason(verb: Verb, reason: str) -> str:
    text = (reason or "").strip()
    if verb in NEEDS_REASON and not text:
        raise errors.reason_required()
    if len(text) > 2000:
        raise errors.reason_too_long()
    return text
