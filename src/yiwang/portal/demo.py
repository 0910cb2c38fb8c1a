"""Demo data for ``make run``: organisations, staff, regulators, experts, market entities and a sub-platform
client, created through the same actions people use (so every row is witnessed and on the feed).

Loading is idempotent: when the demo administrator exists, nothing is done. All demo accounts share one
password, printed by the command — this is a demonstration installation bound to loopback, not production.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from yiwang.identity import actions as identity
from yiwang.identity import queries as identity_queries
from yiwang.kernel.actors import Actor, Role
from yiwang.registry import actions as registry
from yiwang.registry import queries as registry_queries

DEMO_PASSWORD = "Yiwang-Demo-2026"  # noqa: S105 (a published demo password, printed by seed-demo)


@dataclass
class DemoAccount:
    username: str
    display_name: str
    what: str


@dataclass
class DemoReport:
    created: bool
    accounts: list[DemoAccount] = field(default_factory=list)
    client_id: str = ""
    client_secret: str = ""


ORGANISATIONS = [
    ("trading_centre", "上海市公共资源交易中心", "310000", None),
    ("trading_centre", "上海市公共资源交易中心（闵行分中心）", "310112", "上海市公共资源交易中心"),
    ("regulator", "上海市发展和改革委员会", "310000", None),
    ("regulator", "上海市闵行区发展和改革委员会", "310112", None),
    ("subplatform_operator", "上海联合产权交易所", "310000", None),
]

# (username, display name, role, region, organisation name, admin, description)
OFFICIALS = [
    ("admin", "系统管理员", Role.STAFF, "310000", "上海市公共资源交易中心", True, "交易中心管理员（全市）"),
    (
        "staff-mh",
        "闵行分中心工作人员",
        Role.STAFF,
        "310112",
        "上海市公共资源交易中心（闵行分中心）",
        False,
        "交易中心工作人员（闵行）",
    ),
    ("regulator", "市发改委监管员", Role.REGULATOR, "310000", "上海市发展和改革委员会", False, "监管人员（全市）"),
    (
        "regulator-mh",
        "闵行区发改委监管员",
        Role.REGULATOR,
        "310112",
        "上海市闵行区发展和改革委员会",
        False,
        "监管人员（闵行）",
    ),
    ("auditor", "审计人员", Role.AUDITOR, "310000", "上海市发展和改革委员会", False, "审计（只读）"),
    ("expert-li", "李评审", Role.EXPERT, "310000", None, False, "评审专家"),
    ("expert-zhou", "周评审", Role.EXPERT, "310000", None, False, "评审专家"),
]

# (username, display name, USCC of the demo authoritative source, roles, entity role in identity)
MARKET_USERS = [
    ("pujiang", "浦江建设投标专员", "91310115MA1FL2X37F", ["bidder"], Role.MARKET_ENTITY_USER),
    ("lvyuan", "绿源环保投标专员", "91310112MA1G8K4P1Q", ["bidder", "supplier"], Role.MARKET_ENTITY_USER),
    ("songjiang", "松江智造投标专员", "91310117MA1J5R6T2U", ["bidder", "supplier"], Role.MARKET_ENTITY_USER),
    ("xuhui", "徐汇城建项目经理", "91310104132203571A", ["tenderer", "purchaser"], Role.MARKET_ENTITY_USER),
    ("shencheng", "申城咨询代理人", "91310000132260947A", ["tender_agency", "procurement_agency"], Role.AGENCY),
]

CONTACT_PHONE = "021-12345678"
OPERATOR_ORGANISATION = "上海市工程建设招投标分平台运营机构"
OPERATOR_PLATFORM_CODE = "91310000900000022A"  # 平台目录 sh.works


def load_demo() -> DemoReport:
    if identity_queries.find_account("admin") is not None:
        return DemoReport(created=False)
    system = Actor.system("seed-demo")
    report = DemoReport(created=True)
    with transaction.atomic():
        orgs = {}
        for kind, name, region, parent in ORGANISATIONS:
            uscc = settings.YIWANG_PLATFORM_CODE if name == "上海市公共资源交易中心" else ""
            orgs[name] = identity.do_create_organisation(
                actor=system, kind=kind, name=name, region_code=region, uscc=uscc, parent=orgs.get(parent)
            )
        for username, display, role, region, org, admin, what in OFFICIALS:
            account = identity.do_create_account(
                actor=system, username=username, display_name=display, password=DEMO_PASSWORD
            )
            identity.do_grant_role(
                actor=system, role=role, account=account, region=region, admin=admin, organisation=orgs.get(org)
            )
            if username == "admin":
                identity.do_make_operator(actor=system, account=account)
            report.accounts.append(DemoAccount(username, display, what))
        for username, display, uscc, roles, role in MARKET_USERS:
            account = identity.do_create_account(
                actor=system, username=username, display_name=display, password=DEMO_PASSWORD
            )
            official = registry_queries.lookup_official_record(uscc)
            entity = registry.do_register_entity(
                actor=system,
                data={
                    "kind": official.kind if official else "legal_person",
                    "uscc": uscc,
                    "roles": roles,
                    "contact_name": display,
                    "contact_phone": CONTACT_PHONE,
                },
            )
            identity.do_grant_role(actor=system, role=role, account=account, entity_id=entity.pk, admin=True)
            report.accounts.append(DemoAccount(username, display, f"{entity.name}（管理员）"))
        client, secret = identity.do_register_client(
            actor=system,
            client_id="sp-cq",
            name="上海市公共资源交易平台（国有产权分平台）",
            organisation=orgs["上海联合产权交易所"],
        )
        identity.do_grant_role(actor=system, role=Role.SUBPLATFORM_CLIENT, client=client, region="310000")
        report.client_id, report.client_secret = client.client_id, secret
        # 分平台运营人员: a person of the works sub-platform's operator (bound by the organisation's USCC, which is the
        # sub-platform's PLATFORM_CODE); sees that sub-platform's data-quality report once it is registered.
        operator_org = identity.do_create_organisation(
            actor=system,
            kind="subplatform_operator",
            name=OPERATOR_ORGANISATION,
            region_code="310000",
            uscc=OPERATOR_PLATFORM_CODE,
        )
        operator = identity.do_create_account(
            actor=system, username="sp-operator", display_name="工程建设分平台运营员", password=DEMO_PASSWORD
        )
        identity.do_grant_role(
            actor=system, role=Role.SUBPLATFORM_OPERATOR, account=operator, organisation=operator_org
        )
        report.accounts.append(DemoAccount("sp-operator", "工程建设分平台运营员", "分平台运营人员（工程建设分平台）"))
    return report
