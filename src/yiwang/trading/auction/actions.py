"""The only door to auction state changes (docs/auction.md).

Every command on a lot goes through its stream ``auction.lot:<id>`` (``platform.commands``) inside an action:
the command is logged with its server time under the stream lock, the pure engine decides, the read model
(``Lot``, ``Bid``) is updated from the engine's state, the witness entry and feed event are written and the
public state is published to the live channel ``auction.lot:<id>`` — all in one transaction. A call returns only
after the commit, so an acknowledged bid is durable and a refused one left nothing behind. Lock order: the
stream head first, then the lot row.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation, YiwangError
from yiwang.platform.actions import action
from yiwang.platform.clock import now as clock_now
from yiwang.platform.commands import engine as commands
from yiwang.platform.commands import log as command_log
from yiwang.platform.live.publish import publish
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import queries as registry
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.finance import actions as finance
from yiwang.services.finance import queries as finance_queries
from yiwang.trading.auction import lock_objects, ports
from yiwang.trading.auction.domain import codes
from yiwang.trading.auction.domain.engine import CLOSED
from yiwang.trading.auction.domain.engine import Lot as EngineLot
from yiwang.trading.auction.domain.rules import HOUR, MINUTE, SEALED, SECOND, RuleSet
from yiwang.trading.auction.lot_engine import ENGINE, NOTHING_DUE, from_us, to_us
from yiwang.trading.auction.models import Bid, Bidder, Intervention, Lot, Preemption
from yiwang.trading.auction.presets import PARAMS, PRESETS, Preset
from yiwang.trading.auction.queries import BIDDER_STATUS_LABELS, bidder_channel, box_owner, public_state, shown_price

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_FEN = 10**15  # 10 trillion yuan: anything above is a typing error


# -- helpers -----------------------------------------------------------------------------------------------------
def is_staff(actor: Actor, region_code: str = "310000") -> bool:
    return actor.is_system or actor.covers_region(region_code, Role.STAFF)


def require_staff(actor: Actor, region_code: str, zh: str = "执行该操作", en: str = "do this") -> None:
    """``auction.staff_only`` unless the actor is trading-centre staff over the region (or the platform)."""
    if not is_staff(actor, region_code):
        raise PermissionDenied("auction.staff_only", f"仅交易中心工作人员可{zh}", f"Only trading-centre staff may {en}")


def _lot(lot_id: int) -> Lot:
    lot = Lot.objects.filter(pk=lot_id).first() if isinstance(lot_id, int) else None
    if lot is None:
        raise NotFound("auction.lot_not_found", "竞价标的不存在", "No such lot", {"lot_id": str(lot_id)[:20]})
    return lot


def _fen(value: Any, field: str, *, zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1) or value > MAX_FEN:
        raise InvalidInput(
            "auction.amount_invalid",
            "金额须为正整数（单位：分）",
            "Amounts are positive whole fen",
            {"field": field},
        )
    return value


def _reason(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise InvalidInput("auction.reason_required", "请填写原因", "A reason is required", {"field": "reason"})
    return text[:500]


def _rule(key: str, on: datetime) -> tuple[int, dict[str, Any]]:
    rv = catalog.rule(key, on=on)
    return int(rv.value), rv.as_json()


def _duration_us(value: int, unit: str) -> int:
    per = {"second": SECOND, "minute": MINUTE, "hour": HOUR, "day": 24 * HOUR}.get(unit)
    if per is None:  # pragma: no cover - the catalogue's durations are in these units
        raise RuleViolation("auction.rule_unit", "规则单位无法换算", f"Cannot convert the unit {unit!r}")
    return value * per


def _sync(lot: Lot, state: EngineLot, seq: int) -> list[tuple]:
    """Copy the engine's public facts onto the read model (the caller saves); return the new history items."""
    new = state.history[lot.bid_count :]
    lot.phase = state.phase
    lot.price_fen = shown_price(lot.kind, state.phase, state.price, lot.start_price_fen)
    lot.leader_code = state.leader or ""
    lot.ext_count = state.ext_count
    lot.bid_count = len(state.history)
    lot.bidder_count = len(state.bidders)
    lot.next_check = from_us(state.deadline) if state.end_at is not None else None
    lot.end_at = planned_end(lot, state)
    lot.seq = seq
    lot.version += 1
    return new


def planned_end(lot: Lot, state: EngineLot) -> datetime | None:
    """When bidding ends as things stand: the deadline in force while bidding; before the start, the scheduled
    end; None when the end depends on a command (or the lot closed)."""
    if state.phase == "scheduled":
        end = state.rules.end_at
        return from_us(end + state.shift) if end else None
    return from_us(state.deadline) if state.end_at is not None else None


def _store_bids(lot: Lot, items: list[tuple], seq: int) -> list[Bid]:
    return [
        Bid.objects.create(lot=lot, seq=seq, code=h[1], amount_fen=h[2], at=from_us(h[3]), how=h[4])
        for h in items[-1:]  # one command adds at most one history item
    ]


def _publish(lot: Lot, state: EngineLot) -> None:
    """Inside the action: stored with it, broadcast after its commit (nothing if it rolls back)."""
    publish(lot.stream, lot.seq, public_state(lot, state))


def _end_iso(lot: Lot) -> str | None:
    return lot.end_at.isoformat() if lot.end_at else None


# -- creating ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LotSpec:
    """What staff give to create a lot. Money in fen, times timezone-aware, ``params`` in seconds."""

    preset: str
    title: str
    start_price_fen: int
    step_fen: int
    start_at: datetime
    end_at: datetime | None = None
    appraisal_fen: int | None = None
    reserve_fen: int = 0
    cap_fen: int = 0
    deposit_fen: int = 0
    region_code: str = "310000"
    description: str = ""
    previous_lot_id: int | None = None
    preemption: bool = True
    params: dict[str, int] | None = None  # engine parameters in seconds, overriding the preset's defaults
    opening_key: int | str | None = None  # 一次报价 / 权重报价: the bid box's opening key (a ceremony's key id)
    price_weight_bp: int | None = None  # 权重报价: price points out of 10 000 (the preset's default otherwise)


def _check_spec(spec: LotSpec) -> Preset:
    preset = PRESETS.get(spec.preset)
    if preset is None:
        raise InvalidInput(
            "auction.preset_unknown",
            "未知的竞价规则预设",
            "Unknown rules preset",
            {"field": "preset", "allowed": sorted(PRESETS)},
        )
    title = " ".join((spec.title or "").split())
    if not 1 <= len(title) <= 200:
        raise InvalidInput(
            "auction.title_required", "请填写标的名称（200 字以内）", "A title is required", {"field": "title"}
        )
    _fen(spec.start_price_fen, "start_price_fen")
    _fen(spec.step_fen, "step_fen")
    for name in ("reserve_fen", "cap_fen", "deposit_fen"):
        _fen(getattr(spec, name), name, zero=True)
    if spec.appraisal_fen is not None:
        _fen(spec.appraisal_fen, "appraisal_fen")
    for name in ("start_at", "end_at"):
        value = getattr(spec, name)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            raise InvalidInput("auction.naive_time", "时间须带时区", "Times must be timezone-aware", {"field": name})
    if preset.needs_end and spec.end_at is None:
        raise InvalidInput("auction.end_required", "请填写结束时间", "An end time is required", {"field": "end_at"})
    for key, value in (spec.params or {}).items():
        if key not in PARAMS or isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 90 * 86400:
            raise InvalidInput(
                "auction.param_invalid",
                "竞价参数无效",
                "Invalid engine parameter",
                {"field": f"params.{key}"[:60], "allowed": list(PARAMS)},
            )
    if preset.kind in SEALED and spec.opening_key in (None, ""):
        raise InvalidInput(
            "auction.opening_key_required",
            "一次报价须指定开标密钥（由密钥仪式生成）",
            "A sealed-bid lot needs the opening key of a key ceremony",
            {"field": "opening_key"},
        )
    if spec.price_weight_bp is not None and (
        preset.kind != "equity_weighted"
        or isinstance(spec.price_weight_bp, bool)
        or not isinstance(spec.price_weight_bp, int)
        or not 0 < spec.price_weight_bp <= 10_000
    ):
        raise InvalidInput(
            "auction.price_weight_invalid",
            "价格权重仅用于权重报价，取值 1–10000（万分比）",
            "The price weight applies to weighted lots only, 1–10000 basis points",
            {"field": "price_weight_bp"},
        )
    if spec.deposit_fen and not preset.regime:
        raise InvalidInput(
            "auction.deposit_not_supported",
            "该竞价方式不通过平台收取保证金",
            "This preset takes no deposit through the platform",
            {"field": "deposit_fen"},
        )
    return preset


