"""English for the tendering pages: under the switch the tender list, a project with its documents and
clarifications, a section with the bid form, the opening hall, the manager's and the staff's pages, the to-do
labels of the workbench and the expert's evaluation pages (review sheet, the chair's desk, score sheet, report
with the signing form) read in English. What people entered or the catalogues hold stays as written and is named in
each test: names of people and entities, project, section and document titles, notice titles, the timeline's
recorded texts, codes, legal citations and the checks and items of the rules catalogue, committee members' and
bids' pseudonyms (评委N, the bid's label) where a page shows them as recorded, and amounts the evaluation's
``yuan`` filter formats (… 元). Without the switch the same pages are Chinese."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.services.notices import queries as notice_queries
from yiwang.trading.tender import internal as t
from yiwang.trading.tender import queries
from yiwang.trading.tender.models import SectionEvent, TenderDocument
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_afterwards():
    """Requests under the switch leave English active in this thread; later code outside a request reads Chinese."""
    yield
    translation.activate("zh-hans")


def _tender_data(world, project) -> list[str]:
    """What a tender's pages show as entered or recorded: names, titles, codes, the timeline's texts."""
    parties = (world.tenderer, world.agency, *world.bidders)
    names = [x for p in parties for x in (p.name, p.account.display_name)] + [world.staff.display_name]
    sections = list(project.sections.all())
    owners = [t.project_ref(project)] + [t.section_ref(s) for s in sections]
    notices = [n.title for owner in owners for n in notice_queries.list_notices_of(owner)]
    documents = [x for d in TenderDocument.objects.filter(project=project) for x in (d.title, d.filename)]
    events = list(SectionEvent.objects.filter(section__project=project).values_list("text", flat=True))
    texts = [project.name, *(s.name for s in sections), *(s.duration_text for s in sections)]
    return [*names, *notices, *documents, *events, *texts, "中文"]


def _no_chinese_left(html: str, *data: str) -> None:
    left = chinese_left(html, *data)
    assert left == [], [html[max(0, html.find(x) - 100) : html.find(x) + 20] for x in left]


def _english(client: Client, url: str, *expected: str) -> str:
    use_english(client)
    html = client.get(url).content.decode()
    for text in expected:
        assert text in html, text
    return html


def test_a_bidder_reads_the_tender_pages_in_english(world, clock, client):
    project, section = support.ready_project(world)
    client.force_login(world.a.account)
    chinese = client.get(f"/tender/projects/{project.pk}/").content.decode()
    assert "招标文件" in chinese
    assert "对招标文件提问（答复以澄清公告发布，不显示提问人）" in chinese
    assert "公开招标" in chinese
    data = _tender_data(world, project)

    html = _english(client, "/tender/", "Tender projects", "Open tender", "In progress", "Bid deadline", "All statuses")
    _no_chinese_left(html, *data)
    html = _english(
        client,
        f"/tender/projects/{project.pk}/",
        "Tenderer",
        "Sections (lots)",
        "Tender documents",
        "Ask about the tender documents",
        "Send the question",
        "Rules catalogue version",
    )
    _no_chinese_left(html, *data)
    html = _english(
        client,
        f"/tender/sections/{section.pk}/",
        "Bidding",
        "Bid deposit",
        "Submit a bid (sealed in a digital envelope)",
        "Raise an objection (challenge)",
        "Objection to the tender documents",
        "Timeline",
    )
    _no_chinese_left(html, *data)
    html = _english(client, f"/tender/sections/{section.pk}/hall/", "Opening hall", "Remote opening", "Server time")
    _no_chinese_left(html, *data)


def test_an_agency_and_the_staff_in_english(world, clock, client):
    project, section = support.ready_project(world)
    draft = support.create_project(world, name="尚未发布的道路工程")
    client.force_login(world.agency.account)
    data = _tender_data(world, project) + _tender_data(world, draft)
    assert "招标人 / 代理机构操作" in client.get(f"/tender/projects/{project.pk}/").content.decode()

    html = _english(
        client,
        f"/tender/projects/{project.pk}/",
        "Tenderer / agency actions",
        "Clarification or amendment",
        "Publish the clarification",
        "Pre-qualification documents",
    )
    _no_chinese_left(html, *data)
    html = _english(client, f"/tender/projects/{draft.pk}/publish/", "Publish: ", "Opening key", "Back")
    _no_chinese_left(html, *data)
    html = _english(client, "/tender/new/", "New tender (procurement) project", "Procedure", "Works", "Register")
    # the entities the person may create as are data (their names)
    _no_chinese_left(html, *data)
    html = _english(client, f"/tender/sections/{section.pk}/", "Actions", "Terminate / declare failed", "Bids received")
    _no_chinese_left(html, *data)

    with translation.override("en"):
        labels = [i.label for i in queries.workbench_items_for(world.agency.actor)]
    assert f"{draft.name}: to publish" in labels
    with translation.override("zh-hans"):
        labels = [i.label for i in queries.workbench_items_for(world.agency.actor)]
    assert f"{draft.name}：待发布" in labels

    client.force_login(world.staff)
    html = _english(client, "/tender/staff/", "Trading centre · tendering", "Opening hall (today and in progress)")
    _no_chinese_left(html, *data)


def test_an_evaluation_in_english(clock, system):
    from yiwang.trading.tender.evaluation import actions as ev_actions
    from yiwang.trading.tender.evaluation import queries as ev_queries
    from yiwang.trading.tender.evaluation.tests import support as ev

    world = ev.make_world(system, experts_count=5, bidders=3)
    evaluation = ev.start(
        world,
        prices=[400_000_00, 410_000_00, 420_000_00],
        config=ev.comprehensive_config(requirements=[], abnormally_low=None),
    )
    staff = Client()
    staff.force_login(world.staff_account)
    assert "现场组织（交易中心）" in staff.get(f"/evaluation/{evaluation.pk}/").content.decode()
    view = ev_queries.get_evaluation_for(world.staff, evaluation.section_ref)
    data = [
        *(p.account.display_name for p in world.experts),
        world.staff_account.display_name,
        *(seat.name for seat in ev.seats(evaluation)),  # the experts' names in the pool
        *(b.name for b in view.bids),
        *(b.pseudonym for b in view.bids),
        view.title or "",
        "元",  # amounts the evaluation's yuan filter formats
        "中文",
    ]
    html = _english(staff, f"/evaluation/{evaluation.pk}/", "On-site organisation", "Check in", "forming the committee")
    _no_chinese_left(html, *data)

    ev.convene(world, evaluation, clock)
    people = ev.member_people(world, evaluation)
    chair, member = Client(), Client()
    chair.force_login(people[0][1].account)
    member.force_login(people[1][1].account)
    review = f"/evaluation/{evaluation.pk}/review/compliance/"
    assert "逐项审查每一有效投标" in member.get(review).content.decode()
    checks = [x for c in ev_queries.get_evaluation_for(world.staff, evaluation.section_ref).checks["compliance"]
              for x in (c.text, c.source)]  # fmt: skip
    html = _english(member, review, "compliance review sheet", "Meets", "Does not meet", "Save draft")
    _no_chinese_left(html, *data, *checks)
    html = _english(member, "/evaluation/", "My evaluations", "Enter")
    _no_chinese_left(html, *data)
    html = _english(chair, f"/evaluation/{evaluation.pk}/", "Chair's desk", "Close the compliance review", "Member 2")
    labels = [f"评委{n}" for n in range(1, 6)]  # the members' labels as recorded (the progress table, the report)
    _no_chinese_left(html, *data, *labels)

    ev.review_all(world, evaluation, "compliance")
    ev_actions.do_close_stage(
        actor=ev.chair_of(world, evaluation).actor, section_ref=evaluation.section_ref, stage="pricing"
    )
    view = ev_queries.get_evaluation_for(people[1][1].actor, evaluation.section_ref)
    items = [x for i in view.items for x in (i.name, i.guidance or "")]
    html = _english(member, f"/evaluation/{evaluation.pk}/scoring/", "Detailed scoring sheet", "Scoring criteria")
    _no_chinese_left(html, *data, *items)

    bids = list(evaluation.bids.order_by("seq"))
    ev.score_all(world, evaluation, {b.pk: {"tech_plan": "22", "quality": "15", "credit": "7.5"} for b in bids})
    html = _english(
        member,
        f"/evaluation/{evaluation.pk}/report/",
        "Sign the evaluation report",
        "Recommended winning candidates",
        "Signing certificate (PEM)",
    )
    report = ev_queries.get_evaluation_for(world.staff, evaluation.section_ref).report
    recorded = [report["NOTICE_NAME"], report["MIN_VALID_BIDS"]["source"], *items]
    _no_chinese_left(html, *data, *recorded, *labels)
