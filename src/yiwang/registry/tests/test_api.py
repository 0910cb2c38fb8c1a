"""The registry API: errors at the edge, idempotent creation, ETag/If-Match, restricted reads, sub-resources."""

from __future__ import annotations

import pytest

from yiwang.registry.tests.support import (
    MINHANG,
    PUJIANG,
    UNKNOWN,
    admin_of,
    counts,
    full_org_data,
    org_data,
    person,
    regulator,
    staff,
    user_of,
)


@pytest.fixture
def caller(test_actors, api, db, clock):
    """``caller(actor)`` → an API client whose bearer token resolves to ``actor``."""

    def as_actor(actor):
        token = f"token-{actor.ref}-{len(test_actors)}"
        test_actors[token] = actor
        return api.with_token(token)

    return as_actor


@pytest.fixture
def anna(caller):
    return caller(person(1, label="安娜"))


def created(response):
    assert response.status_code == 201, response.content
    return response.json()


def test_register_through_the_api(anna):
    before = counts()
    response = anna.post("/registry/entities", org_data(), headers={"Idempotency-Key": "reg-1"})
    body = created(response)
    assert body["uscc"] == PUJIANG
    assert body["name"] == "上海浦江数智建设工程有限公司"
    assert body["region_name"] == "浦东新区"
    assert body["version"] == 1
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"/api/v1/registry/entities/{body['id']}"
    after = counts()
    assert after["entities"] == before["entities"] + 1
    assert after["witness"] == before["witness"] + 1
    assert after["events"] == before["events"] + 1


def test_idempotent_replay_and_key_reuse(anna):
    first = anna.post("/registry/entities", org_data(), headers={"Idempotency-Key": "k-1"})
    body = created(first)
    before = counts()
    again = anna.post("/registry/entities", org_data(), headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert counts() == before
    other = anna.post("/registry/entities", org_data(MINHANG), headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency.key_reused"
    assert counts() == before


def test_duplicate_over_the_api(anna, caller):
    body = created(anna.post("/registry/entities", org_data()))
    response = caller(person(2)).post("/registry/entities", org_data(contact_name="别人"))
    assert response.status_code == 409
    assert response.json()["code"] == "registry.duplicate"
    assert response.json()["details"]["existing_id"] == body["id"]


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (org_data("91310115MA1FL2X37G"), "uscc.check_digit", "uscc"),
        (org_data("91310115MA1FL2X3IF"), "uscc.charset", "uscc"),
        (full_org_data(region_code="310103"), "catalog.region_not_valid", "region_code"),
        (full_org_data(region_code="310199"), "catalog.region_unknown", "region_code"),
        (full_org_data(enterprise_nature="0"), "catalog.code_unknown", "enterprise_nature"),
        (org_data(contact_phone="12345"), "registry.phone_format", "contact_phone"),
        (org_data(name="别的名字有限公司"), "registry.authoritative_mismatch", "name"),
        (
            {
                "kind": "natural_person",
                "id_number": "310112199013011233",
                "name": "x",
                "region_code": "310112",
                "contact_name": "x",
                "contact_phone": "13912345678",
                "roles": ["bidder"],
            },
            "ric.birth_date",
            "id_number",
        ),
    ],
)
def test_bad_input_gets_its_code_and_leaves_nothing(anna, data, code, field):
    before = counts()
    response = anna.post("/registry/entities", data, headers={"Idempotency-Key": f"bad-{code}"})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == code
    assert body["details"]["field"] == field
    assert body["message_zh"]
    assert counts() == before
    # the key was not used up: a corrected retry with it succeeds
    if code == "uscc.check_digit":
        assert (
            anna.post("/registry/entities", org_data(), headers={"Idempotency-Key": f"bad-{code}"}).status_code == 201
        )


def test_anonymous_callers_cannot_register(api, db):
    response = api.post("/registry/entities", org_data())
    assert response.status_code == 401


def test_public_reads_are_masked(anna, caller, api):
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    admin = caller(admin_of(entity_id))
    put = admin.put(
        f"/registry/entities/{entity_id}/bank-account",
        {
            "bank_name": "中国银行",
            "account_name": "上海浦江数智建设工程有限公司",
            "account_number": "4563 5123 4567 8901",
        },
        headers={"If-Match": '"1"'},
    )
    assert put.status_code == 200, put.content
    public = api.get(f"/registry/entities/{entity_id}").json()
    assert public["full"] is False
    assert public["contact_phone"] is None
    assert public["legal_rep_name"] == "王建国"  # published by the register anyway
    assert public["basic_account"]["account_number"] == "****8901"
    own = caller(user_of(entity_id)).get(f"/registry/entities/{entity_id}").json()
    assert own["full"] is True
    assert own["contact_phone"] == "13812345678"
    assert own["basic_account"]["account_number"] == "4563512345678901"
    official = caller(regulator("320000")).get(f"/registry/entities/{entity_id}").json()
    assert official["full"] is True
    assert api.get(f"/registry/entities/{entity_id}/bank-account").json()["account_number"] == "****8901"
    assert api.get(f"/registry/entities/{entity_id}/history").status_code == 401
    assert caller(person(9)).get(f"/registry/entities/{entity_id}/history").status_code == 403
    history = admin.get(f"/registry/entities/{entity_id}/history").json()
    assert [h["field"] for h in history] == ["basic_account", "registration"]
    assert history[0]["new_value"]["account_number"] == "****8901"
    assert api.get("/registry/entities/999999").json()["code"] == "registry.entity_not_found"


