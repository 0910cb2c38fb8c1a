"""OCDS 1.1 releases of the records sub-platforms push in the national data-spec datasets (分平台数据).

The input (``facts``) is plain JSON made by ``exchange.ocds.spec_facts`` from the exchange's public record
versions *as of the feed event* (the record of the event, and its chain — tender project, section, candidates,
result — as the hub held them at that moment), so a release built again later carries the same content.

One contracting process (one ``ocid``) per:

==========================  ======================================================  ==========================
category                    process                                                 ocid
==========================  ======================================================  ==========================
works (工程建设)             a section (标段/包)                                      ``<prefix>-<BID_SECTION_CODE>``
gp (政府采购)                a purchase package (采购包)                              ``<prefix>-<项目编号>-<包编号>``
land (土地使用权出让)        a deal (统一交易标识码)                                   ``<prefix>-<UNIFIED_DEAL_CODE>``
state_assets (国有产权)      a deal (统一交易标识码)                                   ``<prefix>-<UNIFIED_DEAL_CODE>``
==========================  ======================================================  ==========================

``BID_SECTION_CODE`` is mandatory and may never change once reported (the exchange refuses a changed key), so
the ocid is known from the first record of the process and never moves; the section's ``UNIFIED_DEAL_CODE`` is
optional in the spec and may be added later, so it is not used for the ocid. A record deleted by its
sub-platform (DATA_TYPE 3) cannot unpublish a release (releases are immutable): it yields a release that
reflects it — the award or contract ``cancelled``, the section ``withdrawn``, a notice or opening record
withdrawn as a tender amendment. Pure Python: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from yiwang.exchange.ocds.domain.build import _clip, _drop_empty, ocid_of, party, ref, release_id

CATEGORY_OF = {
    "TENDER_PROJECT": "works",
    "SECTION": "works",
    "TENDER_ANN_QUA_INQUERY_ANN": "works",
    "BID_OPENING_RECORD": "works",
    "TENDER_CANDIDATE_ANNOUNCE": "works",
    "WIN_RESULT_ANNO": "works",
    "CONTRACT_PERFORMANCE": "works",
    "PURCHASE_PROJECT": "gp",
    "BID_DEAL_ANNOUNCE": "gp",
    "PURCHASE_CONTRACT": "gp",
    "DEAL_BEHAVIOR_INFO": "land",
    "DEAL_LAND_INFO": "land",
    "LISTING_PUB_INFO": "state_assets",
    "TRADE_RESULT_INFO": "state_assets",
}
PUBLISHED_DATASETS = tuple(CATEGORY_OF)
RANKS = (("FIRST", 1, "第一"), ("SECOND", 2, "第二"), ("THIRD", 3, "第三"))
STAGE = {
    "TENDER_PROJECT": "sp-tenderproject",
    "SECTION": "sp-section",
    "TENDER_ANN_QUA_INQUERY_ANN": "sp-notice",
    "BID_OPENING_RECORD": "sp-opening",
    "TENDER_CANDIDATE_ANNOUNCE": "sp-candidates",
    "WIN_RESULT_ANNO": "sp-result",
    "CONTRACT_PERFORMANCE": "sp-contract",
    "PURCHASE_PROJECT": "sp-purchase",
    "BID_DEAL_ANNOUNCE": "sp-dealnotice",
    "PURCHASE_CONTRACT": "sp-contract",
    "DEAL_BEHAVIOR_INFO": "sp-landnotice",
    "DEAL_LAND_INFO": "sp-landdeal",
    "LISTING_PUB_INFO": "sp-listing",
    "TRADE_RESULT_INFO": "sp-traderesult",
}
_URL = re.compile(r"^https?://[^\s<>\"]+$")
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


# -- values ---------------------------------------------------------------------------------------------------------
def spec_time(text: Any) -> str | None:
    """``yyyyMMddHHmmss`` or ``yyyyMMdd`` (Beijing time) as RFC 3339 with ``+08:00``."""
    s = str(text or "")
    if len(s) == 14 and s.isdigit():
        return f"{s[0:4]}-{s[4:6]}-{s[6:8]}T{s[8:10]}:{s[10:12]}:{s[12:14]}+08:00"
    if len(s) == 8 and s.isdigit():
        return f"{s[0:4]}-{s[4:6]}-{s[6:8]}T00:00:00+08:00"
    return None


def spec_amount(value: Any, unit: Any = "0", currency: Any = "CNY") -> dict[str, Any] | None:
    """A spec decimal in 元 (PRICE_UNIT 0) or 万元 (1) as an OCDS Value in units of the currency."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if str(unit) == "1":
        number *= 10000
    number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole = number == number.to_integral_value()
    return {"amount": int(number) if whole else float(number), "currency": str(currency or "CNY")}