# the catalogue's minimum number of bidders per category (the sealed lots' bid box opens with it)
MIN_BIDDERS_RULE = {"state_assets": "equity.min_bidders", "judicial": "judicial.min_bidders"}


def _need(ok: bool, code: str, zh: str, en: str, rule: dict[str, Any]) -> None:
    if not ok:
        raise RuleViolation(code, zh, en, {"rule": rule.get("rule_id", ""), "source": rule.get("source", "")})


def _check_legal(spec: LotSpec, preset: Preset, at: datetime, previous: Lot | None) -> tuple[dict, dict[str, Any]]:
    """Check the spec against the catalogue's legal numbers; return (snapshot, rule-set fields from the law)."""
    legal: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    span = to_us(spec.end_at) - to_us(spec.start_at) if spec.end_at else 0
    if preset.category == "judicial":
        if preset.kind == "judicial" and previous is None and spec.appraisal_fen:
            ratio, r = _rule("judicial.start_price_ratio_min", at)
            legal[r["rule_id"]] = r
            _need(
                spec.start_price_fen * 100 >= spec.appraisal_fen * ratio,
                "auction.start_price_too_low",
                f"起拍价不得低于评估价的{ratio}%",
                f"The start price must be at least {ratio}% of the appraisal",
                r,
            )
        window, r1 = _rule("judicial.soft_close_window", at)
        ext, r2 = _rule("judicial.soft_close_extension", at)
        legal[r1["rule_id"]], legal[r2["rule_id"]] = r1, r2
        extra["soft_close_window"] = _duration_us(window, r1["unit"])
        extra["soft_close_extension"] = _duration_us(ext, r2["unit"])
        extra["preemption"] = bool(spec.preemption)
        if preset.kind == "judicial":
            period, r = _rule("judicial.bidding_period_min", at)
            legal[r["rule_id"]] = r
            _need(
                span >= _duration_us(period, r["unit"]),
                "auction.bidding_period_too_short",
                f"竞价时间不得少于{period}小时",
                f"Bidding must last at least {period} hours",
                r,
            )
        if spec.deposit_fen:
            lo, r1 = _rule("judicial.deposit_rate_min", at)
            hi, r2 = _rule("judicial.deposit_rate_max", at)
            legal[r1["rule_id"]], legal[r2["rule_id"]] = r1, r2
            _need(
                spec.start_price_fen * lo <= spec.deposit_fen * 100 <= spec.start_price_fen * hi,
                "auction.deposit_out_of_range",
                f"保证金应为起拍价的{lo}%至{hi}%",
                f"The deposit must be {lo}–{hi}% of the start price",
                r1,
            )
        if previous is not None and preset.kind == "judicial":
            cut, r = _rule("judicial.reauction_price_cut_max", at)
            legal[r["rule_id"]] = r
            _need(
                spec.start_price_fen * 100 >= previous.start_price_fen * (100 - cut),
                "auction.reauction_cut_too_deep",
                f"再次拍卖起拍价降价幅度不得超过前次起拍价的{cut}%",
                f"A re-auction may cut the start price by at most {cut}%",
                r,
            )
        if preset.kind == "judicial_sale" and (previous is None or spec.start_price_fen != previous.start_price_fen):
            raise RuleViolation(
                "auction.sale_needs_previous_round",
                "变卖须以流拍的二拍为前序，变卖价为二拍起拍价",
                "A 变卖 sale follows a failed second round, at its start price",
                {"field": "previous_lot_id"},
            )
    elif preset.category == "land":
        days, r = _rule("land.listing_period_min", at)
        legal[r["rule_id"]] = r
        _need(
            span >= _duration_us(days, "day"),
            "auction.listing_period_too_short",
            f"挂牌时间不得少于{days}日",
            f"A listing must last at least {days} days",
            r,
        )
    elif preset.category == "state_assets":
        if spec.appraisal_fen:
            ratio, r = _rule("equity.below_appraisal_approval_ratio", at)
            legal[r["rule_id"]] = r
            _need(
                spec.start_price_fen * 100 >= spec.appraisal_fen * ratio,
                "auction.below_appraisal_needs_approval",
                f"转让底价低于评估结果的{ratio}%须经批准单位书面同意",
                f"A price below {ratio}% of the appraisal needs written approval",
                r,
            )
        # 网络竞价 needs competing bidders (one qualified buyer is a 协议 deal, not an auction): every procedure
        minimum, r = _rule(MIN_BIDDERS_RULE["state_assets"], at)
        legal[r["rule_id"]] = r
        extra["min_bidders"] = minimum
    return legal, extra


def _rule_set(spec: LotSpec, preset: Preset, extra: dict[str, Any]) -> RuleSet:
    params = {**preset.defaults, **{k: v * SECOND for k, v in (spec.params or {}).items()}}
    fields: dict[str, Any] = {
        "kind": preset.kind,
        "start_price": spec.start_price_fen,
        "step": spec.step_fen,
        "start_at": to_us(spec.start_at),
        "end_at": to_us(spec.end_at) if spec.end_at else 0,
        "reserve": spec.reserve_fen,
        "cap": spec.cap_fen,
        **extra,
        **params,
    }
    if spec.price_weight_bp is not None:
        fields["price_weight_bp"] = spec.price_weight_bp
    try:
        return RuleSet(**fields)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            "auction.rules_invalid", "竞价规则参数不一致", f"Inconsistent rules: {exc}", {"problem": str(exc)[:200]}
        ) from exc


