"""English under the switch: the regulator's alert list and an alert with its history read in English (headings,
labels, buttons, table heads, states, steps, indicator names, evidence labels). What the alert is about stays as
it was recorded (its title, the subject's and bidders' names, the evidence's own values, the legal basis of each
indicator), and is named in the test. Without the switch the same pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.platform.web.testing import CHROME, chinese_left, use_english
from yiwang.supervision.redflags import actions
from yiwang.supervision.redflags.demo import SECTION, seed_collusion_scenario
from yiwang.supervision.redflags.domain import registry
from yiwang.supervision.redflags.models import Alert
from yiwang.supervision.redflags.queries import get_alert_for, list_runs_for
from yiwang.supervision.redflags.tests import support

pytestmark = pytest.mark.django_db


def test_the_alert_list_and_an_alert_in_english(client, clock, test_actors):
    mh = test_actors["mh"] = support.regulator("310112", 301)
    seed_collusion_scenario(mh)
    alert = Alert.objects.get(subject_id=SECTION)
    actions.do_assign_alert(actor=mh, alert_id=alert.pk, assignee=mh, expected_version=1)
    actions.do_start_investigation(actor=mh, alert_id=alert.pk, expected_version=2)
    who = {"X-Test-Actor": "mh"}
    assert "串通投标与评标监督预警" in client.get("/supervision/redflags/", headers=who).content.decode()
    assert "得分构成" in client.get(f"/supervision/redflags/{alert.pk}/", headers=who).content.decode()

    use_english(client)
    html = client.get("/supervision/redflags/", headers=who).content.decode()
    for english in ("Alerts on collusive bidding and evaluation", "Overall score", "Under investigation", "Handler"):
        assert english in html, english
    assert "Deposits paid from the same account" in html  # an indicator's name, in the filter
    assert chinese_left(html, alert.title, mh.label, "中文") == []
    dashboard = client.get("/supervision/", headers=who).content.decode()
    assert '"investigating": "Under investigation"' in dashboard  # the live feed's state names (stats/dashboard.js)
    assert "Deposits paid from the same account" in dashboard  # the dashboard's alert list

    html = client.get(f"/supervision/redflags/{alert.pk}/", headers=who).content.decode()
    for english in ("How the score is made", "Evidence", "History", "Alert raised", "confirm the problem"):
        assert english in html, english
    detail = get_alert_for(mh, alert.pk)
    data = [alert.title, alert.subject_label, detail.region_name, mh.label]
    for f in detail.findings:
        data += [f.indicator.basis, *_values(f.evidence)]
    data += [r[2] for r in detail.related]
    assert chinese_left(html, *data, "中文") == []

    html = client.get(f"/supervision/alerts/{alert.pk}/", headers=who).content.decode()  # the dashboard's drill-down
    for english in (
        "Alert drill-down",
        "Why the alert",
        "Witness entries of the alert",
        "Deposits paid from the same account",
    ):
        assert english in html, english
    evidence_keys = [k for f in detail.findings for k in _keys(f.evidence)]  # shown as recorded (field names)
    assert chinese_left(html, *data, *evidence_keys, "中文") == []

    html = client.get("/supervision/redflags/runs/", headers=who).content.decode()
    assert "Screen the platform's trades" in html
    runs = list_runs_for(mh)
    assert chinese_left(html, mh.label, *(r.label for r in runs), "中文") == []
    html = client.get(f"/supervision/redflags/runs/{runs[0].id}/", headers=who).content.decode()
    assert "Per indicator" in html
    assert chinese_left(html, mh.label, runs[0].label, "中文", only=CHROME) == []  # its notes are the run's own
    html = client.get("/supervision/redflags/indicators/").content.decode()
    assert "Red-flag indicator catalogue" in html
    assert chinese_left(html, *(i.basis for i in registry.all_indicators()), "中文") == []


def _keys(value) -> list[str]:
    return [k for key, item in value.items() for k in (key, *_keys(item))] if isinstance(value, dict) else []


def _values(value) -> list[str]:
    """The evidence's own values (names, traits …): data recorded by the screen, shown as recorded."""
    if isinstance(value, dict):
        return [v for item in value.values() for v in _values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    return [str(value)]


def test_every_indicator_has_its_english_name():
    """In the alert pages (in context) and the dashboard's alert list."""
    from django.utils import translation

    with translation.override("en"):
        for i in registry.all_indicators():
            assert translation.pgettext("redflags", i.name_zh) == i.name_en, i.code
            assert translation.gettext(i.name_zh) == i.name_en, i.code