def url(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if _URL.match(text) else None


def org(name: Any, code: Any, roles: list[str]) -> dict[str, Any] | None:
    """A party from a spec name and code (the code counts as a 统一社会信用代码 only when it looks like one)."""
    name_text = str(name or "").strip()
    if not name_text:
        return None
    code_text = str(code or "").strip().upper()
    return party(name_text, code_text if _USCC.match(code_text) else None, roles)


def _document(
    doc_id: str, kind: str, title: Any, *, description: Any = None, date: Any = None, link: Any = None
) -> dict[str, Any]:
    return {
        "id": doc_id,
        "documentType": kind,
        "title": str(title) if title else None,
        "description": _clip(str(description)) if description else None,
        "url": url(link),
        "datePublished": spec_time(date),
        "language": "zh",
    }


def _withdrawal(key: str, date: str, what_zh: str) -> dict[str, Any]:
    return {"id": f"withdrawn-{key}", "date": date, "rationale": f"分平台撤回（删除）了{what_zh}数据"}


def _tag(facts: Mapping[str, Any], added: str, updated: str, deleted: str) -> list[str]:
    if facts["operation"] == "delete":
        return [deleted]
    return [added] if facts.get("first") else [updated]


def _release(ocid: str, facts: Mapping[str, Any], *, seq: int, date: str, tag: list[str]) -> dict[str, Any]:
    return {
        "ocid": ocid,
        "id": release_id(ocid, seq, STAGE[facts["dataset"]]),
        "date": date,
        "tag": tag,
        "initiationType": "tender",
        "language": "zh",
        "parties": [],
    }


def _add_party(release: dict[str, Any], p: dict[str, Any] | None) -> dict[str, Any] | None:
    if p is None:
        return None
    for existing in release["parties"]:
        if existing["id"] == p["id"]:
            existing["roles"] = sorted(set(existing["roles"]) | set(p["roles"]))
            return existing
    release["parties"].append(p)
    return p


def _buyer(release: dict[str, Any], name: Any, code: Any, agency_name: Any = None, agency_code: Any = None) -> None:
    """The buyer (招标人 / 采购人) and, when an agency runs the procedure, the procuring entity (代理机构)."""
    buyer = _add_party(release, org(name, code, ["buyer"]))
    if buyer is None:
        return
    release["buyer"] = ref(buyer)
    agency = _add_party(release, org(agency_name, agency_code, ["procuringEntity"]))
    if agency is None:
        buyer["roles"] = sorted({*buyer["roles"], "procuringEntity"})
        agency = buyer
    release.setdefault("tender", {})["procuringEntity"] = ref(agency)


def build_spec_releases(facts: Mapping[str, Any], *, prefix: str, seq: int, date: str) -> list[dict[str, Any]]:
    """The releases of one pushed record version (one per process it concerns; none when it concerns none)."""
    category = CATEGORY_OF.get(facts["dataset"])
    if category is None or not facts.get("record"):
        return []
    builder = {"works": _works, "gp": _gp, "land": _land, "state_assets": _assets}[category]
    out = []
    for release in builder(facts, prefix=prefix, seq=seq, date=date):
        if not release["parties"]:
            release.pop("parties")
        out.append(_drop_empty(release))
    return out


# -- works: one process per section ---------------------------------------------------------------------------------
def _award_id(section: str, rank: int | None) -> str:
    return f"{section}-c{rank}" if rank else f"{section}-award"


def _candidates(record: Mapping[str, Any] | None) -> list[tuple[int, str, str, str]]:
    """(rank, label, name, code) of the 中标候选人 a candidate publicity names."""
    if not record:
        return []
    return [
        (rank, label, str(record.get(f"{p}_BIDDER_NAME") or ""), str(record.get(f"{p}_BIDDER_CODE") or ""))
        for p, rank, label in RANKS
        if record.get(f"{p}_BIDDER_NAME")
    ]


def _winner_rank(result: Mapping[str, Any] | None, candidates: Mapping[str, Any] | None) -> int | None:
    if not result:
        return None
    name, code = str(result.get("WIN_BIDDER_NAME") or ""), str(result.get("WIN_BIDDER_CODE") or "")
    for rank, _label, c_name, c_code in _candidates(candidates):
        if (code and c_code == code) or (not (code and c_code) and c_name == name):
            return rank
    return None


def _works_title(tp: Mapping[str, Any] | None, section: Mapping[str, Any] | None, code: str) -> str:
    project_name = str((tp or {}).get("TENDER_PROJECT_NAME") or "")
    section_name = str((section or {}).get("BID_SECTION_NAME") or "")
    return f"{project_name} {section_name}".strip() or code


def _procurement_method(tp: Mapping[str, Any] | None, notice: Mapping[str, Any] | None) -> str | None:
    if str((notice or {}).get("BULLETIN_TYPE") or "") in ("2", "3") or str((tp or {}).get("TENDER_MODE")) == "2":
        return "selective"
    if str((tp or {}).get("TENDER_MODE")) == "1":
        return "open"
    return None


def _notice_tender(tender: dict[str, Any], tp: Mapping[str, Any] | None, notice: Mapping[str, Any]) -> None:
    number = notice.get("NOTICE_BID_NUM") or 1
    tender.update(
        status="active",
        procurementMethod=_procurement_method(tp, notice),
        procurementMethodDetails={"1": "公开招标", "2": "邀请招标"}.get(str((tp or {}).get("TENDER_MODE"))),
        mainProcurementCategory="works",
        submissionMethodDetails=notice.get("BID_DOC_REFER_METHOD"),
        tenderPeriod={
            "startDate": spec_time(notice.get("NOTICE_SEND_TIME")),
            "endDate": spec_time(notice.get("BID_DOC_REFER_END_TIME")),
        },
        documents=[
            _document(
                f"notice-{number}",
                "tenderNotice",
                notice.get("NOTICE_NAME"),
                description=notice.get("NOTICE_CONTENT"),
                date=notice.get("NOTICE_SEND_TIME"),
                link=notice.get("URL"),
            )
        ],
    )


def _works(facts: Mapping[str, Any], *, prefix: str, seq: int, date: str) -> list[dict[str, Any]]:
    dataset, record, tp = facts["dataset"], facts["record"], facts.get("tender_project")
    deleted = facts["operation"] == "delete"
    releases = []
    for target in facts.get("sections") or []:
        code = str(target["code"])
        section = target.get("record")
        release = _release(ocid_of(prefix, code), facts, seq=seq, date=date, tag=[])
        tender: dict[str, Any] = {"id": code}
        release["tender"] = tender
        if tp:
            _buyer(
                release,
                tp.get("TENDERER_NAME"),
                tp.get("TENDERER_CODE"),
                tp.get("TENDER_AGENCY_NAME"),
                tp.get("TENDER_AGENCY_CODE"),
            )
        if dataset in ("TENDER_PROJECT", "SECTION"):
            tender["title"] = _works_title(tp, section, code)
        if dataset == "TENDER_PROJECT":
            release["tag"] = ["tenderUpdate"]
        elif dataset == "SECTION":
            release["tag"] = _tag(facts, "planning", "planningUpdate", "tenderCancellation")
            if deleted:
                tender.update(status="withdrawn", amendments=[_withdrawal(code, date, "标段（包）")])
            else:
                tender.update(
                    description=_clip(record.get("BID_SECTION_CONTENT")),
                    eligibilityCriteria=_clip(record.get("BID_QUALIFICATION")),
                    mainProcurementCategory="works",
                )
                release["planning"] = {
                    "budget": {
                        "id": f"{code}-budget",
                        "description": (tp or {}).get("FUND_SOURCE"),
                        "amount": spec_amount(
                            record.get("CONTRACT_RECKON_PRICE"), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE")
                        ),
                        "project": (tp or {}).get("TENDER_PROJECT_NAME"),
                        "projectID": record.get("TENDER_PROJECT_CODE"),
                    }
                }
                notices = target.get("notices") or []
                if facts.get("first") and notices:  # the notice came before its section: the tender is on
                    release["tag"] = ["planning", "tender"]
                    _notice_tender(tender, tp, notices[-1])
        elif dataset == "TENDER_ANN_QUA_INQUERY_ANN":
            number = record.get("NOTICE_BID_NUM") or 1
            correction = str(record.get("NOTICE_NATURE") or "") == "2" or int(number) > 1
            release["tag"] = _tag(facts, "tenderAmendment" if correction else "tender", "tenderUpdate", "tenderUpdate")
            tender["title"] = _works_title(tp, section, code)
            if deleted:
                tender["amendments"] = [_withdrawal(f"notice-{number}", date, f"第{number}次公告")]
            else:
                _notice_tender(tender, tp, record)
                if correction:
                    tender["amendments"] = [
                        {
                            "id": f"notice-{number}",
                            "date": spec_time(record.get("NOTICE_SEND_TIME")),
                            "description": _clip(record.get("NOTICE_CONTENT")),
                            "rationale": str(record.get("NOTICE_NAME") or f"第{number}次公告"),
                        }
                    ]
        elif dataset == "BID_OPENING_RECORD":
            release["tag"] = ["tenderUpdate"]
            if deleted:
                tender["amendments"] = [_withdrawal("opening", date, "开标记录")]
            else:
                tender["documents"] = [
                    _document(
                        "opening-record",
                        "bidders",
                        record.get("NOTICE_NAME") or "开标记录",
                        description=record.get("BID_OPENING_CONTENT"),
                        date=record.get("BID_OPENING_TIME"),
                        link=record.get("URL"),
                    )
                ]
        elif dataset == "TENDER_CANDIDATE_ANNOUNCE":
            release["tag"] = _tag(facts, "award", "awardUpdate", "awardCancellation")
            awards = []
            for rank, label, name, c_code in _candidates(record):
                award: dict[str, Any] = {"id": _award_id(code, rank), "status": "cancelled" if deleted else "pending"}
                if not deleted:
                    supplier = _add_party(release, org(name, c_code, ["tenderer"]))
                    award.update(
                        title=f"{label}中标候选人",
                        date=spec_time(record.get("PUBLICITY_START_TIME")),
                        suppliers=[ref(supplier)] if supplier else None,
                    )
                awards.append(award)
            release["awards"] = awards
        elif dataset == "WIN_RESULT_ANNO":
            release["tag"] = _tag(facts, "award", "awardUpdate", "awardCancellation")
            candidates = target.get("candidates")
            rank = _winner_rank(record, candidates)
            award = {"id": _award_id(code, rank), "status": "cancelled" if deleted else "active"}
            awards = [award]
            if not deleted:
                winner = _add_party(
                    release, org(record.get("WIN_BIDDER_NAME"), record.get("WIN_BIDDER_CODE"), ["tenderer", "supplier"])
                )
                award.update(
                    title=record.get("NOTICE_NAME"),
                    date=spec_time(record.get("NOTICE_SEND_TIME")),
                    value=spec_amount(record.get("BID_AMOUNT"), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE")),
                    suppliers=[ref(winner)] if winner else None,
                    documents=[
                        _document(
                            "result-notice",
                            "awardNotice",
                            record.get("NOTICE_NAME"),
                            description=record.get("NOTICE_CONTENT"),
                            date=record.get("NOTICE_SEND_TIME"),
                            link=record.get("URL"),
                        )
                    ],
                )
                awards += [
                    {"id": _award_id(code, other), "status": "unsuccessful"}
                    for other, *_ in _candidates(candidates)
                    if other != rank
                ]
            release["awards"] = awards
        elif dataset == "CONTRACT_PERFORMANCE":
            release["tag"] = _tag(facts, "contract", "contractUpdate", "contractUpdate")
            contract: dict[str, Any] = {
                "id": f"{code}-contract-{record.get('CONTRACT_CODE')}",
                "awardID": _award_id(code, _winner_rank(target.get("result"), target.get("candidates"))),
                "status": "cancelled" if deleted else "active",
            }
            if not deleted:
                supplier = _add_party(release, org(record.get("BIDDER_NAME"), record.get("BIDDER_CODE"), ["supplier"]))
                contract.update(
                    title=record.get("CONTRACT_NAME"),
                    description=_clip(record.get("CONTRACT_CONTENT")),
                    value=spec_amount(
                        record.get("CONTRACT_PRICE"), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE")
                    ),
                    dateSigned=spec_time(record.get("CONTRACT_SIGN_TIME")),
                )
                if supplier is not None:
                    contract["description"] = contract["description"] or f"中标人：{supplier['name']}"
            release["contracts"] = [contract]
        else:  # pragma: no cover — CATEGORY_OF and this chain name the same datasets
            continue
        releases.append(release)
    return releases


# -- government procurement: one process per package ----------------------------------------------------------------
def _gp(facts: Mapping[str, Any], *, prefix: str, seq: int, date: str) -> list[dict[str, Any]]:
    dataset, record = facts["dataset"], facts["record"]
    project = facts.get("purchase_project") or (record if dataset == "PURCHASE_PROJECT" else None)
    deleted = facts["operation"] == "delete"
    package = f"{record.get('PURCHASE_PROJECT_CODE')}-{record.get('PURCHASE_SECTION_CODE')}"
    release = _release(ocid_of(prefix, package), facts, seq=seq, date=date, tag=[])
    tender: dict[str, Any] = {"id": package}
    release["tender"] = tender
    if project:
        _buyer(
            release,
            project.get("PURCHASER_NAME"),
            project.get("PURCHASER_CODE"),
            project.get("AGENCY_NAME"),
            project.get("AGENCY_CODE"),
        )
    award_id = f"{package}-award"
    if dataset == "PURCHASE_PROJECT":
        release["tag"] = _tag(facts, "tender", "tenderUpdate", "tenderCancellation")
        if deleted:
            tender.update(status="withdrawn", amendments=[_withdrawal(package, date, "采购项目")])
        else:
            budget = spec_amount(record.get("PROGRAM_BUDGET"), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE"))
            release["planning"] = {
                "budget": {
                    "id": f"{package}-budget",
                    "amount": budget,
                    "project": record.get("PURCHASE_PROJECT_NAME"),
                    "projectID": record.get("PURCHASE_PROJECT_CODE"),
                }
            }
            tender.update(
                title=record.get("PURCHASE_PROJECT_NAME"),
                status="active",
                value=budget,
                procurementMethod={"open_tender": "open", "invited_tender": "selective"}.get(
                    str(record.get("PURCHASER_MODE")), "limited" if record.get("PURCHASER_MODE") else None
                ),
                procurementMethodDetails=facts.get("method_label"),
            )
    elif dataset == "BID_DEAL_ANNOUNCE":
        release["tag"] = _tag(facts, "award", "awardUpdate", "awardCancellation")
        award: dict[str, Any] = {"id": award_id, "status": "cancelled" if deleted else "active"}
        if not deleted:
            winner = _add_party(
                release,
                org(record.get("WINNINGBIDDER_NAME"), record.get("WINNINGBIDDER_CODE"), ["tenderer", "supplier"]),
            )
            award.update(
                title=record.get("NOTICE_NAME"),
                date=spec_time(record.get("NOTICE_SEND_TIME")),
                value=spec_amount(record.get("WIN_BID_PRICE"), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE")),
                suppliers=[ref(winner)] if winner else None,
                documents=[
                    _document(
                        "deal-notice",
                        "awardNotice",
                        record.get("NOTICE_NAME"),
                        description=record.get("NOTICE_CONTENT"),
                        date=record.get("NOTICE_SEND_TIME"),
                        link=record.get("URL"),
                    )
                ],
            )
        release["awards"] = [award]
    else:  # PURCHASE_CONTRACT
        release["tag"] = _tag(facts, "contract", "contractUpdate", "contractUpdate")
        contract: dict[str, Any] = {
            "id": f"{package}-contract-{record.get('CONTRACT_CODE')}",
            "awardID": award_id,
            "status": "cancelled" if deleted else "active",
        }
        if not deleted:
            contract.update(
                title=record.get("CONTRACT_NAME"),
                description=f"供应商：{record['SUPPLIER_NAME']}" if record.get("SUPPLIER_NAME") else None,
                value=spec_amount(record.get("CONTRACT_AMOUNT"), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE")),
                dateSigned=spec_time(record.get("SIGNING_TIME")),
                documents=[
                    _document(
                        "contract", "contractSigned", record.get("CONTRACT_NAME") or "合同", link=record.get("URL")
                    )
                ]
                if url(record.get("URL"))
                else None,
            )
        release["contracts"] = [contract]
    return [release]


# -- land and state assets: one process per deal (the buyer is named in the award, as for auction lots) --------------
def _sale(
    facts: Mapping[str, Any],
    *,
    prefix: str,
    seq: int,
    date: str,
    notice_dataset: str,
    details: str,
    notice_fields: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, Any], str, bool]:
    record = facts["record"]
    deal = str(record.get("UNIFIED_DEAL_CODE"))
    release = _release(ocid_of(prefix, deal), facts, seq=seq, date=date, tag=[])
    tender: dict[str, Any] = {"id": deal}
    release["tender"] = tender
    deleted = facts["operation"] == "delete"
    if facts["dataset"] == notice_dataset:
        release["tag"] = _tag(facts, "tender", "tenderUpdate", "tenderCancellation")
        if deleted:
            tender.update(status="withdrawn", amendments=[_withdrawal(deal, date, "挂牌（出让）公告")])
        else:
            tender.update(
                title=record.get(notice_fields["title"]),
                status="active",
                value=spec_amount(
                    record.get(notice_fields.get("price", "")), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE")
                )
                if notice_fields.get("price")
                else None,
                procurementMethod="open",
                procurementMethodDetails=details,
                tenderPeriod={
                    "startDate": spec_time(record.get(notice_fields["start"])),
                    "endDate": spec_time(record.get(notice_fields["end"])),
                },
                documents=[
                    _document(
                        "notice",
                        "tenderNotice",
                        record.get(notice_fields["title"]),
                        description=record.get("NOTICE_CONTENT"),
                        date=record.get(notice_fields["published"]),
                        link=record.get("URL"),
                    )
                ],
            )
    return release, tender, deal, deleted


def _land(facts: Mapping[str, Any], *, prefix: str, seq: int, date: str) -> list[dict[str, Any]]:
    fields = {
        "title": "NOTICE_NAME",
        "start": "LISTING_START_TIME",
        "end": "LISTING_DEADLINE",
        "published": "NOTICE_SEND_TIME",
    }
    release, _tender, deal, deleted = _sale(
        facts,
        prefix=prefix,
        seq=seq,
        date=date,
        notice_dataset="DEAL_BEHAVIOR_INFO",
        details="国有建设用地使用权出让（招标拍卖挂牌）",
        notice_fields=fields,
    )
    if facts["dataset"] == "DEAL_LAND_INFO":
        record = facts["record"]
        release["tag"] = _tag(facts, "award", "awardUpdate", "awardCancellation")
        award: dict[str, Any] = {
            "id": f"{deal}-{record.get('LAND_CODE')}",
            "status": "cancelled" if deleted else "active",
        }
        if not deleted:
            buyer = _add_party(release, org(record.get("LENDING_NAME"), record.get("LENDING_CODE"), ["supplier"]))
            award.update(
                title=f"宗地 {record.get('LAND_CODE')} 成交",
                description=record.get("LAND_USAGE"),
                date=spec_time(record.get("DEAL_TIME")),
                value=spec_amount(record.get("DEAL_PRICE"), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE")),
                suppliers=[ref(buyer)] if buyer else None,
            )
        release["awards"] = [award]
    return [release]


def _assets(facts: Mapping[str, Any], *, prefix: str, seq: int, date: str) -> list[dict[str, Any]]:
    fields = {
        "title": "PROJECT_NAME",
        "price": "PROJECT_PRICE",
        "start": "LISTING_START_TIME",
        "end": "LISTING_END_TIME",
        "published": "LISTING_START_TIME",
    }
    release, _tender, deal, deleted = _sale(
        facts,
        prefix=prefix,
        seq=seq,
        date=date,
        notice_dataset="LISTING_PUB_INFO",
        details="企业国有产权转让（挂牌）",
        notice_fields=fields,
    )
    if facts["dataset"] == "TRADE_RESULT_INFO":
        record = facts["record"]
        release["tag"] = _tag(facts, "award", "awardUpdate", "awardCancellation")
        award: dict[str, Any] = {"id": f"{deal}-award", "status": "cancelled" if deleted else "active"}
        if not deleted:
            buyer = _add_party(release, org(record.get("TRANSFEREE_NAME"), None, ["supplier"]))
            award.update(
                title="产权交易结果",
                date=spec_time(record.get("TRADE_DATE")),
                value=spec_amount(record.get("TRADE_VALUE"), record.get("PRICE_UNIT"), record.get("CURRENCY_CODE")),
                suppliers=[ref(buyer)] if buyer else None,
            )
        release["awards"] = [award]
    return [release]