def do_create_lot(*, actor: Actor, spec: LotSpec) -> Lot:
    """Create and schedule a lot from a rules preset (staff). The catalogue's legal numbers are checked and
    snapshotted; the deposit requirement is set in finance; the stream starts with the rule set."""
    preset = _check_spec(spec)
    try:
        catalog.require_region(spec.region_code)
    except YiwangError as exc:
        raise InvalidInput(
            "auction.region_unknown", "行政区划代码无效", "Unknown region code", {"field": "region_code"}
        ) from exc
    require_staff(actor, spec.region_code, "创建竞价标的", "create lots")
    previous = _lot(spec.previous_lot_id) if spec.previous_lot_id is not None else None
    failed = previous is not None and (previous.outcome == "unsold" or previous.settled == "reneged")
    if previous is not None and (not failed or previous.category != preset.category):
        raise Conflict(
            "auction.previous_not_failed",
            "前一轮须为同类且已流拍或买受人悔拍的标的",
            "The previous round must be a lot of the same category that failed or whose buyer reneged",
        )
    with action(actor, "auction.create_lot") as act:
        if spec.start_at <= act.now:
            raise InvalidInput(
                "auction.start_in_past",
                "开始时间须晚于当前时间",
                "The start must be in the future",
                {"field": "start_at"},
            )
        legal, extra = _check_legal(spec, preset, act.now, previous)
        rules = _rule_set(spec, preset, extra)
        lot = Lot.objects.create(
            ref=f"tmp-{secrets.token_hex(8)}",
            title=" ".join(spec.title.split()),
            preset=preset.key,
            kind=preset.kind,
            category=preset.category,
            region_code=spec.region_code,
            description=spec.description[:5000],
            appraisal_fen=spec.appraisal_fen,
            start_price_fen=spec.start_price_fen,
            step_fen=spec.step_fen,
            deposit_fen=spec.deposit_fen,
            rules=rules.to_json(),
            legal=legal,
            round_no=(previous.round_no + 1) if previous else 1,
            previous=previous,
            start_at=spec.start_at,
            end_at=spec.end_at,
            price_fen=spec.start_price_fen,
            next_check=spec.start_at,
            created_by=actor.ref,
            created_at=act.now,
        )
        lot.ref = f"{preset.ref_prefix}-{act.now.year}-{lot.pk:06d}"
        done = commands.submit(lot.stream, ENGINE, {"type": "create", "rules": rules.to_json()}, actor_ref=actor.ref)
        _sync(lot, done.state, done.accepted.seq)
        lot.version = 1
        lot.save()
        if preset.kind in SEALED:
            _open_sealed_box(actor, lot, spec)
        if spec.deposit_fen:
            finance.do_set_deposit_requirement(
                actor=Actor.system("auction"),
                lot_ref=lot.finance_ref,
                regime=preset.regime,
                opening_at=spec.end_at or spec.start_at,
                amount_fen=spec.deposit_fen,
                base_fen=spec.start_price_fen,
                title=lot.title,
                region_code=lot.region_code,
            )
        payload = {
            "ref": lot.ref,
            "preset": lot.preset,
            "title": lot.title,
            "start_price_fen": lot.start_price_fen,
            "step_fen": lot.step_fen,
            "start_at": spec.start_at.isoformat(),
            "end_at": spec.end_at.isoformat() if spec.end_at else None,
            "deposit_fen": lot.deposit_fen,
            "round_no": lot.round_no,
        }
        # the witness keeps the whole rule set (the reserve included); the public feed does not
        act.witness(lot, {**payload, "rules": rules.to_json(), "legal": sorted(legal)})
        act.emit("auction.lot_created.v1", lot, payload)
        _publish(lot, done.state)
        return lot


# -- registering -------------------------------------------------------------------------------------------------
_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _new_code(lot: Lot) -> str:
    # one indexed look-up per try (the unique (lot, code) constraint): a lot with thousands of bidders is not read
    for _ in range(100):
        code = f"{secrets.choice(_CODE_LETTERS)}{secrets.randbelow(10000):04d}"
        if not Bidder.objects.filter(lot=lot, code=code).exists():
            return code
    raise Conflict("auction.codes_exhausted", "竞买号已用尽", "No bidder numbers left")  # pragma: no cover


def do_grant_preemption(*, actor: Actor, lot_id: int, entity_id: int, rank: int = 1, basis: str) -> Preemption:
    """Staff: record a pre-emption right (优先购买权, as the court or the transferor confirmed it) before the
    holder registers. ``rank`` 1–9 (a higher rank wins ties between holders). The holder then registers itself
    (deposit included) and bids with the right."""
    lot = _lot(lot_id)
    require_staff(actor, lot.region_code, "登记优先购买权", "record pre-emption rights")
    _entity(entity_id)
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 9:
        raise InvalidInput("auction.rank_invalid", "优先顺位应为 1–9", "The rank is 1–9", {"field": "rank"})
    basis = _reason(basis)
    with action(actor, "auction.grant_preemption") as act:
        row = lock_objects.lot_for_update(lot.pk).get()
        if row.phase == CLOSED:
            raise codes.error_for(codes.CLOSED)
        if Preemption.objects.filter(lot=row, entity_id=entity_id).exists():
            raise Conflict("auction.preemption_exists", "该主体的优先购买权已登记", "This right is already recorded")
        if Bidder.objects.filter(lot=row, entity_id=entity_id).exists():
            raise Conflict(
                "auction.already_registered",
                "该主体已报名，须在报名前登记优先购买权",
                "Record the right before registering",
            )
        right = Preemption.objects.create(
            lot=row, entity_id=entity_id, rank=rank, basis=basis, granted_by=actor.ref, granted_at=act.now
        )
        act.witness(right, {"lot": row.ref, "entity_id": entity_id, "rank": rank, "basis": basis})
        return right


def _entity(entity_id: int) -> None:
    if isinstance(entity_id, bool) or not isinstance(entity_id, int) or entity_id <= 0:
        raise InvalidInput("auction.entity_invalid", "主体编号无效", "Invalid entity id", {"field": "entity_id"})
    if registry.get_entity_ref(entity_id) is None:
        raise NotFound("auction.entity_not_found", "主体不存在", "No such entity", {"entity_id": entity_id})


def do_register_bidder(*, actor: Actor, lot_id: int, entity_id: int, initial_fen: int | None = None) -> Bidder:
    """Register an entity to bid (报名): credit gate, deposit gate (finance), then a pseudonymous 竞买号.

    The actor acts for the entity; staff may register an entity only on lots without a deposit (finance shows
    who paid to the bidder alone before the end). A pre-emption right recorded by staff
    (:func:`do_grant_preemption`) is carried into the engine. Refusals: ``auction.not_your_entity``,
    ``auction.register_yourself``, ``auction.entity_not_found``, ``auction.credit_barred``,
    ``auction.excluded_reneged``, ``auction.deposit_required``, ``auction.already_registered``, ``auction.closed``."""
    lot = _lot(lot_id)
    _entity(entity_id)
    if lot.kind == "reverse":
        if initial_fen is None:
            raise InvalidInput(
                "auction.initial_required",
                "请提交首次报价（密封）",
                "The sealed opening bid is required",
                {"field": "initial_fen"},
            )
        _fen(initial_fen, "initial_fen")
        if initial_fen > lot.start_price_fen:
            raise InvalidInput(
                "auction.above_ceiling",
                "首次报价不得高于最高限价",
                "The opening bid is above the ceiling price",
                {"field": "initial_fen"},
            )
    elif initial_fen is not None:
        raise InvalidInput(
            "auction.initial_not_expected",
            "该竞价方式无需首次报价",
            "No opening bid on this lot",
            {"field": "initial_fen"},
        )
    own = actor.acts_for(entity_id)
    if not (own or is_staff(actor, lot.region_code)):
        raise PermissionDenied("auction.not_your_entity", "您不能代表该主体报名", "You do not act for this entity")
    decision = ports.credit_gate().check(entity_id=entity_id, category=lot.category, region_code=lot.region_code)
    if not decision.allowed:
        raise PermissionDenied(
            "auction.credit_barred",
            decision.reason_zh or "该主体信用受限，不能参与竞买",
            decision.reason_en or "This entity is barred from bidding",
        )
    if (
        lot.previous_id
        and Bidder.objects.filter(lot_id=lot.previous_id, entity_id=entity_id, status="reneged").exists()
    ):
        raise PermissionDenied(
            "auction.excluded_reneged", "悔拍的买受人不得参加再次拍卖", "A buyer who reneged may not bid again"
        )
    if lot.deposit_fen:
        if not own:
            raise PermissionDenied(
                "auction.register_yourself",
                "须交纳保证金的标的由竞买人本人报名",
                "On a lot with a deposit the bidder registers itself",
            )
        if not finance_queries.has_satisfied_deposit(actor, lot.finance_ref, entity_id):
            raise PermissionDenied(
                "auction.deposit_required",
                "请先交纳竞买保证金（到账后方可报名）",
                "Pay the deposit before registering",
                {"deposit_fen": lot.deposit_fen},
            )
    with action(actor, "auction.register_bidder") as act:
        command_log.lock(lot.stream)  # the stream lock first: registrations of a lot are serialised
        if Bidder.objects.filter(lot=lot, entity_id=entity_id).exists():
            raise Conflict("auction.already_registered", "该主体已报名", "This entity is already registered")
        code = _new_code(lot)
        right = Preemption.objects.filter(lot=lot, entity_id=entity_id).first()
        priority = right.rank if right else 0
        command: dict[str, Any] = {"type": "register", "bidder": code, "priority": priority}
        if initial_fen is not None:
            command["initial"] = initial_fen
        done = commands.submit(lot.stream, ENGINE, command, actor_ref=actor.ref)
        row = lock_objects.lot_for_update(lot.pk).get()
        bidder = Bidder.objects.create(
            lot=row, entity_id=entity_id, account_ref=actor.ref, code=code, priority=priority, registered_at=act.now
        )
        _sync(row, done.state, done.accepted.seq)
        row.save()
        # who registered is secret until the end: the witness log keeps it, the public feed only counts
        act.witness(bidder, {"lot": row.ref, "entity_id": entity_id, "code": code, "priority": priority})
        act.emit("auction.bidder_registered.v1", row, {"lot": row.ref, "bidders": row.bidder_count})
        _publish(row, done.state)
        _tell(row, code, "registered")
        return bidder


