"""Three hubs (上海, 江苏, 浙江) as separate server processes on loopback, each with its own data directory and
database, peering with each other (issue 8, items 5 and 7; harness: ``yiwang.exchange.federation.tests.hubs``).

1. every hub is registered as a peer of the two others from their identity files (``yiwang federation``);
2. a notice published on 上海 shows in the search of 江苏 and 浙江, with 上海's name and a link back to it;
3. 江苏 is killed (web and clock, SIGKILL); 上海 publishes three more notices and withdraws the first; 上海 keeps
   retrying 江苏 (failures counted, backoff) while 浙江 gets everything;
4. 江苏 starts again on the same data directory and catches up: every notice once, the withdrawal applied,
   nothing twice (messages held = messages queued for it, one search hit per notice).

Every wait is bounded; a failure names the hub logs (under the test's temporary directory).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from yiwang.exchange.federation.tests.hubs import Hub, running_hubs, wait_for

pytestmark = [pytest.mark.slow]

PROPAGATION_SECONDS = 120
SPECS = [
    ("上海", "12310000900000014L", "上海市公共资源交易平台"),
    ("江苏", "12320000MB0000000A", "江苏省公共资源交易平台"),
    ("浙江", "12330000MB0000000E", "浙江省公共资源交易平台"),
]


@pytest.fixture
def hubs(tmp_path: Path):
    with running_hubs(tmp_path, SPECS, backoff_cap=2) as started:
        yield started


def _hits(hub: Hub, text: str) -> list[dict] | None:
    return hub.search(text) or None


def _withdrawn_on(hub: Hub, text: str) -> bool:
    hits = hub.search(text)
    return bool(hits) and hits[0]["extra"]["status"] == "withdrawn"


def test_notices_propagate_and_a_killed_hub_catches_up_without_duplicates(hubs):
    shanghai, jiangsu, zhejiang = hubs
    (first,) = shanghai.publish([(1, "闵行区七宝镇第一号道路大修工程施工招标公告")])

    for hub in (jiangsu, zhejiang):
        (hit,) = wait_for(f"{hub.label} shows 上海's notice", lambda h=hub: _hits(h, "第一号道路"), hubs, 120)
        assert hit["extra"]["hub_name"] == "上海市公共资源交易平台"
        assert hit["url"] == f"{shanghai.url}/notices/{first}/"

    jiangsu.kill()  # SIGKILL: web server and clock, no shutdown
    titles = [
        (2, "闵行区七宝镇第二号道路大修工程施工招标公告"),
        (3, "闵行区七宝镇第三号道路大修工程施工招标公告"),
        (4, "闵行区七宝镇第四号道路大修工程施工招标公告"),
    ]
    shanghai.publish(titles)
    shanghai.withdraw(first)

    for word in ("第二号", "第三号", "第四号"):
        wait_for(f"浙江 shows {word}", lambda w=word: _hits(zhejiang, w), hubs, PROPAGATION_SECONDS)
    wait_for("浙江 shows the withdrawal", lambda: _withdrawn_on(zhejiang, "第一号道路"), hubs, PROPAGATION_SECONDS)
    row = wait_for(
        "上海 retries 江苏",
        lambda: (r := shanghai.status()[jiangsu.code])["failures"] >= 2 and r,
        hubs,
        PROPAGATION_SECONDS,
    )
    assert row["acknowledged"] == 1
    assert row["queued"] == 5  # four publications and one withdrawal
    assert row["last_error"]

    jiangsu.start()  # the same data directory and database
    wait_for("江苏 catches up", lambda: shanghai.status()[jiangsu.code]["pending"] == 0, hubs, PROPAGATION_SECONDS)
    for word in ("第二号", "第三号", "第四号"):
        hits = _hits(jiangsu, word)
        assert hits is not None
        assert len(hits) == 1, hits
    assert _withdrawn_on(jiangsu, "第一号道路")
    assert len(jiangsu.search("第一号道路")) == 1
    # nothing twice: 江苏 holds exactly the five messages queued for it, four notices, one per chain
    assert jiangsu.status()[shanghai.code]["received"] == 5
    listed = jiangsu.get("/api/v1/federation/notices", peer=shanghai.code, limit="50")
    assert sorted(n["title"] for n in listed) == sorted(t for _, t in titles)  # the withdrawn one is not listed
    assert zhejiang.status()[shanghai.code]["received"] == 5
    # 上海 holds nothing from the others: they published nothing
    assert all(r["received"] == 0 for r in shanghai.status().values())
