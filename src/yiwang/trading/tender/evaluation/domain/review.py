"""Qualification review (资格审查) and compliance review (符合性审查): per bid, per member, then the committee's
decision by majority.

A member's review sheet holds, for every bid under review and every check of the stage (a qualification
requirement, or a rejection ground of 条例 Art.51 / the tender documents), a finding ``{"ok": bool, "note": str}``
— ``ok`` means the bid passes that check (the requirement is met; the ground does not apply). A failed finding
must say why.

The committee rejects a bid when more than half of its members find it fails the stage (any check). The
reasons recorded are the checks the members failed it on, each with how many members did and their notes; a
check failed by a majority is marked as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yiwang.trading.tender.evaluation.domain.errors import invalid

NOTE_MIN = 2
NOTE_MAX = 500


@dataclass(frozen=True)
class Check:
    code: str
    text: str
    source: str = ""


@dataclass(frozen=True)
class Finding:
    ok: bool
    note: str = ""


Sheet = Mapping[int, Mapping[str, Finding]]  # bid id → check code → finding


def parse_sheet(
    raw: Any, bid_ids: Sequence[int], checks: Sequence[Check], *, complete: bool
) -> dict[int, dict[str, Finding]]:
    """Read a sheet (``{"<bid id>": {"<check>": {"ok": …, "note": …}}}``). ``complete``: every bid and check
    must be answered (submission); a draft may be partial. Unknown bids or checks are refused."""
    if not isinstance(raw, Mapping):
        raise invalid("sheet_invalid", "评审表格式不正确", "the sheet must be an object", "verdicts")
    known_checks = {c.code for c in checks}
    out: dict[int, dict[str, Finding]] = {}
    for key, findings in raw.items():
        try:
            bid_id = int(key)
        except (TypeError, ValueError):
            bid_id = -1
        if bid_id not in bid_ids:
            raise invalid(
                "sheet_bid_unknown",
                "评审表中有不在评审范围内的投标",
                "the sheet names a bid not under review",
                f"verdicts.{key}",
            )
        if not isinstance(findings, Mapping):
            raise invalid("sheet_invalid", "评审表格式不正确", "findings must be an object", f"verdicts.{key}")
        row: dict[str, Finding] = {}
        for code, finding in findings.items():
            where = f"verdicts.{key}.{code}"
            if code not in known_checks:
                raise invalid(
                    "sheet_check_unknown", "评审表中有未设置的审查项", "the sheet names an unknown check", where
                )
            if isinstance(finding, Finding):
                ok, note = finding.ok, finding.note
            elif isinstance(finding, Mapping) and isinstance(finding.get("ok"), bool):
                ok, note = finding["ok"], str(finding.get("note") or "")
            else:
                raise invalid(
                    "finding_invalid", "每项审查须选择“符合”或“不符合”", "each finding needs ok: true/false", where
                )
            note = note.strip()
            if len(note) > NOTE_MAX:
                raise invalid(
                    "note_too_long", f"说明不得超过 {NOTE_MAX} 字", f"a note has at most {NOTE_MAX} characters", where
                )
            if not ok and len(note) < NOTE_MIN:
                raise invalid("reason_required", "判定“不符合”须写明理由", "a failed check needs its reason", where)
            row[code] = Finding(ok, note)
        out[bid_id] = row
    if complete:
        for bid_id in bid_ids:
            row = out.get(bid_id, {})
            missing = [c.code for c in checks if c.code not in row]
            if missing:
                raise invalid(
                    "sheet_incomplete",
                    "评审表尚未填写完整",
                    "the sheet is not complete",
                    f"verdicts.{bid_id}",
                    missing=missing,
                )
    return out


def sheet_as_json(sheet: Mapping[int, Mapping[str, Finding]]) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        str(bid): {code: {"ok": f.ok, "note": f.note} for code, f in sorted(row.items())}
        for bid, row in sorted(sheet.items())
    }


def sheet_from_json(data: Mapping[str, Any]) -> dict[int, dict[str, Finding]]:
    return {
        int(bid): {code: Finding(bool(f["ok"]), str(f.get("note", ""))) for code, f in row.items()}
        for bid, row in (data or {}).items()
    }


def bid_fails(findings: Mapping[str, Finding]) -> bool:
    return any(not f.ok for f in findings.values())


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    source: str
    votes: int
    majority: bool
    notes: tuple[tuple[str, str], ...]  # (member label, note)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "text": self.text,
            "source": self.source,
            "votes": self.votes,
            "majority": self.majority,
            "notes": [{"member": m, "note": n} for m, n in self.notes],
        }


@dataclass(frozen=True)
class Decision:
    bid_id: int
    passed: bool
    votes_pass: int
    votes_fail: int
    reasons: tuple[Reason, ...]

    @property
    def reason_text(self) -> str:
        """VETO_REASON_DETAIL: the grounds (majority ones first) with the members' notes."""
        parts = []
        for r in self.reasons:
            notes = "；".join(n for _, n in r.notes if n)
            parts.append(f"{r.text}（{r.votes} 名成员认定{('：' + notes) if notes else ''}）")
        return "；".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "bid_id": self.bid_id,
            "passed": self.passed,
            "votes_pass": self.votes_pass,
            "votes_fail": self.votes_fail,
            "reasons": [r.as_json() for r in self.reasons],
            "reason_text": self.reason_text if not self.passed else "",
        }


def decide(
    bid_ids: Sequence[int], checks: Sequence[Check], sheets: Mapping[str, Mapping[int, Mapping[str, Finding]]]
) -> dict[int, Decision]:
    """The committee's decision per bid from every member's complete sheet (``member label → sheet``)."""
    members = len(sheets)
    out: dict[int, Decision] = {}
    for bid_id in bid_ids:
        fail_votes = 0
        per_check: dict[str, list[tuple[str, str]]] = {c.code: [] for c in checks}
        for label, sheet in sheets.items():
            findings = sheet.get(bid_id, {})
            if bid_fails(findings):
                fail_votes += 1
            for code, finding in findings.items():
                if not finding.ok and code in per_check:
                    per_check[code].append((label, finding.note))
        reasons = sorted(
            (
                Reason(
                    c.code,
                    c.text,
                    c.source,
                    len(per_check[c.code]),
                    2 * len(per_check[c.code]) > members,
                    tuple(per_check[c.code]),
                )
                for c in checks
                if per_check[c.code]
            ),
            key=lambda r: -r.votes,
        )
        rejected = 2 * fail_votes > members
        out[bid_id] = Decision(bid_id, not rejected, members - fail_votes, fail_votes, tuple(reasons))
    return out