# -- bidding -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BidReceipt:
    """What a bidder is told after the commit: the command's number and server time, the price and the end."""

    lot_id: int
    seq: int
    code: str
    amount_fen: int
    accepted_at: datetime
    end_at: datetime | None
    duplicate: bool = False


def bidder_of(actor: Actor, lot: Lot) -> Bidder:
    ids = sorted(actor.entity_ids()) if actor.is_authenticated else []
    bidder = Bidder.objects.filter(lot=lot, entity_id__in=ids).order_by("pk").first() if ids else None
    if bidder is None or bidder.status != "registered":
        raise codes.error_for(codes.NOT_REGISTERED)
    return bidder


def _after_refusal(lot: Lot) -> None:
    """A refused command may have found the lot past a deadline: log the transition now (the due job would a
    moment later). Never masks the refusal."""
    if lot.next_check is not None and lot.next_check <= clock_now():
        try:
            do_advance_lot(lot_id=lot.pk)
        except YiwangError:  # pragma: no cover - the due job retries
            log.exception("auction: advancing lot %s after a refusal failed", lot.pk)


_EVENTS = {
    "place_bid": "auction.bid_accepted.v1",
    "exercise_preemption": "auction.preemption_exercised.v1",
    "declare_continue": "auction.continue_declared.v1",
    "cancel_turn_bid": "auction.turn_bid_cancelled.v1",
}


_ASCENDING_FAST = frozenset({"judicial", "english", "equity_multi", "land_listing"})


def _fast_refusal(lot: Lot, command: dict[str, Any]) -> str | None:
    """A bid the engine would refuse as of the committed read model just read (its linearisation point), found
    without taking the stream lock: on a hot lot most refusals are bids overtaken by others, and taking the lock
    for them would queue every bidder behind them. Ascending prices only grow and a bidding phase only ends by a
    deadline at or after the one read, so this never refuses a bid the engine would accept at that moment; the
    engine remains the only judge of acceptance."""
    if command.get("type") != "bid":
        return None
    if lot.phase == CLOSED:
        return codes.CLOSED
    if lot.kind not in _ASCENDING_FAST or lot.phase not in ("open", "countdown"):
        return None
    if lot.next_check is None or clock_now() >= lot.next_check:
        return None  # the deadline may have passed: the engine decides (and logs the close)
    expected, amount, price = command.get("expected"), command["amount"], lot.price_fen
    if expected is not None:
        return codes.STALE_PRICE if expected < price else None
    if not lot.leader_code:
        return codes.BELOW_START if amount < lot.start_price_fen else None
    if amount < price or (amount < price + lot.step_fen and not lot.rules.get("preemption")):
        return codes.BELOW_INCREMENT
    return None


def _command(actor: Actor, lot: Lot, command: dict[str, Any], code: str, key: str | None, what: str) -> BidReceipt:
    if key is not None:
        earlier = command_log.find(lot.stream, key)
        if earlier is not None:  # a retry: the first acceptance again (a reused key with another bid is a 409)
            command_log.duplicate_of(lot.stream, command, key)
            row = Lot.objects.get(pk=lot.pk)
            amount = int(earlier.command.get("amount") or row.price_fen)
            return BidReceipt(row.pk, earlier.seq, code, amount, earlier.accepted_at, row.end_at, True)
    fast = _fast_refusal(lot, command)
    if fast is not None:
        raise codes.error_for(fast, {"seq_head": lot.seq})
    try:
        with action(actor, f"auction.{what}") as act:
            done = commands.submit(lot.stream, ENGINE, command, actor_ref=actor.ref, idempotency_key=key)
            row = lock_objects.lot_for_update(lot.pk).get()
            leader_before, ext_before = row.leader_code, row.ext_count
            if done.duplicate:  # the same key raced in: nothing new
                act.witness(row, {"duplicate_of": done.accepted.seq, "code": code})
                amount = int(done.entry.command.get("amount") or row.price_fen)
                return BidReceipt(row.pk, done.accepted.seq, code, amount, done.accepted.accepted_at, row.end_at, True)
            state: EngineLot = done.state
            new = _sync(row, state, done.accepted.seq)
            if state.phase == CLOSED:  # a Dutch acceptance or a 事后行权 ends the lot at once
                _record_result(row, state)
            row.save()
            if row.deposit_fen and row.ext_count > ext_before and row.end_at is not None:
                _move_deposit_opening(row)
            _store_bids(row, new, done.accepted.seq)
            amount = new[-1][2] if new else state.price
            data = {
                "lot": row.ref,
                "seq": done.accepted.seq,
                "code": code,
                "amount_fen": amount,
                "at": done.accepted.accepted_at.isoformat(),
                "end_at": _end_iso(row),
                "ext_count": row.ext_count,
                "phase": row.phase,
            }
            act.witness(row, data)
            act.emit(_EVENTS[what], row, data)
            _publish(row, state)
            _tell_after_command(row, state, code, leader_before, what, amount)
            receipt = BidReceipt(row.pk, done.accepted.seq, code, amount, done.accepted.accepted_at, row.end_at)
    except YiwangError:
        _after_refusal(lot)
        raise
    if row.phase == CLOSED:
        _close_follow_up(row)
    return receipt


def _move_deposit_opening(lot: Lot) -> None:
    """A soft-close extension moved the end past the deposit requirement's opening instant (finance shows staff who
    paid from that instant; set to the scheduled end when the lot was created): move it to the new end plus one
    more extension, in the bid's action. Finance never shows who paid before the real close, at most one extension
    after it, and one update covers the extensions of the next minutes instead of every bid (an update re-checks
    every deposit of the lot under lock)."""
    opening = finance_queries.get_lot(lot.finance_ref).opening_at
    if lot.end_at is None or lot.end_at < opening:
        return
    finance.do_set_deposit_requirement(
        actor=Actor.system("auction"),
        lot_ref=lot.finance_ref,
        regime=PRESETS[lot.preset].regime,
        opening_at=lot.end_at + timedelta(microseconds=int(lot.rules.get("soft_close_extension") or 0)),
        amount_fen=lot.deposit_fen,
        base_fen=lot.start_price_fen,
        title=lot.title,
        region_code=lot.region_code,
    )


