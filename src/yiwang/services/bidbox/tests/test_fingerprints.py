"""The bid tool's fingerprints and the upload address (条例第40条): what is kept from ``meta.extra`` and the request,
how bad values are dropped, who may read them and when."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import get_clock
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.domain import fingerprints as fp
from yiwang.services.bidbox.models import Submission
from yiwang.services.bidbox.tests import support
from yiwang.services.bidbox.tests.support import DEADLINE, bid_document, counts, seal_for, submit, witnessed

SAME_MACHINE = {
    "tool.machine.mac": "3c:7c:3f:1a:2b:4d, 00-00-00-00-00-00",
    "tool.machine.cpu": "BFEB-FBFF-0009-06EA",
    "tool.machine.disk": " WD-WCC4N1234567 ",
    "tool.machine.board": "To be filled by O.E.M.",
    "tool.file_creation_id": "{6F9619FF-8B86-D011-B42D-00C04FC964FF}",
    "tool.dongle_serial": "ca-lock-0042",
    "tool.name": "某投标文件制作工具",
}


# -- the pure rules ---------------------------------------------------------------------------------------------------


def test_values_are_normalised_and_placeholders_dropped_with_notes():
    kept = fp.normalise(SAME_MACHINE)
    assert kept.values == {
        "tool.machine.mac": ["3C-7C-3F-1A-2B-4D"],
        "tool.machine.cpu": ["BFEBFBFF000906EA"],
        "tool.machine.disk": ["WD-WCC4N1234567"],
        "tool.file_creation_id": ["6f9619ff-8b86-d011-b42d-00c04fc964ff"],
        "tool.dongle_serial": ["CA-LOCK-0042"],
    }
    assert sorted((n.key, n.code) for n in kept.notes) == [
        ("tool.machine.board", "bidbox.fingerprint_placeholder"),
        ("tool.machine.mac", "bidbox.fingerprint_placeholder"),
    ]


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("tool.machine.mac", "3C-7C-3F-1A-2B", "bidbox.fingerprint_malformed"),
        ("tool.machine.mac", "3C-7C:3F-1A-2B-4D", "bidbox.fingerprint_malformed"),
        ("tool.machine.mac", "FF:FF:FF:FF:FF:FF", "bidbox.fingerprint_placeholder"),
        ("tool.machine.cpu", "12AB", "bidbox.fingerprint_malformed"),
        ("tool.machine.cpu", "00000000", "bidbox.fingerprint_placeholder"),
        ("tool.machine.disk", "序列号1234", "bidbox.fingerprint_malformed"),
        ("tool.machine.disk", "Default string", "bidbox.fingerprint_placeholder"),
        ("tool.file_creation_id", "short", "bidbox.fingerprint_malformed"),
        ("tool.dongle_serial", "lock/1", "bidbox.fingerprint_malformed"),
    ],
)
def test_bad_values_are_dropped_never_refused(key, value, code):
    kept = fp.normalise({key: value})
    assert kept.values == {}
    assert [(n.key, n.code) for n in kept.notes] == [(key, code)]


def test_more_than_eight_macs_keep_the_first_eight():
    macs = ",".join(f"02-00-00-00-00-{i:02X}" for i in range(1, 11))
    kept = fp.normalise({"tool.machine.mac": macs})
    assert len(kept.values["tool.machine.mac"]) == 8
    assert [n.code for n in kept.notes] == ["bidbox.fingerprint_too_many"]


@given(st.binary(min_size=6, max_size=6), st.sampled_from(["-", ":", ""]), st.booleans())
def test_every_spelling_of_a_mac_gives_one_value(raw, sep, lower):
    text = sep.join(f"{b:02X}" for b in raw)
    kept = fp.normalise({"tool.machine.mac": text.lower() if lower else text})
    if len(set(raw.hex())) <= 1:
        assert kept.values == {}
    else:
        assert kept.values == {"tool.machine.mac": ["-".join(f"{b:02X}" for b in raw)]}


PROXIES = fp.parse_networks(["127.0.0.1", "::1", "10.8.0.0/16"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("203.0.113.7", None, (), ("203.0.113.7", "remote_addr")),
        ("203.0.113.7", "198.51.100.1", (), ("203.0.113.7", "remote_addr")),  # untrusted: header ignored
        ("127.0.0.1", "198.51.100.1", PROXIES, ("198.51.100.1", "x_forwarded_for")),
        ("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.8.1.1", PROXIES, ("198.51.100.1", "x_forwarded_for")),
        ("::1", "[2001:db8::5]:5050", PROXIES, ("2001:db8::5", "x_forwarded_for")),
        ("127.0.0.1", "garbage", PROXIES, ("127.0.0.1", "remote_addr")),
        ("::ffff:203.0.113.9", None, PROXIES, ("203.0.113.9", "remote_addr")),
        ("", None, PROXIES, ("", "")),
    ],
)
def test_the_upload_address(remote, forwarded, proxies, expected):
    found = fp.upload_address(remote, forwarded, proxies)
    assert (found.ip, found.source) == expected


# -- through the box -------------------------------------------------------------------------------------------------


def _upload(account, box_id: int, data: bytes, **meta):
    client = Client()
    client.force_login(account)
    upload = SimpleUploadedFile("bid.ywenv", data, content_type="application/octet-stream")
    return client.post(f"/api/v1/bidbox/boxes/{box_id}/submissions", {"file": upload}, **meta)


def _open_and_close(world, box, sealed_by_bidder) -> None:
    get_clock().set(DEADLINE)
    actions.do_start_opening(actor=world.staff_actor, box_id=box.pk)
    for bidder, sealed in sealed_by_bidder:
        sub = Submission.objects.get(box=box, entity_id=bidder.entity_id, status="submitted")
        key = support.envelope.unwrap_content_key(sealed, private_key=bidder.issued.key)
        assert actions.do_decrypt_with_content_key(actor=bidder.actor, submission_id=sub.pk, content_key=key).ok
    actions.do_close_opening(actor=world.staff_actor, box_id=box.pk)


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(YiwangError) as caught:
        fn(*args, **kwargs)
    return caught.value.code


READER = Actor.system("redflags")


@pytest.mark.django_db
def test_fingerprints_are_kept_confidential_and_read_by_supervision_after_the_opening(world, ceremony, settings):
    settings.YIWANG_BIDBOX = {"TRUSTED_PROXIES": ["127.0.0.1"]}
    box = support.open_box(world.staff_actor, ceremony.key, ref="FP-1", region="310112")
    sealed = {
        "a": seal_for(box, world.a, bid_document(100_000_00), extra=SAME_MACHINE),
        "b": seal_for(box, world.b, bid_document(102_000_00), extra={"tool.machine.mac": "3C7C3F1A2B4D"}),
        "c": seal_for(box, world.c, bid_document(104_000_00), extra={}),
    }
    # a and b upload through the proxy from one office; c directly (its X-Forwarded-For is not believed)
    via_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.23"}
    assert _upload(world.a.account, box.pk, sealed["a"], **via_proxy).status_code == 201
    assert _upload(world.b.account, box.pk, sealed["b"], **via_proxy).status_code == 201
    direct = {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "198.51.100.23"}
    assert _upload(world.c.account, box.pk, sealed["c"], **direct).status_code == 201

    # the log says which kinds were kept, never the values
    entries = witnessed("bidbox.submit_envelope")
    assert {tuple(e["fingerprint_keys"]) for e in entries} >= {("tool.machine.mac",), ()}
    assert "3C-7C-3F-1A-2B-4D" not in str(entries)
    assert "198.51.100.23" not in str(entries)
    # the bidder's own receipt does not carry them either
    receipt = queries.get_receipt_for(world.a.actor, Submission.objects.get(entity_id=world.a.entity_id).pk)
    assert "tool" not in str(receipt.summary)

    regulator = Actor(ActorKind.ACCOUNT, "990", "浦东监管", (RoleGrant(Role.REGULATOR, region="310115"),))
    owner = ("tender.section", "FP-1")
    # before the opening record nobody reads them, supervision included
    assert _code(queries.list_submission_fingerprints, owner, actor=READER) == "bidbox.fingerprints_sealed"
    for who in (world.staff_actor, world.a.actor, Actor.system("bidbox"), Actor.anonymous(), regulator):
        assert _code(queries.list_submission_fingerprints, owner, actor=who) == "bidbox.fingerprints_forbidden"

    _open_and_close(world, box, [(world.a, sealed["a"]), (world.b, sealed["b"]), (world.c, sealed["c"])])
    rows = {r.entity_id: r for r in queries.list_submission_fingerprints(owner, actor=READER)}
    a, b, c = rows[world.a.entity_id], rows[world.b.entity_id], rows[world.c.entity_id]
    assert a.extra["tool.machine.mac"] == b.extra["tool.machine.mac"] == ["3C-7C-3F-1A-2B-4D"]
    assert a.extra["tool.dongle_serial"] == ["CA-LOCK-0042"]
    assert {n["code"] for n in a.notes} == {"bidbox.fingerprint_placeholder"}
    assert (a.upload_ip, a.upload_ip_source) == ("198.51.100.23", "x_forwarded_for")
    assert b.upload_ip == "198.51.100.23"
    assert (c.upload_ip, c.upload_ip_source, c.extra) == ("203.0.113.5", "remote_addr", {})
    # after the opening too, only supervision: not staff, not the bidders, not the tenderer's system components
    for who in (world.staff_actor, world.b.actor, Actor.system("tender")):
        assert _code(queries.list_submission_fingerprints, owner, actor=who) == "bidbox.fingerprints_forbidden"
    assert _code(queries.list_submission_fingerprints, ("tender.section", "nope"), actor=READER) == (
        "bidbox.box_not_found"
    )


@pytest.mark.django_db
def test_a_regulator_over_the_region_may_read_after_the_opening(world, ceremony, system):
    from yiwang.identity import actions as identity
    from yiwang.identity.auth import actor_for_account

    box = support.open_box(
        world.staff_actor, ceremony.key, ref="FP-2", region="310112", min_rule="judicial.min_bidders"
    )
    sealed = seal_for(box, world.a, bid_document(5), extra={"tool.machine.cpu": "BFEBFBFF000906EA"})
    submit(box, world.a, sealed, upload_ip="::ffff:192.0.2.1")
    _open_and_close(world, box, [(world.a, sealed)])
    near = support.make_account("fp-reg-mh", "闵行监管")
    identity.do_grant_role(actor=system, role=Role.REGULATOR, account=near, region="310112")
    far = support.make_account("fp-reg-pd", "浦东监管")
    identity.do_grant_role(actor=system, role=Role.REGULATOR, account=far, region="310115")
    [row] = queries.list_submission_fingerprints(("tender.section", "FP-2"), actor=actor_for_account(near))
    assert row.extra == {"tool.machine.cpu": ["BFEBFBFF000906EA"]}
    assert (row.upload_ip, row.upload_ip_source) == ("192.0.2.1", "remote_addr")
    assert (
        _code(queries.list_submission_fingerprints, ("tender.section", "FP-2"), actor=actor_for_account(far))
        == "bidbox.fingerprints_forbidden"
    )


@pytest.mark.django_db
def test_a_bad_upload_address_is_refused_and_leaves_nothing(world, box):
    sealed = seal_for(box, world.a, bid_document(5))
    before = counts()
    assert _code(submit, box, world.a, sealed, upload_ip="not-an-ip") == "bidbox.invalid"
    assert _code(submit, box, world.a, sealed, upload_ip="1.2.3.4", upload_ip_source="cookie") == "bidbox.invalid"
    assert counts() == before


def test_settings_with_a_bad_proxy_fail_loudly():
    with pytest.raises(ValueError, match="does not appear to be"):
        fp.parse_networks(["not a network"])
    assert fp.parse_networks(["10.0.0.0/8"])[0] == ipaddress.ip_network("10.0.0.0/8")


@pytest.mark.django_db
def test_the_bid_tool_writes_the_machine_codes_into_the_signed_metadata(world, box1, tmp_path, monkeypatch):
    import io

    from django.core.management import call_command

    from yiwang.kernel.crypto import envelope
    from yiwang.services.bidbox import tool

    monkeypatch.setattr(tool.uuid, "getnode", lambda: 0x3C7C3F1A2B4D)
    codes = tool.machine_fingerprints()
    assert codes["tool.machine.mac"] == "3C-7C-3F-1A-2B-4D"
    monkeypatch.setattr(tool.uuid, "getnode", lambda: 0x3C7C3F1A2B4D | (1 << 40))  # a random node: not a MAC
    assert "tool.machine.mac" not in tool.machine_fingerprints()
    monkeypatch.setattr(tool.uuid, "getnode", lambda: 0x3C7C3F1A2B4D)

    (tmp_path / "bid.json").write_bytes(bid_document(5_000_000))
    (tmp_path / "key.pem").write_bytes(world.a.issued.key.to_pem())
    (tmp_path / "cert.pem").write_text(world.a.issued.pem)
    creation = tool.new_file_creation_id()
    call_command(
        "bidbox",
        "seal",
        *("--box", str(box1.pk), "--file", str(tmp_path / "bid.json")),
        *("--key", str(tmp_path / "key.pem"), "--cert", str(tmp_path / "cert.pem")),
        *("--machine", "--extra", f"tool.file_creation_id={creation}", "--extra", "tool.name=测试投标工具"),
        *("--out", str(tmp_path / "bid.ywenv")),
        stdout=io.StringIO(),
    )
    sealed = (tmp_path / "bid.ywenv").read_bytes()
    extra = dict(envelope.inspect(sealed).meta.extra)
    assert extra["tool.machine.mac"] == "3C-7C-3F-1A-2B-4D"
    assert extra["tool.file_creation_id"] == creation
    sub = submit(box1, world.a, sealed, upload_ip="203.0.113.8")
    assert sub.tool_fingerprints["values"]["tool.machine.mac"] == ["3C-7C-3F-1A-2B-4D"]
    assert sub.tool_fingerprints["values"]["tool.file_creation_id"] == [creation]
    assert "tool.name" not in sub.tool_fingerprints["values"]


@pytest.mark.django_db
def test_the_submit_page_records_the_address_behind_a_trusted_proxy(world, box, settings):
    settings.YIWANG_BIDBOX = {"TRUSTED_PROXIES": ["::1", "127.0.0.0/8"]}
    client = Client()
    client.force_login(world.a.account)
    sealed = seal_for(box, world.a, bid_document(5))
    done = client.post(
        f"/bidbox/{box.pk}/submit/",
        {"entity_id": world.a.entity_id, "file": SimpleUploadedFile("b.ywenv", sealed)},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.50, 127.0.0.1",
    )
    assert done.status_code == 302
    sub = Submission.objects.get()
    assert (sub.upload_ip, sub.upload_ip_source) == ("203.0.113.50", "x_forwarded_for")
    # the bid tool of the test support records its machine by default (one machine per bidder)
    assert sub.tool_fingerprints["values"]["tool.machine.mac"] == [support.machine_of(world.a)["tool.machine.mac"]]
    assert "203.0.113.50" not in client.get(f"/bidbox/submissions/{sub.pk}/").content.decode()
