"""Fixtures of the search tests: a fixed corpus, the adapter of the database in use, the reference adapter,
and a test actor resolver (bearer tokens naming test actors) for the API and page tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import HttpRequest

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import NotAuthenticated
from yiwang.platform.api import auth
from yiwang.platform.search.backends import get_index
from yiwang.platform.search.backends.memory import MemorySearchIndex
from yiwang.platform.search.domain.documents import SearchDocument

T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 2026-03-02 09:00 Shanghai

# (key, title, body, region, category, stage, days before T, amount in 万元, public, kind)
ROWS = [
    (
        "N01",
        "上海市闵行区莘庄中学改扩建工程施工招标公告",
        "项目编号：SH2026-0012。本项目采用公开招标，投标保证金可采用电子保函。",
        "310112",
        "gc",
        "tender",
        1,
        1200,
        True,
        "notice",
    ),
    (
        "N02",
        "闵行区七宝镇道路大修工程中标候选人公示",
        "中标候选人公示期为三个工作日。第一中标候选人：上海某建设集团有限公司。",
        "310112",
        "gc",
        "candidate",
        2,
        800,
        True,
        "notice",
    ),
    (
        "N03",
        "浦东新区张江社区卫生服务中心设备采购项目竞争性磋商公告",
        "采购人为浦东新区张江社区卫生服务中心，采用竞争性磋商方式。",
        "310115",
        "zfcg",
        "tender",
        3,
        260,
        True,
        "notice",
    ),
    (
        "N04",
        "浦东新区临港新片区PDC1-0401地块国有建设用地使用权挂牌出让公告",
        "挂牌起始价：52000万元。竞买保证金为起始价的20%。",
        "310115",
        "tdky",
        "listing",
        4,
        52000,
        True,
        "notice",
    ),
    (
        "N05",
        "上海市2026年度碳排放配额有偿发放网络竞价公告",
        "本次发放碳排放配额200万吨，采用网络竞价方式，统一交易标识码 12310000MB2F32186D-20260226-000031-K。",
        "",
        "tpf",
        "auction",
        5,
        None,
        True,
        "notice",
    ),
    (
        "N06",
        "徐汇区华泾路328弄房产司法拍卖公告",
        "起拍价 380 万元，保证金 50 万元。拍卖在一网交易平台进行。",
        "310104",
        "sfpm",
        "auction",
        6,
        380,
        True,
        "notice",
    ),
    (
        "N07",
        "闵行区梅陇镇绿化养护项目成交公告",
        "成交供应商：上海绿城园林有限公司，成交金额 96.5 万元。",
        "310112",
        "zfcg",
        "result",
        7,
        96,
        True,
        "notice",
    ),
    (
        "N08",
        "嘉定区安亭镇污水处理厂提标改造工程监理招标公告",
        "招标人：嘉定区安亭镇人民政府。监理服务期 24 个月。",
        "310114",
        "gc",
        "tender",
        8,
        150,
        True,
        "notice",
    ),
    (
        "N09",
        "闵行区吴泾镇大桥维修工程施工招标公告",
        "本工程为桥梁维修加固，最高投标限价 430 万元。",
        "310112",
        "gc",
        "tender",
        9,
        430,
        True,
        "notice",
    ),
    (
        "N10",
        "松江区九亭镇菜市场改造工程流标公告",
        "因有效投标人不足三家，本项目流标，将重新组织招标。",
        "310117",
        "gc",
        "result",
        10,
        75,
        True,
        "notice",
    ),
    (
        "N11",
        "闵行区内部审核中的项目（未公开）",
        "这是一份尚未公开的闵行区招标文件草稿，施工范围待定。",
        "310112",
        "gc",
        "tender",
        11,
        500,
        False,
        "project",
    ),
    (
        "N12",
        "浦东新区尚未公开的挂牌项目",
        "内部资料：浦东新区某地块挂牌方案，施工条件说明。",
        "310115",
        "tdky",
        "listing",
        12,
        9000,
        False,
        "project",
    ),
    (
        "N13",
        "奉贤区南桥镇文化活动中心装修工程施工招标公告",
        "奉贤区南桥镇文化活动中心装修，建筑面积 3200 平方米。",
        "310120",
        "gc",
        "tender",
        13,
        610,
        True,
        "notice",
    ),
    (
        "N14",
        "青浦区朱家角镇古镇保护修缮工程设计招标公告",
        "设计范围包括朱家角古镇沿街建筑立面修缮。",
        "310118",
        "gc",
        "tender",
        14,
        320,
        True,
        "notice",
    ),
    (
        "N15",
        "宝山区罗店镇养老院物业管理服务项目公开招标公告",
        "采购预算 120 万元，服务期三年。招标文件可在平台下载。",
        "310113",
        "zfcg",
        "tender",
        15,
        120,
        True,
        "notice",
    ),
    (
        "N16",
        "长宁区仙霞街道办事处信息化系统建设项目询价公告",
        "询价采购，预算 45 万元，报价截止后开标。",
        "310105",
        "zfcg",
        "tender",
        16,
        45,
        True,
        "notice",
    ),
    (
        "N17",
        "崇明区城桥镇污水管网工程中标结果公告",
        "中标人：上海崇明水务建设有限公司，中标价 2380 万元。",
        "310151",
        "gc",
        "result",
        17,
        2380,
        True,
        "notice",
    ),
    (
        "N18",
        "闵行区颛桥镇社区卫生服务中心改扩建工程中标结果公告",
        "中标人：上海建工某公司。评标委员会由7名评审专家组成。",
        "310112",
        "gc",
        "result",
        18,
        3100,
        True,
        "notice",
    ),
    (
        "N19",
        "杨浦区五角场街道办公家具采购项目更正公告",
        "原公告中开标时间更正为2026年3月20日。",
        "310110",
        "zfcg",
        "change",
        19,
        38,
        True,
        "notice",
    ),
    (
        "N20",
        "Shanghai Minhang Bridge Repair Project (English summary)",
        "Bid security may be an e-guarantee. Project code SH2026-0099. Tender opening at 09:30.",
        "310112",
        "gc",
        "tender",
        20,
        430,
        True,
        "notice",
    ),
    (
        "N21",
        "虹口区北外滩滨江绿地建设工程施工总承包招标公告",
        "工程总承包，含景观、照明及附属设施。",
        "310109",
        "gc",
        "tender",
        1,
        5600,
        True,
        "notice",
    ),
    (
        "N22",
        "金山区枫泾镇农贸市场电子卖场采购公告",
        "通过电子卖场直购，金额 8 万元。",
        "310116",
        "zfcg",
        "tender",
        1,
        8,
        True,
        "notice",
    ),
]


def make_doc(row: tuple, *, shift: timedelta = timedelta(0)) -> SearchDocument:
    key, title, body, region, category, stage, days, wan, public, kind = row
    return SearchDocument(
        kind=kind,
        key=key,
        title=title,
        body=body,
        url=f"/notices/{key}/",
        public=public,
        category=category,
        region=region,
        stage=stage,
        published_at=T - timedelta(days=days) + shift,
        amount_fen=None if wan is None else wan * 1_000_000,
        extra={"code": key},
    )


@pytest.fixture
def corpus() -> list[SearchDocument]:
    return [make_doc(row) for row in ROWS]


@pytest.fixture
def index(db):
    """The adapter of the database the tests run on (SQLite FTS5 or PostgreSQL tsvector)."""
    return get_index()


def has_rum(index: object) -> bool:
    """PostgreSQL with the RUM index of migration 0005 (where the extension is available)."""
    return connection.vendor == "postgresql" and index._has_rum()


@pytest.fixture
def loaded(index, corpus):
    index.index_many(corpus)
    return index


@pytest.fixture
def reference(corpus) -> MemorySearchIndex:
    ref = MemorySearchIndex()
    ref.index_many(corpus)
    return ref


# -- callers -------------------------------------------------------------------------------------------------
TEST_ACTORS = {
    "staff-minhang": Actor(ActorKind.ACCOUNT, "901", "闵行交易中心", (RoleGrant(Role.STAFF, region="310112"),)),
    "regulator-all": Actor(ActorKind.ACCOUNT, "902", "市监管", (RoleGrant(Role.REGULATOR, region="310000"),)),
    "entity-user": Actor(ActorKind.ACCOUNT, "903", "某公司", (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=1),)),
}


class TokenResolver:
    """Bearer tokens name the actors above; browser sessions are anonymous unless a test says otherwise."""

    session_actor: Actor = Actor.anonymous()

    def from_bearer(self, request: HttpRequest, token: str) -> Actor:
        try:
            return TEST_ACTORS[token]
        except KeyError:
            raise NotAuthenticated("auth.invalid_token", "令牌无效", "invalid token") from None

    def from_session(self, request: HttpRequest) -> Actor:
        return TokenResolver.session_actor


@pytest.fixture
def test_resolver(settings) -> Iterator[type[TokenResolver]]:
    settings.YIWANG_ACTOR_RESOLVER = f"{__name__}.TokenResolver"
    auth.resolver.cache_clear()
    TokenResolver.session_actor = Actor.anonymous()
    yield TokenResolver
    TokenResolver.session_actor = Actor.anonymous()
    auth.resolver.cache_clear()