def do_place_bid(
    *,
    actor: Actor,
    lot_id: int,
    amount_fen: int,
    expected_price_fen: int | None = None,
    idempotency_key: str | None = None,
) -> BidReceipt:
    """Place a bid under the actor's 竞买号 at the server's time. Refusals: the engine's codes
    (``auction.below_increment``, ``auction.closed``, ``auction.suspended``, ``auction.stale_price`` …) and
    ``auction.not_registered``. A repeated ``idempotency_key`` returns the first acceptance (``duplicate``)."""
    lot = _lot(lot_id)
    _fen(amount_fen, "amount_fen")
    if expected_price_fen is not None:
        _fen(expected_price_fen, "expected_price_fen")
    bidder = bidder_of(actor, lot)
    command: dict[str, Any] = {"type": "bid", "bidder": bidder.code, "amount": amount_fen}
    if expected_price_fen is not None:
        command["expected"] = expected_price_fen
    return _command(actor, lot, command, bidder.code, idempotency_key, "place_bid")


def do_exercise_preemption(*, actor: Actor, lot_id: int, idempotency_key: str | None = None) -> BidReceipt:
    """优先购买权: match the current price (judicial: a holder wins ties) or the final price (事后行权)."""
    lot = _lot(lot_id)
    bidder = bidder_of(actor, lot)
    command = {"type": "exercise", "bidder": bidder.code}
    return _command(actor, lot, command, bidder.code, idempotency_key, "exercise_preemption")


def do_declare_continue(*, actor: Actor, lot_id: int) -> BidReceipt:
    """Land listing: the bidder wishes to continue into the countdown auction (现场竞价)."""
    lot = _lot(lot_id)
    bidder = bidder_of(actor, lot)
    return _command(actor, lot, {"type": "continue", "bidder": bidder.code}, bidder.code, None, "declare_continue")


def do_cancel_turn_bid(*, actor: Actor, lot_id: int, idempotency_key: str | None = None) -> BidReceipt:
    """Reverse auction (ProZorro): the bidder whose turn it is withdraws the bid it made in this turn, while the
    turn lasts; the bid that stood at the start of the turn stands again (the receipt's amount) and the bidder
    may bid again in the same turn. Refusals: ``auction.not_your_turn`` (another bidder's turn, or the turns
    have not begun), ``auction.turn_over`` (its turn in this round has passed), ``auction.nothing_to_cancel``
    (no bid in this turn), ``auction.wrong_phase`` (not a reverse lot), ``auction.closed``,
    ``auction.not_registered``. A repeated ``idempotency_key`` returns the first acceptance."""
    lot = _lot(lot_id)
    bidder = bidder_of(actor, lot)
    command = {"type": "cancel", "bidder": bidder.code}
    return _command(actor, lot, command, bidder.code, idempotency_key, "cancel_turn_bid")


def _intervene(actor: Actor, lot_id: int, kind: str, reason: str) -> Lot:
    lot = _lot(lot_id)
    require_staff(actor, lot.region_code, "暂停或恢复竞价", "suspend or resume bidding")
    reason = _reason(reason)
    try:
        with action(actor, f"auction.{kind}_lot") as act:
            done = commands.submit(lot.stream, ENGINE, {"type": kind, "reason": reason}, actor_ref=actor.ref)
            row = lock_objects.lot_for_update(lot.pk).get()
            _sync(row, done.state, done.accepted.seq)
            row.save()
            Intervention.objects.create(lot=row, kind=kind, reason=reason, actor_ref=actor.ref, at=act.now)
            data = {"lot": row.ref, "seq": row.seq, "reason": reason, "end_at": _end_iso(row), "phase": row.phase}
            act.witness(row, data)
            act.emit(f"auction.lot_{kind}d.v1" if kind == "resume" else "auction.lot_suspended.v1", row, data)
            _publish(row, done.state)
            return row
    except YiwangError:
        _after_refusal(lot)
        raise


def do_suspend_lot(*, actor: Actor, lot_id: int, reason: str) -> Lot:
    """Staff: suspend bidding with a reason (witnessed). The remaining time is kept for the resumption."""
    return _intervene(actor, lot_id, "suspend", reason)


def do_resume_lot(*, actor: Actor, lot_id: int, reason: str) -> Lot:
    """Staff: resume a suspended lot; every deadline moves by the time spent suspended."""
    return _intervene(actor, lot_id, "resume", reason)


# -- the bidder's private channel -------------------------------------------------------------------------------
def _tell(lot: Lot, code: str, status: str, **facts: Any) -> None:
    """Publish one bidder's own news on its private channel (``auction.bidder:<lot>.<竞买号>``), with the action."""
    publish(
        bidder_channel(lot.pk, code),
        lot.seq,
        {
            "lot": lot.pk,
            "seq": lot.seq,
            "code": code,
            "status": status,
            "status_label": BIDDER_STATUS_LABELS[status],
            "price": lot.price_fen,
            "leader": lot.leader_code or None,
            "end_at": _end_iso(lot),
            **facts,
        },
    )


def _tell_after_command(lot: Lot, state: EngineLot, code: str, leader_before: str, what: str, amount: int) -> None:
    if state.phase == CLOSED:
        _tell_result(lot, state)
        return
    if what == "declare_continue":
        _tell(lot, code, "continuing")
        return
    if what == "cancel_turn_bid":
        _tell(lot, code, "cancelled", amount=amount)
        return
    _tell(lot, code, "accepted", amount=amount, leading=state.leader == code)
    if leader_before and leader_before != code and state.leader != leader_before:
        _tell(lot, leader_before, "outbid")


def _tell_result(lot: Lot, state: EngineLot) -> None:
    for code in sorted(state.bidders):
        _tell(lot, code, "won" if code == state.winner else "lost", deal_price=lot.deal_price_fen)


# -- time: the clock's due job -------------------------------------------------------------------------------------
def lots_due(at: datetime, limit: int = 200) -> list[int]:
    qs = Lot.objects.filter(next_check__lte=at).order_by("next_check", "pk")
    return list(qs.values_list("pk", flat=True)[:limit])


def do_advance_lot(*, lot_id: int, actor: Actor | None = None) -> bool:
    """Log a ``tick`` when one of the lot's deadlines has passed (start, close, countdown, 事后行权 …). Idempotent:
    with nothing due the tick is refused by the engine and nothing is written. On the close the result follows
    (winner revealed, 成交公告, losers' deposits released). True when something was logged."""
    actor = actor or Actor.system("clock")
    lot = _lot(lot_id)
    try:
        with action(actor, "auction.advance_lot") as act:
            done = commands.submit(lot.stream, ENGINE, {"type": "tick"}, actor_ref=actor.ref)
            state: EngineLot = done.state
            row = lock_objects.lot_for_update(lot.pk).get()
            was = row.phase
            _sync(row, state, done.accepted.seq)
            if state.phase == CLOSED:
                _record_result(row, state)
            row.save()
            data = {
                "lot": row.ref,
                "seq": row.seq,
                "phase": row.phase,
                "was": was,
                "end_at": _end_iso(row),
                "outcome": row.outcome,
                "deal_price_fen": row.deal_price_fen,
                "winner_code": row.winner_code,
            }
            act.witness(row, data)
            act.emit("auction.lot_closed.v1" if state.phase == CLOSED else "auction.phase_changed.v1", row, data)
            _publish(row, state)
            if state.phase == CLOSED:
                _tell_result(row, state)
    except YiwangError as error:
        if error.code == NOTHING_DUE:
            return False
        raise
    if row.phase == CLOSED:
        _close_follow_up(row)
    return True


