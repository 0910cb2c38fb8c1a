"""A YiwangError escaping a page's view is answered with the site's error page of its status, never a 500."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import Conflict, NotFound, PermissionDenied
from yiwang.platform.web.middleware import ActorMiddleware

pytestmark = pytest.mark.django_db


def _request(actor: Actor):
    request = RequestFactory().get("/archive/999/")
    request.actor = actor
    return request


def _middleware() -> ActorMiddleware:
    return ActorMiddleware(lambda request: None)


PERSON = Actor(ActorKind.ACCOUNT, "7", "某人", (RoleGrant(Role.STAFF, region="310000"),))


def test_not_found_becomes_the_404_page():
    response = _middleware().process_exception(_request(PERSON), NotFound("archive.not_found", "没有该档案", "none"))
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_permission_denied_sends_an_anonymous_visitor_to_sign_in_and_refuses_a_person():
    refused = PermissionDenied("archive.forbidden", "无权查看", "not allowed")
    anonymous = _middleware().process_exception(_request(Actor.anonymous()), refused)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=/archive/999/")
    assert _middleware().process_exception(_request(PERSON), refused).status_code == 403


def test_other_errors_and_other_exceptions_are_left_to_the_view_and_django():
    assert _middleware().process_exception(_request(PERSON), Conflict("x.y", "冲突", "conflict")) is None
    assert _middleware().process_exception(_request(PERSON), ValueError("boom")) is None
