"""The evaluation API: refusals with codes, sheets with If-Match, signing through the API, public candidates."""

from __future__ import annotations

import base64

import pytest

from yiwang.identity import actions as identity
from yiwang.trading.tender.evaluation import actions
from yiwang.trading.tender.evaluation.tests import support

pytestmark = pytest.mark.django_db


def _token(person_account) -> str:
    _, token = identity.do_issue_personal_token(
        actor=support.actor_for_account(person_account), account=person_account, name="test", expires_in_days=30
    )
    return token


def _start_body(world, **overrides):
    body = {
        "section_ref": "tender.section:API-1",
        "kind": "works",
        "config": support.comprehensive_config(requirements=[], abnormally_low=None),
        "bids": support.bids(world, [400_000_00, 410_000_00, 420_000_00]),
        "committee_request": support.committee_request(world),
    }
    body.update(overrides)
    return body


def test_a_committee_of_four_is_refused_by_the_api_with_the_rule(world, api):
    staff = api.with_token(_token(world.staff_account))
    before = support.counts()
    r = staff.post(
        "/evaluation/evaluations",
        _start_body(world, committee_request=support.committee_request(world, experts_count=4)),
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "evaluation.committee_invalid"
    assert body["details"]["rule_id"] == "tender.committee_min_size"
    assert body["message_zh"].startswith("评标委员会组成不符合规定")
    assert support.counts() == before
    r = staff.post("/evaluation/evaluations", _start_body(world, kind="gp_goods"))
    assert r.status_code == 422
    assert r.json()["code"] == "evaluation.method_not_for_kind"


def test_the_api_walks_an_evaluation(world, api, clock):
    staff = api.with_token(_token(world.staff_account))
    r = staff.post("/evaluation/evaluations", _start_body(world), headers={"Idempotency-Key": "start-1"})
    assert r.status_code == 201, r.content
    ev_id = r.json()["id"]
    assert r["Location"].endswith(f"/evaluation/evaluations/{ev_id}")
    again = staff.post("/evaluation/evaluations", _start_body(world), headers={"Idempotency-Key": "start-1"})
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    # someone who is nobody here sees nothing
    outsider = api.with_token(_token(support.make_account("ev-x", "路人")))
    assert outsider.get(f"/evaluation/evaluations/{ev_id}").status_code == 404

    ev = actions.Evaluation.objects.get(pk=ev_id)
    clock.set(ev.meeting_start)
    for seat in support.seats(ev):
        assert staff.post(f"/evaluation/evaluations/{ev_id}/check-ins", {"seat_id": seat.id}).status_code == 200
    assert staff.post(f"/evaluation/evaluations/{ev_id}/convene").status_code == 200
    first = ev.members.get(ordinal=1)
    assert staff.post(f"/evaluation/evaluations/{ev_id}/chair", {"member_id": first.pk}).status_code == 200

    people = support.member_people(world, ev)
    tokens = {m.ordinal: api.with_token(_token(p.account)) for m, p in people}
    verdicts = support.pass_all(ev, "compliance")
    me = tokens[2]
    r = me.get(f"/evaluation/evaluations/{ev_id}/sheets/compliance")
    assert r.status_code == 200
    assert r.json()["status"] == "draft"
    etag = r["ETag"]
    assert me.put(f"/evaluation/evaluations/{ev_id}/sheets/compliance", {"verdicts": verdicts}).status_code == 428
    r = me.put(f"/evaluation/evaluations/{ev_id}/sheets/compliance", {"verdicts": verdicts}, headers={"If-Match": etag})
    assert r.status_code == 200
    stale = me.put(
        f"/evaluation/evaluations/{ev_id}/sheets/compliance", {"verdicts": verdicts}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    bad = {k: {**v, "non_responsive": {"ok": False, "note": ""}} for k, v in verdicts.items()}
    r = me.post(f"/evaluation/evaluations/{ev_id}/sheets/compliance/submit", {"verdicts": bad})
    assert r.status_code == 422
    assert r.json()["code"] == "evaluation.reason_required"
    for _ordinal, client in tokens.items():
        r = client.post(f"/evaluation/evaluations/{ev_id}/sheets/compliance/submit", {"verdicts": verdicts})
        assert r.status_code == 200, r.content
    # only the chair closes
    assert (
        tokens[2].post(f"/evaluation/evaluations/{ev_id}/stages/compliance/close").json()["code"]
        == "evaluation.chair_only"
    )
    assert tokens[1].post(f"/evaluation/evaluations/{ev_id}/stages/compliance/close").status_code == 200
    assert tokens[1].post(f"/evaluation/evaluations/{ev_id}/stages/pricing/close").status_code == 200

    bids = list(ev.bids.order_by("seq"))
    scores = {str(b.pk): {"tech_plan": "20", "quality": "15", "credit": "8"} for b in bids}
    for client in tokens.values():
        r = client.post(f"/evaluation/evaluations/{ev_id}/sheets/scoring/submit", {"scores": scores})
        assert r.status_code == 200, r.content
    r = tokens[1].post(f"/evaluation/evaluations/{ev_id}/stages/scoring/close")
    assert r.status_code == 200
    assert r.json()["status"] == "signing"

    report = tokens[3].get(f"/evaluation/evaluations/{ev_id}/report").json()
    assert report["signing_input_sm3"].startswith("yiwang-document-v1\nsm3:")
    for m, person in people:
        signature = person.sign(report["signing_input_sm3"].encode("ascii"))
        r = tokens[m.ordinal].post(
            f"/evaluation/evaluations/{ev_id}/report/signatures",
            {"signature": base64.b64encode(signature).decode(), "certificate": person.issued.pem},
        )
        assert r.status_code == 201, r.content
    assert api.get(f"/evaluation/evaluations/{ev_id}/candidates").json() == []
    r = tokens[1].post(f"/evaluation/evaluations/{ev_id}/report/finalise")
    assert r.status_code == 200
    assert r.json()["status"] == "final"
    public = api.get(f"/evaluation/evaluations/{ev_id}/candidates").json()
    assert [c["order"] for c in public] == [1, 2, 3]
    assert public[0]["price_fen"] == 400_000_00