def _record_result(lot: Lot, state: EngineLot) -> None:
    lot.outcome = state.outcome
    lot.closed_at = from_us(state.closed_at)
    lot.next_check = None
    if state.winner is not None:
        bidder = Bidder.objects.get(lot=lot, code=state.winner)
        lot.winner_entity_id = bidder.entity_id
        lot.winner_code = bidder.code
        lot.deal_price_fen = state.deal_price
    if lot.outcome == "sold" or lot.deposit_fen:
        # committed with the close: if the process dies before the follow-ups, the clock completes them
        lot.follow_up_due = clock_now() + FOLLOW_UP_GRACE


# The close's follow-ups run right after the close commits; the clock's job looks at a lot whose follow-ups are
# still missing this long after the close (a crash in between), and again this long after a failure.
FOLLOW_UP_GRACE = timedelta(seconds=10)
FOLLOW_UP_RETRY = timedelta(minutes=5)
_ALREADY_DONE = frozenset({"auction.notice_exists", "auction.deposits_released"})


def _follow_up_missing(lot: Lot) -> list[str]:
    missing = []
    if lot.outcome == "sold" and lot.result_notice_id is None:
        missing.append("result_notice")
    if lot.phase == CLOSED and lot.deposit_fen and lot.deposits_released_at is None:
        missing.append("release_deposits")
    return missing


def _settle_follow_up(lot: Lot) -> None:
    """Clear the clock's follow-up deadline once nothing is missing (the caller saves ``follow_up_due``)."""
    if not _follow_up_missing(lot):
        lot.follow_up_due = None


def _close_follow_up(lot: Lot) -> None:
    """After the close committed: complete its follow-ups at once (a failure is retried by the clock)."""
    do_complete_close(lot_id=lot.pk)


def do_complete_close(*, lot_id: int, actor: Actor | None = None) -> bool:
    """The close's follow-ups, each in its own guarded action: the 成交公告 of a sold lot and the release of the
    losers' deposits (every deposit when unsold) through finance. Run by the close itself and by the clock
    (``auction.close_follow_ups``) for a lot whose follow-ups are still missing — after a crash between the close
    and them, or after a failure. Idempotent: a part already done (by the close, the clock or staff) is never
    done again, and with nothing missing nothing is written. A failure is kept in ``Lot.problems`` for staff
    and retried by the clock later; the close itself stands. True when something was done."""
    actor = actor or Actor.system("auction")
    lot = _lot(lot_id)
    done = False
    for what in _follow_up_missing(lot):
        try:
            if what == "result_notice":
                _publish_result_notice(actor, lot)
            else:
                _release_deposits(actor, lot)
            done = True
        except YiwangError as error:
            if error.code in _ALREADY_DONE:  # another runner did it under the lock first
                continue
            _problem(lot.pk, what, error)
    if not done and not _follow_up_missing(_lot(lot.pk)):
        # nothing was missing: only the clock's bookkeeping is left (a failure moved the deadline instead)
        Lot.objects.filter(pk=lot.pk, follow_up_due__isnull=False).update(follow_up_due=None)
    return done


def lots_to_follow_up(at: datetime, limit: int = 100) -> list[int]:
    """Closed lots whose follow-ups are due (the clock's job ``auction.close_follow_ups``)."""
    qs = Lot.objects.filter(follow_up_due__lte=at).order_by("follow_up_due", "pk")
    return list(qs.values_list("pk", flat=True)[:limit])


def _problem(lot_id: int, what: str, error: YiwangError) -> None:
    log.warning("auction: lot %s: %s failed: %s", lot_id, what, error.code)
    with action(Actor.system("auction"), "auction.record_problem") as act:
        row = lock_objects.lot_for_update(lot_id).get()
        row.problems = [*row.problems, {"what": what, "code": error.code, "at": act.now.isoformat()}][-20:]
        row.follow_up_due = act.now + FOLLOW_UP_RETRY  # the clock tries again later
        row.save(update_fields=["problems", "follow_up_due"])
        act.witness(row, {"what": what, "code": error.code})


def _release_losers(actor: Actor, lot: Lot) -> None:
    losers = list(
        Bidder.objects.filter(lot_id=lot.pk).exclude(entity_id=lot.winner_entity_id).values_list("entity_id", flat=True)
    )
    if losers:
        finance.do_release_deposits(
            actor=actor,
            lot_ref=lot.finance_ref,
            reason="loser" if lot.outcome == "sold" else "terminated",
            anchor_at=lot.closed_at or clock_now(),
            entity_ids=losers,
        )


def _release_deposits(actor: Actor, lot: Lot) -> None:
    """The losers' deposits (every deposit when unsold), once: marked on the lot in the same action, under its
    row lock (``auction.deposits_released`` if another runner was first: nothing is written)."""
    with action(actor, "auction.release_deposits") as act:
        row = lock_objects.lot_for_update(lot.pk).get()
        if row.deposits_released_at is not None:
            raise Conflict("auction.deposits_released", "保证金已退还", "The deposits are already released")
        _release_losers(actor, row)
        row.deposits_released_at = act.now
        _settle_follow_up(row)
        row.save(update_fields=["deposits_released_at", "follow_up_due"])
        act.witness(row, {"lot": row.ref, "outcome": row.outcome, "winner_entity_id": row.winner_entity_id})


def _entity_name(entity_id: int | None) -> str:
    ref = registry.get_entity_ref(entity_id) if entity_id else None
    return getattr(ref, "name", "") or f"主体 {entity_id}"


def do_publish_result_notice(*, actor: Actor, lot_id: int) -> int:
    """成交公告 of a sold lot through services.notices (the platform at the close; staff to retry). Returns the
    notice id. ``auction.not_sold``, ``auction.notice_exists``."""
    lot = _lot(lot_id)
    require_staff(actor, lot.region_code, "发布成交公告", "publish result notices")
    if lot.outcome != "sold":
        raise Conflict("auction.not_sold", "该标的未成交", "This lot was not sold")
    return _publish_result_notice(actor, lot)


def _notice_exists() -> Conflict:
    return Conflict("auction.notice_exists", "成交公告已发布", "The result notice is already published")


def _publish_result_notice(actor: Actor, lot: Lot) -> int:
    from yiwang.services.notices import actions as notices

    if lot.result_notice_id is not None:
        raise _notice_exists()
    with action(actor, "auction.publish_result_notice") as act:
        row = lock_objects.lot_for_update(lot.pk).get()
        if row.result_notice_id is not None:  # published meanwhile (the close, the clock or staff): once only
            raise _notice_exists()
        buyer = _entity_name(row.winner_entity_id)
        body = render_to_string("auction/result_notice.html", {"lot": row, "buyer": buyer})
        notice = notices.do_publish_notice(
            actor=Actor.system("auction"),
            owner=row.stream,
            notice_type="deal_result",
            category=row.category,
            region_code=row.region_code,
            title=f"{row.title} 成交公告",
            body_html=body,
            fields={
                "TRADE_VALUE": row.deal_price_fen,
                "TRADE_DATE": timezone.localtime(row.closed_at, SHANGHAI).date().isoformat(),
                "BUYER_NAME": buyer,
                **({"OBJECT_EVALUATE_VALUE": row.appraisal_fen} if row.appraisal_fen else {}),
            },
        )
        row.result_notice_id = notice.pk
        _settle_follow_up(row)
        row.save(update_fields=["result_notice_id", "follow_up_due"])
        act.witness(row, {"lot": row.ref, "notice": notice.pk})
        return notice.pk


