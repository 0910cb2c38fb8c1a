"""The committee draw (专家抽取): candidates, the seeded selection, the sealed list and the replay.

The scheme, so that anyone can replay a draw from the witness log:

1. **Commitment.** Before a draw, the platform picks 32 random bytes (the *server secret*) and witnesses
   ``commitment = SHA-256(secret bytes)`` in an entry of its own (``experts.commit_draw_seed``). The secret
   itself stays in the database until the draw is unsealed.
2. **Request digest.** The request (project and section references, kind, regions, meeting window, lines of
   specialty × count × reserve, avoided firms with reasons, avoided experts, committee representatives,
   requesting actor and instant) is written as canonical JSON (sorted keys, no spaces, UTF-8) and hashed:
   ``request_digest = SHA-256(canonical request)``.
3. **Public value.** The hash of the newest witness entry when the draw runs (``public_seq``,
   ``public_hash``) — an entry written after the commitment, so the secret was fixed before it existed.
4. **Seed.** ``seed = SHA-256("yiwang.experts.draw.v1|" + secret hex + "|" + request_digest + "|" +
   public_hash)`` as lower-case hex.
5. **Candidates.** For each line *i* the eligible experts (see :mod:`.eligibility`) are listed by ascending
   expert id; ``candidates_digest = SHA-256(canonical [[ids of line 0], [ids of line 1], …])``.
6. **Ranking.** Line *i* orders its candidates by ``SHA-256(seed + "|" + i + "|" + expert id)`` (hex,
   ascending; ties by id). Lines are filled in request order, each taking the first candidates of its ranking
   that are not taken yet — skipping one only when taking them would leave a later line unable to be filled
   (Hall's condition over the remaining needs; never the case when lines do not share candidates).
   Then each line's reserves (备选, in order) are the next untaken candidates of its ranking.
7. **Result.** ``result_digest = SHA-256(canonical [{"line", "specialty", "members", "reserves"}, …])``.

The draw's witness entry holds the request digest, the commitment id, ``public_seq``/``public_hash``, the seed,
the candidates and result digests and a digest of the sealed name list (never names). The "unsealed" entry
reveals the secret, the full request, the name list and its salt: from those, anyone recomputes every digest
and the seed, and with the candidate lists (served by the replay API, checked against their digest) the
result.

Pure Python: no Django.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from yiwang.kernel.canonical import digest_json
from yiwang.kernel.errors import InvalidInput, RuleViolation
from yiwang.services.experts.domain.eligibility import (
    EXCLUSION_LABELS_ZH,
    Criteria,
    Exclusion,
    ExpertFacts,
    count_reasons,
    first_exclusion,
)
from yiwang.services.experts.domain.specialties import covers

SCHEME = "yiwang.experts.draw.v1"
MAX_LINES = 8


class AvoidReason:
    """回避原因 (data spec AVOID_REASON): 1 投标单位 · 2 招标单位 · 3 主管部门 · 4 代理机构 · 9 其他."""

    BIDDER = "1"
    TENDERER = "2"
    AUTHORITY = "3"
    AGENCY = "4"
    OTHER = "9"


AVOID_REASON_LABELS_ZH = {"1": "投标单位", "2": "招标单位", "3": "主管部门", "4": "代理机构", "9": "其他"}


@dataclass(frozen=True)
class Line:
    """One line of a request: ``count`` experts of ``specialty`` and ``reserve`` reserves (备选)."""

    specialty: str
    count: int
    reserve: int = 0
    main_only: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"specialty": self.specialty, "count": self.count, "reserve": self.reserve, "main_only": self.main_only}


@dataclass(frozen=True)
class LinePool:
    """The candidates of one line: ``holders`` experts hold the specialty; ``candidates`` (ascending ids) may
    sit; ``excluded`` counts the others by first reason."""

    line: Line
    holders: int
    candidates: tuple[int, ...]
    excluded: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LineResult:
    index: int
    specialty: str
    members: tuple[int, ...]
    reserves: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.index,
            "specialty": self.specialty,
            "members": list(self.members),
            "reserves": list(self.reserves),
        }


# -- hashing ----------------------------------------------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def commitment_of(secret_hex: str) -> str:
    """SHA-256 (hex) of the secret's bytes."""
    return hashlib.sha256(bytes.fromhex(secret_hex)).hexdigest()


def derive_seed(secret_hex: str, request_digest: str, public_hash: str) -> str:
    return _sha(f"{SCHEME}|{secret_hex}|{request_digest}|{public_hash}")


def rank_key(seed: str, line_index: int, expert_id: int) -> str:
    return _sha(f"{seed}|{line_index}|{expert_id}")


def ranking(seed: str, line_index: int, candidates: Iterable[int]) -> list[int]:
    """The candidates of a line in drawn order."""
    return sorted(set(candidates), key=lambda e: (rank_key(seed, line_index, e), e))


