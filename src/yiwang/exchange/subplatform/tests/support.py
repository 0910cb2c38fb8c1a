"""Test helpers: the hub with a registered sub-platform, a signing sub-platform client, national-spec records
of a works tender, and counters of everything a refused push must not leave behind."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

from yiwang.exchange.subplatform import actions
from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca import actions as ca
from yiwang.identity.ca import queries as ca_queries
from yiwang.identity.ca.tests.support import Issued, Pki
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import iso_utc
from yiwang.platform.search.domain.documents import SearchQuery
from yiwang.platform.search.queries import search_for

WORKS = "91310000900000022A"  # 平台目录 sh.works (工程建设招投标分平台)
GP = "91310000900000057W"  # 平台目录 sh.gp
TS = "20260302085900"  # a minute before the test clock (09:00 Shanghai)
PASSWORD = "Yiwang-test-2026"


def counts() -> dict[str, int]:
    """Rows a refused push must not leave behind."""
    names = {
        "records": ("subplatform", "Record"),
        "versions": ("subplatform", "RecordVersion"),
        "receipts": ("subplatform", "Receipt"),
        "refusals": ("subplatform", "Refusal"),
        "platforms": ("subplatform", "SubPlatform"),
        "witness": ("audit", "WitnessEntry"),
        "events": ("outbox", "OutboxEvent"),
        "documents": ("search", "IndexedDocument"),
        "nonces": ("ca", "SeenNonce"),
    }
    return {key: apps.get_model(*model).objects.count() for key, model in names.items()}


@dataclass
class Client:
    """A sub-platform's machine: its bearer token and signing certificate."""

    api: Any
    token: str
    cert: Issued
    clock: Any

    def signed_headers(
        self,
        payload: Any,
        *,
        nonce: str | None = None,
        timestamp: str | None = None,
        cert: Issued | None = None,
        sign_payload: Any = None,
    ) -> dict[str, str]:
        cert = cert or self.cert
        nonce = nonce or uuid.uuid4().hex
        timestamp = timestamp or iso_utc(self.clock.now())
        message = ca_queries.api_signing_input(
            payload if sign_payload is None else sign_payload, timestamp=timestamp, nonce=nonce
        )
        return {
            "X-Yiwang-Timestamp": timestamp,
            "X-Yiwang-Nonce": nonce,
            "X-Yiwang-Signature": base64.b64encode(cert.sign(message)).decode(),
            "X-Yiwang-Certificate": base64.b64encode(cert.cert.der).decode(),
        }

    def push(self, dataset: str, record: dict, **signing: Any):
        headers = self.signed_headers(record, **signing)
        return self.api.with_token(self.token).post(f"/exchange/records/{dataset}", record, headers=headers)

    def batch(self, items: list[tuple[str, dict]], **signing: Any):
        body = {"records": [{"dataset": d, "record": r} for d, r in items]}
        headers = self.signed_headers(body, **signing)
        return self.api.with_token(self.token).post("/exchange/batch", body, headers=headers)


@dataclass
class Hub:
    system: Actor
    staff: Any  # Account: staff administrator over 310000
    pki: Pki
    works: Client
    platform: Any
    extra: dict = field(default_factory=dict)

    @property
    def staff_actor(self) -> Actor:
        return actor_for_account(self.staff)

    def account(self, username: str, *roles: Role, region: str = "310000", admin: bool = False):
        account = identity.do_create_account(
            actor=Actor.anonymous(), username=username, display_name=username, password=PASSWORD
        )
        for role in roles:
            identity.do_grant_role(actor=self.system, role=role, account=account, region=region, admin=admin)
        return account

    def search(self, text: str, *, actor: Actor | None = None) -> list:
        page = search_for(actor or Actor.anonymous(), SearchQuery(text=text, kinds=("exchange_record",)))
        return list(page.hits)


def trust(pki: Pki, actor: Actor) -> None:
    ca.do_register_ca(actor=actor, certificate=pki.root.cert.der, mapping="demo")
    ca.do_register_ca(actor=actor, certificate=pki.sub.cert.der)
    ca.do_import_crl(actor=actor, crl=pki.crl("root"))
    ca.do_import_crl(actor=actor, crl=pki.crl("sub"))


def register(
    actor: Actor, api: Any, clock: Any, pki: Pki, *, code: str = WORKS, client_id: str = "sp-works"
) -> tuple[Any, Client]:
    cert = pki.issue(entity=code, name="上海市建设工程招标投标服务机构")
    platform, secret = actions.do_register_subplatform(
        actor=actor, platform_code=code, client_id=client_id, region_code="310000", certificate=cert.pem
    )
    token, _ = identity.do_issue_client_token(client_id=client_id, client_secret=secret)
    return platform, Client(api, token, cert, clock)


