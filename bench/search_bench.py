"""Benchmark: 一网尽览 search over a synthetic corpus of Chinese notices (SQLite FTS5 / PostgreSQL tsvector).

Generates N notices (titles like "上海市闵行区莘庄中学改扩建工程施工招标公告", bodies of a few hundred characters
from trading vocabulary, project codes, amounts, dates; in publication order), indexes them through the real
adapter of the database in use, then measures p50/p95 over ``--queries`` queries of each shape:

* rare word, newest first   (an organisation name that occurs in a handful of notices)
* common word, relevance    (招标 — in roughly half the corpus; bounded ranking)
* filter-only browse        (district + category, newest first, no text)
* common word, newest first, and unbounded ranking (every hit ranked: what bounding avoids)

and the indexing throughput (documents per second, batches of ``--batch`` per transaction). ``--ingest``
measures indexing one document per call inside transactions of ``--batch`` (a push of records), with the
statistics applied per write and summed per transaction (``deferred_statistics``). On PostgreSQL each
shape also reports the server backend's CPU per query (a mean, from ``/proc``). ``--sql-filters`` (SQLite)
runs the plans without FTS5 filter tags, for a side-by-side on the same file; ``--gin-only`` (PostgreSQL) the
plans without the RUM index, and ``--compare-gin`` both, query by query, alternating. Note: without
``YIWANG_DATABASE_URL`` the database is ``--data-dir`` or a new temporary directory (``YIWANG_DATA_DIR`` is
not read), so ``--reuse`` of a kept SQLite corpus needs ``--data-dir``.

Run (SQLite, embedded profile; the database goes to a temporary directory):
    .venv/bin/python bench/search_bench.py --n 100000
PostgreSQL (a throwaway cluster):
    YIWANG_PG_PORT=54335 tools/pg-test-server run -- .venv/bin/python bench/search_bench.py --n 100000
The 1 M corpus takes long to build (SQLite ~12 min, PostgreSQL longer): keep it (``--data-dir`` for SQLite, a
PostgreSQL cluster of your own via YIWANG_DATABASE_URL) and query it again with ``--reuse``.
CPU times are this process's: all of SQLite's work, only the client side of PostgreSQL's.
The unigram study (recall and index size with and without single-character tokens; no database):
    .venv/bin/python bench/search_bench.py --study --n 20000
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

# -- the synthetic corpus ------------------------------------------------------------------------------------
DISTRICTS = [
    ("310101", "黄浦区"), ("310104", "徐汇区"), ("310105", "长宁区"), ("310106", "静安区"), ("310107", "普陀区"),
    ("310109", "虹口区"), ("310110", "杨浦区"), ("310112", "闵行区"), ("310113", "宝山区"), ("310114", "嘉定区"),
    ("310115", "浦东新区"), ("310116", "金山区"), ("310117", "松江区"), ("310118", "青浦区"), ("310120", "奉贤区"),
    ("310151", "崇明区"),
]  # fmt: skip
PLACES = (  # noqa: SIM905 (a word list is easier to read and edit as one string)
    "莘庄 七宝 颛桥 梅陇 虹桥 浦江 吴泾 马桥 华漕 江川 古美 新虹 龙华 枫林 田林 漕河泾 "
    "康健 凌云 斜土 长桥 华泾 天平 湖南 徐家汇 江苏 华阳 周家桥 新华 仙霞 程家桥 北新泾 "
    "新泾 南京西 静安寺 江宁 石门 曹家渡 天目西 北站 宝山 芷江西 共和新 大宁 彭浦 临汾 真如 "
    "长风 曹杨 甘泉 石泉 宜川 万里 桃浦 长征 四川北 欧阳 嘉兴 提篮桥 北外滩 江湾 大桥 定海 "
    "平凉 延吉 殷行 五角场 新江湾 罗店 大场 杨行 月浦 罗泾 顾村 高境 庙行 淞南 友谊 吴淞 "
    "张庙 安亭 南翔 马陆 徐行 华亭 外冈 江桥 菊园 嘉定 真新 新成 陆家嘴 潍坊 塘桥 花木 "
    "洋泾 金杨 张江 川沙 高桥 高行 高东 曹路 合庆 唐镇 北蔡 三林 周浦 航头 新场 惠南 康桥 "
    "泥城 书院 万祥 老港 宣桥 祝桥 大团 朱泾 枫泾 张堰 亭林 吕巷 廊下 金山卫 山阳 石化 "
    "岳阳 永丰 方松 中山 广富林 九里亭 泗泾 佘山 车墩 新桥 洞泾 九亭 泖港 石湖荡 新浜 叶榭 "
    "小昆山 夏阳 盈浦 香花桥 朱家角 练塘 金泽 赵巷 徐泾 华新 重固 白鹤 南桥 奉城 庄行 金汇 "
    "四团 青村 柘林 海湾 城桥 堡镇 新河 庙镇 竖新 向化 三星 港沿 中兴 陈家 绿华 港西 建设 "
    "新村 横沙 长兴 临港 书香 滴水湖 泥城"
).split()
ORG_SUFFIXES = (  # noqa: SIM905 (a word list is easier to read and edit as one string)
    "中学 小学 幼儿园 社区卫生服务中心 人民医院 街道办事处 镇人民政府 文化活动中心 养老院 "
    "体育中心 图书馆 派出所 消防救援站 污水处理厂 公交枢纽 菜市场 实验学校 职业技术学校 档案馆 "
    "市民中心"
).split()
PROJECTS = (  # noqa: SIM905 (a word list is easier to read and edit as one string)
    "改扩建工程 新建工程 大修工程 道路改造工程 绿化养护项目 修缮工程 装修工程 信息化系统建设项目 "
    "办公家具采购项目 物业管理服务项目 保洁服务项目 安保服务项目 设备采购项目 智能化改造工程 "
    "雨污分流改造工程 屋面防水工程 外立面整治工程 食堂委托管理项目 车辆租赁服务项目 监控系统升级项目"
).split()
WORKS = ["施工", "监理", "设计", "勘察", "采购", "", "", "总承包"]
NOTICES = [
    ("gc", "tender", "招标公告"), ("gc", "candidate", "中标候选人公示"), ("gc", "result", "中标结果公告"),
    ("gc", "tender", "资格预审公告"), ("zfcg", "tender", "竞争性磋商公告"), ("zfcg", "tender", "公开招标公告"),
    ("zfcg", "result", "成交公告"), ("zfcg", "change", "更正公告"), ("zfcg", "tender", "询价公告"),
    ("zfcg", "tender", "单一来源采购公示"), ("gc", "change", "终止公告"),
]  # fmt: skip
SENTENCES = [
    "本项目已由{org}批准建设，项目业主为{org}，建设资金来自财政资金，招标人为{org}。",
    "项目编号：{code}，统一交易标识码：{deal}。",
    "预算金额：{wan}万元，最高投标限价：{wan2}万元。",
    "投标人须具备建筑工程施工总承包三级及以上资质，并在人员、设备、资金等方面具有相应的施工能力。",
    "投标保证金为{bao}元，可采用电子保函形式提交，开标时间为{date}上午九时三十分。",
    "本项目采用{proc}方式，评标办法为综合评估法，评标委员会由{n}名评审专家组成。",
    "中标候选人公示期为三个工作日，投标人或者其他利害关系人对评标结果有异议的，应当在公示期间提出。",
    "凡有意参加投标者，请于{date}至{date2}登录上海市公共资源交易平台（一网交易）下载招标文件。",
    "本次招标不接受联合体投标，投标文件应当使用电子签章并加密后在投标截止时间前上传。",
    "联系人：{person}，联系电话：021-{phone}，地址：上海市{district}{place}路{num}号。",
    "质疑和投诉应当按照《中华人民共和国政府采购法》及其实施条例的规定提出。",
    "工程地点位于{district}{place}，计划工期{days}日历天，质量要求为合格。",
]
PROCS = ["公开招标", "邀请招标", "竞争性磋商", "竞争性谈判", "询价", "单一来源"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def make_orgs(rng: random.Random, count: int) -> list[str]:
    orgs = {f"{rng.choice(PLACES)}{rng.choice(ORG_SUFFIXES)}" for _ in range(count * 2)}
    return sorted(orgs)[:count]


def generate(n: int, seed: int = 2026) -> Iterator[dict]:
    rng = random.Random(seed)
    orgs = make_orgs(rng, 3000)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    span = int((datetime(2026, 3, 1, tzinfo=UTC) - start).total_seconds())
    for i in range(n):
        code, district = rng.choice(DISTRICTS)
        org = rng.choice(orgs)
        r = rng.random()
        if r < 0.06:
            place = rng.choice(PLACES)
            category, stage = "tdky", "listing"
            plot = f"{rng.randint(1, 40):02d}-{rng.randint(1, 9):02d}"
            title = f"上海市{district}{place}社区{plot}地块国有建设用地使用权挂牌出让公告"
        elif r < 0.08:
            category, stage = "tpf", "auction"
            title = f"上海市{rng.randint(2020, 2026)}年度碳排放配额有偿发放网络竞价公告（第{rng.randint(1, 12)}期）"
        elif r < 0.11:
            category, stage = "sfpm", "auction"
            title = f"{district}{rng.choice(PLACES)}路{rng.randint(1, 999)}弄房产司法拍卖公告"
        else:
            category, stage, notice = rng.choice(NOTICES)
            title = f"上海市{district}{org}{rng.choice(PROJECTS)}{rng.choice(WORKS)}{notice}"
        # in publication order, as a platform indexes notices when they are published (ids follow time; a
        # corpus in random time order spreads every quarter over the whole table: session 8, docs/search.md)
        published = start + timedelta(seconds=span * i // n + rng.randrange(max(1, span // n)))
        wan = rng.randint(10, 50000) / 10
        values = {
            "org": org,
            "code": f"SH{published.year}-{i % 10000:04d}",
            "deal": f"12310000MB2F32186D-{published:%Y%m%d}-{i % 1000000:06d}-{rng.choice('ABCDEFGH')}",
            "wan": wan,
            "wan2": round(wan * 0.98, 1),
            "bao": rng.randint(1, 80) * 1000,
            "date": f"{published:%Y年%m月%d日}",
            "date2": f"{published + timedelta(days=20):%Y年%m月%d日}",
            "proc": rng.choice(PROCS),
            "n": rng.choice([5, 7, 9]),
            "person": rng.choice(SURNAMES) + rng.choice("工女先生经理"),
            "phone": f"{rng.randint(10000000, 99999999)}",
            "district": district,
            "place": rng.choice(PLACES),
            "num": rng.randint(1, 2000),
            "days": rng.randint(30, 720),
        }
        body = "".join(s.format(**values) for s in rng.sample(SENTENCES, rng.randint(4, 8)))
        yield {
            "kind": "notice" if rng.random() < 0.9 else "project",
            "key": f"N{i:08d}",
            "title": title,
            "body": body,
            "url": f"/notices/N{i:08d}",
            "public": rng.random() < 0.95,
            "category": category,
            "region": code,
            "stage": stage,
            "published_at": published,
            "amount_fen": int(wan * 1_000_000),
            "extra": {"code": values["code"]},
        }


def calibration_ms() -> float:
    """CPU ms for a fixed pure-Python loop, best of three: the machine's speed at the moment of a run. A shared
    machine's speed drifts (the same searches measured 1.5 times slower half an hour apart, session 8): two runs
    compare only as far as their calibrations agree."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.process_time() - started)
    return best * 1000


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {samples[-1]:7.1f} ms"