def request_digest(request: dict[str, Any]) -> str:
    return digest_json(request)


def candidates_digest(candidate_lists: Sequence[Sequence[int]]) -> str:
    return digest_json([sorted(ids) for ids in candidate_lists])


def result_digest(results: Sequence[LineResult]) -> str:
    return digest_json([r.as_json() for r in results])


def sealed_digest(draw_ref: str, seats: list[dict[str, Any]], salt: str) -> str:
    """The digest witnessed while the names are sealed; the "unsealed" entry reveals ``seats`` and ``salt``."""
    return digest_json({"draw": draw_ref, "salt": salt, "seats": seats})


# -- candidates -------------------------------------------------------------------------------------------------


def holds(facts: ExpertFacts, specialty: str, *, main_only: bool = False) -> bool:
    codes = facts.main_specialties if main_only else facts.specialties
    return any(covers(specialty, code) for code in codes)


def assemble(lines: Sequence[Line], experts: Iterable[ExpertFacts], criteria: Criteria) -> list[LinePool]:
    """Sort the experts holding each line's specialty into candidates and exclusions (by first reason)."""
    holders: list[list[tuple[int, Exclusion | None]]] = [[] for _ in lines]
    for facts in experts:
        reason: Exclusion | bool | None = False  # computed lazily, once per expert
        for i, line in enumerate(lines):
            if not holds(facts, line.specialty):
                continue
            if reason is False:
                reason = first_exclusion(facts, criteria)
            why = reason
            if why is None and line.main_only and not holds(facts, line.specialty, main_only=True):
                why = Exclusion.NOT_MAIN_SPECIALTY
            holders[i].append((facts.id, why))
    pools = []
    for line, found in zip(lines, holders, strict=True):
        pools.append(
            LinePool(
                line=line,
                holders=len(found),
                candidates=tuple(sorted(e for e, why in found if why is None)),
                excluded=count_reasons(why for _, why in found),
            )
        )
    return pools


# -- feasibility (Hall's condition over the lines) ---------------------------------------------------------------


def _masks(pools: Sequence[LinePool]) -> dict[int, int]:
    masks: dict[int, int] = {}
    for i, pool in enumerate(pools):
        bit = 1 << i
        for e in pool.candidates:
            masks[e] = masks.get(e, 0) | bit
    return masks


def _violations(needs: Sequence[int], type_counts: Counter[int], *, all_subsets: bool) -> list[tuple[int, int, int]]:
    """``(subset mask, needed, available)`` for subsets of lines whose needs exceed the distinct candidates."""
    active = [i for i, n in enumerate(needs) if n > 0]
    found = []
    for size in range(1, len(active) + 1):
        for subset in combinations(active, size):
            mask = sum(1 << i for i in subset)
            if any((mask & v) == v for v, _, _ in found):
                continue  # a smaller failing subset already explains it
            need = sum(needs[i] for i in subset)
            available = sum(c for m, c in type_counts.items() if m & mask)
            if need > available:
                found.append((mask, need, available))
                if not all_subsets:
                    return found
    return found


def unsatisfiable(lines: Sequence[Line], pools: Sequence[LinePool]) -> RuleViolation | None:
    """The refusal ``experts.draw_unsatisfiable`` when the candidates cannot fill every line (per line: needed,
    eligible, holders and exclusions by reason; plus any group of lines sharing too few candidates)."""
    counts = Counter(_masks(pools).values())
    failing = _violations([line.count for line in lines], counts, all_subsets=True)
    if not failing:
        return None
    details_lines = [
        {
            "line": i,
            "specialty": line.specialty,
            "needed": line.count,
            "eligible": len(pool.candidates),
            "holders": pool.holders,
            "excluded": pool.excluded,
        }
        for i, (line, pool) in enumerate(zip(lines, pools, strict=True))
    ]
    groups = [
        {"lines": [i for i in range(len(lines)) if mask >> i & 1], "needed": need, "available": available}
        for mask, need, available in failing
    ]
    parts = []
    for mask, need, available in failing:
        idx = [i for i in range(len(lines)) if mask >> i & 1]
        if len(idx) == 1:
            pool = pools[idx[0]]
            why = "、".join(f"{EXCLUSION_LABELS_ZH[r]} {n} 人" for r, n in pool.excluded.items())
            parts.append(
                f"{lines[idx[0]].specialty} 需要 {need} 人，符合条件 {available} 人"
                + (f"（持有该专业 {pool.holders} 人，其中{why}）" if why else f"（持有该专业 {pool.holders} 人）")
            )
        else:
            codes = "、".join(lines[i].specialty for i in idx)
            parts.append(f"{codes} 合计需要 {need} 人，符合条件的不同专家仅 {available} 人")
    return RuleViolation(
        "experts.draw_unsatisfiable",
        "可抽取的专家不足，本次未抽取任何专家：" + "；".join(parts),
        "Not enough eligible experts; nobody was drawn",
        {"lines": details_lines, "shortages": groups},
    )


