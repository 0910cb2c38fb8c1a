"""Each new or changed alert is pushed on the regulators' private live channels of its regions, after the action
commits; only regulators over a channel's region may watch it — never a market participant, staff or auditor."""

from __future__ import annotations

import json

import pytest

from yiwang.platform.live import channels, links
from yiwang.platform.live import config as live_config
from yiwang.platform.live.publish import last_event_id
from yiwang.supervision.redflags import actions
from yiwang.supervision.redflags.demo import SECTION, seed_collusion_scenario
from yiwang.supervision.redflags.models import Alert
from yiwang.supervision.redflags.tests import support

pytestmark = pytest.mark.django_db

MH, CITY = "redflags.region:310112", "redflags.region:310000"


@pytest.fixture
def live(settings):
    settings.YIWANG_LIVE = {"BROADCASTER": "memory", "KINDS": {"redflags.region": {"private": True, "mode": "log"}}}
    live_config.reset()
    links.register_channel_policy(actions.ALERT_CHANNEL_KIND, actions.may_watch_alerts)
    yield
    live_config.reset()


@pytest.fixture
def people(test_actors):
    test_actors.update(
        {
            "mh": support.regulator("310112", 301),
            "xh": support.regulator("310104", 303),
            "city": support.regulator("310000", 304),
            "audit": support.auditor("310000"),
            "staff": support.staff("310112"),
            "bidder": support.bidder(),
        }
    )
    return test_actors


def test_channels_of_a_district_alert():
    assert actions.alert_channels("310112") == [MH, "redflags.region:310100", CITY]
    assert actions.alert_channels("310000") == [CITY]


def test_a_raised_alert_and_each_transition_are_published_on_its_regions_channels(live, people, clock):
    assert last_event_id(MH) == 0
    seed_collusion_scenario(people["mh"])
    alert = Alert.objects.get(subject_id=SECTION)
    raised = last_event_id(MH)
    assert raised > 0
    assert last_event_id(CITY) == raised
    assert last_event_id("redflags.region:310104") == 0  # another district hears nothing
    actions.do_assign_alert(actor=people["mh"], alert_id=alert.pk, assignee=people["mh"])
    assert last_event_id(MH) > raised
    assert last_event_id(CITY) == last_event_id(MH)


def test_the_published_state_names_the_alert_not_the_evidence(live, people, clock, django_capture_on_commit_callbacks):
    from yiwang.platform.live.broadcast import get_broadcaster

    seen: list[tuple[str, int, str]] = []
    broadcaster = get_broadcaster()
    original = broadcaster.publish
    broadcaster.publish = lambda channel, event_id, text: seen.append((channel, event_id, text))  # type: ignore[method-assign]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            seed_collusion_scenario(people["mh"])
    finally:
        broadcaster.publish = original  # type: ignore[method-assign]
    channels = {c for c, _, _ in seen}
    assert channels == {MH, "redflags.region:310100", CITY}
    data = json.loads(next(t for c, _, t in seen if c == MH))
    assert data["verb"] == "raised"
    assert data["subject_id"] == SECTION
    assert data["status_label"] == "待分派"
    assert "evidence" not in data


def test_a_failed_action_publishes_nothing(live, people, clock):
    seed_collusion_scenario(people["mh"])
    alert = Alert.objects.get(subject_id=SECTION)
    before = last_event_id(MH)
    with pytest.raises(Exception):  # noqa: B017, PT011 - an assignee outside the region is refused
        actions.do_assign_alert(actor=people["mh"], alert_id=alert.pk, assignee=people["xh"])
    assert last_event_id(MH) == before


def test_only_regulators_over_the_region_may_watch(live, people, api):
    may = actions.may_watch_alerts
    assert may(people["mh"], MH)
    assert not may(people["mh"], CITY)
    assert not may(people["mh"], "redflags.region:310104")
    assert may(people["city"], MH)
    assert may(people["city"], CITY)
    for who in ("audit", "staff", "bidder"):
        assert not may(people[who], MH), who
        assert not may(people[who], CITY), who
    assert not may(people["mh"], "redflags.region:31011x")
    # the token API refuses a market participant (403) and gives a regulator a tokened URL
    r = api.with_token("bidder").get("/live/token", {"channel": MH})
    assert r.status_code == 403
    assert r.json()["code"] == "live.not_allowed"
    r = api.with_token("mh").get("/live/token", {"channel": MH})
    assert r.status_code == 200
    assert r.json()["private"] is True
    assert "token=" in r.json()["url"]
    assert api.with_token("mh").get("/live/token", {"channel": CITY}).status_code == 403


def test_without_the_kind_declared_nothing_is_published_and_nothing_fails(people, clock, settings, monkeypatch):
    """A deployment whose live configuration lacks the kind still raises its alerts."""
    kinds = {name: kind for name, kind in channels.DEFAULT_KINDS.items() if name != "redflags.region"}
    monkeypatch.setattr(channels, "DEFAULT_KINDS", kinds)
    settings.YIWANG_LIVE = {"BROADCASTER": "memory"}
    live_config.reset()
    try:
        run = seed_collusion_scenario(people["mh"])
        assert run.alerts_raised == 1
        assert last_event_id(MH) == 0
    finally:
        live_config.reset()
