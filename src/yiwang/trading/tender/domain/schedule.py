"""What falls due for a section, and when: ``next_check`` as a pure function of the section.

:func:`events` lists ``(when, event)`` for the section as it stands; ``next_check`` is the earliest of them and is
stored in an indexed column. The clock job selects sections whose ``next_check <= now`` and, under the section's
row lock, fires :func:`due` — the events whose time has come — then stores the new ``next_check``. Each event's
handler is guarded by the state it expects, so firing twice (two clocks, a retry, a restart) changes nothing
the second time, and a restarted clock fires exactly once whatever fell due while it was down.

Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from yiwang.trading.tender.domain.states import S


class Due(StrEnum):
    CLOSE_PQ = "close_pq"  # 资格预审申请截止 → review
    EXTEND_FROZEN_DEADLINE = "extend_frozen_deadline"  # suspended: keep the bid box from closing
    START_OPENING = "start_opening"  # 投标截止 = 开标
    CLOSE_OPENING = "close_opening"  # decryption window over
    POLL_EVALUATION = "poll_evaluation"  # ask the evaluation for its result
    END_PUBLICITY = "end_publicity"  # 公示期满 → awardable
    FLAG_OBJECTION_LATE = "flag_objection_late"
    FLAG_CANDIDATES_LATE = "flag_candidates_late"
    FLAG_AWARD_LATE = "flag_award_late"
    FLAG_CONTRACT_LATE = "flag_contract_late"
    FLAG_CONTRACT_PUBLICATION_LATE = "flag_contract_publication_late"


# flag kinds (监管提示), one per late event
FLAG_OF = {
    Due.FLAG_OBJECTION_LATE: "objection_answer_late",
    Due.FLAG_CANDIDATES_LATE: "candidates_late",
    Due.FLAG_AWARD_LATE: "award_late",
    Due.FLAG_CONTRACT_LATE: "contract_late",
    Due.FLAG_CONTRACT_PUBLICATION_LATE: "contract_publication_late",
}


@dataclass(frozen=True)
class SectionClock:
    status: str
    suspended: bool = False
    pq_deadline: datetime | None = None
    bid_deadline: datetime | None = None
    box_deadline: datetime | None = None  # the bid box's deadline (pushed on while suspended)
    decryption_ends_at: datetime | None = None
    evaluation_poll_at: datetime | None = None
    publicity_end: datetime | None = None
    candidates_due: datetime | None = None  # tender: publish the candidates before this
    award_due: datetime | None = None  # gp: determine the winner and publish before this
    contract_due: datetime | None = None
    contract_publication_due: datetime | None = None
    contract_published: bool = False
    objection_due: datetime | None = None  # the earliest answer deadline of an unanswered objection
    flagged: frozenset[str] = field(default_factory=frozenset)
    suspension_guard: timedelta = timedelta(hours=1)


def events(c: SectionClock) -> list[tuple[datetime, Due]]:
    state = S(c.status)
    out: list[tuple[datetime, Due]] = []

    def flag(when: datetime | None, event: Due) -> None:
        if when is not None and FLAG_OF[event] not in c.flagged:
            out.append((when, event))

    if state is S.PREQUALIFICATION and c.pq_deadline is not None and not c.suspended:
        out.append((c.pq_deadline, Due.CLOSE_PQ))
    if state is S.BIDDING:
        if c.suspended:
            if c.box_deadline is not None and "suspension_deadline_missed" not in c.flagged:
                out.append((c.box_deadline - c.suspension_guard, Due.EXTEND_FROZEN_DEADLINE))
        elif c.bid_deadline is not None:
            out.append((c.bid_deadline, Due.START_OPENING))
    if state is S.OPENING and c.decryption_ends_at is not None:
        out.append((c.decryption_ends_at, Due.CLOSE_OPENING))
    if state is S.EVALUATING and c.evaluation_poll_at is not None:
        out.append((c.evaluation_poll_at, Due.POLL_EVALUATION))
    if state is S.PUBLICITY and c.publicity_end is not None and not c.suspended:
        out.append((c.publicity_end, Due.END_PUBLICITY))
    if state is S.EVALUATED:
        flag(c.candidates_due, Due.FLAG_CANDIDATES_LATE)
    if state in (S.EVALUATED, S.AWARDABLE):
        flag(c.award_due, Due.FLAG_AWARD_LATE)
    if state is S.AWARDED:
        flag(c.contract_due, Due.FLAG_CONTRACT_LATE)
    if state in (S.CONTRACTED, S.COMPLETED) and not c.contract_published:
        flag(c.contract_publication_due, Due.FLAG_CONTRACT_PUBLICATION_LATE)
    if state not in (S.COMPLETED, S.CANCELLED):
        flag(c.objection_due, Due.FLAG_OBJECTION_LATE)
    return sorted(out, key=lambda e: (e[0], e[1].value))


def next_check(c: SectionClock) -> datetime | None:
    found = events(c)
    return found[0][0] if found else None


def due(c: SectionClock, now: datetime) -> list[Due]:
    return [event for when, event in events(c) if when <= now]