def check_lines(lines: Sequence[Line]) -> None:
    if not lines:
        raise InvalidInput(
            "experts.draw_lines_empty", "至少须申请一个专业", "request at least one line", {"field": "lines"}
        )
    if len(lines) > MAX_LINES:
        raise InvalidInput(
            "experts.draw_lines_too_many",
            f"一次抽取至多 {MAX_LINES} 个专业",
            f"at most {MAX_LINES} lines per draw",
            {"field": "lines", "max": MAX_LINES},
        )
    seen = set()
    for i, line in enumerate(lines):
        if line.count < 1 or line.reserve < 0:
            raise InvalidInput(
                "experts.draw_line_count",
                "每个专业的抽取人数至少 1 人，备选人数不得为负",
                "each line needs a count of at least 1 and a reserve of at least 0",
                {"field": f"lines.{i}", "count": line.count, "reserve": line.reserve},
            )
        key = (line.specialty, line.main_only)
        if key in seen:
            raise InvalidInput(
                "experts.draw_line_duplicate",
                f"专业 {line.specialty} 重复申请，请合并人数",
                f"specialty {line.specialty} is requested twice; merge the counts",
                {"field": f"lines.{i}", "specialty": line.specialty},
            )
        seen.add(key)


# -- selection ----------------------------------------------------------------------------------------------------


def select(lines: Sequence[Line], pools: Sequence[LinePool], seed: str) -> tuple[LineResult, ...]:
    """Members and ordered reserves of each line (step 6 of the scheme). The caller has checked
    :func:`unsatisfiable` first; a pool that cannot be filled raises ``ValueError``."""
    masks = _masks(pools)
    type_counts: Counter[int] = Counter(masks.values())
    remaining = [line.count for line in lines]
    if _violations(remaining, type_counts, all_subsets=False):
        raise ValueError("the lines cannot be filled from these candidates")
    rankings = [ranking(seed, i, pool.candidates) for i, pool in enumerate(pools)]
    taken: set[int] = set()
    members: list[list[int]] = [[] for _ in lines]
    shared = any(bin(m).count("1") > 1 for m in type_counts)  # some expert is a candidate of two lines
    for i in range(len(lines)):
        for e in rankings[i]:
            if remaining[i] == 0:
                break
            if e in taken:
                continue
            mask = masks[e]
            type_counts[mask] -= 1
            remaining[i] -= 1
            if shared and _violations(remaining, type_counts, all_subsets=False):
                type_counts[mask] += 1  # needed by a later line: skip
                remaining[i] += 1
                continue
            taken.add(e)
            members[i].append(e)
    results = []
    for i, line in enumerate(lines):
        reserves = []
        for e in rankings[i]:
            if len(reserves) >= line.reserve:
                break
            if e not in taken:
                reserves.append(e)
                taken.add(e)
        results.append(LineResult(i, line.specialty, tuple(members[i]), tuple(reserves)))
    return tuple(results)


# -- replay ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayReport:
    ok: bool
    commitment_ok: bool
    request_ok: bool
    seed_ok: bool
    candidates_ok: bool
    result_ok: bool
    seed: str
    results: tuple[LineResult, ...]
    problems: tuple[str, ...]


def replay(
    *,
    lines: Sequence[Line],
    candidate_lists: Sequence[Sequence[int]],
    request: dict[str, Any],
    secret_hex: str,
    commitment: str,
    public_hash: str,
    recorded_request_digest: str,
    recorded_seed: str,
    recorded_candidates_digest: str,
    recorded_result_digest: str,
) -> ReplayReport:
    """Recompute every digest, the seed and the selection from the recorded inputs, and compare."""
    problems = []
    commitment_ok = commitment_of(secret_hex) == commitment
    if not commitment_ok:
        problems.append("commitment")
    req_digest = request_digest(request)
    request_ok = req_digest == recorded_request_digest
    if not request_ok:
        problems.append("request_digest")
    seed = derive_seed(secret_hex, req_digest, public_hash)
    seed_ok = seed == recorded_seed
    if not seed_ok:
        problems.append("seed")
    candidates_ok = candidates_digest(candidate_lists) == recorded_candidates_digest
    if not candidates_ok:
        problems.append("candidates_digest")
    pools = [LinePool(line, len(ids), tuple(sorted(ids))) for line, ids in zip(lines, candidate_lists, strict=True)]
    try:
        results = select(lines, pools, seed)
    except ValueError:
        results = ()
    result_ok = bool(results) and result_digest(results) == recorded_result_digest
    if not result_ok:
        problems.append("result_digest")
    ok = commitment_ok and request_ok and seed_ok and candidates_ok and result_ok
    return ReplayReport(
        ok, commitment_ok, request_ok, seed_ok, candidates_ok, result_ok, seed, results, tuple(problems)
    )