# -- after the sale ----------------------------------------------------------------------------------------------
def do_confirm_deal(*, actor: Actor, lot_id: int) -> Lot:
    """Staff: the buyer signed the 成交确认书 and paid; the deal is confirmed and the winner's deposit released
    (as part of the price, through finance). ``auction.not_confirmable`` otherwise."""
    lot = _lot(lot_id)
    require_staff(actor, lot.region_code, "确认成交", "confirm a deal")
    with action(actor, "auction.confirm_deal") as act:
        row = lock_objects.lot_for_update(lot.pk).get()
        if row.outcome != "sold" or row.settled:
            raise Conflict("auction.not_confirmable", "该标的不处于可确认成交的状态", "This lot cannot be confirmed")
        row.settled = "confirmed"
        row.version += 1
        row.save()
        if row.deposit_fen:
            finance.do_release_deposits(
                actor=Actor.system("auction"),
                lot_ref=row.finance_ref,
                reason="winner",
                anchor_at=act.now,
                entity_ids=[row.winner_entity_id],
            )
        data = {"lot": row.ref, "deal_price_fen": row.deal_price_fen, "winner_code": row.winner_code}
        act.witness(row, data)
        act.emit("auction.deal_confirmed.v1", row, data)
        return row


def do_declare_reneged(*, actor: Actor, lot_id: int, note: str = "") -> Lot:
    """Staff: 悔拍 — the buyer did not pay. Its deposit is forfeited (finance) and it may not bid in the
    re-auction. ``auction.not_renegeable`` otherwise."""
    lot = _lot(lot_id)
    require_staff(actor, lot.region_code, "登记悔拍", "record a reneged sale")
    note = " ".join((note or "").split())[:200]
    with action(actor, "auction.declare_reneged") as act:
        row = lock_objects.lot_for_update(lot.pk).get()
        if row.outcome != "sold" or row.settled:
            raise Conflict(
                "auction.not_renegeable", "该标的不处于可登记悔拍的状态", "This lot cannot be declared reneged"
            )
        Bidder.objects.filter(lot=row, entity_id=row.winner_entity_id).update(status="reneged")
        if row.deposit_fen:
            finance.do_forfeit_deposit(
                actor=Actor.system("auction"),
                lot_ref=row.finance_ref,
                entity_id=row.winner_entity_id,
                reason="reneged",
                note=note,
            )
        row.settled = "reneged"
        row.version += 1
        row.save()
        act.witness(row, {"lot": row.ref, "winner_code": row.winner_code, "note": note})
        act.emit("auction.sale_reneged.v1", row, {"lot": row.ref})
        return row


# -- 一次报价 / 权重报价: sealed single bids through the bid box -------------------------------------------------
def _open_sealed_box(actor: Actor, lot: Lot, spec: LotSpec) -> None:
    """The lot's bid box (services.bidbox): envelopes encrypted to the ceremony's opening key, the deadline the
    lot's end. A 一次报价 box opens by itself at the deadline; a 权重报价 box waits for staff, who record the other
    factors' scores first. The custodians may open every pending envelope (the rules let the platform decrypt
    one-round auction bids)."""
    assert spec.end_at is not None
    bidbox.do_open_box(
        actor=actor,
        owner=box_owner(lot),
        title=f"{lot.ref} {lot.title}"[:200],
        deadline=spec.end_at,
        opening_key=spec.opening_key,  # type: ignore[arg-type]
        min_bidders_rule=MIN_BIDDERS_RULE.get(lot.category, "judicial.min_bidders"),
        region=lot.region_code,
        fallback_policy="all_pending",
        readout_fields=["price_fen"],
        auto_start=lot.kind == "equity_sealed",
        project_code=lot.ref,
        section_code="1",
        owner_checked=True,
    )


def _sealed_lot(lot_id: int) -> Lot:
    lot = _lot(lot_id)
    if lot.kind not in SEALED:
        raise Conflict("auction.not_sealed_lot", "该标的不是一次报价或权重报价", "This lot takes no sealed bids")
    return lot


def _box_of(lot: Lot) -> bidbox_queries.BoxView:
    view = bidbox_queries.get_box_of_owner(box_owner(lot))
    if view is None:  # pragma: no cover - created with the lot
        raise NotFound("auction.box_missing", "该标的的投标箱不存在", "The lot has no bid box")
    return view


@dataclass(frozen=True)
class SealedReceipt:
    """What a bidder is told after its sealed bid committed: the command, the bid box's signed receipt id and
    the digest of the envelope (never the amount: nobody can read it before the opening)."""

    lot_id: int
    seq: int
    code: str
    submission_id: Any
    receipt_id: str
    received_at: datetime
    envelope_sm3: str


def do_submit_sealed_bid(
    *, actor: Actor, lot_id: int, stream: Any, upload_ip: str = "", upload_ip_source: str = ""
) -> SealedReceipt:
    """一次报价: the bidder's one sealed bid, a sealed-bid envelope (docs/trust/envelope.md) encrypted to the lot's
    opening key and to the bidder's certificate key, with the price in the bid document's summary
    (``{"summary": {"price_fen": …}}``). The bid box checks and stores it (``bidbox.*``, ``crypto.*``, ``ca.*``)
    and the engine logs the seal with the envelope's digest — in one action, so either both or nothing.
    ``auction.already_sealed`` for a second bid, ``auction.not_registered``, ``auction.not_started``; after the
    deadline ``bidbox.deadline_passed`` (or ``auction.wrong_phase``). ``upload_ip``/``upload_ip_source``: where the
    upload came from (``bidbox.web.upload_address_of``), kept by the bid box for supervision only."""
    lot = _sealed_lot(lot_id)
    bidder = bidder_of(actor, lot)
    box = _box_of(lot)
    state = commands.load_state(lot.stream, ENGINE)[0]
    if state is not None and bidder.code in state.sealed:  # fail fast, before the envelope is checked and stored
        raise codes.error_for(codes.ALREADY_SEALED)
    try:
        with action(actor, "auction.submit_sealed_bid") as act:
            submission = bidbox.do_submit_envelope(
                actor=actor,
                box_id=box.id,
                entity_id=bidder.entity_id,
                stream=stream,
                upload_ip=upload_ip,
                upload_ip_source=upload_ip_source,
            )
            command = {
                "type": "seal",
                "bidder": bidder.code,
                "digest": submission.envelope_sm3,
                "receipt": submission.receipt_id,
            }
            done = commands.submit(lot.stream, ENGINE, command, actor_ref=actor.ref)
            row = lock_objects.lot_for_update(lot.pk).get()
            _sync(row, done.state, done.accepted.seq)
            row.save()
            facts = {"lot": row.ref, "seq": row.seq, "code": bidder.code, "envelope_sm3": submission.envelope_sm3}
            act.witness(row, {**facts, "receipt_id": submission.receipt_id})
            # restricted and without the 竞买号: how many sealed bids a lot holds is not public before the opening
            act.emit(
                "auction.sealed_bid_received.v1",
                row,
                {"lot": row.ref, "seq": row.seq},
                visibility=Visibility.RESTRICTED,
            )
            _tell(row, bidder.code, "sealed", receipt_id=submission.receipt_id, envelope_sm3=submission.envelope_sm3)
            return SealedReceipt(
                row.pk,
                row.seq,
                bidder.code,
                submission.pk,
                submission.receipt_id,
                submission.received_at,
                submission.envelope_sm3,
            )
    except YiwangError:
        _after_refusal(lot)
        raise


