"""Refusal codes of the engine, with their Chinese and English messages.

The engine answers a refused command with one of these codes (a plain string, so the hot path raises
nothing); the Django shell turns it into a :class:`yiwang.kernel.errors.YiwangError` with :func:`error_for`.
"""

from __future__ import annotations

from typing import Any

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, YiwangError

NOT_STARTED = "auction.not_started"
CLOSED = "auction.closed"
SUSPENDED = "auction.suspended"
WRONG_PHASE = "auction.wrong_phase"
NOT_REGISTERED = "auction.not_registered"
ALREADY_REGISTERED = "auction.already_registered"
BELOW_START = "auction.below_start_price"
BELOW_INCREMENT = "auction.below_increment"
NOT_MULTIPLE = "auction.not_multiple_of_increment"
ABOVE_CAP = "auction.above_cap"
STALE_PRICE = "auction.stale_price"
DUPLICATE = "auction.duplicate_bid"
ALREADY_LEADING = "auction.already_leading"
NOT_ELIGIBLE = "auction.not_eligible"
NOT_YOUR_TURN = "auction.not_your_turn"
TURN_OVER = "auction.turn_over"
NOTHING_TO_CANCEL = "auction.nothing_to_cancel"
TIME_REGRESSED = "auction.time_regressed"
NO_PREEMPTION = "auction.no_preemption_right"
ALREADY_SEALED = "auction.already_sealed"
NOT_SEALED = "auction.not_sealed"
ALREADY_REVEALED = "auction.already_revealed"
NOT_SUSPENDED = "auction.not_suspended"
UNKNOWN_COMMAND = "auction.unknown_command"
BAD_AMOUNT = "auction.bad_amount"
BAD_SCORE = "auction.bad_score"
PRICES_OPENED = "auction.prices_opened"

MESSAGES: dict[str, tuple[str, str, type[YiwangError]]] = {
    NOT_STARTED: ("竞价尚未开始", "Bidding has not started yet", Conflict),
    CLOSED: ("竞价已结束", "Bidding has closed", Conflict),
    SUSPENDED: ("竞价已暂停", "Bidding is suspended", Conflict),
    WRONG_PHASE: ("当前阶段不接受该操作", "Not allowed in the current phase", Conflict),
    NOT_REGISTERED: (
        "您未报名或未交纳保证金，不能出价",
        "You are not a registered bidder on this lot",
        PermissionDenied,
    ),
    ALREADY_REGISTERED: ("已报名", "Already registered", Conflict),
    BELOW_START: ("出价低于起始价", "The bid is below the start price", InvalidInput),
    BELOW_INCREMENT: (
        "出价未达到当前价加一个加价幅度",
        "The bid is below the current price plus the increment",
        InvalidInput,
    ),
    NOT_MULTIPLE: ("加价须为加价幅度的整数倍", "The raise must be a whole multiple of the increment", InvalidInput),
    ABOVE_CAP: ("出价超过封顶价", "The bid is above the cap", InvalidInput),
    STALE_PRICE: ("当前价已变动，请刷新后再出价", "The price has moved; reload and bid again", Conflict),
    DUPLICATE: ("该出价已提交（重复提交）", "This bid was already submitted (replayed)", Conflict),
    ALREADY_LEADING: ("您已是最高出价人", "You already lead", Conflict),
    NOT_ELIGIBLE: ("您不具备本阶段竞价资格", "You may not bid in this phase", PermissionDenied),
    NOT_YOUR_TURN: ("尚未轮到您报价", "It is not your turn", Conflict),
    TURN_OVER: ("您本轮的报价时间已结束", "Your turn in this round is over", Conflict),
    NOTHING_TO_CANCEL: ("您在本轮次尚未报价，无可撤销", "You made no bid in this turn to cancel", Conflict),
    TIME_REGRESSED: ("命令时间早于上一条命令", "The command is older than the previous one", Conflict),
    NO_PREEMPTION: ("您不享有优先购买权", "You hold no pre-emption right", PermissionDenied),
    ALREADY_SEALED: ("一次报价只能提交一次", "A single sealed bid can be submitted once", Conflict),
    NOT_SEALED: ("未在截止前提交密封报价", "No sealed bid was submitted before the deadline", Conflict),
    ALREADY_REVEALED: ("该报价已开启", "This bid was already revealed", Conflict),
    NOT_SUSPENDED: ("竞价未暂停", "Bidding is not suspended", Conflict),
    UNKNOWN_COMMAND: ("未知命令", "Unknown command", InvalidInput),
    BAD_AMOUNT: ("金额无效", "Invalid amount", InvalidInput),
    BAD_SCORE: (
        "其他因素得分须为 0 至（10000 − 价格权重）之间的整数",
        "Other-factor points are a whole number from 0 to 10 000 minus the price weight",
        InvalidInput,
    ),
    PRICES_OPENED: (
        "报价已开启，不能再录入评分",
        "Prices are already opened: scores can no longer be recorded",
        Conflict,
    ),
}


def error_for(code: str, details: dict[str, Any] | None = None) -> YiwangError:
    zh, en, cls = MESSAGES.get(code, ("操作被拒绝", "Refused", Conflict))
    return cls(code, zh, en, details)


__all__ = ["MESSAGES", "NotFound", "error_for"]
