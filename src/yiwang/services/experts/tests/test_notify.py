"""Notifications: in-site messages inside the draw, SMS and voice handed to the gateway only after commit."""

from __future__ import annotations

import pytest

from yiwang.services.experts import actions, notify
from yiwang.services.experts.models import Delivery, Seat
from yiwang.services.experts.tests import support
from yiwang.services.experts.tests.support import request

pytestmark = pytest.mark.django_db


class Broken:
    def send(self, message):
        raise ConnectionError("gateway down")


@pytest.fixture
def gateways(settings):
    notify.notifier.cache_clear()
    yield settings
    notify.notifier.cache_clear()


def test_sms_and_voice_go_out_after_commit_and_never_name_the_project(
    clock, gateways, django_capture_on_commit_callbacks, sent
):
    for i in range(7):
        support.enrol(notify_channels=["in_site", "sms", "voice"] if i == 0 else ["sms"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        draw = actions.do_request_draw(actor=support.staff(), data=request())
    members = Seat.objects.filter(draw=draw, role="member")
    assert sum(len(support.inbox_of(s.expert)) for s in members) == 5
    assert sent == []  # nothing left the platform before the commit
    for callback in callbacks:
        callback()
    assert {d.status for d in Delivery.objects.all()} == {"sent"}
    assert len(sent) == Delivery.objects.count() >= 5
    for message in sent:
        assert "测试道路改造工程施工" not in message.body
        assert "评标室 3" in message.body


def test_a_failing_gateway_is_recorded_not_raised(clock, gateways, django_capture_on_commit_callbacks):
    gateways.YIWANG_EXPERTS_NOTIFIERS = {"sms": "yiwang.services.experts.tests.test_notify.Broken"}
    for _ in range(7):
        support.enrol()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_request_draw(actor=support.staff(), data=request())
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    assert Delivery.objects.first().provider_ref == "gateway down"
