"""条例 Art.40 / 87号令 Art.37 signals: shared fingerprints, regular price differences, identical documents."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.supervision.redflags.domain import fingerprints, minhash, registry
from yiwang.supervision.redflags.domain.frames import make_snapshot


def fp(ocid, tenderer, kind, value, bid_id=None):
    return {"ocid": ocid, "tenderer_id": tenderer, "bid_id": bid_id, "kind": kind, "value": value, "source": "test"}


def snap(**frames):
    return make_snapshot({k: pl.DataFrame(v) if v else None for k, v in frames.items()}, currency="CNY")


def test_same_machine_code_normalised_and_explained():
    s = snap(
        fingerprints=[
            fp("S1", "A", "machine_mac", "3C-7C-3F-1A-2B-4D", "bA"),
            fp("S1", "B", "machine_mac", "3c:7c:3f:1a:2b:4d", "bB"),  # the same MAC written otherwise
            fp("S1", "C", "machine_mac", "90-E2-BA-11-22-33", "bC"),
            fp("S1", "A", "machine_cpu", "BFEBFBFF000906EA"),
            fp("S1", "B", "machine_cpu", "bfebfbff000906ea"),
            fp("S2", "A", "machine_cpu", "X1"),  # A and D share only the CPU in S2: weaker
            fp("S2", "D", "machine_cpu", "X1"),
            fp("S3", "E", "machine_mac", "00-00-00-00-00-00"),  # a placeholder: ignored
            fp("S3", "F", "machine_mac", "000000000000"),
        ]
    )
    out = registry.run(s, ["CN-40-1"]).outputs["CN-40-1"]
    assert out.flagged(primary_only=True) == {"S1": 2.0, "S2": 2.0}
    s1 = next(f for f in out.findings if f.unit_id == "S1")
    assert s1.severity == 1.0
    assert s1.evidence["linked_tenderers"] == ["A", "B"]
    assert {m["kind"] for m in s1.evidence["matches"]} == {"machine_mac", "machine_cpu"}
    assert s1.evidence["matches"][1]["bids"] == ["bA", "bB"] or s1.evidence["matches"][0]["bids"] == ["bA", "bB"]
    s2 = next(f for f in out.findings if f.unit_id == "S2")
    assert s2.severity == 0.7
    pairs = [f.unit_id for f in out.findings if not f.primary]
    assert pairs == ["A|B", "A|D"]


def test_common_values_are_ignored_and_counted():
    rows = [fp(f"S{i}", f"T{i}", "upload_ip", "10.0.0.1") for i in range(5)]  # one NAT address, five bidders
    rows += [
        fp("S0", "X", "upload_ip", "10.0.0.1"),
        fp("S9", "P", "upload_ip", "203.0.113.7"),
        fp("S9", "Q", "upload_ip", "203.0.113.7"),
    ]
    out = registry.run(snap(fingerprints=rows), ["CN-40-IP"]).outputs["CN-40-IP"]
    assert out.flagged(primary_only=True) == {"S9": 2.0}
    assert out.meta["common_values_ignored"] == 1.0


def test_key_personnel_are_matched_in_full_and_shown_masked():
    rows = [fp("S1", "A", "key_person", "310101199001011234"), fp("S1", "B", "registered_person", "310101199001011234")]
    rows += [fp("S1", "A", "key_person", "310101199001011234")]  # the same person twice for A: still one bidder
    out = registry.run(snap(fingerprints=rows), ["CN-40-3"]).outputs["CN-40-3"]
    # key_person vs registered_person are different kinds: not compared with each other
    assert not out.flagged(primary_only=True)
    rows.append(fp("S1", "C", "key_person", "310101 19900101 1234"))
    out = registry.run(snap(fingerprints=rows), ["CN-40-3"]).outputs["CN-40-3"]
    (finding,) = [f for f in out.findings if f.primary]
    assert finding.evidence["matches"][0]["value"] == "3101**********1234"
    assert finding.evidence["linked_tenderers"] == ["A", "C"]


def test_deposit_account_and_contacts():
    rows = [
        fp("S1", "A", "deposit_payer", "S1|6222****8899"),
        fp("S1", "B", "deposit_payer", "S1|6222****8899"),
        fp("S1", "A", "contact_phone", "+86 138-0000-1111"),
        fp("S1", "C", "contact_phone", "13800001111"),
        fp("S1", "A", "contact_name", "张三"),
        fp("S1", "D", "contact_name", "张 三"),
    ]
    outs = registry.run(snap(fingerprints=rows), ["CN-40-6", "CN-87-37-3"]).outputs
    assert outs["CN-40-6"].flagged(primary_only=True) == {"S1": 2.0}
    contact = next(f for f in outs["CN-87-37-3"].findings if f.primary)
    assert contact.evidence["linked_tenderers"] == ["A", "C"]  # names are not compared by default
    outs = registry.run(snap(fingerprints=rows), ["CN-87-37-3"], {"CN-87-37-3": {"kinds": "contact_name"}}).outputs
    assert next(f for f in outs["CN-87-37-3"].findings if f.primary).evidence["linked_tenderers"] == ["A", "D"]


def test_without_fingerprints_the_indicators_are_not_computable():
    out = registry.run(snap(), ["CN-40-1", "CN-40-6", "CN-40-4D"]).outputs
    assert {c: o.not_computable.code for c, o in out.items()} == {
        "CN-40-1": "redflags.data_missing",
        "CN-40-6": "redflags.data_missing",
        "CN-40-4D": "redflags.data_missing",
    }


# -- regular price differences ------------------------------------------------------------------------------------


def bids(ocid, amounts):
    return [
        {
            "ocid": ocid,
            "bid_id": f"{ocid}-{i}",
            "status": "valid",
            "amount": a,
            "currency": "CNY",
            "tenderer_ids": [f"{ocid}-T{i}"],
        }
        for i, a in enumerate(amounts)
    ]


def test_progressions_and_tails():
    rows = (
        bids("AR", [1_040_000, 1_000_000, 1_020_000])  # gaps 20 000, 20 000: arithmetic
        + bids("GE", [1_000_000, 1_050_000, 1_102_500, 1_157_625])  # ratio 1.05: geometric
        + bids("TA", [1_234_567.89, 1_300_117.89, 1_456_787.89])  # all end in …789 fen (…7.89 yuan)
        + bids("RO", [1_000_000, 1_100_000, 1_300_000])  # round numbers: tails 000 are not a pattern
        + bids("TW", [100, 200])  # two bids: not computable
        + bids("NO", [1_000_000, 1_020_000, 1_040_100])  # gaps 20 000 and 20 100: 0.25 % apart > 0.1 %
    )
    out = registry.run(snap(bids=rows), ["CN-40-4P"]).outputs["CN-40-4P"]
    flagged = {f.unit_id: f.evidence["patterns"] for f in out.findings}
    assert flagged == {"AR": ["arithmetic"], "GE": ["geometric"], "TA": ["same_tail"]}
    ar = next(f for f in out.findings if f.unit_id == "AR")
    assert ar.evidence["gaps"] == [20000.0, 20000.0]
    assert [b["amount"] for b in ar.evidence["bids"]] == [
        1_000_000,
        1_020_000,
        1_040_000,
    ]
    assert out.skipped == {"too_few_bids": 1}
    assert out.population == 5
    # a looser tolerance takes NO too: |20 000 − 20 050| / 20 050 = 0.25 %
    out = registry.run(snap(bids=rows), ["CN-40-4P"], {"CN-40-4P": {"eps": 0.003}}).outputs["CN-40-4P"]
    assert "NO" in out.flagged()


@given(
    st.integers(min_value=10_000, max_value=10**8),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=3, max_value=10),
)
def test_any_exact_arithmetic_progression_is_found(start, step, n):
    rows = bids("P", [float(start + k * step) for k in reversed(range(n))])
    out = registry.run(snap(bids=rows), ["CN-40-4P"]).outputs["CN-40-4P"]
    assert "arithmetic" in out.findings[0].evidence["patterns"]


def test_equal_bids_are_not_a_progression():
    out = registry.run(snap(bids=bids("E", [5000.0, 5000.0, 5000.0])), ["CN-40-4P"]).outputs["CN-40-4P"]
    assert not [p for f in out.findings for p in f.evidence["patterns"] if p != "same_tail"]


# -- identical documents ------------------------------------------------------------------------------------------

TEMPLATE = "投标人须知：投标文件应当按照招标文件的要求编制，对招标文件提出的实质性要求和条件作出响应。" * 3
A_TEXT = (
    "本公司承诺严格按照设计图纸施工，配备项目经理一名，技术负责人一名，安全员两名，工期一百二十日历天，"
    "质量目标为合格，质保期两年，如中标将于七日内进场。施工组织设计详见附件，其中土方开挖采用分层分段方法。"
)
B_TEXT = A_TEXT.replace("两名", "二名")  # one word changed: a copy
C_TEXT = (
    "我方将组建专业团队，投入挖掘机三台、压路机两台，计划工期一百日历天，质量目标争创优良，"
    "提供三年质保，并承诺文明施工、绿色施工，确保周边居民正常出行。"
)


def docs(ocid, texts):
    return [{"ocid": ocid, "tenderer_id": t, "bid_id": f"{ocid}-{t}", "text": x} for t, x in texts]


def test_near_identical_documents_after_removing_the_tender_template():
    rows = docs(
        "S1", [("__tender__", TEMPLATE), ("A", TEMPLATE + A_TEXT), ("B", TEMPLATE + B_TEXT), ("C", TEMPLATE + C_TEXT)]
    )
    rows += docs("S2", [("A", A_TEXT)])  # one bidder: nothing to compare
    out = registry.run(snap(documents=rows), ["CN-40-4D"]).outputs["CN-40-4D"]
    (finding,) = [f for f in out.findings if f.primary]
    assert finding.unit_id == "S1"
    assert finding.evidence["template_removed"]
    (pair,) = finding.evidence["pairs"]
    assert pair["tenderers"] == ["A", "B"]
    assert pair["jaccard"] >= 0.6
    assert abs(pair["minhash_estimate"] - pair["jaccard"]) < 0.2
    assert out.skipped == {"too_few_documents": 1}


def test_minhash_estimates_jaccard():
    a = {f"s{i}" for i in range(200)}
    b = {f"s{i}" for i in range(100, 300)}  # J = 100 / 300
    perms = minhash.Permutations.make(256)
    est = minhash.estimate(minhash.signature(minhash.hashes(a), perms), minhash.signature(minhash.hashes(b), perms))
    assert est == pytest.approx(1 / 3, abs=0.09)
    assert minhash.jaccard(a, b) == pytest.approx(1 / 3)
    assert (
        minhash.estimate(minhash.signature(minhash.hashes(a), perms), minhash.signature(minhash.hashes(a), perms))
        == 1.0
    )


def test_shingles_use_jieba_words():
    words = minhash.tokens("投标人应当按照招标文件的要求编制投标文件。")
    assert "投标人" in words
    assert "。" not in words
    assert len(minhash.shingles("一 二", k=5)) == 1  # shorter than k: the whole text is one shingle


def test_normalise():
    assert fingerprints.normalise("machine_mac", "3c:7c:3f:1a:2b:4d") == "3C7C3F1A2B4D"
    assert fingerprints.normalise("contact_phone", "+86 138 0000 1111") == "13800001111"
    assert fingerprints.normalise("contact_email", " Li@Example.COM ") == "li@example.com"
