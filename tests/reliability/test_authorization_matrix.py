"""The authorization matrix: every role × every page and every API operation, allowed or refused as declared.

The endpoints are enumerated, not listed by hand: every URL pattern of the site (the admin and the API mount
left out) and every operation of the OpenAPI document. ``DECISIONS`` (at the end of this file) holds one entry
per endpoint: who is let through. An endpoint without an entry, or an entry without an endpoint, fails
``test_every_endpoint_has_a_decision`` — so a new page or operation cannot land without somebody deciding who
may use it.

The people are the demonstration installation's (``portal.demo.load_demo``): a bidder, a tenderer, an agency,
trading-centre staff (闵行), an expert, a regulator (全市), an auditor, the platform administrator (staff
administrator over 全市) and a sub-platform's machine client (a bearer token; machines do not browse, so on
pages it is an anonymous visitor). The world holds the demonstration's trades too (``yiwang demo-markets``: a
works tender and a procurement to the contract with their bid boxes, draws, bookings and evaluations, an auction,
two carbon days, a collusion alert) and a complaint the bidder files: a path parameter that names a thing names
a real one of these (``_things``), so a page about one thing is judged by its own rule, not by the 404 every
caller meets for a number that names nothing. Pages are fetched with GET; API operations are sent with their
own method and an empty JSON body, so a write reaches the permission check that comes before validation (no
Idempotency-Key, no If-Match). A write whose permission check comes after its input validation has a minimal
valid body in ``BODIES`` (built from the seeded world), so the refused roles meet the check itself. Every write
runs in a savepoint that is rolled back, so what an allowed role creates or changes does not stay. Path
parameters without a seeded thing take a well-formed value that names nothing.

A request is *refused* when it answers 401 or 403 or sends the visitor to the sign-in page; anything else
(200, 404 for a number that names nothing, 405, 409, 422 …) is *let through*: the person passed the gate.
A server error fails the test whatever the decision. What the matrix cannot see: a check that comes after input
validation in a write without a body in ``BODIES`` (such a write shows as let through for every signed-in role),
and object-level rules beyond the one thing of each kind seeded (another region's project, another entity's bid) —
those are each context's own tests.

Decisions are written as: ``"*"`` everyone, anonymous included; ``"@"`` every signed-in caller (on pages every
person; on the API every person and the machine client); ``"people"`` every person but not the machine client;
otherwise the names of the roles let through, separated by spaces; ``"@ -bidder"`` every signed-in caller but
the bidder (likewise after ``"*"`` or ``"people"``). ``YIWANG_MATRIX_OBSERVE=<file>``
writes what the site does now in the same form (to review and paste when an endpoint is added).
"""

from __future__ import annotations

import io
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from yiwang.identity import actions as identity
from yiwang.identity import queries as identity_queries
from yiwang.identity.auth import actor_for_account
from yiwang.portal.demo import DEMO_PASSWORD, load_demo
from yiwang.supervision.complaints import actions as complaints

pytestmark = [pytest.mark.django_db, pytest.mark.reliability, pytest.mark.timeout(1800)]

# role → the demo account that plays it (None: anonymous; the sub-platform is a machine client)
PEOPLE: dict[str, str | None] = {
    "anonymous": None,
    "bidder": "pujiang",
    "tenderer": "xuhui",
    "agency": "shencheng",
    "staff": "staff-mh",
    "expert": "expert-li",
    "regulator": "regulator",
    "auditor": "auditor",
    "admin": "admin",
    "subplatform": None,
}
ROLES = tuple(PEOPLE)
SIGNED_IN = tuple(r for r in ROLES if r != "anonymous")
PEOPLE_ONLY = tuple(r for r in SIGNED_IN if r != "subplatform")  # on pages the machine client is anonymous
ENTITY_OF = {"bidder": "pujiang", "tenderer": "xuhui", "agency": "shencheng"}

LEFT_OUT = ("admin/", "api/v1/")  # Django's admin (staff accounts of Django itself) and the API mount


@dataclass(frozen=True)
class Endpoint:
    key: str  # "PAGE registry/<int:entity_id>/" or "GET /api/v1/registry/entities/{entity_id}"
    method: str
    template: str  # the path with its parameters


