"""``yiwang demo-tender`` on the test database: after ``seed-demo`` both procedures run to the contract, through
the evaluation app (committee drawn, scored, signed); a second run reuses what the first created; without the
seed it stops at once with a non-zero exit."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from yiwang.platform.audit import queries as audit
from yiwang.platform.clock import use_clock
from yiwang.trading.tender import demo
from yiwang.trading.tender.models import Award, Contract, Section

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("yiwang.trading.tender.evaluation"), reason="the evaluation app is not installed"
    ),
]


@pytest.fixture
def evaluation_app(settings) -> None:
    settings.YIWANG_TENDER = {**settings.YIWANG_TENDER, "EVALUATION_GATEWAY": "app"}


def test_without_the_seed_the_demo_stops_with_a_non_zero_exit(evaluation_app, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("demo_tender", stdout=out)
    assert "seed-demo" in str(caught.value)
    assert not Section.objects.exists()


def test_both_procedures_run_from_the_notice_to_the_contract(evaluation_app, tmp_path, settings):
    settings.DATA_DIR = tmp_path  # the demo CA's files
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_tender", stdout=out)  # exits 0
    lines = out.getvalue().splitlines()
    text = out.getvalue()
    assert "两个项目全部完成" in text
    for step in (
        "公告发布",
        "投标截止，开标开始",
        "评标委员会随机抽取完成",
        "详细评审",
        "评标报告生成",
        "定标",
        "合同签订",
    ):
        assert step in text, step
    assert text.count("中标候选人公示发布") == 1  # works only: GP publishes no candidates
    assert all(line.startswith("[20") for line in lines if line)  # every line carries the server time
    works = Section.objects.get(project__procedure="tender.open")
    gp = Section.objects.get(project__procedure="gp.open")
    for section in (works, gp):
        assert section.status == "contracted"
        assert section.project.is_test_data
        assert section.project.acceleration == demo.ACCELERATION
        assert section.evaluations.get().gateway == "app"
        assert section.candidates.count() == 3
        award = Award.objects.get(section=section)
        assert Contract.objects.get(section=section).amount_fen == award.price_fen
    assert works.publicity_end is not None
    codes = {e.action for e in audit.entries(limit=20_000)}
    for code in (
        "tender.publish_project",
        "tender.close_opening",
        "evaluation.sign_report",
        "tender.award_section",
        "tender.sign_contract",
    ):
        assert code in codes, code


def test_preparing_twice_reuses_what_the_first_run_created(evaluation_app, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    first = demo.Demo(out=lambda _line: None)
    with use_clock(first.clock):
        first.prepare()
    counts = {name: apps.get_model(*model).objects.count() for name, model in COUNTED.items()}
    second = demo.Demo(out=lambda _line: None)
    with use_clock(second.clock):
        second.prepare()
    after = {name: apps.get_model(*model).objects.count() for name, model in COUNTED.items()}
    assert after == {**counts, "keys": counts["keys"] + 1}  # only a fresh opening key
    assert {a: e.cert_der for a, e in first.experts.items()} == {a: e.cert_der for a, e in second.experts.items()}
    assert len(second.experts) == demo.EXPERTS_FREE


COUNTED = {
    "accounts": ("identity", "Account"),
    "bindings": ("ca", "CertificateBinding"),
    "cas": ("ca", "CertificateAuthority"),
    "experts": ("experts", "Expert"),
    "bank_accounts": ("registry", "BankAccount"),
    "keys": ("bidbox", "OpeningKey"),
}
