"""Two hubs (上海, 江苏) as separate servers on loopback with their own databases (harness:
``yiwang.exchange.federation.tests.hubs``):

1. initial sync: 上海 registers an organisation with a qualification and publishes notices (one withdrawn) before
   the two peer; once they register each other, 江苏's regional search shows 上海's notices, the withdrawal
   applied, and its registry recognises the organisation with its qualification — nothing twice;
2. a qualification added on 上海 afterwards reaches 江苏's registry;
3. 上海 rotates its platform key (``yiwang keys rotate``) while running: the notice published after it reaches
   江苏, which has re-pinned 上海's new key by itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from yiwang.exchange.federation.tests.hubs import peer_all, running_hubs, wait_for

pytestmark = [pytest.mark.slow]

SECONDS = 180
SPECS = [
    ("上海", "12310000900000014L", "上海市公共资源交易平台"),
    ("江苏", "12320000MB0000000A", "江苏省公共资源交易平台"),
]
PUJIANG = "91310115MA1FL2X37F"  # a company of the registry's authoritative demo source
QUALI = {
    "qualification_type": "construction_general",
    "certificate_no": "D231000001",
    "level": "一级",
    "scope": "建筑工程施工总承包",
    "issuing_authority": "上海市住房和城乡建设管理委员会",
    "valid_from": "2021-06-01",
    "valid_to": "2030-03-20",
}


def test_a_hub_that_peers_late_gets_what_the_other_holds(tmp_path: Path):
    with running_hubs(tmp_path, SPECS, backoff_cap=2, peered=False) as hubs:
        shanghai, jiangsu = hubs
        shanghai.register_entity(PUJIANG)
        shanghai.add_qualification(PUJIANG, QUALI)
        first, _second = shanghai.publish(
            [(1, "闵行区七宝镇第一号道路大修工程施工招标公告"), (2, "闵行区七宝镇第二号道路大修工程施工招标公告")]
        )
        shanghai.withdraw(first)
        assert jiangsu.search("道路大修") == []

        peer_all(hubs)  # the clocks relay (and sync) every second

        status = wait_for(
            "上海 has synced 江苏",
            lambda: (r := shanghai.status()[jiangsu.code])["sync_delivered"] and r,
            hubs,
            SECONDS,
        )
        assert status["sync_state"] == "done"
        assert status["sync_reason"] == "peered"
        assert status["pending"] == 0
        # two publications and a withdrawal, one registration (with its qualification)
        assert status["sync_queued"] == 4
        assert jiangsu.status()[shanghai.code]["received"] == status["queued"]
        (second_hit,) = jiangsu.search("第二号道路")
        assert second_hit["extra"]["hub_name"] == "上海市公共资源交易平台"
        (first_hit,) = jiangsu.search("第一号道路")
        assert first_hit["extra"]["status"] == "withdrawn"
        (entity,) = jiangsu.get("/api/v1/federation/entities", uscc=PUJIANG)
        assert entity["state"] == "recognised"
        assert jiangsu.qualifications(PUJIANG) == ["D231000001"]
        # 江苏 had nothing to send but is synced by 上海 in turn (empty)
        back = wait_for(
            "江苏 has synced 上海",
            lambda: (r := jiangsu.status()[shanghai.code])["sync_state"] == "done" and r,
            hubs,
            SECONDS,
        )
        assert back["sync_queued"] == 0

        # a qualification added at home reaches the copy
        shanghai.add_qualification(
            PUJIANG, {**QUALI, "qualification_type": "construction_specialty", "certificate_no": "D231000002"}
        )
        wait_for("江苏 holds the new qualification", lambda: len(jiangsu.qualifications(PUJIANG)) == 2, hubs, SECONDS)

        # 上海 rotates its key while running; what it sends afterwards still gets through, and 江苏 re-pins
        old_key = shanghai.get("/api/v1/federation/identity")["key_id"]
        shanghai.command("keys", "rotate", "--reason", "test")
        new_key = shanghai.get("/api/v1/federation/identity")["key_id"]
        assert new_key != old_key
        shanghai.publish([(3, "闵行区七宝镇第三号道路大修工程施工招标公告")])
        wait_for("江苏 shows the notice sent after the rotation", lambda: jiangsu.search("第三号道路"), hubs, SECONDS)
        assert jiangsu.status()[shanghai.code]["key_id"] == new_key
        assert jiangsu.status()[shanghai.code]["received"] == shanghai.status()[jiangsu.code]["queued"]
