"""A throwaway API for the plumbing tests: a creating POST, an update with If-Match, and error cases.

Mounted at ``/api/v1/`` by ``urls.py`` next to it (``@pytest.mark.urls(...)``), with the same authentication
and error handling as the real API (:func:`yiwang.platform.api.routing.make_api`).
"""

import itertools
import time

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from yiwang.kernel.errors import Conflict, NotFound, PermissionDenied
from yiwang.kernel.ids import validate_uscc
from yiwang.kernel.versioning import check_version
from yiwang.platform.api.auth import actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import acts, creates, make_api, updates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS
from yiwang.platform.api.types import checked_str
from yiwang.platform.testing import do_touch_thing

api = make_api(urls_namespace="platform-test-api", title="throwaway")
router = Router()
api.add_router("/", router)

_counter = itertools.count(1)
VERSIONS: dict[int, int] = {}  # thing n → its version (the "row" the update test changes)


class ThingIn(Schema):
    n: int
    name: str = Field(..., min_length=1, max_length=40)
    fail: bool = False
    pause: float = Field(0, ge=0, le=2, description="seconds to wait inside the action (concurrency tests)")


class ThingOut(Schema):
    n: int
    name: str
    serial: int


@creates(router, "/things", response={201: ThingOut, **CREATE_ERRORS})
def create_thing(request: HttpRequest, payload: ThingIn, response: HttpResponse):
    serial = next(_counter)

    def work(act):
        if payload.pause:
            time.sleep(payload.pause)
        if payload.fail:
            raise Conflict("test.thing_conflict", "冲突", "The thing conflicts", {"n": payload.n})

    do_touch_thing(actor=actor_of(request), n=payload.n, row=f"{payload.name}#{serial}", inside=work)
    response["Location"] = f"/api/v1/things/{payload.n}"
    response["ETag"] = etag(1)
    return Status(201, {"n": payload.n, "name": payload.name, "serial": serial})


class RenameIn(Schema):
    name: str


@updates(router, "/things/{n}", response={200: dict, **UPDATE_ERRORS})
def update_thing(request: HttpRequest, n: int, payload: RenameIn, response: HttpResponse):
    expected = if_match_version(request)
    current = VERSIONS.setdefault(n, 1)
    check_version(current, expected)
    VERSIONS[n] = current + 1
    response["ETag"] = etag(current + 1)
    return {"n": n, "name": payload.name, "version": current + 1}


@acts(router, "/things/{n}/polish", response={200: dict, **UPDATE_ERRORS})
def polish_thing(request: HttpRequest, n: int):
    do_touch_thing(actor=actor_of(request), n=n)
    return {"n": n, "polished": next(_counter)}


class CheckedIn(Schema):
    uscc: checked_str(validate_uscc)
    count: int = Field(1, ge=1)


@router.post("/checked", auth=None, response={200: dict, **ERRORS})
def checked(request: HttpRequest, payload: CheckedIn):
    return {"uscc": payload.uscc}


@router.get("/errors/{kind}", auth=None, response={200: dict, **ERRORS})
def errors(request: HttpRequest, kind: str):
    if kind == "not-found":
        raise NotFound("test.missing", "找不到测试对象", "No such test object", {"kind": kind})
    if kind == "forbidden":
        raise PermissionDenied("test.forbidden", "无权", "Not allowed")
    raise RuntimeError("database password is hunter2")  # an unexpected failure, with a secret in it