def test_search(anna, api):
    created(anna.post("/registry/entities", org_data()))
    created(anna.post("/registry/entities", org_data(MINHANG, roles=["supplier", "bidder"])))
    created(anna.post("/registry/entities", full_org_data()))
    assert api.get("/registry/entities", {"q": "浦江"}).json()["total"] == 1
    assert api.get("/registry/entities", {"q": MINHANG.lower()}).json()["items"][0]["uscc"] == MINHANG
    assert api.get("/registry/entities", {"region": "310000"}).json()["total"] == 3
    assert api.get("/registry/entities", {"region": "310112"}).json()["total"] == 1
    assert api.get("/registry/entities", {"role": "supplier"}).json()["total"] == 2
    page = api.get("/registry/entities", {"limit": 2, "offset": 2}).json()
    assert (page["total"], len(page["items"])) == (3, 1)


def test_patch_requires_if_match(anna, caller):
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    admin = caller(admin_of(entity_id))
    path = f"/registry/entities/{entity_id}"
    before = counts()
    missing = admin.patch(path, {"contact_name": "李四"})
    assert missing.status_code == 428
    assert missing.json()["code"] == "precondition.if_match_required"
    stale = admin.patch(path, {"contact_name": "李四"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition.failed"
    assert counts() == before
    etag = admin.get(path)["ETag"]
    ok = admin.patch(path, {"contact_name": "李四", "roles": ["bidder", "tenderer"]}, headers={"If-Match": etag})
    assert ok.status_code == 200, ok.content
    assert ok["ETag"] == '"2"'
    assert ok.json()["contact_name"] == "李四"
    assert sorted(ok.json()["roles"]) == ["bidder", "tenderer"]
    again = admin.patch(path, {"contact_name": "王五"}, headers={"If-Match": etag})
    assert again.status_code == 412


def test_other_entities_cannot_edit(anna, caller):
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    for actor in (admin_of(entity_id + 1), user_of(entity_id), regulator()):
        response = caller(actor).patch(
            f"/registry/entities/{entity_id}", {"contact_name": "黑客"}, headers={"If-Match": "*"}
        )
        assert response.status_code == 403
        assert response.json()["code"] == "registry.forbidden"


def test_lookup(api, db, clock, anna):
    found = api.get(f"/registry/lookup/{PUJIANG.lower()}")
    assert found.status_code == 200
    body = found.json()
    assert body["found"] is True
    assert body["prefill"]["name"] == "上海浦江数智建设工程有限公司"
    assert body["prefill"]["established_on"] == "2015-06-18"
    assert body["registered_entity_id"] is None
    bad = api.get("/registry/lookup/91310115MA1FL2X37G")
    assert bad.status_code == 422
    assert bad.json()["code"] == "uscc.check_digit"
    assert bad.json()["details"]["expected"] == "F"
    missing = api.get(f"/registry/lookup/{UNKNOWN}")
    assert missing.status_code == 404
    assert missing.json()["code"] == "registry.lookup_not_found"
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    assert api.get(f"/registry/lookup/{PUJIANG}").json()["registered_entity_id"] == entity_id


def test_status_over_the_api(anna, caller):
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    path = f"/registry/entities/{entity_id}/status"
    body = {"status": "suspended", "reason": "涉嫌弄虚作假，暂停交易"}
    assert caller(admin_of(entity_id)).put(path, body, headers={"If-Match": '"1"'}).status_code == 403
    assert caller(staff()).put(path, body).status_code == 428
    response = caller(staff()).put(path, body, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["status_label"] == "暂停"


def test_qualification_sub_resource(anna, caller, api):
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    admin = caller(admin_of(entity_id))
    base = f"/registry/entities/{entity_id}/qualifications"
    data = {
        "qualification_type": "construction_general",
        "certificate_no": "D231000001",
        "level": "一级",
        "valid_from": "2021-06-01",
        "valid_to": "2030-06-01",
    }
    q = created(admin.post(base, data, headers={"Idempotency-Key": "q-1"}))
    assert q["status"] == "valid"
    assert admin.post(base, data, headers={"Idempotency-Key": "q-1"})["Idempotent-Replayed"] == "true"
    assert admin.post(base, data).json()["code"] == "registry.qualification_duplicate"
    bad = admin.post(base, {**data, "certificate_no": "X1", "qualification_type": "nope"})
    assert (bad.status_code, bad.json()["code"]) == (422, "catalog.code_unknown")
    item = f"{base}/{q['id']}"
    assert admin.patch(item, {"level": "特级"}).status_code == 428
    patched = admin.patch(item, {"level": "特级"}, headers={"If-Match": '"1"'})
    assert patched.json()["level"] == "特级"
    assert patched["ETag"] == '"2"'
    assert api.get(base).json()[0]["certificate_no"] == "D231000001"
    stale = admin.delete(item, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    withdrawn = admin.delete(item, headers={"If-Match": '"2"'})
    assert withdrawn.json()["status"] == "withdrawn"
    assert api.get(base).json() == []
    assert [x["status"] for x in admin.get(base).json()] == ["withdrawn"]


def test_personnel_sub_resource(anna, caller, api):
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    admin = caller(admin_of(entity_id))
    base = f"/registry/entities/{entity_id}/personnel"
    data = {
        "name": "陈建华",
        "id_number": "310115198506154568",
        "personnel_role": "project_manager",
        "certificates": [{"certificate_type": "constructor_1", "number": "沪131000000001"}],
    }
    bad = admin.post(base, {**data, "id_number": "310115198506154567"})
    assert (bad.status_code, bad.json()["code"]) == (422, "ric.check_digit")
    p = created(admin.post(base, data))
    assert p["id_number"] == "310115198506154568"
    public = api.get(base).json()
    assert public[0]["id_number"] == "310***********4568"
    assert public[0]["name"] == "陈建华"
    other = caller(admin_of(entity_id + 1)).get(base).json()
    assert other[0]["id_number"] == "310***********4568"
    item = f"{base}/{p['id']}"
    patched = admin.patch(item, {"title": "高级工程师"}, headers={"If-Match": '"1"'})
    assert patched.json()["title"] == "高级工程师"
    removed = admin.delete(item)
    assert removed.json()["is_active"] is False
    assert api.get(base).json() == []


def test_bank_account_sub_resource(anna, caller, api):
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    admin = caller(admin_of(entity_id))
    path = f"/registry/entities/{entity_id}/bank-account"
    body = {"bank_name": "中国银行", "account_name": "上海浦江数智建设工程有限公司", "account_number": "45635123456789"}
    assert api.get(path).json()["code"] == "registry.no_basic_account"
    assert admin.put(path, body).status_code == 428
    mismatch = admin.put(path, {**body, "account_name": "上海浦江公司"}, headers={"If-Match": '"1"'})
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "registry.account_name_mismatch")
    ok = admin.put(path, body, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok["ETag"] == '"2"'
    changed = admin.put(path, {**body, "account_number": "45635123450000"}, headers={"If-Match": '"2"'})
    assert changed.json()["account_number"] == "45635123450000"
    history = admin.get(f"/registry/entities/{entity_id}/bank-accounts").json()
    assert [h["account_number"] for h in history] == ["45635123450000", "45635123456789"]
    assert api.get(f"/registry/entities/{entity_id}/bank-accounts").status_code == 401
    closed = admin.delete(path, headers={"If-Match": '"3"'})
    assert closed.status_code == 200
    assert all(h["valid_to"] for h in closed.json())


def test_sync_endpoint(anna, caller):
    entity_id = created(anna.post("/registry/entities", org_data()))["id"]
    response = caller(admin_of(entity_id)).post(f"/registry/entities/{entity_id}/sync")
    assert response.status_code == 200
    assert response.json()["verified_source"].startswith("演示")


def test_every_post_is_idempotent_and_every_operation_declares_422(api, db):
    spec = api.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/registry"):
            continue
        for method, operation in operations.items():
            assert "422" in operation["responses"], (method, path)
            if method == "post":
                names = [p["name"] for p in operation.get("parameters", [])]
                assert "Idempotency-Key" in names, path
            if method in ("patch", "put"):
                names = [p["name"] for p in operation.get("parameters", [])]
                assert "If-Match" in names, path


def test_search_reads_a_constant_number_of_queries(anna, api, django_assert_max_num_queries):
    from yiwang.registry.tests.support import SOLE_TRADER

    for uscc in (PUJIANG, MINHANG, UNKNOWN):
        data = full_org_data() if uscc == UNKNOWN else org_data(uscc, roles=["bidder", "supplier"])
        created(anna.post("/registry/entities", data))
    created(anna.post("/registry/entities", org_data(SOLE_TRADER, kind="individual_business")))
    with django_assert_max_num_queries(8):
        body = api.get("/registry/entities", {"region": "310000"}).json()
    assert body["total"] == 4
    assert all(item["region_name"] != item["region_code"] for item in body["items"])
