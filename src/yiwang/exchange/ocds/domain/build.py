"""OCDS 1.1 releases of one tender section (one contracting process), stage by stage.

The input is a *public* snapshot of the process (``facts``, plain JSON values, made by the context's public
queries) and the stage a feed event announced. Each stage puts into its release only what became public at that
stage, so a release built late (a re-publication, a catch-up) never carries later facts into an earlier stage:

==============  ======================  ===============================================================
stage           tag                     content
==============  ======================  ===============================================================
planning        planning                the budget (合同估算价 / 预算金额) and its source
tender          tender                  the tender: title, value, method, periods, documents
amendment:<n>   tenderAmendment|Update  澄清/修改 number n (tenderAmendment when the deadline moved)
opening         tenderUpdate            the opening record: tenderers, their bids (唱标 prices)
candidates      award                   中标候选人 as pending awards
award           award                   the winner's award active, the other candidates unsuccessful
contract        contract                the signed contract
cancelled       tenderCancellation      the tender cancelled (终止)
unsuccessful    tenderUpdate            the tender failed (流标 / 废标)
==============  ======================  ===============================================================

The release id is ``<ocid>-<feed sequence number>-<stage>``: the same event always gives the same id, so a
publication can be repeated without producing new releases. Pure Python: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

STAGES = ("planning", "tender", "opening", "candidates", "award", "contract", "cancelled", "unsuccessful")
AMENDMENT = re.compile(r"^amendment:(\d+)$")
SCHEME = "CN-USCC"  # 统一社会信用代码
CURRENCY = "CNY"
MAX_TEXT = 2000


def ocid_of(prefix: str, deal_code: str) -> str:
    return f"{prefix}-{deal_code}"


def release_id(ocid: str, seq: int, stage: str) -> str:
    return f"{ocid}-{seq:010d}-{stage.replace(':', '')}"


def amount(fen: int | None) -> dict[str, Any] | None:
    """Integer 分 as an OCDS Value in yuan (an integer when whole, else two decimals)."""
    if fen is None:
        return None
    yuan: int | float = fen // 100 if fen % 100 == 0 else round(fen / 100, 2)
    return {"amount": yuan, "currency": CURRENCY}


def party_id(name: str, uscc: str | None) -> str:
    return f"{SCHEME}-{uscc}" if uscc else f"name-{name}"


def party(name: str, uscc: str | None, roles: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": party_id(name, uscc), "name": name, "roles": roles}
    if uscc:
        out["identifier"] = {"scheme": SCHEME, "id": uscc, "legalName": name}
    return out


def ref(p: Mapping[str, Any]) -> dict[str, str]:
    return {"id": p["id"], "name": p["name"]}


def procurement_method(project: Mapping[str, Any]) -> str:
    key = str(project.get("procedure_key", ""))
    if project.get("invitation") or project.get("prequalification"):
        return "selective"
    if any(word in key for word in ("single", "negotiation", "consult", "inquiry", "direct")):
        return "limited"
    return "open"


def main_category(subject: str) -> str | None:
    return {"works": "works", "goods": "goods", "services": "services"}.get(subject)


def _clip(text: str | None) -> str | None:
    return text[:MAX_TEXT] if text else None


def _drop_empty(value: Any) -> Any:
    """Leave out None, empty strings, empty lists and empty objects (OCDS: omit what is unknown)."""
    if isinstance(value, dict):
        out = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def _organisations(facts: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    project = facts["project"]
    buyer_info = project["buyer"]
    agency_info = project.get("agency")
    buyer = party(buyer_info["name"], buyer_info.get("uscc"), ["buyer"])
    if agency_info and agency_info.get("name"):
        procuring = party(agency_info["name"], agency_info.get("uscc"), ["procuringEntity"])
    else:
        buyer["roles"] = ["buyer", "procuringEntity"]
        procuring = buyer
    return buyer, procuring


def _base(facts: Mapping[str, Any], *, ocid: str, rid: str, date: str, tag: list[str]) -> dict[str, Any]:
    buyer, procuring = _organisations(facts)
    parties = [buyer] if procuring is buyer else [buyer, procuring]
    return {
        "ocid": ocid,
        "id": rid,
        "date": date,
        "tag": tag,
        "initiationType": "tender",
        "language": "zh",
        "buyer": ref(buyer),
        "parties": parties,
    }


def _tender_id(facts: Mapping[str, Any]) -> str:
    return str(facts["section"]["code"])


def _title(facts: Mapping[str, Any]) -> str:
    return f"{facts['project']['name']} {facts['section']['name']}".strip()


def _award_id(section_code: str, round_: int, rank: int) -> str:
    return f"{section_code}-r{round_}-c{rank}"


def build_release(facts: Mapping[str, Any], stage: str, *, prefix: str, seq: int, date: str) -> dict[str, Any] | None:
    """The release of ``stage`` (see the module's table), or None when the facts hold nothing public for it."""
    project, section = facts["project"], facts["section"]
    ocid = ocid_of(prefix, section["deal_code"])
    rid = release_id(ocid, seq, stage)
    tender_id = _tender_id(facts)
    amendment = AMENDMENT.match(stage)
    if stage == "planning":
        release = _base(facts, ocid=ocid, rid=rid, date=date, tag=["planning"])
        release["planning"] = {
            "rationale": _clip(project.get("content")),
            "budget": {
                "id": f"{section['code']}-budget",
                "description": project.get("fund_source") or None,
                "amount": amount(section.get("estimate_fen")),
                "project": project["name"],
                "projectID": project["code"],
            },
        }
        release["tender"] = {"id": tender_id, "title": _title(facts)}
    elif stage == "tender":
        release = _base(facts, ocid=ocid, rid=rid, date=date, tag=["tender"])
        procuring = ref(_organisations(facts)[1])
        ceiling = section.get("ceiling_fen")
        release["tender"] = {
            "id": tender_id,
            "title": _title(facts),
            "description": _clip(section.get("content") or project.get("content")),
            "status": "active",
            "procuringEntity": procuring,
            "value": amount(ceiling if ceiling is not None else section.get("estimate_fen")),
            "procurementMethod": procurement_method(project),
            "procurementMethodDetails": project.get("procedure_title"),
            "mainProcurementCategory": main_category(project.get("subject", "")),
            "submissionMethod": ["electronicSubmission"],
            "eligibilityCriteria": _clip(section.get("qualification_text")),
            "awardCriteriaDetails": section.get("evaluation_method"),
            "tenderPeriod": {"startDate": project.get("published_at"), "endDate": section.get("bid_deadline")},
            "enquiryPeriod": {"startDate": section.get("doc_get_start"), "endDate": section.get("doc_get_end")},
            "documents": [
                {
                    "id": d["id"],
                    "documentType": "biddingDocuments" if d.get("kind") == "tender_documents" else None,
                    "title": d.get("title"),
                    "datePublished": d.get("issued_at"),
                    "format": "application/pdf",
                    "language": "zh",
                }
                for d in project.get("documents", [])
            ],
        }
    elif amendment:
        number = int(amendment.group(1))
        found = [c for c in project.get("clarifications", []) if c["number"] == number]
        if not found:
            return None
        c = found[0]
        tag = ["tenderAmendment"] if c.get("postponed") else ["tenderUpdate"]
        release = _base(facts, ocid=ocid, rid=rid, date=date, tag=tag)
        release["tender"] = {
            "id": tender_id,
            "tenderPeriod": {"endDate": c.get("new_deadline")} if c.get("postponed") else None,
            "amendments": [
                {
                    "id": str(number),
                    "date": c.get("issued_at"),
                    "description": _clip(c.get("text")),
                    "rationale": f"澄清或者修改（第{number}号）",
                }
            ],
        }
    elif stage == "opening":
        opening = facts.get("opening")
        if not opening:
            return None
        release = _base(facts, ocid=ocid, rid=rid, date=date, tag=["tenderUpdate"])
        tenderers = [party(e["bidder"], e.get("bidder_id"), ["tenderer"]) for e in opening["entries"]]
        release["parties"] = [*release["parties"], *tenderers]
        release["tender"] = {
            "id": tender_id,
            "numberOfTenderers": len(tenderers),
            "tenderers": [ref(p) for p in tenderers],
        }
        release["bids"] = {
            "details": [
                {
                    "id": f"{tender_id}-r{section.get('round', 1)}-bid-{e['number']}",
                    "date": e.get("received_at"),
                    "status": "valid" if e.get("decrypted") else "disqualified",
                    "tenderers": [ref(p)],
                    "value": amount(e.get("price_fen")),
                }
                for e, p in zip(opening["entries"], tenderers, strict=True)
            ]
        }
    elif stage == "candidates":
        candidates = facts.get("candidates") or []
        if not candidates:
            return None
        release = _base(facts, ocid=ocid, rid=rid, date=date, tag=["award"])
        people = [party(c["name"], c.get("uscc"), ["tenderer"]) for c in candidates]
        release["parties"] = [*release["parties"], *people]
        release["awards"] = [
            {
                "id": _award_id(tender_id, c["round"], c["rank"]),
                "title": f"第{c['rank']}中标候选人",
                "status": "pending",
                "value": amount(c.get("price_fen")),
                "suppliers": [ref(p)],
            }
            for c, p in zip(candidates, people, strict=True)
        ]
    elif stage == "award":
        award = facts.get("award")
        if not award:
            return None
        release = _base(facts, ocid=ocid, rid=rid, date=date, tag=["award"])
        winner = party(award["name"], award.get("uscc"), ["tenderer", "supplier"])
        release["parties"] = [*release["parties"], winner]
        candidates = facts.get("candidates") or []
        winning = [c for c in candidates if (c.get("uscc") or c["name"]) == (award.get("uscc") or award["name"])]
        award_id = (
            _award_id(tender_id, winning[0]["round"], winning[0]["rank"])
            if winning
            else f"{tender_id}-award-{award['id']}"
        )
        awards = [
            {
                "id": award_id,
                "title": f"中标通知书 {award.get('letter_number', '')}".strip(),
                "status": "active",
                "date": award.get("issued_at"),
                "value": amount(award.get("price_fen")),
                "suppliers": [ref(winner)],
            }
        ]
        for c in candidates:
            cid = _award_id(tender_id, c["round"], c["rank"])
            if cid != award_id and c["round"] == (winning[0]["round"] if winning else c["round"]):
                awards.append({"id": cid, "status": "unsuccessful"})
        release["awards"] = awards
    elif stage == "contract":
        contract = facts.get("contract")
        if not contract:
            return None
        release = _base(facts, ocid=ocid, rid=rid, date=date, tag=["contract"])
        award = facts.get("award") or {}
        candidates = facts.get("candidates") or []
        winning = [c for c in candidates if (c.get("uscc") or c["name"]) == (award.get("uscc") or award.get("name"))]
        award_id = (
            _award_id(tender_id, winning[0]["round"], winning[0]["rank"])
            if winning
            else f"{tender_id}-award-{award.get('id')}"
        )
        release["contracts"] = [
            {
                "id": f"{tender_id}-contract-{contract['id']}",
                "awardID": award_id,
                "title": contract.get("name"),
                "description": contract.get("code") or None,
                "status": "active",
                "value": amount(contract.get("amount_fen")),
                "dateSigned": contract.get("signed_at"),
            }
        ]
    elif stage in ("cancelled", "unsuccessful"):
        tag = ["tenderCancellation"] if stage == "cancelled" else ["tenderUpdate"]
        release = _base(facts, ocid=ocid, rid=rid, date=date, tag=tag)
        release["tender"] = {"id": tender_id, "status": stage}
    else:
        raise ValueError(f"unknown OCDS stage {stage!r}")
    return _drop_empty(release)


# -- auction lots (网络竞价与拍卖) ---------------------------------------------------------------------------------
LOT_STAGES = ("lot", "lot_closed", "deal_confirmed", "reneged")


def build_lot_release(
    facts: Mapping[str, Any], stage: str, *, prefix: str, seq: int, date: str
) -> dict[str, Any] | None:
    """The release of an auction lot's stage: ``lot`` (the listing), ``lot_closed`` (sold: the buyer named as in
    the 成交公告; unsold: unsuccessful), ``deal_confirmed`` (成交确认: award active, the deal as a contract),
    ``reneged`` (悔拍: the award cancelled). Never a bid history, a 竞买号 or the reserve."""
    ref_ = str(facts["ref"])
    ocid = ocid_of(prefix, ref_)
    base: dict[str, Any] = {
        "ocid": ocid,
        "id": release_id(ocid, seq, stage),
        "date": date,
        "initiationType": "tender",
        "language": "zh",
    }
    award_id = f"{ref_}-award"
    winner = facts.get("winner")
    if stage == "lot":
        base["tag"] = ["tender"]
        base["tender"] = {
            "id": ref_,
            "title": facts.get("title"),
            "description": _clip(facts.get("description")),
            "status": "active",
            "value": amount(facts.get("start_price_fen")),
            "procurementMethod": "open",
            "procurementMethodDetails": facts.get("preset_label"),
            "submissionMethod": ["electronicAuction"],
            "tenderPeriod": {"startDate": facts.get("start_at"), "endDate": facts.get("planned_end_at")},
        }
    elif stage == "lot_closed":
        if facts.get("phase") != "closed":
            return None
        if facts.get("outcome") == "sold" and winner:
            buyer = party(winner["name"], winner.get("uscc"), ["tenderer", "supplier"])
            base["tag"] = ["award"]
            base["parties"] = [buyer]
            base["tender"] = {"id": ref_, "status": "complete", "numberOfTenderers": facts.get("bidders")}
            base["awards"] = [
                {
                    "id": award_id,
                    "status": "pending",
                    "date": facts.get("closed_at"),
                    "value": amount(facts.get("deal_price_fen")),
                    "suppliers": [ref(buyer)],
                }
            ]
        else:
            base["tag"] = ["tenderUpdate"]
            base["tender"] = {"id": ref_, "status": "unsuccessful", "numberOfTenderers": facts.get("bidders")}
    elif stage == "deal_confirmed":
        if facts.get("outcome") != "sold":
            return None
        base["tag"] = ["awardUpdate", "contract"]
        base["awards"] = [{"id": award_id, "status": "active"}]
        base["contracts"] = [
            {
                "id": f"{ref_}-deal",
                "awardID": award_id,
                "title": f"成交确认 {ref_}",
                "status": "active",
                "value": amount(facts.get("deal_price_fen")),
                "dateSigned": date,
            }
        ]
    elif stage == "reneged":
        base["tag"] = ["awardCancellation"]
        base["awards"] = [{"id": award_id, "status": "cancelled"}]
    else:
        raise ValueError(f"unknown OCDS lot stage {stage!r}")
    return _drop_empty(base)