CPU_SAMPLES: list[float] = []  # the CPU time of the last timed() call (this process: SQLite runs in it)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock milliseconds per call; the process CPU milliseconds go to CPU_SAMPLES (on a shared machine
    the CPU time shows the cost of a query without the time spent waiting for a core)."""
    out = []
    CPU_SAMPLES.clear()
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t) * 1000)
        CPU_SAMPLES.append((time.process_time() - c) * 1000)
    return out


def cpu_percentiles() -> str:
    samples = sorted(CPU_SAMPLES)
    return (
        f"cpu p50 {statistics.median(samples):6.1f} p95 {samples[min(len(samples) - 1, int(len(samples) * 0.95))]:6.1f}"
    )


# -- the database benchmark ----------------------------------------------------------------------------------
def run_database(args: argparse.Namespace) -> None:
    if not os.environ.get("YIWANG_DATABASE_URL"):
        os.environ["YIWANG_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="yw-search-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    if "yiwang.platform.search" not in settings.INSTALLED_APPS:
        sys.exit("add 'yiwang.platform.search' to INSTALLED_APPS first")
    from yiwang.platform.search.backends import get_index
    from yiwang.platform.search.domain.documents import SearchDocument, SearchQuery
    from yiwang.platform.search.domain.matching import compile_query, to_fts5, to_tsquery

    call_command("migrate", verbosity=0)
    # start-up ends as a web worker's does (config/wsgi.py): objects made so far are frozen out of the cyclic
    # collector's reach — without it a full collection over the migration graph and the apps (~400 000 objects)
    # lands in the middle of a search now and then (an organisation name: ~45 ms became ~170)
    import yiwang.config.wsgi  # noqa: F401

    index = get_index()
    if args.sql_filters:  # SQLite: the plans without filter tags, for a side-by-side on the same file
        index = type(index)()
        index.filter_tags = False
    if args.gin_only:  # PostgreSQL: the GIN plans even where the RUM index exists (a side-by-side)
        index = type(index)()
        index.rum = False
    vendor = connection.vendor
    print(f"engine: {vendor} ({connection.Database.sqlite_version if vendor == 'sqlite' else 'PostgreSQL'})")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, load {load}")
    print(f"calibration: {calibration_ms():.0f} ms of CPU for a fixed loop (lower: a faster moment)")
    if vendor == "postgresql":
        print(f"plans: {'RUM (publication order) where it fits' if index._has_rum() else 'GIN only'}")

    if args.reuse and index.count():
        print(f"reusing the {index.count():,} documents already indexed (--reuse)")
    elif index.count() < args.n:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM search_document")
        t0, c0 = time.perf_counter(), time.process_time()
        batch: list[SearchDocument] = []
        done = 0
        for row in generate(args.n):
            batch.append(SearchDocument(**row))
            if len(batch) == args.batch:
                with transaction.atomic():
                    index.index_many(batch)
                done += len(batch)
                batch = []
                if done % (args.batch * 50) == 0:
                    print(f"  indexed {done:,} ({done / (time.perf_counter() - t0):,.0f} docs/s)", flush=True)
        if batch:
            with transaction.atomic():
                index.index_many(batch)
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"indexing: {args.n:,} docs in {took:.1f} s = {args.n / took:,.0f} docs/s (batches of {args.batch}); "
            f"this process's CPU {cpu:.1f} s = {args.n / cpu:,.0f} docs per CPU-second"
        )
        t0 = time.perf_counter()
        index._after_rebuild()
        print(f"optimise/analyse after load: {time.perf_counter() - t0:.1f} s")
    print(f"documents: {index.count():,}")
    with connection.cursor() as cur:
        if vendor == "sqlite":
            cur.execute("PRAGMA page_count")
            pages = cur.fetchone()[0]
            cur.execute("PRAGMA page_size")
            print(f"database size: {pages * cur.fetchone()[0] / 2**20:,.0f} MiB")
        else:
            cur.execute(
                "SELECT pg_total_relation_size('search_document'), pg_relation_size('search_doc_tsm'), "
                "coalesce(pg_relation_size(to_regclass('search_doc_rum')), 0)"
            )
            total, gin, rum = cur.fetchone()
            print(f"table+indexes: {total / 2**20:,.0f} MiB (GIN {gin / 2**20:,.0f} MiB, RUM {rum / 2**20:,.0f} MiB)")

    rng = random.Random(7)
    orgs = make_orgs(random.Random(2026), 3000)
    q = args.queries
    codes = [f"SH{rng.randint(2020, 2025)}-{rng.randrange(10000):04d}" for _ in range(1000)]
    queries = {  # each makes the next query of its shape (random parts from one seeded generator)
        "rare word (a project code), newest first": lambda: SearchQuery(text=rng.choice(codes), sort="newest"),
        "rare word (a project code), relevance": lambda: SearchQuery(text=rng.choice(codes)),
        "organisation name (words that co-occur), relevance": lambda: SearchQuery(text=rng.choice(orgs)),
        "common word 招标, relevance": lambda: SearchQuery(text="招标", page=rng.randint(1, 5)),
        "common word 公告, relevance": lambda: SearchQuery(text="公告"),
        "common word 招标, newest first": lambda: SearchQuery(text="招标", sort="newest", page=rng.randint(1, 5)),
        "two words 闵行 施工, relevance": lambda: SearchQuery(text="闵行 施工"),
        "filter-only browse (district + category)": lambda: SearchQuery(
            region=rng.choice(DISTRICTS)[0], categories=("zfcg",), sort="newest"
        ),
        "filter-only browse (all Shanghai, amount ≥ 1000万)": lambda: SearchQuery(
            region="310000", min_amount_fen=1_000_000_000, sort="newest"
        ),
        "common word + district filter, relevance": lambda: SearchQuery(text="施工", region=rng.choice(DISTRICTS)[0]),
    }
    if args.compare_gin:
        compare_gin(index, queries, q, vendor)
        return
    for name, make in queries.items():
        fn = lambda make=make: index.search(make())  # noqa: E731
        fn()  # warm
        with connection.cursor() as cur:
            server = server_cpu_seconds(cur, vendor)
            wall = percentiles(timed(fn, q))
            # PostgreSQL: the backend's CPU per query, a mean (the kernel counts it in 10 ms ticks)
            server = (server_cpu_seconds(cur, vendor) - server) * 1000 / q
        extra = f"   server cpu mean {server:6.1f}" if vendor != "sqlite" else ""
        extra += f"   load {os.getloadavg()[0]:.1f}"
        print(f"{name:52s} {wall}   {cpu_percentiles()}{extra}")
    page = index.search(SearchQuery(text="招标"))
    print(f"  (招标: total {page.total_display}, took {page.took_ms} ms, facets {'yes' if page.facets else 'no'})")

    # what bounding avoids: rank every hit of a common word
    compiled = compile_query("招标", index.segmenter)
    with connection.cursor() as cur:
        if vendor == "sqlite":
            sql = "SELECT rowid FROM search_fts WHERE search_fts MATCH %s ORDER BY bm25(search_fts, 10.0, 1.0) LIMIT 20"
            arg = to_fts5(compiled)
        else:
            sql = (
                "SELECT id FROM search_document WHERE tsm @@ %s::tsquery "
                "ORDER BY ts_rank_cd('{0.1,0.2,0.4,1.0}', tsv, %s::tsquery, 1) DESC LIMIT 20"
            )
            arg = to_tsquery(compiled)

        def unbounded() -> None:
            cur.execute(sql, [arg] if vendor == "sqlite" else [arg, arg])
            cur.fetchall()

        unbounded()
        name = "common word 招标, UNBOUNDED ranking (engine only)"
        wall = percentiles(timed(unbounded, max(3, q // 10)))
        print(f"{name:52s} {wall}   {cpu_percentiles() if vendor == 'sqlite' else ''}")


def compare_gin(index, queries: dict, q: int, vendor: str) -> None:
    """PostgreSQL: every query run twice in one process, with the RUM plans and with the GIN plans only,
    alternating which goes first (so neither inherits the other's warm cache more often); wall p50/p95 and
    the server backend's CPU per query (a mean) for each."""
    from django.db import connection

    if vendor != "postgresql" or not index._has_rum():
        sys.exit("--compare-gin needs PostgreSQL with the RUM index of migration 0005")
    gin = type(index)()
    gin.rum = False
    adapters = {"RUM": index, "GIN": gin}
    for name, make in queries.items():
        first = make()
        for adapter in adapters.values():
            adapter.search(first)  # warm
        walls: dict[str, list[float]] = {k: [] for k in adapters}
        server: dict[str, float] = dict.fromkeys(adapters, 0.0)
        with connection.cursor() as cur:
            for i in range(q):
                query = make()
                for label in ("RUM", "GIN") if i % 2 == 0 else ("GIN", "RUM"):
                    s0, t0 = server_cpu_seconds(cur, vendor), time.perf_counter()
                    adapters[label].search(query)
                    walls[label].append((time.perf_counter() - t0) * 1000)
                    server[label] += server_cpu_seconds(cur, vendor) - s0
        for label in adapters:
            print(
                f"{name:52s} {label}  {percentiles(walls[label])}   server cpu mean {server[label] * 1000 / q:6.1f}"
                f"   load {os.getloadavg()[0]:.1f}",
                flush=True,
            )


# -- ingestion one document per call (a push of records) -----------------------------------------------------
def server_cpu_seconds(cursor, vendor: str) -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (from /proc; 0 for SQLite, which runs in
    this process, or when /proc is not readable)."""
    if vendor == "sqlite":
        return 0.0
    cursor.execute("SELECT pg_backend_pid()")
    try:
        fields = Path(f"/proc/{cursor.fetchone()[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_ingest(args: argparse.Namespace) -> None:
    """Index ``--n`` documents one ``index_document`` call each, ``--batch`` per transaction (as a push of
    records does), alternating: statistics applied per write, and summed per transaction
    (``deferred_statistics``). Each round writes new documents and removes them afterwards."""
    if not os.environ.get("YIWANG_DATABASE_URL"):
        os.environ["YIWANG_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="yw-search-ingest-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from yiwang.platform.search.domain.documents import SearchDocument
    from yiwang.platform.search.index import deferred_statistics, index_document, remove_document

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    print(f"engine: {vendor}; {os.cpu_count()} CPUs, load {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    # their own kind and keys: never mixed with a kept corpus in the same database
    docs = [SearchDocument(**{**row, "kind": "ingest"}) for row in generate(args.n, seed=4242)]
    results: dict[str, list[tuple[float, float, float]]] = {"per write": [], "summed per transaction": []}
    for rnd in range(args.rounds):
        for mode in results if rnd % 2 == 0 else reversed(list(results)):
            with connection.cursor() as cursor:
                s0 = server_cpu_seconds(cursor, vendor)
                t0, c0 = time.perf_counter(), time.process_time()
                for start in range(0, len(docs), args.batch):
                    with transaction.atomic(), deferred_statistics() if mode != "per write" else nullcontext():
                        for doc in docs[start : start + args.batch]:
                            index_document(doc)
                took, cpu = time.perf_counter() - t0, time.process_time() - c0
                server = server_cpu_seconds(cursor, vendor) - s0
            results[mode].append((took, cpu, server))
            print(
                f"  round {rnd + 1} {mode:24s} {len(docs) / took:7.0f} docs/s wall   client CPU {cpu:6.1f} s   "
                f"server CPU {server:6.1f} s   {len(docs) / (cpu + server):6.0f} docs per CPU-second",
                flush=True,
            )
            for start in range(0, len(docs), args.batch):
                with transaction.atomic(), deferred_statistics():
                    for doc in docs[start : start + args.batch]:
                        remove_document(doc.kind, doc.key)
    for mode, rows in results.items():
        took = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] + r[2] for r in rows)
        print(f"{mode:24s} median {len(docs) / took:7.0f} docs/s wall, {len(docs) / cpu:6.0f} docs per CPU-second")


# -- the unigram study (no database) -------------------------------------------------------------------
def run_study(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from yiwang.platform.search.domain.matching import compile_query, matches
    from yiwang.platform.search.domain.segment import default_segmenter, normalise

    seg = default_segmenter()
    docs = list(generate(args.n))
    texts = [normalise(d["title"] + " " + d["body"]) for d in docs]
    titles = [normalise(d["title"]) for d in docs]
    schemes = {
        "no single characters": (False, False),
        "title characters (chosen)": (True, False),
        "title + body characters": (True, True),
    }
    streams = {}
    for name, (title_uni, body_uni) in schemes.items():
        t0 = time.perf_counter()
        streams[name] = [
            (seg.index_tokens(d["title"], unigrams=title_uni), seg.index_tokens(d["body"], unigrams=body_uni))
            for d in docs
        ]
        print(f"segmented with {name}: {time.perf_counter() - t0:.1f} s")
    rng = random.Random(11)
    vocab = sorted({w for _, w in DISTRICTS} | {w[:2] for _, w in DISTRICTS} | set(PROJECTS) | set(PROCS))
    vocab += ["招标", "中标候选人", "电子保函", "国有建设用地使用权", "碳排放配额", "司法拍卖", "保证金", "评标"]
    vocab += rng.sample(make_orgs(random.Random(2026), 3000), 40) + rng.sample(PLACES, 40)
    substrings = []
    for _ in range(150):
        t = rng.choice(titles)
        k = rng.randint(2, 4)
        i = rng.randrange(max(1, len(t) - k))
        substrings.append(t[i : i + k])
    singles = [c for c in rng.sample("".join(titles), 60) if "\u4e00" <= c <= "\u9fff"]
    codes = [rng.choice(docs)["extra"]["code"] for _ in range(20)]
    query_sets = {"dictionary/vocabulary words": vocab, "random 2-4 character title substrings": substrings}
    query_sets["single characters"] = singles
    query_sets["project codes (SH2026-0012 style)"] = codes
    for name in schemes:
        con = sqlite3.connect(":memory:")
        con.execute("CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='ascii')")
        con.executemany(
            "INSERT INTO f(rowid, title, body) VALUES (?, ?, ?)",
            [(i, " ".join(t), " ".join(b)) for i, (t, b) in enumerate(streams[name])],
        )
        con.execute("INSERT INTO f(f) VALUES('optimize')")
        index_bytes = con.execute("SELECT sum(length(block)) FROM f_data").fetchone()[0]
        content_bytes = con.execute("SELECT sum(length(c0) + length(c1)) FROM f_content").fetchone()[0]
        tokens = sum(len(t) + len(b) for t, b in streams[name])
        print(f"\n== {name}: {tokens / len(docs):.0f} tokens/doc, FTS index {index_bytes / 2**20:.1f} MiB, "
              f"token streams {content_bytes / 2**20:.1f} MiB (N={len(docs):,})")  # fmt: skip
        sets = [frozenset(t) | frozenset(b) for t, b in streams[name]]
        title_sets = [frozenset(t) for t, _ in streams[name]]
        for qname, queries in query_sets.items():
            found_total = truth_total = hit_total = 0
            title_truth = title_hit = 0
            for text in queries:
                compiled = compile_query(text, seg)
                needle = normalise(text)
                truth = {i for i, s in enumerate(texts) if needle in s}
                found = {i for i, s in enumerate(sets) if compiled.clauses and matches(compiled, s)}
                truth_total += len(truth)
                found_total += len(found)
                hit_total += len(truth & found)
                t_truth = {i for i, s in enumerate(titles) if needle in s}
                title_truth += len(t_truth)
                title_hit += len(t_truth & {i for i in found if matches(compiled, title_sets[i])})
            recall = hit_total / truth_total if truth_total else 1.0
            precision = hit_total / found_total if found_total else 1.0
            t_recall = title_hit / title_truth if title_truth else 1.0
            print(f"  {qname:40s} recall {recall:6.1%}  precision {precision:6.1%}  title recall {t_recall:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="documents per transaction when indexing")
    parser.add_argument("--queries", type=int, default=100, help="queries per shape")
    parser.add_argument("--data-dir", help="SQLite: keep the database here (reused when it holds N documents)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="query whatever the database already holds, however many documents (a kept PostgreSQL database "
        "or a SQLite --data-dir; without it a database holding fewer than N documents is emptied and refilled)",
    )
    parser.add_argument("--study", action="store_true", help="unigram study: recall and index size, no database")
    parser.add_argument(
        "--ingest",
        action="store_true",
        help="indexing one document per call, --batch per transaction: statistics per write vs summed (--n, --rounds)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="--ingest: rounds of each mode (alternating)")
    parser.add_argument(
        "--sql-filters",
        action="store_true",
        help="SQLite: match filters in SQL only, not as FTS5 tags (the plans before migration 0004)",
    )
    parser.add_argument(
        "--gin-only",
        action="store_true",
        help="PostgreSQL: the GIN plans even where the RUM index of migration 0005 exists (a side-by-side)",
    )
    parser.add_argument(
        "--compare-gin",
        action="store_true",
        help="PostgreSQL with RUM: each query with the RUM plans and with the GIN plans, alternating (side by side)",
    )
    args = parser.parse_args()
    if args.study:
        run_study(args)
    elif args.ingest:
        run_ingest(args)
    else:
        run_database(args)


if __name__ == "__main__":
    main()