def do_record_scores(*, actor: Actor, lot_id: int, scores: dict[str, int]) -> Lot:
    """权重报价: staff record the points each bidder (竞买号) earns for the factors other than price, before the
    price opening (the bid box not yet opened). Points are 0 … 10 000 − the price weight. Witnessed with every
    score. ``auction.not_weighted``, ``auction.prices_opened``, ``auction.not_registered``, ``auction.bad_score``."""
    lot = _sealed_lot(lot_id)
    require_staff(actor, lot.region_code, "录入评分", "record scores")
    if lot.kind != "equity_weighted":
        raise Conflict("auction.not_weighted", "仅权重报价需录入其他因素得分", "Only weighted lots take scores")
    if not isinstance(scores, dict) or not scores or len(scores) > 1000:
        raise InvalidInput("auction.scores_required", "请录入评分", "Scores are required", {"field": "scores"})
    known = set(Bidder.objects.filter(lot=lot, status="registered").values_list("code", flat=True))
    for code in scores:
        if code not in known:
            raise codes.error_for(codes.NOT_REGISTERED, {"code": str(code)[:20]})
    try:
        with action(actor, "auction.record_scores") as act:
            if _box_of(lot).status != "accepting":
                raise codes.error_for(codes.PRICES_OPENED)
            done = None
            for code, score in sorted(scores.items()):
                done = commands.submit(
                    lot.stream, ENGINE, {"type": "score", "bidder": code, "score": score}, actor_ref=actor.ref
                )
            assert done is not None
            row = lock_objects.lot_for_update(lot.pk).get()
            _sync(row, done.state, done.accepted.seq)
            row.save()
            act.witness(row, {"lot": row.ref, "seq": row.seq, "scores": dict(sorted(scores.items()))})
            act.emit("auction.scores_recorded.v1", row, {"lot": row.ref, "count": len(scores)})
            return row
    except YiwangError:
        _after_refusal(lot)
        raise


def do_open_sealed_prices(*, actor: Actor, lot_id: int) -> bidbox_queries.BoxView:
    """Start the price opening (开启报价) after the deadline: the bid box's opening, where bidders decrypt (or the
    custodians open every pending envelope). On a 权重报价 lot every sealed bid must have its score first
    (``auction.scores_missing``). ``auction.wrong_phase`` before the deadline."""
    lot = _sealed_lot(lot_id)
    require_staff(actor, lot.region_code, "开启报价", "open the prices")
    if lot.phase == "sealing" and lot.next_check is not None and lot.next_check <= clock_now():
        do_advance_lot(lot_id=lot.pk)
        lot = _lot(lot.pk)
    if lot.phase != "opening":
        raise codes.error_for(codes.WRONG_PHASE, {"phase": lot.phase})
    box = _box_of(lot)
    if box.status == "accepting":
        state = commands.load_state(lot.stream, ENGINE)[0]
        if lot.kind == "equity_weighted":
            missing = sorted(set(state.sealed) - set(state.scores))
            if missing:
                raise Conflict(
                    "auction.scores_missing",
                    "尚有密封报价未录入其他因素得分",
                    "Some sealed bids have no score yet",
                    {"codes": missing[:50]},
                )
        bidbox.do_start_opening(actor=actor, box_id=box.id)
    return _box_of(lot)


def _reveals(lot: Lot, state: EngineLot, box: bidbox_queries.BoxView) -> tuple[list[dict[str, Any]], list[dict]]:
    """The reveal commands from the opened box: the bids of registered bidders whose decrypted envelope is the
    one the engine sealed, with a whole positive ``price_fen``; the others are listed as skipped."""
    record = bidbox_queries.get_opening_record(box.id)
    digests = {e["receipt_id"]: e["envelope_sm3"] for e in record.get("entries", [])}
    codes_of = dict(Bidder.objects.filter(lot=lot, status="registered").values_list("entity_id", "code"))
    reveals: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for bid in bidbox_queries.list_decrypted_bids(box_owner(lot)):
        code = codes_of.get(bid.entity_id)
        sealed = state.sealed.get(code) if code else None
        if sealed is None or sealed[1] != digests.get(bid.receipt_id):
            skipped.append({"receipt_id": bid.receipt_id, "why": "not_sealed_here"})
            continue
        raw = str(bid.summary.get("price_fen", "")).strip()
        if not raw.isdigit() or not 0 < int(raw) <= MAX_FEN:
            skipped.append({"receipt_id": bid.receipt_id, "code": code, "why": "no_price"})
            continue
        reveals.append({"type": "reveal", "bidder": code, "amount": int(raw)})
    return reveals, skipped


def do_decide_sealed_lot(*, actor: Actor, lot_id: int) -> Lot:
    """After the opening: close the bid box if it may close, reveal each opened bid to the engine, and decide —
    一次报价: the highest price at or above the reserve, ties to the earliest seal; 权重报价: the highest total of
    price points (weight × price / best price) and the recorded scores. Staff or the clock. The result follows as
    for every lot (成交公告, deposits). ``auction.opening_not_started``, ``bidbox.decryption_window_open``."""
    lot = _sealed_lot(lot_id)
    require_staff(actor, lot.region_code, "确定一次报价结果", "decide sealed lots")
    if lot.phase != "opening":
        raise codes.error_for(codes.CLOSED if lot.phase == CLOSED else codes.WRONG_PHASE, {"phase": lot.phase})
    box = _box_of(lot)
    if box.status == "accepting":
        raise Conflict("auction.opening_not_started", "尚未开启报价", "The price opening has not started")
    if box.status == "opening":
        bidbox.do_close_opening(actor=actor, box_id=box.id)
        box = _box_of(lot)
    try:
        with action(actor, "auction.decide_sealed_lot") as act:
            command_log.lock(lot.stream)
            state = commands.load_state(lot.stream, ENGINE)[0]
            reveals, skipped = _reveals(lot, state, box)
            for command in reveals:
                commands.submit(lot.stream, ENGINE, command, actor_ref=actor.ref)
            done = commands.submit(lot.stream, ENGINE, {"type": "decide"}, actor_ref=actor.ref)
            state = done.state
            row = lock_objects.lot_for_update(lot.pk).get()
            _sync(row, state, done.accepted.seq)
            _record_result(row, state)
            row.save()
            data = {
                "lot": row.ref,
                "seq": row.seq,
                "phase": row.phase,
                "outcome": row.outcome,
                "deal_price_fen": row.deal_price_fen,
                "winner_code": row.winner_code,
                "opened": [
                    {"code": code, "amount": amount, "score": score}
                    for code, (amount, score) in sorted(state.revealed.items())
                ],
                "skipped": skipped,
            }
            act.witness(row, {**data, "box_id": box.id})
            act.emit("auction.lot_closed.v1", row, data)
            _publish(row, state)
            _tell_result(row, state)
    except YiwangError:
        _after_refusal(lot)
        raise
    _close_follow_up(row)
    return row


def lots_to_decide() -> list[int]:
    """Sealed lots waiting for their decision once their bid box closed (the clock's due job)."""
    rows = Lot.objects.filter(phase="opening", kind__in=sorted(SEALED)).order_by("pk")[:100]
    out = []
    for lot in rows:
        view = bidbox_queries.get_box_of_owner(box_owner(lot))
        if view is not None and view.status == "closed":
            out.append(lot.pk)
    return out


__all__ = [
    "BidReceipt",
    "LotSpec",
    "SealedReceipt",
    "do_advance_lot",
    "do_cancel_turn_bid",
    "do_complete_close",
    "do_confirm_deal",
    "do_create_lot",
    "do_decide_sealed_lot",
    "do_declare_continue",
    "do_declare_reneged",
    "do_exercise_preemption",
    "do_grant_preemption",
    "do_open_sealed_prices",
    "do_place_bid",
    "do_publish_result_notice",
    "do_record_scores",
    "do_register_bidder",
    "do_resume_lot",
    "do_submit_sealed_bid",
    "do_suspend_lot",
    "require_staff",
]