def make_hub(system: Actor, api: Any, clock: Any) -> Hub:
    staff = identity.do_create_account(
        actor=Actor.anonymous(), username="hub-staff", display_name="交易中心管理员", password=PASSWORD
    )
    identity.do_grant_role(actor=system, role=Role.STAFF, account=staff, region="310000", admin=True)
    staff_actor = actor_for_account(staff)
    pki = Pki("sm2")
    trust(pki, staff_actor)
    platform, client = register(staff_actor, api, clock, pki)
    return Hub(system, staff, pki, client, platform)


# -- a works tender in national-spec JSON ------------------------------------------------------------------------------
def common(ts: str = TS, code: str = WORKS) -> dict[str, Any]:
    return {"PLATFORM_CODE": code, "DATA_TIMESTAMP": ts}


def project(**over: Any) -> dict[str, Any]:
    return {
        "DATA_TYPE": "1",
        **common(),
        "PROJECT_CODE": "2026-310112-48-01",
        "PROJECT_NAME": "闵行区莘庄镇社区文化中心新建工程",
        "REGION_CODE": "310112",
        "INDUSTRIES_TYPE": "A01",
        "RELATE_CODE": "1",
        **over,
    }


def tender_project(**over: Any) -> dict[str, Any]:
    return {
        "DATA_TYPE": "1",
        **common(),
        "TENDER_PROJECT_CODE": "E3101120001000001",
        "PROJECT_CODE": "2026-310112-48-01",
        "TENDER_PROJECT_NAME": "莘庄镇社区文化中心新建工程施工招标",
        "REGION_CODE": "310112",
        "TENDERER_NAME": "上海市闵行区莘庄镇人民政府",
        "TENDER_MODE": "1",
        "TENDER_PROJECT_TYPE": "A01",
        **over,
    }


def section(**over: Any) -> dict[str, Any]:
    return {
        "DATA_TYPE": "1",
        **common(),
        "BID_SECTION_CODE": "E3101120001000001001",
        "TENDER_PROJECT_CODE": "E3101120001000001",
        "BID_SECTION_NAME": "施工总承包",
        "CONTRACT_RECKON_PRICE": "4860.5",
        "CURRENCY_CODE": "CNY",
        "PRICE_UNIT": "1",
        **over,
    }


def tender_notice(**over: Any) -> dict[str, Any]:
    return {
        "DATA_TYPE": "1",
        **common(),
        "TENDER_PROJECT_CODE": "E3101120001000001",
        "NOTICE_BID_NUM": 1,
        "NOTICE_NAME": "莘庄镇社区文化中心新建工程施工招标公告",
        "NOTICE_CONTENT": "本招标项目已由闵行区发展和改革委员会批准建设，现对施工总承包进行公开招标。",
        "NOTICE_SEND_TIME": "20260302083000",
        "BULLETIN_TYPE": "1",
        "NOTICE_NATURE": "1",
        "BID_DOC_REFER_END_TIME": "20260323093000",
        **over,
    }


def opening(**over: Any) -> dict[str, Any]:
    return {
        "DATA_TYPE": "1",
        **common(),
        "TENDER_PROJECT_CODE": "E3101120001000001",
        "BID_SECTION_CODE": "E3101120001000001001",
        "NOTICE_NAME": "施工总承包开标记录",
        "BID_OPENING_TIME": "20260302083000",
        **over,
    }


def result(**over: Any) -> dict[str, Any]:
    return {
        "DATA_TYPE": "1",
        **common(),
        "TENDER_PROJECT_CODE": "E3101120001000001",
        "BID_SECTION_CODE": "E3101120001000001001",
        "WIN_BIDDER_NAME": "上海浦江数智建设工程有限公司",
        "WIN_BIDDER_CODE": "91310115MA1FL2X37F",
        "BID_AMOUNT": "4712.3",
        "CURRENCY_CODE": "CNY",
        "PRICE_UNIT": "1",
        "NOTICE_NAME": "莘庄镇社区文化中心新建工程施工中标结果公告",
        "NOTICE_SEND_TIME": "20260302084500",
        **over,
    }


def works_tender() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("PROJECT", project()),
        ("TENDER_PROJECT", tender_project()),
        ("SECTION", section()),
        ("TENDER_ANN_QUA_INQUERY_ANN", tender_notice()),
        ("BID_OPENING_RECORD", opening()),
        ("WIN_RESULT_ANNO", result()),
    ]