def _walk(patterns, prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def pages() -> list[Endpoint]:
    routes = sorted({r for r in _walk(get_resolver().url_patterns) if not r.startswith(LEFT_OUT)})
    return [Endpoint(f"PAGE /{r}", "GET", "/" + r) for r in routes]


def operations() -> list[Endpoint]:
    from yiwang.config.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    found = []
    for path, item in schema["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                found.append(Endpoint(f"{method.upper()} {path}", method.upper(), path))
    return sorted(found, key=lambda e: e.key)


def endpoints() -> list[Endpoint]:
    return pages() + operations()


# -- filling path parameters --------------------------------------------------------------------------------------

NOTHING_UUID = str(uuid.UUID(int=0x5EED))
PAGE_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
API_PARAM = re.compile(r"\{(?P<name>\w+)(?::(?P<conv>\w+))?\}")


def _value(name: str, conv: str | None, seeded: dict[str, str], template: str = "") -> str:
    for key, value in seeded.items():  # "<path prefix>|<name>": a name that means another thing under that prefix
        prefix, _, seeded_name = key.rpartition("|")
        if prefix and seeded_name == name and template.startswith(prefix):
            return value
    if name in seeded:
        return seeded[name]
    if conv in ("uuid", "uuidstr") or name in ("submission_id", "document_id"):
        return NOTHING_UUID
    if conv == "int" or name.endswith("_id") or name in ("number", "year", "index", "seq"):
        return "2026" if name == "year" else "987654"
    return "nothing"


def concrete(endpoint: Endpoint, seeded: dict[str, str]) -> str:
    pattern = PAGE_PARAM if endpoint.key.startswith("PAGE") else API_PARAM
    path = pattern.sub(lambda m: _value(m["name"], m["conv"], seeded, endpoint.template), endpoint.template)
    return path.replace("^", "").replace("$", "")


# -- callers -----------------------------------------------------------------------------------------------------


@pytest.fixture
def in_process(db) -> Iterator[None]:
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class World:
    clients: dict[str, Client]
    bearer: str
    seeded: dict[str, str]


@pytest.fixture
def demo(in_process, tmp_path, settings) -> tuple[object, dict[str, str]]:
    """The demonstration installation and its trades (``yiwang demo-markets``: a works tender and a procurement to
    the contract, two carbon trading days, a judicial auction and a land listing, a collusion alert), made on the
    real clock as ``make run`` makes them, before the test clock starts; with the numbers of the things made, so
    the path parameters that name a thing name a real one and the matrix sees each page's own rule — not a 404
    that every caller meets alike. A name that means two things (a seat of a draw or of a room …) is seeded per
    path prefix ("<prefix>|<name>")."""
    report = load_demo()
    settings.DATA_DIR = tmp_path  # the demo's marker file
    call_command("demo_markets", stdout=io.StringIO())
    return report, _things()


@pytest.fixture
def world(demo, clock) -> World:
    report, things = demo
    clients: dict[str, Client] = {}
    for role, username in PEOPLE.items():
        client = Client(raise_request_exception=False)
        if username:
            account = identity_queries.find_account(username)
            assert account is not None, username
            client.force_login(account)
        clients[role] = client
    token, _ = identity.do_issue_client_token(client_id=report.client_id, client_secret=report.client_secret)
    entity_id = _entity_of("bidder")
    bidder = actor_for_account(identity_queries.find_account(ENTITY_OF["bidder"]))
    complaint = complaints.do_file_complaint(actor=bidder, data=_complaint_body_for(entity_id))
    seeded = {"entity_id": str(entity_id), "complaint_id": str(complaint.pk), **things}
    assert DEMO_PASSWORD  # the accounts are the published demo ones
    return World(clients=clients, bearer=f"Bearer {token}", seeded=seeded)


def _things() -> dict[str, str]:
    from yiwang.services.bidbox.models import Box, Submission
    from yiwang.services.experts.models import Draw, Expert
    from yiwang.services.experts.models import Seat as DrawSeat
    from yiwang.services.notices.models import Notice
    from yiwang.services.venues.models import Booking, RemoteSession, Room
    from yiwang.services.venues.models import Seat as RoomSeat
    from yiwang.services.witness.models import OnsiteRecord
    from yiwang.supervision.redflags.models import Alert
    from yiwang.trading.auction.models import Lot
    from yiwang.trading.tender.evaluation.models import Bid, Evaluation
    from yiwang.trading.tender.models import Project, Section

    def first(model, **where) -> str | None:
        row = model.objects.filter(**where).order_by("pk").values_list("pk", flat=True).first()
        return None if row is None else str(row)

    evaluation = first(Evaluation)
    draw = first(Draw)
    room = first(Room, seats__isnull=False)
    found = {
        "lot_id": first(Lot),
        "box_id": first(Box),
        "submission_id": first(Submission),
        "evaluation_id": evaluation,
        "bid_id": first(Bid, evaluation_id=evaluation),
        "draw_id": draw,
        "expert_id": first(Expert, seats__draw_id=draw),
        "alert_id": first(Alert),
        "project_id": first(Project),
        "section_id": first(Section),
        "booking_id": first(Booking),
        "room_id": room,
        "session_id": first(RemoteSession),
        "notice_id": first(Notice),
        "/experts/|seat_id": first(DrawSeat, draw_id=draw),
        "/api/v1/experts/|seat_id": first(DrawSeat, draw_id=draw),
        "/venues/|seat_id": first(RoomSeat, room_id=room),
        "/api/v1/venues/|seat_id": first(RoomSeat, room_id=room),
        "/onsite/|record_id": first(OnsiteRecord),
        "/api/v1/onsite/|record_id": first(OnsiteRecord),
        "/finance/|notice_id": "987654",  # a bank notice, not a published one
        "/api/v1/finance/|notice_id": "987654",
    }
    return {name: value for name, value in found.items() if value is not None}


def _entity_of(role: str) -> int:
    account = identity_queries.find_account(ENTITY_OF[role])
    ids = sorted(actor_for_account(account).entity_ids())
    assert ids, role
    return ids[0]


def refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code in (301, 302, 303) and response.get("Location", "").startswith("/accounts/login")


def _asks_to_sign_in(endpoint: Endpoint, response) -> bool:
    """An anonymous visitor is sent to the sign-in page (pages) or told to authenticate (401, the API)."""
    if endpoint.key.startswith("PAGE"):  # 401: the OpenID userinfo endpoint, which takes a bearer token
        return response.status_code in (302, 303, 401)
    return response.status_code == 401


def _finished(response):
    """Read a streamed answer (a file) to its end, as a server would, so its open blob is closed (the test client
    closes it then, without closing the test's database connection)."""
    if response.streaming:
        for _chunk in response.streaming_content:
            pass
    return response


def call(world: World, role: str, endpoint: Endpoint):
    path = concrete(endpoint, world.seeded)
    if endpoint.key.startswith("PAGE"):
        client = world.clients["anonymous" if role == "subplatform" else role]
        return _finished(client.get(path))
    client = world.clients["anonymous" if role == "subplatform" else role]
    headers = {"Authorization": world.bearer} if role == "subplatform" else {}
    send = getattr(client, endpoint.method.lower())
    if endpoint.method == "GET":
        return _finished(send(path, headers=headers))
    build = BODIES.get(endpoint.key)
    body = "{}" if build is None else json.dumps(build(world))
    with transaction.atomic():  # a savepoint: what an allowed role creates or changes is rolled back
        response = send(path, data=body, content_type="application/json", headers=headers)
        transaction.set_rollback(True)
    return _finished(response)


def expected(decision: str, endpoint: Endpoint) -> frozenset[str]:
    if decision == "*":
        return frozenset(ROLES)
    if decision == "@":
        return frozenset(PEOPLE_ONLY if endpoint.key.startswith("PAGE") else SIGNED_IN)
    if decision == "people":
        return frozenset(PEOPLE_ONLY)
    words = decision.split()
    if words and words[0] in ("*", "@", "people") and all(w.startswith("-") for w in words[1:]):
        return expected(words[0], endpoint) - {w[1:] for w in words[1:]}  # "@ -bidder": all signed in but …
    names = frozenset(words)
    unknown = names - set(ROLES)
    assert not unknown, f"{endpoint.key}: unknown roles {sorted(unknown)}"
    return names


def describe(through: frozenset[str], endpoint: Endpoint) -> str:
    if through == frozenset(ROLES):
        return "*"
    if through == expected("@", endpoint):
        return "@"
    if through == frozenset(PEOPLE_ONLY):
        return "people"
    return " ".join(r for r in ROLES if r in through)


# -- the tests ---------------------------------------------------------------------------------------------------


def test_every_endpoint_has_a_decision():
    keys = [e.key for e in endpoints()]
    missing = [k for k in keys if k not in DECISIONS]
    stale = sorted(set(DECISIONS) - set(keys))
    assert not missing, "endpoints without a decision (add them to DECISIONS):\n" + "\n".join(missing)
    assert not stale, "decisions for endpoints that no longer exist:\n" + "\n".join(stale)
    for key, decision in DECISIONS.items():  # "" is a decision too: nobody among the demo people (see DECISIONS)
        assert isinstance(decision, str), key
        expected(decision, Endpoint(key, "", ""))


def test_every_body_is_for_a_declared_write():
    writes = {k for k in DECISIONS if k.split(" ", 1)[0] in ("POST", "PUT", "PATCH")}
    assert set(BODIES) <= writes, sorted(set(BODIES) - writes)


def test_writes_are_never_open_to_anonymous_callers_by_decision():
    """A design rule on the table itself: no POST/PUT/PATCH/DELETE is declared open to everybody, except
    the few that authenticate by their own means (OAuth2 token endpoints, signed machine calls, sign-up)."""
    open_writes = [
        k
        for k, d in DECISIONS.items()
        if d.split() and "anonymous" in expected(d, Endpoint(k, "", "")) and not k.startswith(("GET", "PAGE"))
    ]
    assert sorted(open_writes) == sorted(OPEN_WRITES), open_writes


def test_every_role_is_let_through_or_refused_as_declared(world):
    observed: dict[str, str] = {}
    mismatches: list[str] = []
    server_errors: list[str] = []
    wrong_refusals: list[str] = []
    for endpoint in endpoints():
        through = set()
        for role in ROLES:
            response = call(world, role, endpoint)
            if response.status_code >= 500:
                server_errors.append(f"{endpoint.key} as {role}: {response.status_code}")
            if not refused(response):
                through.add(role)
            elif role == "anonymous" and not _asks_to_sign_in(endpoint, response) and endpoint.key not in ANONYMOUS_403:
                wrong_refusals.append(f"{endpoint.key}: anonymous refused with {response.status_code}")
        observed[endpoint.key] = describe(frozenset(through), endpoint)
        decision = DECISIONS.get(endpoint.key)
        if decision is not None and expected(decision, endpoint) != frozenset(through):
            want = expected(decision, endpoint)
            mismatches.append(
                f"{endpoint.key}: declared {decision!r}; "
                f"refused although let through by decision: {sorted(want - through)}; "
                f"let through although refused by decision: {sorted(through - want)}"
            )
    out = os.environ.get("YIWANG_MATRIX_OBSERVE")
    if out:
        Path(out).write_text("".join(f"    {k!r}: {v!r},\n" for k, v in observed.items()), encoding="utf-8")
    failing = {line.split(" as ")[0] for line in server_errors}
    assert failing == KNOWN_SERVER_ERRORS, "\n".join(server_errors) or "fixed: remove from KNOWN_SERVER_ERRORS"
    assert not wrong_refusals, "\n".join(wrong_refusals)
    assert not mismatches, "\n".join(mismatches)


# Writes open to anonymous callers by design: they authenticate by their own means (client credentials,
# a signed challenge, a bank's or a peer hub's signature) or verify something public.
OPEN_WRITES = (
    "POST /api/v1/auth/oauth/token",
    "POST /api/v1/ca/challenges/{challenge_id}/respond",
    "POST /api/v1/ca/verify",
    "POST /api/v1/federation/inbox",
    "POST /api/v1/federation/inbox.xml",
    "POST /api/v1/finance/bank/{bank_code}/notices",
)


# Minimal valid bodies of the writes that validate their input before checking who calls (with "{}" every
# signed-in role would meet a 422 and count as let through). Each builder takes the seeded world; the day is the
# test clock's (2026-03-02).
def _complaint_body(world: World) -> dict[str, object]:
    return _complaint_body_for(int(world.seeded["entity_id"]))


def _complaint_body_for(entity_id: int) -> dict[str, object]:
    return {
        "track": "works",
        "matter": "process",
        "complainant_entity_id": entity_id,  # the bidder's entity
        "respondent": "上海申城工程咨询有限公司",
        "procedure_ref": "tender.section:matrix-1",
        "procedure_title": "授权矩阵测试标段",
        "region_code": "310112",
        "facts": "招标代理机构在开标前透露潜在投标人名单。",
        "claims": "责令改正。",
        "anchor_on": "2026-02-27",
    }


def _lot_body(world: World) -> dict[str, object]:
    return {
        "preset": "english",
        "title": "授权矩阵测试标的",
        "start_price_fen": 1_000_000,
        "step_fen": 10_000,
        "start_at": "2026-03-10T10:00:00+08:00",
        "end_at": "2026-03-10T11:00:00+08:00",
        "region_code": "310112",
    }


def _bid_box_body(world: World) -> dict[str, object]:
    """A tender section's electronic bid box (the tender's bid intake); the key names nothing, so the staff who
    may open one meet a 404 after the check."""
    return {
        "owner_context": "tender.section",
        "owner_ref": "matrix-1",
        "title": "授权矩阵测试标段",
        "deadline": "2026-03-25T09:30:00+08:00",
        "opening_key": "nothing",
        "min_bidders_rule": "tender.min_bidders",
        "region": "310112",
    }


COMPLAINT_STEPS = (
    "accept",
    "reject",
    "investigate",
    "suspend",
    "resume",
    "pause_clock",
    "resume_clock",
    "decide",
    "withdraw",
)


def _step_body(world: World) -> dict[str, object]:
    """A complaint step or an alert decision with its reason (and a decision's outcome, a pause's kind)."""
    return {"reason": "授权矩阵测试", "outcome": "dismissed", "pause_kind": "testing"}


BODIES: dict[str, Callable[[World], dict[str, object]]] = {
    **{f"POST /api/v1/complaints/{{complaint_id}}/{verb}": _step_body for verb in COMPLAINT_STEPS},
    **{f"POST /api/v1/redflags/alerts/{{alert_id}}/{verb}": _step_body for verb in ("confirm", "dismiss", "close")},
    "POST /api/v1/complaints/": _complaint_body,  # for the complaining entity's people only
    "POST /api/v1/auction/lots": _lot_body,  # for the trading centre's staff over the lot's region
    "POST /api/v1/bidbox/boxes": _bid_box_body,  # likewise
}


# Endpoints known to answer a server error, listed so that a fix has to remove them here (none left: the archive
# pages answered one for an unknown number until pages turned YiwangError into the 404 page).
KNOWN_SERVER_ERRORS: frozenset[str] = frozenset()

# Pages that answer an anonymous visitor 403 instead of sending them to sign in: a file link whose token is the
# credential (no session can help).
ANONYMOUS_403 = frozenset({"PAGE /files/<str:token>"})

# Who is let through, per endpoint ("*" everyone, "@" every signed-in role, else the roles by name; "" nobody
# among the demo people: the endpoint is for someone else — a guarantee issuer, the holder of a one-time link,
# an OpenID relying party).
DECISIONS: dict[str, str] = {
    "PAGE /": "*",
    "PAGE /accounts/history/": "@",
    "PAGE /accounts/login/": "*",
    "PAGE /accounts/logout/": "*",
    "PAGE /accounts/profile/": "@",
    "PAGE /accounts/signup/": "*",
    "PAGE /accounts/tokens/": "@",
    "PAGE /archive/": "staff regulator auditor admin",
    "PAGE /archive/<int:archive_id>/": "staff regulator auditor admin",
    "PAGE /archive/<int:archive_id>/dispose/": "staff regulator auditor admin",
    "PAGE /archive/<int:archive_id>/holds/<int:hold_id>/release/": "staff regulator auditor admin",
    "PAGE /archive/<int:archive_id>/v<int:number>/download": "staff regulator auditor admin",
    "PAGE /archive/<int:archive_id>/v<int:number>/manifest.json": "staff regulator auditor admin",
    "PAGE /archive/<int:archive_id>/versions/": "staff regulator auditor admin",
    "PAGE /archive/holds/new/": "staff regulator auditor admin",
    "PAGE /archive/new/": "staff regulator auditor admin",
    "PAGE /auction/": "*",
    "PAGE /auction/<int:lot_id>/": "*",
    "PAGE /auction/<int:lot_id>/panel/": "*",
    "PAGE /auction/console/": "admin",
    "PAGE /auction/console/<int:lot_id>/": "admin",
    "PAGE /bidbox/": "*",
    "PAGE /bidbox/<int:box_id>/": "*",
    "PAGE /bidbox/<int:box_id>/hall/": "*",
    "PAGE /bidbox/<int:box_id>/hall/status/": "*",
    "PAGE /bidbox/<int:box_id>/manage/": "staff regulator admin",
    "PAGE /bidbox/<int:box_id>/record/": "*",
    "PAGE /bidbox/<int:box_id>/submit/": "bidder tenderer agency",
    "PAGE /bidbox/mine/": "@",
    "PAGE /bidbox/submissions/<uuid:submission_id>/": "@",
    "PAGE /bidbox/submissions/<uuid:submission_id>/decrypt/": "@",
    "PAGE /bidbox/submissions/<uuid:submission_id>/envelope/": "@",
    "PAGE /bidbox/submissions/<uuid:submission_id>/fallback/": "@",
    "PAGE /bidbox/submissions/<uuid:submission_id>/withdraw/": "@",
    "PAGE /ca/": "*",
    "PAGE /ca/authorities/<int:ca_id>/": "*",
    "PAGE /ca/certificates/": "@",
    "PAGE /ca/certificates/<int:binding_id>/unbind/": "@",
    "PAGE /ca/confirm/": "@",
    "PAGE /ca/confirm/<str:challenge_id>/": "@",
    "PAGE /ca/confirm/<str:challenge_id>/status/": "@",
    "PAGE /catalog/": "*",
    "PAGE /catalog/codes/": "*",
    "PAGE /catalog/holidays/": "*",
    "PAGE /catalog/holidays/<int:year>/": "*",
    "PAGE /catalog/lists/<str:kind>/": "*",
    "PAGE /catalog/lists/<str:kind>/diff/": "*",
    "PAGE /catalog/periods/": "*",
    "PAGE /catalog/regions/": "*",
    "PAGE /catalog/staff/holidays/<int:year>/": "admin",
    "PAGE /catalog/staff/lists/<str:kind>/new/": "admin",
    "PAGE /catalog/staff/lists/<str:kind>/v<int:number>/": "admin",
    "PAGE /catalog/staff/lists/<str:kind>/v<int:number>/discard/": "admin",
    "PAGE /catalog/staff/lists/<str:kind>/v<int:number>/items/<str:key>/": "admin",
    "PAGE /catalog/staff/lists/<str:kind>/v<int:number>/items/<str:key>/delete/": "admin",
    "PAGE /catalog/staff/lists/<str:kind>/v<int:number>/items/new/": "admin",
    "PAGE /catalog/staff/lists/<str:kind>/v<int:number>/publish/": "admin",
    "PAGE /complaints/": "*",
    "PAGE /complaints/<int:complaint_id>/": "@",
    "PAGE /complaints/<int:complaint_id>/step/": "@",
    "PAGE /complaints/new/": "@",
    "PAGE /credit/": "*",
    "PAGE /credit/entities/<int:entity_id>/": "*",
    "PAGE /credit/entities/<int:entity_id>/check/": "@",
    "PAGE /credit/records/<int:record_id>/": "*",
    "PAGE /credit/records/<int:record_id>/end/": "@",
    "PAGE /credit/records/<int:record_id>/repair/": "@",
    "PAGE /credit/records/new/": "staff regulator admin",
    "PAGE /credit/repairs/": "@",
    "PAGE /credit/repairs/<int:repair_id>/decide/": "@",
    "PAGE /evaluation/": "@",
    "PAGE /evaluation/<int:evaluation_id>/": "@",
    "PAGE /evaluation/<int:evaluation_id>/awarded/": "@",
    "PAGE /evaluation/<int:evaluation_id>/bids/<int:bid_id>/clarification/": "@",
    "PAGE /evaluation/<int:evaluation_id>/bids/<int:bid_id>/clarification/answer/": "@",
    "PAGE /evaluation/<int:evaluation_id>/bids/<int:bid_id>/clarification/decision/": "@",
    "PAGE /evaluation/<int:evaluation_id>/bids/<int:bid_id>/documents/<int:index>/": "@",
    "PAGE /evaluation/<int:evaluation_id>/bids/<int:bid_id>/price/": "@",
    "PAGE /evaluation/<int:evaluation_id>/cancel/": "@",
    "PAGE /evaluation/<int:evaluation_id>/chair/": "@",
    "PAGE /evaluation/<int:evaluation_id>/check-in/": "@",
    "PAGE /evaluation/<int:evaluation_id>/convene/": "@",
    "PAGE /evaluation/<int:evaluation_id>/extend/": "@",
    "PAGE /evaluation/<int:evaluation_id>/finalise/": "@",
    "PAGE /evaluation/<int:evaluation_id>/members/<int:member_id>/return/": "@",
    "PAGE /evaluation/<int:evaluation_id>/report.pdf": "@",
    "PAGE /evaluation/<int:evaluation_id>/report/": "@",
    "PAGE /evaluation/<int:evaluation_id>/review/<str:stage>/": "@",
    "PAGE /evaluation/<int:evaluation_id>/scoring/": "expert",
    "PAGE /evaluation/<int:evaluation_id>/seat/": "@",
    "PAGE /evaluation/<int:evaluation_id>/stages/<str:stage>/close/": "@",
    "PAGE /evaluation/<int:evaluation_id>/time-short/": "@",
    "PAGE /evaluation/documents/<str:token>/": "",
    "PAGE /exchange/": "staff regulator auditor admin",
    "PAGE /exchange/federation/": "*",
    "PAGE /exchange/federation/ca-proposals/<int:proposal_id>/": "*",
    "PAGE /exchange/federation/peers/": "*",
    "PAGE /exchange/ocds/": "*",
    "PAGE /exchange/ocds/import/": "*",
    "PAGE /exchange/ocds/records/<path:ocid>/": "*",
    "PAGE /exchange/quality/": "staff regulator auditor admin",
    "PAGE /exchange/quality/<str:platform_code>/": "staff regulator auditor admin",
    "PAGE /exchange/quality/<str:platform_code>/findings.csv": "staff regulator auditor admin",
    "PAGE /exchange/quality/mine/": "staff regulator auditor admin",
    "PAGE /exchange/records/": "staff regulator auditor admin",
    "PAGE /exchange/records/<int:record_id>/": "*",
    "PAGE /exchange/refusals/": "staff regulator auditor admin",
    "PAGE /exchange/register/": "*",
    "PAGE /experts/": "*",
    "PAGE /experts/classification/": "*",
    "PAGE /experts/draws/": "staff regulator auditor admin",
    "PAGE /experts/draws/<int:draw_id>/": "@",
    "PAGE /experts/draws/<int:draw_id>/cancel/": "@",
    "PAGE /experts/draws/<int:draw_id>/replay/": "@",
    "PAGE /experts/draws/<int:draw_id>/seats/<int:seat_id>/absent/": "@",
    "PAGE /experts/draws/<int:draw_id>/seats/<int:seat_id>/check-in/": "@",
    "PAGE /experts/draws/<int:draw_id>/supplement/": "@",
    "PAGE /experts/draws/<int:draw_id>/unseal/": "@",
    "PAGE /experts/draws/new/": "staff admin",
    "PAGE /experts/pool/": "staff regulator auditor admin",
    "PAGE /experts/pool/<int:expert_id>/": "@",
    "PAGE /experts/pool/<int:expert_id>/edit/": "bidder tenderer agency staff expert admin",
    "PAGE /experts/pool/<int:expert_id>/sanctions/": "@",
    "PAGE /experts/pool/<int:expert_id>/status/": "@",
    "PAGE /experts/pool/<int:expert_id>/ties/": "@",
    "PAGE /experts/pool/<int:expert_id>/unavailability/": "@",
    "PAGE /experts/pool/new/": "staff admin",
    "PAGE /experts/tasks/": "@",
    "PAGE /experts/tasks/<int:seat_id>/answer/": "@",
    "PAGE /files/<str:token>": "",
    "PAGE /finance/fees/": "*",
    "PAGE /finance/guarantees/apply/": "@",
    "PAGE /finance/guarantees/verify/": "*",
    "PAGE /finance/issuer/": "",
    "PAGE /finance/mine/": "@",
    "PAGE /finance/settlements/": "@",
    "PAGE /finance/settlements/<str:deal_ref>/": "@",
    "PAGE /finance/settlements/<str:deal_ref>/confirm/": "@",
    "PAGE /finance/simbank/": "@",
    "PAGE /finance/staff/": "staff regulator auditor admin",
    "PAGE /finance/staff/issuers/": "staff regulator auditor admin",
    "PAGE /finance/staff/issuers/<int:issuer_id>/status/": "staff regulator auditor admin",
    "PAGE /finance/staff/lots/<str:lot_ref>/": "staff regulator auditor admin",
    "PAGE /finance/staff/suspense/<int:notice_id>/assign/": "staff regulator auditor admin",
    "PAGE /language/": "*",
    "PAGE /messages/": "@",
    "PAGE /messages/<int:message_id>/": "@",
    "PAGE /messages/<int:message_id>/read/": "*",
    "PAGE /messages/read-all/": "*",
    "PAGE /notices/": "*",
    "PAGE /notices/<int:notice_id>.pdf": "*",
    "PAGE /notices/<int:notice_id>/": "*",
    "PAGE /notices/disclosure/": "staff regulator auditor admin",
    "PAGE /notices/subscriptions/": "@",
    "PAGE /notices/subscriptions/<int:subscription_id>/delete/": "*",
    "PAGE /notices/subscriptions/<int:subscription_id>/toggle/": "*",
    "PAGE /onsite/": "staff regulator auditor admin",
    "PAGE /onsite/<int:record_id>/": "staff regulator auditor admin",
    "PAGE /onsite/<int:record_id>/correct/": "staff regulator auditor admin",
    "PAGE /onsite/irregularities/": "staff regulator auditor admin",
    "PAGE /onsite/new/": "staff admin",
    "PAGE /orderbook/": "*",
    "PAGE /orderbook/<str:code>/": "*",
    "PAGE /orderbook/<str:code>/account/": "@",
    "PAGE /orderbook/<str:code>/panel/": "*",
    "PAGE /registry/": "*",
    "PAGE /registry/<int:entity_id>/": "*",
    "PAGE /registry/<int:entity_id>/bank-account/": "bidder admin",
    "PAGE /registry/<int:entity_id>/edit/": "bidder admin",
    "PAGE /registry/<int:entity_id>/personnel/": "bidder admin",
    "PAGE /registry/<int:entity_id>/personnel/<int:personnel_id>/": "bidder admin",
    "PAGE /registry/<int:entity_id>/qualifications/": "bidder admin",
    "PAGE /registry/<int:entity_id>/qualifications/<int:qualification_id>/": "bidder admin",
    "PAGE /registry/<int:entity_id>/status/": "@",
    "PAGE /registry/<int:entity_id>/sync/": "@",
    "PAGE /registry/lookup/": "@",
    "PAGE /registry/mine/": "@",
    "PAGE /registry/register/": "@",
    "PAGE /search/": "*",
    "PAGE /sso/": "admin",
    "PAGE /sso/.well-known/jwks.json": "*",
    "PAGE /sso/^\\.well-known/openid-configuration$": "*",
    "PAGE /sso/authorize/": "@",
    "PAGE /sso/logout/": "*",
    "PAGE /sso/revoke_token/": "*",
    "PAGE /sso/token/": "*",
    "PAGE /sso/userinfo/": "",
    "PAGE /supervision/": "regulator auditor",
    "PAGE /supervision/alerts/": "regulator auditor",
    "PAGE /supervision/alerts/<int:alert_id>/": "regulator auditor",
    "PAGE /supervision/complaints/": "regulator auditor",
    "PAGE /supervision/projects/<int:project_id>/": "regulator auditor",
    "PAGE /supervision/redflags/": "regulator auditor",
    "PAGE /supervision/redflags/<int:alert_id>/": "regulator auditor",
    "PAGE /supervision/redflags/<int:alert_id>/act/": "regulator auditor",
    "PAGE /supervision/redflags/indicators/": "*",
    "PAGE /supervision/redflags/runs/": "regulator auditor",
    "PAGE /supervision/redflags/runs/<int:run_id>/": "regulator auditor",
    "PAGE /supervision/redflags/runs/<int:run_id>/cardinal.json": "regulator auditor",
    "PAGE /supervision/redflags/runs/start/": "regulator auditor",
    "PAGE /supervision/report.pdf": "regulator auditor",
    "PAGE /supervision/report/": "regulator auditor",
    "PAGE /supervision/trades/": "regulator auditor",
    "PAGE /tender/": "*",
    "PAGE /tender/documents/<int:document_id>/download/": "*",
    "PAGE /tender/new/": "@",
    "PAGE /tender/objections/<int:objection_id>/answer/": "@",
    "PAGE /tender/projects/<int:project_id>/": "*",
    "PAGE /tender/projects/<int:project_id>/ask/": "@",
    "PAGE /tender/projects/<int:project_id>/clarify/": "@",
    "PAGE /tender/projects/<int:project_id>/documents/": "@",
    "PAGE /tender/projects/<int:project_id>/publish/": "@",
    "PAGE /tender/sections/<int:section_id>/": "*",
    "PAGE /tender/sections/<int:section_id>/award/": "@",
    "PAGE /tender/sections/<int:section_id>/bid/": "@",
    "PAGE /tender/sections/<int:section_id>/cancel/": "@",
    "PAGE /tender/sections/<int:section_id>/candidates/": "@",
    "PAGE /tender/sections/<int:section_id>/close-opening/": "@",
    "PAGE /tender/sections/<int:section_id>/contract/": "@",
    "PAGE /tender/sections/<int:section_id>/fail/": "@",
    "PAGE /tender/sections/<int:section_id>/hall/": "*",
    "PAGE /tender/sections/<int:section_id>/hall/status/": "*",
    "PAGE /tender/sections/<int:section_id>/objection/": "@",
    "PAGE /tender/sections/<int:section_id>/performance/": "@",
    "PAGE /tender/sections/<int:section_id>/result/": "@",
    "PAGE /tender/sections/<int:section_id>/retender/": "@",
    "PAGE /tender/sections/<int:section_id>/withdraw/": "@",
    "PAGE /tender/staff/": "@",
    "PAGE /venues/": "*",
    "PAGE /venues/approvals/": "staff admin",
    "PAGE /venues/bookings/": "@",
    "PAGE /venues/bookings/<int:booking_id>/": "@",
    "PAGE /venues/bookings/<int:booking_id>/access/": "staff admin",
    "PAGE /venues/bookings/<int:booking_id>/approve/": "@",
    "PAGE /venues/bookings/<int:booking_id>/cancel/": "@",
    "PAGE /venues/bookings/<int:booking_id>/change/": "@",
    "PAGE /venues/bookings/<int:booking_id>/complete/": "@",
    "PAGE /venues/bookings/<int:booking_id>/desk/": "staff admin",
    "PAGE /venues/bookings/<int:booking_id>/reject/": "@",
    "PAGE /venues/bookings/<int:booking_id>/seating/": "staff admin",
    "PAGE /venues/bookings/check/": "@",
    "PAGE /venues/bookings/new/": "bidder tenderer agency staff admin",
    "PAGE /venues/calendar/": "@",
    "PAGE /venues/check-in/": "@",
    "PAGE /venues/rooms/<int:room_id>/": "*",
    "PAGE /venues/rooms/<int:room_id>/maintenance/": "staff admin",
    "PAGE /venues/rooms/<int:room_id>/maintenance/<int:maintenance_id>/cancel/": "staff admin",
    "PAGE /venues/rooms/<int:room_id>/seats/": "staff admin",
    "PAGE /venues/rooms/<int:room_id>/seats/<int:seat_id>/": "staff admin",
    "PAGE /venues/sessions/<int:session_id>/": "@",
    "PAGE /venues/sessions/<int:session_id>/cancel/": "staff admin",
    "PAGE /venues/sessions/<int:session_id>/seating/": "staff admin",
    "PAGE /venues/sessions/new/": "staff admin",
    "PAGE /venues/sites/<int:site_id>/": "*",
    "PAGE /venues/sites/new/": "staff admin",
    "PAGE /venues/today/": "*",
    "PAGE /workbench/": "@",
    "DELETE /api/v1/auth/me/tokens/{token_id}": "@",
    "DELETE /api/v1/ca/bindings/{binding_id}": "@",
    "DELETE /api/v1/catalog/lists/{kind}/versions/{number}/items/{key}": "@",
    "DELETE /api/v1/experts/pool/{expert_id}/sanctions/{sanction_id}": "@",
    "DELETE /api/v1/experts/pool/{expert_id}/ties/{tie_id}": "@",
    "DELETE /api/v1/experts/pool/{expert_id}/unavailability/{row_id}": "staff admin",
    "DELETE /api/v1/registry/entities/{entity_id}/bank-account": "@",
    "DELETE /api/v1/registry/entities/{entity_id}/personnel/{personnel_id}": "bidder admin",
    "DELETE /api/v1/registry/entities/{entity_id}/qualifications/{qualification_id}": "bidder admin",
    "DELETE /api/v1/subscriptions/{subscription_id}": "@",
    "GET /api/v1/archive/archives": "staff regulator auditor admin",
    "GET /api/v1/archive/archives/{archive_id}": "staff regulator auditor admin",
    "GET /api/v1/archive/archives/{archive_id}/versions/{number}/download": "staff regulator auditor admin",
    "GET /api/v1/archive/archives/{archive_id}/versions/{number}/manifest": "staff regulator auditor admin",
    "GET /api/v1/archive/disposal-candidates": "staff regulator auditor admin",
    "GET /api/v1/archive/stats": "*",
    "GET /api/v1/auction/lots": "*",
    "GET /api/v1/auction/lots/{lot_id}": "*",
    "GET /api/v1/auction/lots/{lot_id}/bidders": "admin",
    "GET /api/v1/auction/lots/{lot_id}/bids": "*",
    "GET /api/v1/auction/lots/{lot_id}/check": "admin",
    "GET /api/v1/auction/lots/{lot_id}/me": "@",
    "GET /api/v1/auction/lots/{lot_id}/state": "*",
    "GET /api/v1/auth/me": "@",
    "GET /api/v1/auth/me/tokens": "@",
    "GET /api/v1/bidbox/boxes/{box_id}": "*",
    "GET /api/v1/bidbox/boxes/{box_id}/count": "@",
    "GET /api/v1/bidbox/boxes/{box_id}/hall": "*",
    "GET /api/v1/bidbox/boxes/{box_id}/record": "*",
    "GET /api/v1/bidbox/keys/{key}": "*",
    "GET /api/v1/bidbox/submissions/mine": "@",
    "GET /api/v1/bidbox/submissions/{submission_id}/receipt": "@",
    "GET /api/v1/ca/authorities": "*",
    "GET /api/v1/ca/authorities/{ca_id}": "*",
    "GET /api/v1/ca/authorities/{ca_id}/crls": "*",
    "GET /api/v1/ca/bindings": "@",
    "GET /api/v1/ca/bindings/{binding_id}": "@",
    "GET /api/v1/ca/challenges/{challenge_id}": "@",
    "GET /api/v1/catalog/codes": "*",
    "GET /api/v1/catalog/codes/{table}": "*",
    "GET /api/v1/catalog/holidays": "*",
    "GET /api/v1/catalog/holidays/{year}": "*",
    "GET /api/v1/catalog/lists": "*",
    "GET /api/v1/catalog/lists/{kind}/current": "*",
    "GET /api/v1/catalog/lists/{kind}/diff": "*",
    "GET /api/v1/catalog/lists/{kind}/versions": "*",
    "GET /api/v1/catalog/lists/{kind}/versions/{number}": "*",
    "GET /api/v1/catalog/lists/{kind}/versions/{number}/items/{key}": "*",
    "GET /api/v1/catalog/periods": "*",
    "GET /api/v1/catalog/regions": "*",
    "GET /api/v1/catalog/regions/{code}": "*",
    "GET /api/v1/catalog/rules": "*",
    "GET /api/v1/catalog/rules/{rule_id}": "*",
    "GET /api/v1/complaints/": "@",
    "GET /api/v1/complaints/decisions": "*",
    "GET /api/v1/complaints/{complaint_id}": "@",
    "GET /api/v1/credit/entities/{entity_id}": "*",
    "GET /api/v1/credit/entities/{entity_id}/checks": "@",
    "GET /api/v1/credit/entities/{entity_id}/restrictions": "bidder staff regulator auditor admin",
    "GET /api/v1/credit/records": "@",
    "GET /api/v1/credit/records/{record_id}": "*",
    "GET /api/v1/credit/repairs": "@",
    "GET /api/v1/credit/repairs/{repair_id}": "@",
    "GET /api/v1/credit/search": "*",
    "GET /api/v1/evaluation/clarifications/mine": "@",
    "GET /api/v1/evaluation/evaluations": "@",
    "GET /api/v1/evaluation/evaluations/mine": "@",
    "GET /api/v1/evaluation/evaluations/{evaluation_id}": "@",
    "GET /api/v1/evaluation/evaluations/{evaluation_id}/bids/{bid_id}/documents/{index}/link": "",
    "GET /api/v1/evaluation/evaluations/{evaluation_id}/candidates": "*",
    "GET /api/v1/evaluation/evaluations/{evaluation_id}/report": "@",
    "GET /api/v1/evaluation/evaluations/{evaluation_id}/sheets/{stage}": "@",
    "GET /api/v1/evaluation/sections": "@",
    "GET /api/v1/exchange/datasets": "*",
    "GET /api/v1/exchange/quality": "@",
    "GET /api/v1/exchange/quality/report": "staff regulator auditor admin subplatform",
    "GET /api/v1/exchange/quality/report.csv": "staff regulator auditor admin subplatform",
    "GET /api/v1/exchange/reconciliation": "@",
    "GET /api/v1/exchange/records/{dataset}": "*",
    "GET /api/v1/exchange/refusals": "@",
    "GET /api/v1/exchange/schemas/{dataset}.json": "*",
    "GET /api/v1/exchange/subplatforms": "staff regulator auditor admin",
    "GET /api/v1/experts/committee-check": "*",
    "GET /api/v1/experts/draws": "staff regulator auditor admin",
    "GET /api/v1/experts/draws/{draw_id}": "@",
    "GET /api/v1/experts/draws/{draw_id}/replay": "@",
    "GET /api/v1/experts/me": "@",
    "GET /api/v1/experts/me/tasks": "@",
    "GET /api/v1/experts/pool": "staff regulator auditor admin",
    "GET /api/v1/experts/pool/{expert_id}": "@",
    "GET /api/v1/experts/pool/{expert_id}/performance": "@",
    "GET /api/v1/experts/specialties": "*",
    "GET /api/v1/experts/statistics": "*",
    "GET /api/v1/federation/ca-proposals": "staff regulator auditor admin",
    "GET /api/v1/federation/draw-requests": "staff regulator auditor admin",
    "GET /api/v1/federation/entities": "*",
    "GET /api/v1/federation/identity": "*",
    "GET /api/v1/federation/notices": "*",
    "GET /api/v1/federation/peers": "staff regulator auditor admin",
    "GET /api/v1/federation/records": "staff regulator auditor admin",
    "GET /api/v1/federation/site-requests": "staff regulator auditor admin",
    "GET /api/v1/feed": "*",
    "GET /api/v1/files/{document_id}": "@",
    "GET /api/v1/finance/alerts": "staff regulator auditor admin",
    "GET /api/v1/finance/deposits/mine": "@",
    "GET /api/v1/finance/fees": "*",
    "GET /api/v1/finance/fees/{code}/quote": "*",
    "GET /api/v1/finance/guarantee-applications": "",
    "GET /api/v1/finance/guarantee-issuers": "*",
    "GET /api/v1/finance/guarantees/mine": "@",
    "GET /api/v1/finance/guarantees/{key}": "@",
    "GET /api/v1/finance/guarantees/{number}/verification": "*",
    "GET /api/v1/finance/invoices/mine": "@",
    "GET /api/v1/finance/lots/{lot_ref}": "*",
    "GET /api/v1/finance/lots/{lot_ref}/deposits": "staff regulator auditor admin",
    "GET /api/v1/finance/lots/{lot_ref}/deposits/{entity_id}": "*",
    "GET /api/v1/finance/lots/{lot_ref}/deposits/{entity_id}/satisfaction": "*",
    "GET /api/v1/finance/reconciliation": "staff regulator auditor admin",
    "GET /api/v1/finance/refunds/late": "staff regulator auditor admin",
    "GET /api/v1/finance/settlements": "@",
    "GET /api/v1/finance/settlements/{deal_ref}": "@",
    "GET /api/v1/finance/suspense": "staff regulator auditor admin",
    "GET /api/v1/live/token": "*",
    "GET /api/v1/messages": "@",
    "GET /api/v1/messages/unread-count": "@",
    "GET /api/v1/messages/{message_id}": "@",
    "GET /api/v1/notices": "*",
    "GET /api/v1/notices/disclosure": "@",
    "GET /api/v1/notices/mine": "@",
    "GET /api/v1/notices/{notice_id}": "*",
    "GET /api/v1/notices/{notice_id}/versions": "*",
    "GET /api/v1/ocds/bulk/compiled.jsonl": "*",
    "GET /api/v1/ocds/bulk/packages.zip": "*",
    "GET /api/v1/ocds/bulk/releases.jsonl": "*",
    "GET /api/v1/ocds/imports": "staff regulator auditor admin",
    "GET /api/v1/ocds/packages": "*",
    "GET /api/v1/ocds/packages/{day}": "*",
    "GET /api/v1/ocds/records/{ocid}": "*",
    "GET /api/v1/ocds/releases": "*",
    "GET /api/v1/onsite/irregularities": "@",
    "GET /api/v1/onsite/records": "@",
    "GET /api/v1/onsite/records/{record_id}": "@",
    "GET /api/v1/orderbook/index": "*",
    "GET /api/v1/orderbook/markets": "*",
    "GET /api/v1/orderbook/markets/{code}": "*",
    "GET /api/v1/orderbook/markets/{code}/accounts/{entity_id}": "@",
    "GET /api/v1/orderbook/markets/{code}/days": "*",
    "GET /api/v1/orderbook/markets/{code}/depth": "*",
    "GET /api/v1/orderbook/markets/{code}/listings": "*",
    "GET /api/v1/orderbook/markets/{code}/orders": "bidder tenderer",
    "GET /api/v1/orderbook/markets/{code}/orders/{order_id}": "@",
    "GET /api/v1/orderbook/markets/{code}/participants": "staff regulator auditor admin",
    "GET /api/v1/orderbook/markets/{code}/reconciliation": "staff regulator auditor admin",
    "GET /api/v1/orderbook/markets/{code}/trades": "*",
    "GET /api/v1/redflags/alerts": "regulator auditor",
    "GET /api/v1/redflags/alerts/{alert_id}": "regulator auditor",
    "GET /api/v1/redflags/feedback": "regulator auditor",
    "GET /api/v1/redflags/indicators": "*",
    "GET /api/v1/redflags/indicators/{code}": "*",
    "GET /api/v1/redflags/runs": "regulator auditor",
    "GET /api/v1/redflags/runs/{run_id}": "regulator auditor",
    "GET /api/v1/redflags/runs/{run_id}/cardinal": "regulator auditor",
    "GET /api/v1/redflags/runs/{run_id}/findings": "regulator auditor",
    "GET /api/v1/registry/entities": "*",
    "GET /api/v1/registry/entities/{entity_id}": "*",
    "GET /api/v1/registry/entities/{entity_id}/bank-account": "*",
    "GET /api/v1/registry/entities/{entity_id}/bank-accounts": "bidder staff regulator auditor admin",
    "GET /api/v1/registry/entities/{entity_id}/history": "bidder staff regulator auditor admin",
    "GET /api/v1/registry/entities/{entity_id}/personnel": "*",
    "GET /api/v1/registry/entities/{entity_id}/personnel/{personnel_id}": "*",
    "GET /api/v1/registry/entities/{entity_id}/qualifications": "*",
    "GET /api/v1/registry/entities/{entity_id}/qualifications/{qualification_id}": "*",
    "GET /api/v1/registry/lookup/{uscc}": "*",
    "GET /api/v1/search": "*",
    "GET /api/v1/sso/relying-parties": "admin",
    "GET /api/v1/sso/relying-parties/{client_id}": "admin",
    "GET /api/v1/stats/indicators": "regulator auditor",
    "GET /api/v1/stats/totals": "regulator auditor",
    "GET /api/v1/stats/trend": "regulator auditor",
    "GET /api/v1/subscriptions": "@",
    "GET /api/v1/subscriptions/{subscription_id}": "@",
    "GET /api/v1/venues/approvals": "@",
    "GET /api/v1/venues/availability": "@",
    "GET /api/v1/venues/bookings": "@",
    "GET /api/v1/venues/bookings/{booking_id}": "@",
    "GET /api/v1/venues/bookings/{booking_id}/access-log": "@",
    "GET /api/v1/venues/bookings/{booking_id}/attendance": "@",
    "GET /api/v1/venues/my-check-ins": "@",
    "GET /api/v1/venues/rooms/{room_id}": "*",
    "GET /api/v1/venues/rooms/{room_id}/maintenance": "@",
    "GET /api/v1/venues/sessions/{session_id}": "@",
    "GET /api/v1/venues/sites": "*",
    "GET /api/v1/venues/sites/{site_id}": "*",
    "GET /api/v1/venues/today": "*",
    "GET /api/v1/witness/consistency": "*",
    "GET /api/v1/witness/entries/{seq}/proof": "*",
    "GET /api/v1/witness/heads": "*",
    "GET /api/v1/witness/heads/latest": "*",
    "GET /api/v1/witness/keys": "*",
    "PATCH /api/v1/auth/me": "@",
    "PATCH /api/v1/catalog/lists/{kind}/versions/{number}": "@",
    "PATCH /api/v1/catalog/lists/{kind}/versions/{number}/items/{key}": "@",
    "PATCH /api/v1/experts/pool/{expert_id}": "@",
    "PATCH /api/v1/experts/seats/{seat_id}/performance": "@",
    "PATCH /api/v1/notices/{notice_id}": "@",
    "PATCH /api/v1/orderbook/markets/{code}/orders/{order_id}": "@",
    "PATCH /api/v1/registry/entities/{entity_id}": "@",
    "PATCH /api/v1/registry/entities/{entity_id}/personnel/{personnel_id}": "@",
    "PATCH /api/v1/registry/entities/{entity_id}/qualifications/{qualification_id}": "@",
    "PATCH /api/v1/subscriptions/{subscription_id}": "@",
    "PATCH /api/v1/venues/bookings/{booking_id}": "@",
    "PATCH /api/v1/venues/rooms/{room_id}": "@",
    "PATCH /api/v1/venues/sites/{site_id}": "@",
    "POST /api/v1/archive/archives": "@",
    "POST /api/v1/archive/archives/{archive_id}/dispose": "@",
    "POST /api/v1/archive/holds": "@",
    "POST /api/v1/archive/holds/{hold_id}/release": "@",
    "POST /api/v1/auction/lots": "staff admin",
    "POST /api/v1/auction/lots/{lot_id}/advance": "admin",
    "POST /api/v1/auction/lots/{lot_id}/bids": "@",
    "POST /api/v1/auction/lots/{lot_id}/confirm": "admin",
    "POST /api/v1/auction/lots/{lot_id}/continue": "bidder tenderer",
    "POST /api/v1/auction/lots/{lot_id}/decide": "@",
    "POST /api/v1/auction/lots/{lot_id}/opening": "@",
    "POST /api/v1/auction/lots/{lot_id}/preemption": "",
    "POST /api/v1/auction/lots/{lot_id}/preemptions": "@",
    "POST /api/v1/auction/lots/{lot_id}/registrations": "@",
    "POST /api/v1/auction/lots/{lot_id}/renege": "admin",
    "POST /api/v1/auction/lots/{lot_id}/resume": "@",
    "POST /api/v1/auction/lots/{lot_id}/scores": "@",
    "POST /api/v1/auction/lots/{lot_id}/sealed-bids": "@",
    "POST /api/v1/auction/lots/{lot_id}/suspend": "@",
    "POST /api/v1/auction/lots/{lot_id}/turn-bid/cancel": "bidder tenderer",
    "POST /api/v1/auth/me/tokens": "@",
    "POST /api/v1/auth/oauth/token": "*",
    "POST /api/v1/bidbox/boxes": "staff admin",
    "POST /api/v1/bidbox/boxes/{box_id}/close": "staff admin",
    "POST /api/v1/bidbox/boxes/{box_id}/opening": "staff admin",
    "POST /api/v1/bidbox/boxes/{box_id}/postpone": "@",
    "POST /api/v1/bidbox/boxes/{box_id}/shares": "@",
    "POST /api/v1/bidbox/boxes/{box_id}/submissions": "@",
    "POST /api/v1/bidbox/keys": "@",
    "POST /api/v1/bidbox/submissions/{submission_id}/content-key": "@",
    "POST /api/v1/bidbox/submissions/{submission_id}/fallback": "@",
    "POST /api/v1/bidbox/submissions/{submission_id}/withdraw": "@",
    "POST /api/v1/ca/authorities": "@",
    "POST /api/v1/ca/bindings": "@",
    "POST /api/v1/ca/challenges": "people",
    "POST /api/v1/ca/challenges/{challenge_id}/respond": "*",
    "POST /api/v1/ca/crls": "@",
    "POST /api/v1/ca/crls/upload": "@",
    "POST /api/v1/ca/verify": "*",
    "POST /api/v1/catalog/lists/{kind}/drafts": "@",
    "POST /api/v1/catalog/lists/{kind}/versions/{number}/items": "@",
    "POST /api/v1/catalog/lists/{kind}/versions/{number}/publish": "admin",
    "POST /api/v1/complaints/": "bidder",
    "POST /api/v1/complaints/{complaint_id}/accept": "@ -bidder",
    "POST /api/v1/complaints/{complaint_id}/decide": "@ -bidder",
    "POST /api/v1/complaints/{complaint_id}/investigate": "@ -bidder",
    "POST /api/v1/complaints/{complaint_id}/pause_clock": "@ -bidder",
    "POST /api/v1/complaints/{complaint_id}/reject": "@ -bidder",
    "POST /api/v1/complaints/{complaint_id}/resume": "@ -bidder",
    "POST /api/v1/complaints/{complaint_id}/resume_clock": "@ -bidder",
    "POST /api/v1/complaints/{complaint_id}/suspend": "@ -bidder",
    "POST /api/v1/complaints/{complaint_id}/withdraw": "@",
    "POST /api/v1/credit/entities/{entity_id}/checks": "staff regulator admin",
    "POST /api/v1/credit/records": "@",
    "POST /api/v1/credit/records/{record_id}/end": "@",
    "POST /api/v1/credit/repairs": "@",
    "POST /api/v1/credit/repairs/{repair_id}/decide": "@",
    "POST /api/v1/evaluation/evaluations": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/awarded": "staff admin",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/bids/{bid_id}/clarification": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/bids/{bid_id}/clarification/answer": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/bids/{bid_id}/clarification/decision": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/bids/{bid_id}/price-changes": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/cancel": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/chair": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/check-ins": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/convene": "staff admin",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/extension": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/members/{member_id}/return": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/report/finalise": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/report/signatures": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/seating": "staff admin",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/sheets/{stage}/submit": "@",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/stages/{stage}/close": "",
    "POST /api/v1/evaluation/evaluations/{evaluation_id}/time-short": "",
    "POST /api/v1/exchange/batch": "@",
    "POST /api/v1/exchange/batch.xml": "@",
    "POST /api/v1/exchange/records/{dataset}": "@",
    "POST /api/v1/exchange/subplatforms": "@",
    "POST /api/v1/exchange/subplatforms/{platform_code}/certificates": "@",
    "POST /api/v1/exchange/subplatforms/{platform_code}/certificates/{fingerprint}/remove": "@",
    "POST /api/v1/experts/draws": "@",
    "POST /api/v1/experts/draws/{draw_id}/cancel": "@",
    "POST /api/v1/experts/draws/{draw_id}/supplementary": "staff admin",
    "POST /api/v1/experts/draws/{draw_id}/unseal": "staff admin",
    "POST /api/v1/experts/pool": "@",
    "POST /api/v1/experts/pool/{expert_id}/sanctions": "@",
    "POST /api/v1/experts/pool/{expert_id}/ties": "@",
    "POST /api/v1/experts/pool/{expert_id}/unavailability": "@",
    "POST /api/v1/experts/seats/{seat_id}/absence": "staff admin",
    "POST /api/v1/experts/seats/{seat_id}/answer": "@",
    "POST /api/v1/experts/seats/{seat_id}/check-in": "staff admin",
    "POST /api/v1/federation/ca-proposals/{proposal_id}/decision": "@",
    "POST /api/v1/federation/draw-requests": "@",
    "POST /api/v1/federation/inbox": "*",
    "POST /api/v1/federation/inbox.xml": "*",
    "POST /api/v1/federation/peers": "@",
    "POST /api/v1/federation/peers/{code}/active": "@",
    "POST /api/v1/federation/peers/{code}/certificate": "@",
    "POST /api/v1/federation/site-requests": "@",
    "POST /api/v1/files": "@",
    "POST /api/v1/files/versions/{version_id}/link": "@",
    "POST /api/v1/files/{document_id}/versions": "@",
    "POST /api/v1/finance/bank/{bank_code}/notices": "*",
    "POST /api/v1/finance/fee-collections/{entry_id}/reversal": "@",
    "POST /api/v1/finance/guarantee-applications/{application_no}/cancellation": "@",
    "POST /api/v1/finance/guarantee-applications/{application_no}/issue": "@",
    "POST /api/v1/finance/guarantee-issuers": "@",
    "POST /api/v1/finance/guarantee-issuers/{issuer_id}/certificates": "@",
    "POST /api/v1/finance/guarantee-issuers/{issuer_id}/status": "@",
    "POST /api/v1/finance/guarantees/{number}/claim": "@",
    "POST /api/v1/finance/guarantees/{number}/release": "@",
    "POST /api/v1/finance/lots/{lot_ref}/deposits": "@",
    "POST /api/v1/finance/lots/{lot_ref}/guarantees": "@",
    "POST /api/v1/finance/settlements": "@",
    "POST /api/v1/finance/settlements/{deal_ref}/transfer-confirmation": "staff admin",
    "POST /api/v1/finance/suspense/{notice_id}/assignment": "@",
    "POST /api/v1/messages/read-all": "@",
    "POST /api/v1/messages/{message_id}/read": "@",
    "POST /api/v1/notices": "@",
    "POST /api/v1/notices/obligations": "@",
    "POST /api/v1/notices/{notice_id}/corrections": "@",
    "POST /api/v1/notices/{notice_id}/publish": "agency staff admin",
    "POST /api/v1/notices/{notice_id}/withdraw": "@",
    "POST /api/v1/ocds/imports": "staff regulator admin",
    "POST /api/v1/ocds/publish": "staff admin",
    "POST /api/v1/onsite/records": "@",
    "POST /api/v1/onsite/records/{record_id}/corrections": "@",
    "POST /api/v1/orderbook/markets": "@",
    "POST /api/v1/orderbook/markets/{code}/accounts": "@",
    "POST /api/v1/orderbook/markets/{code}/accounts/{entity_id}/allowances": "@",
    "POST /api/v1/orderbook/markets/{code}/accounts/{entity_id}/cash": "@",
    "POST /api/v1/orderbook/markets/{code}/blocks": "@",
    "POST /api/v1/orderbook/markets/{code}/blocks/{proposal_id}/{answer}": "@",
    "POST /api/v1/orderbook/markets/{code}/day/close": "staff admin",
    "POST /api/v1/orderbook/markets/{code}/day/open": "staff admin",
    "POST /api/v1/orderbook/markets/{code}/orders": "@",
    "POST /api/v1/orderbook/markets/{code}/orders/batch": "@",
    "POST /api/v1/orderbook/markets/{code}/orders/{order_id}/cancel": "@",
    "POST /api/v1/orderbook/markets/{code}/phase": "@",
    "POST /api/v1/orderbook/markets/{code}/repos": "@",
    "POST /api/v1/orderbook/markets/{code}/repos/{repo_id}/{answer}": "@",
    "POST /api/v1/orderbook/markets/{code}/takes": "@",
    "POST /api/v1/redflags/alerts/{alert_id}/assign": "@",
    "POST /api/v1/redflags/alerts/{alert_id}/close": "@ -auditor",
    "POST /api/v1/redflags/alerts/{alert_id}/confirm": "@ -auditor",
    "POST /api/v1/redflags/alerts/{alert_id}/dismiss": "@ -auditor",
    "POST /api/v1/redflags/alerts/{alert_id}/investigate": "@ -auditor",
    "POST /api/v1/redflags/runs": "@",
    "POST /api/v1/redflags/runs/ocds": "@",
    "POST /api/v1/registry/entities": "@",
    "POST /api/v1/registry/entities/{entity_id}/personnel": "@",
    "POST /api/v1/registry/entities/{entity_id}/qualifications": "@",
    "POST /api/v1/registry/entities/{entity_id}/sync": "bidder admin",
    "POST /api/v1/sso/relying-parties": "@",
    "POST /api/v1/sso/relying-parties/{client_id}/deactivate": "@",
    "POST /api/v1/subscriptions": "@",
    "POST /api/v1/venues/bookings": "@",
    "POST /api/v1/venues/bookings/{booking_id}/access-events": "@",
    "POST /api/v1/venues/bookings/{booking_id}/approve": "@",
    "POST /api/v1/venues/bookings/{booking_id}/cancel": "@",
    "POST /api/v1/venues/bookings/{booking_id}/check-ins": "@",
    "POST /api/v1/venues/bookings/{booking_id}/complete": "@",
    "POST /api/v1/venues/bookings/{booking_id}/reject": "@",
    "POST /api/v1/venues/bookings/{booking_id}/seating": "@",
    "POST /api/v1/venues/maintenance/{maintenance_id}/cancel": "@",
    "POST /api/v1/venues/rooms": "@",
    "POST /api/v1/venues/rooms/{room_id}/maintenance": "@",
    "POST /api/v1/venues/rooms/{room_id}/seats": "@",
    "POST /api/v1/venues/seats/{seat_id}": "@",
    "POST /api/v1/venues/sessions": "@",
    "POST /api/v1/venues/sessions/{session_id}/cancel": "@",
    "POST /api/v1/venues/sessions/{session_id}/seating": "@",
    "POST /api/v1/venues/sessions/{session_id}/sites": "@",
    "POST /api/v1/venues/sites": "@",
    "PUT /api/v1/ca/authorities/{ca_id}/status": "@",
    "PUT /api/v1/catalog/holidays/{year}": "@",
    "PUT /api/v1/evaluation/evaluations/{evaluation_id}/sheets/{stage}": "@",
    "PUT /api/v1/experts/pool/{expert_id}/status": "@",
    "PUT /api/v1/registry/entities/{entity_id}/bank-account": "@",
    "PUT /api/v1/registry/entities/{entity_id}/status": "@",
}
