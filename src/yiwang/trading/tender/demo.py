"""A demonstration of tendering: one works tender (公开招标) and one government procurement (政府采购公开招标), each
from the notice to the contract, on the current database, with test acceleration.

Used by ``yiwang demo-tender`` (``manage.py demo_tender``), after ``yiwang seed-demo``: it acts as the demo's
people (the agency 申城咨询, the tenderer/purchaser 徐汇城建, the bidders 浦江建设, 绿源环保, 松江智造, the staff
administrator) and creates, idempotently and through the ordinary actions, what the seed lacks: the demo CA on
the trust list (``identity.ca.demo``, files in ``<data dir>/demo-ca``), certificates bound to the bidders and the
parties, basic deposit accounts, a pool of demo experts (accounts ``demo-expert-N`` with personal certificates),
and an opening key per run. Each step goes through the same actions the pages and the API use, so every row is
witnessed and on the feed.

Time: the projects are test data with an acceleration factor (default ×86,400: one legal day lasts one second).
The platform clock is the server's clock plus a skip: when the procedure has to wait (the bid deadline, the
committee's meeting, the candidates' publicity) the demo either sleeps (``realtime``) or moves the clock forward
at once, then runs the due jobs the clock process runs (tender, bid box, notices, finance, experts). Every step
is printed in Chinese with the server time (Asia/Shanghai).
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import pem
from django.conf import settings

from yiwang.identity import actions as identity
from yiwang.identity import queries as identity_queries
from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca import actions as ca
from yiwang.identity.ca import queries as ca_queries
from yiwang.identity.ca.demo import DemoCa
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.crypto import envelope, load_private_key, signer_for, sm3
from yiwang.kernel.crypto.envelope import BidMeta, Recipient
from yiwang.kernel.crypto.keys import load_public_key
from yiwang.kernel.errors import YiwangError
from yiwang.kernel.ids import make_resident_id
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.clock import due_jobs, use_clock
from yiwang.registry import actions as registry
from yiwang.registry import queries as registry_queries
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.bidbox.tool import simulated_machine
from yiwang.services.experts import actions as experts
from yiwang.services.experts import queries as experts_queries
from yiwang.services.finance import actions as finance
from yiwang.services.finance import bank
from yiwang.trading.tender import actions, queries
from yiwang.trading.tender.bidformat import make_bid_document
from yiwang.trading.tender.evaluation_gateway import EVALUATION_APP, app_available
from yiwang.trading.tender.models import Section

SETUP = Actor.system("demo-tender")
ACCELERATION = 86_400  # one legal day lasts one second
# Real time added to the windows in which the demo's people act: publishing (the notice's PDF) and the bidders'
# downloads, or the drawn experts' confirmations, take real seconds, more on a loaded machine, while an
# accelerated window of five legal days is five seconds (and the committee's meeting, which ends the experts'
# time to confirm, would start two seconds after the opening). The demo skips ahead to each moment anyway, so
# the slack costs no waiting.
SLACK = timedelta(seconds=60)
# the accounts of ``yiwang seed-demo`` (portal.demo) the demo acts as
STAFF, AGENCY, TENDERER = "admin", "shencheng", "xuhui"
BIDDERS = ("pujiang", "lvyuan", "songjiang")
SEED_USCC = {
    "shencheng": "91310000132260947A",
    "xuhui": "91310104132203571A",
    "pujiang": "91310115MA1FL2X37F",
    "lvyuan": "91310112MA1G8K4P1Q",
    "songjiang": "91310117MA1J5R6T2U",
}
BASIC_ACCOUNTS = {"pujiang": "6222020200112345671", "lvyuan": "6222020200112345689", "songjiang": "6222020200112345697"}
EXPERT_PREFIX = "demo-expert-"
EXPERT_SEATS = 8  # what one committee may hold of the pool (5–7 members and a reserve)
EXPERTS_FREE = 2 * EXPERT_SEATS  # free demo experts wanted before a run (two committees)
MEETING_HOURS = 1  # the committee's booking: the experts are busy for this long
DEMO_PASSWORD = "Yiwang-Demo-2026"  # noqa: S105 - the published password of the demo accounts (portal.demo)
PDF = b"%PDF-1.4\n% yiwang demo tender documents\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
JOB_PREFIXES = ("tender.", "bidbox.", "notices.", "finance.", "experts.", "venues.")


class DemoFailed(Exception):
    """A step failed; the message says which, in Chinese."""


class DemoClock:
    """The server's clock plus a skip: ``wait_until`` sleeps (real time) or skips ahead (the default)."""

    def __init__(self, *, realtime: bool = False):
        self.realtime = realtime
        self._skip = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._skip

    def wait_until(self, moment: datetime, tick: Callable[[], None]) -> None:
        while (gap := moment - self.now()) > timedelta(0):
            if self.realtime:
                time.sleep(min(gap.total_seconds(), 1.0))
                tick()
            else:
                self._skip += gap
        tick()


@dataclass
class Party:
    username: str
    account: Any
    entity_id: int | None = None
    name: str = ""
    key: Any = None  # the private key of the certificate bound for this demo
    cert_der: bytes = b""

    @property
    def actor(self) -> Actor:
        return actor_for_account(self.account)


@dataclass
class Report:
    ok: bool = True
    steps: list[tuple[datetime, str]] = field(default_factory=list)
    sections: dict[str, int] = field(default_factory=dict)  # "works" / "gp" → section id
    error: str = ""


def stamp(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f} 元"


class Demo:
    def __init__(
        self,
        *,
        out: Callable[[str], None] = print,
        clock: DemoClock | None = None,
        acceleration: int = ACCELERATION,
        ca_dir: Path | str | None = None,
    ):
        self.out = out
        self.clock = clock or DemoClock()
        self.acceleration = acceleration
        self.ca = DemoCa(Path(ca_dir) if ca_dir else Path(settings.DATA_DIR) / "demo-ca")
        self.report = Report()
        self.jobs = [j for j in due_jobs() if j.name.startswith(JOB_PREFIXES)]
        self.experts: dict[int, Party] = {}  # account id → expert

    # -- output, time ---------------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        moment = self.clock.now()
        self.report.steps.append((moment, text))
        self.out(f"[{stamp(moment)}] {text}")

    def tick(self) -> None:
        """One round of the clock process's due jobs that the procedures need."""
        moment = self.clock.now()
        for job in self.jobs:
            job.run(moment)

    def wait_until(self, moment: datetime, why: str) -> None:
        self.say(f"等待{why}（{stamp(moment)}）……")
        self.clock.wait_until(moment, self.tick)

    def legal(self, days: float) -> timedelta:
        return timedelta(days=days) / self.acceleration

    def _meeting_delay(self) -> int:
        """The committee meets :data:`SLACK` after the opening in real time: the section's delay in (accelerated)
        minutes."""
        return round(SLACK / timedelta(minutes=1) * self.acceleration)

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        try:
            yield
        except YiwangError as exc:
            raise DemoFailed(f"{title}失败：{exc.message_zh}（{exc.code}）{exc.details or ''}") from exc

    # -- the run ---------------------------------------------------------------------------------------------
    def run(self) -> Report:
        with use_clock(self.clock):
            try:
                self.say(f"招标投标演示开始（测试数据，时限按 ×{self.acceleration:,} 加速）")
                self.prepare()
                self.report.sections["works"] = self.works_tender()
                self.report.sections["gp"] = self.government_procurement()
                self.say("两个项目全部完成：公告、投标、开标、评标、公示、定标、合同。")
            except DemoFailed as exc:
                self.report.ok = False
                self.report.error = str(exc)
                self.say(f"✗ {exc}")
        return self.report

    # -- what the seed lacks ----------------------------------------------------------------------------------
    def prepare(self) -> None:
        with self.step("准备演示数据"):
            staff_account = identity_queries.find_account(STAFF)
            if staff_account is None:
                raise DemoFailed("未找到演示账户 admin：请先运行 yiwang seed-demo")
            self.staff = Party(STAFF, staff_account)
            self.parties: dict[str, Party] = {}
            for username in (AGENCY, TENDERER, *BIDDERS):
                account = identity_queries.find_account(username)
                ref = registry_queries.find_entity_by_uscc(SEED_USCC[username])
                if account is None or ref is None:
                    raise DemoFailed(f"未找到演示账户或主体 {username}：请先运行 yiwang seed-demo")
                self.parties[username] = Party(username, account, ref.id, ref.name)
            self._trust_demo_ca()
            for party in self.parties.values():
                self._entity_certificate(party)
            for username in BIDDERS:
                self._basic_account(self.parties[username])
            if not app_available():
                raise DemoFailed(f"评标应用 {EVALUATION_APP} 未安装")
            self._expert_pool()
            ceremony = bidbox.do_run_key_ceremony(
                actor=self.staff.actor,
                threshold=2,
                custodians=["开标密钥保管人甲", "开标密钥保管人乙", "开标密钥保管人丙"],
                label=f"演示开标密钥 {stamp(self.clock.now())}",
            )
            self.key_id = ceremony.key.pk
        self.say(
            f"准备就绪：演示CA已列入互认名单，{len(self.parties)} 家主体证书已绑定，"
            f"专家库有 {len(self.experts)} 名演示专家，开标密钥仪式完成（2/3 门限）"
        )

    def _trust_demo_ca(self) -> None:
        now = self.clock.now()
        self.ca.init(at=now, algorithms=("sm2",))
        known = {c.fingerprint_sha256 for c in ca_queries.list_trusted_cas(include_removed=True)}
        registered = False
        for role in ("root", "sub"):
            files = self.ca.load("sm2", role)
            if files.certificate.fingerprint_sha256 not in known:
                ca.do_register_ca(
                    actor=SETUP,
                    certificate=files.certificate.der,
                    name=f"一网交易演示CA（SM2 {'根' if role == 'root' else '签发'}）",
                    mapping="demo" if role == "root" else None,
                    note="演示与测试用 demo only",
                )
                registered = True
        for path in self.ca.make_crls(at=now, days=30, algorithms=("sm2",)):
            try:
                ca.do_import_crl(actor=SETUP, crl=path.read_bytes())
            except YiwangError:
                if registered:
                    raise

    def _load_key(self, serial: str) -> tuple[Any, bytes] | None:
        base = self.ca.dir / "issued" / serial
        if not (base / "key.pem").exists():
            return None
        _, _, der = pem.unarmor((base / "cert.pem").read_bytes())
        return load_private_key((base / "key.pem").read_bytes()), der

    def _entity_certificate(self, party: Party) -> None:
        assert party.entity_id is not None
        for binding in ca_queries.list_valid_certificates_of_entity(party.entity_id):
            loaded = self._load_key(binding.serial)
            if loaded is not None:
                party.key, party.cert_der = loaded
                return
        issued = self.ca.issue(
            algorithm="sm2", at=self.clock.now(), entity=SEED_USCC[party.username], name=party.name, days=730
        )
        ca.do_bind_certificate(actor=self.staff.actor, certificate=issued.certificate.der)
        party.key, party.cert_der = load_private_key(issued.key_path.read_bytes()), issued.certificate.der

    def _basic_account(self, party: Party) -> None:
        assert party.entity_id is not None
        if registry_queries.get_basic_account(party.entity_id) is not None:
            return
        entity = registry_queries.get_entity_for(SETUP, party.entity_id)
        registry.do_set_basic_account(
            actor=SETUP,
            entity_id=party.entity_id,
            expected_version=entity.version,
            data={
                "bank_name": "中国工商银行",
                "branch_name": "上海分行",
                "account_name": party.name,
                "account_number": BASIC_ACCOUNTS[party.username],
            },
        )

    def _expert_pool(self) -> None:
        """Demo experts with accounts and bound personal certificates: all the existing ones (the draw may pick
        any), and new ones while fewer than :data:`EXPERTS_FREE` would be free (a committee keeps its experts
        booked for its meeting). The draw must not find experts the demo cannot act for: the demo fails then."""
        from yiwang.trading.tender.evaluation import queries as ev_queries

        since = self.clock.now() - timedelta(hours=MEETING_HOURS + 1)
        busy = sum(1 for e in ev_queries.list_evaluations_for(SETUP, limit=200) if e.meeting_start >= since)
        wanted = EXPERTS_FREE + EXPERT_SEATS * busy
        for n in itertools.count(1):  # every demo expert (any may be drawn), then new ones up to ``wanted``
            username = f"{EXPERT_PREFIX}{n}"
            account = identity_queries.find_account(username)
            if account is None:
                if len(self.experts) >= wanted:
                    break
                account = identity.do_create_account(
                    actor=SETUP, username=username, display_name=f"演示专家{n}", password=DEMO_PASSWORD
                )
                identity.do_grant_role(actor=SETUP, role=Role.EXPERT, account=account, region="310000")
            expert = Party(username, account, name=f"演示专家{n}")
            person = make_resident_id("310104", date(1965, 1, 1) + timedelta(days=37 * n), (2 * n + 1) % 1000)
            self._personal_certificate(expert, person)
            if experts_queries.expert_of(expert.actor) is None:
                experts.do_enrol_expert(
                    actor=self.staff.actor,
                    data={
                        "name": expert.name,
                        "id_number": person,
                        "title": "高级工程师",
                        "title_level": "senior",
                        "kinds": ["works", "gp"],
                        "region_code": "310112",
                        "practice_since": "2005-07-01",
                        "phone": f"139{n:08d}",
                        "employer_name": "退休",
                        "specialties": [{"code": "A080101", "main": True}],
                        "account_id": account.pk,
                    },
                )
            self.experts[account.pk] = expert

    def _personal_certificate(self, expert: Party, person: str) -> None:
        for binding in ca_queries.list_bindings_for(expert.actor):
            if binding.subject_kind == "person" and binding.account_id == expert.account.pk:
                loaded = self._load_key(binding.serial)
                if loaded is not None:
                    expert.key, expert.cert_der = loaded
                    return
        issued = self.ca.issue(algorithm="sm2", at=self.clock.now(), person=person, name=expert.name, days=730)
        ca.do_bind_certificate(actor=self.staff.actor, certificate=issued.certificate.der, account_id=expert.account.pk)
        expert.key, expert.cert_der = load_private_key(issued.key_path.read_bytes()), issued.certificate.der

    # -- one procedure ---------------------------------------------------------------------------------------
    def works_tender(self) -> int:
        agency, tenderer = self.parties[AGENCY], self.parties[TENDERER]
        self.say("【一】房屋建筑和市政工程 公开招标")
        with self.step("创建招标项目"):
            project = actions.do_create_project(
                actor=agency.actor,
                procedure="tender.open",
                name="闵行区浦江镇道路改建工程（演示）",
                region_code="310112",
                tenderer_entity_id=tenderer.entity_id,
                agency_entity_id=agency.entity_id,
                subject="works",
                content="道路改建，长 2.3 km，含雨污水管道",
                fund_source="区财政",
                sections=[
                    {
                        "name": "第1标段（施工）",
                        "estimate_fen": 5_000_000_000,
                        "ceiling_fen": 5_200_000_000,
                        "deposit_fen": 10_000_000,
                        "duration_text": "365日历天",
                        "evaluation_method": "comprehensive",
                        "evaluation_config": {
                            "price_weight": 40,
                            "meeting_hours": MEETING_HOURS,
                            "meeting_delay_minutes": self._meeting_delay(),
                        },
                    }
                ],
                is_test_data=True,
                acceleration=self.acceleration,
            )
        self.say(
            f"代理机构{agency.name}创建项目“{project.name}”：项目编号 {project.project_code}，"
            f"招标项目编号 {project.tender_project_code}，交易标识码 {project.deal_code}"
        )
        prices = {"pujiang": 4_830_000_000, "lvyuan": 4_760_000_000, "songjiang": 4_910_000_000}
        section = self._notice_to_opening(project, agency, doc_days=6, prices=prices, ask=True)
        self._evaluate(section)
        with self.step("公示中标候选人"):
            actions.do_publish_candidates(actor=agency.actor, section_id=section.pk)
        section.refresh_from_db()
        self.say(f"中标候选人公示发布，公示期至 {stamp(section.publicity_end)}（不少于3日，已加速）")
        self.wait_until(section.publicity_end, "公示期结束")
        section.refresh_from_db()
        if section.status != "awardable":
            raise DemoFailed(f"公示期结束后标段状态为 {section.status}，应为可定标")
        self._award_and_contract(section, agency)
        return section.pk

    def government_procurement(self) -> int:
        purchaser = self.parties[TENDERER]
        self.say("【二】政府采购 公开招标（货物）")
        with self.step("创建采购项目"):
            project = actions.do_create_project(
                actor=purchaser.actor,
                procedure="gp.open",
                name="区政府办公设备采购（演示）",
                region_code="310112",
                tenderer_entity_id=purchaser.entity_id,
                subject="goods",
                fund_source="财政性资金",
                sections=[
                    {
                        "name": "第1包 办公设备",
                        "estimate_fen": 300_000_000,
                        "deposit_fen": 5_000_000,
                        "evaluation_method": "comprehensive_gp",
                        "evaluation_config": {
                            "price_weight": 30,
                            "meeting_hours": MEETING_HOURS,
                            "meeting_delay_minutes": self._meeting_delay(),
                        },
                    }
                ],
                is_test_data=True,
                acceleration=self.acceleration,
            )
        self.say(f"采购人{purchaser.name}创建采购项目“{project.name}”：项目编号 {project.project_code}")
        prices = {"pujiang": 281_000_000, "lvyuan": 276_500_000, "songjiang": 289_900_000}
        section = self._notice_to_opening(project, purchaser, doc_days=8, prices=prices, ask=False)
        self._evaluate(section)
        if section.status != "evaluated":
            raise DemoFailed(f"评审结束后包状态为 {section.status}")
        self.say(f"确定中标人的期限：{stamp(section.award_due)}（5个工作日，已加速；政府采购不公示候选人）")
        self._award_and_contract(section, purchaser)
        return section.pk

    def _notice_to_opening(
        self, project: Any, manager: Party, *, doc_days: int, prices: dict[str, int], ask: bool
    ) -> Section:
        with self.step("上传并签章招标文件"):
            doc = actions.do_upload_document(
                actor=manager.actor,
                project_id=project.pk,
                kind="tender_documents",
                title="招标文件",
                stream=io.BytesIO(PDF + project.project_code.encode()),
                filename="招标文件.pdf",
            )
        self.say(f"招标文件已上传并加盖平台电子签章，SHA-256 {doc.sha256[:16]}…")
        now = self.clock.now()
        deadline = now + self.legal(22) + SLACK + timedelta(seconds=1)
        with self.step("发布公告"):
            project = actions.do_publish_project(
                actor=manager.actor,
                project_id=project.pk,
                bid_deadline=deadline,
                doc_get_end=now + self.legal(doc_days) + SLACK,
                opening_key=self.key_id,
                opening_address="上海市公共资源交易中心 开标室（线上）",
            )
        section = project.sections.get()
        self.say(f"公告发布，投标截止时间 {stamp(section.bid_deadline)}（不少于20日，已加速），标段 {section.code}")
        bidders = [self.parties[u] for u in BIDDERS]
        with self.step("投标人下载招标文件"):
            for bidder in bidders:
                actions.do_download_document(actor=bidder.actor, document_id=doc.pk, entity_id=bidder.entity_id)
        self.say(f"{len(bidders)} 家投标人下载了招标文件（下载名单开标前保密）")
        if ask:
            with self.step("提问与澄清"):
                question = actions.do_ask_question(
                    actor=bidders[0].actor,
                    project_id=project.pk,
                    entity_id=bidders[0].entity_id,
                    text="图纸第5页标高是否有误？",
                )
                clarification = actions.do_issue_clarification(
                    actor=manager.actor, project_id=project.pk, text="第5页标高更正为 4.50 m", answers=[question.pk]
                )
            self.say(
                "投标人提问，代理机构发布澄清" + ("（截止时间顺延）" if clarification.postponed else "（无需顺延）")
            )
        submissions = {}
        for bidder in bidders:
            with self.step(f"{bidder.name}缴纳保证金并递交投标文件"):
                if section.deposit_fen:
                    self._pay_deposit(section, bidder)
                sealed = self._seal(section, bidder, prices[bidder.username])
                submission = actions.do_submit_bid(
                    actor=bidder.actor, section_id=section.pk, entity_id=bidder.entity_id, stream=io.BytesIO(sealed)
                )
            submissions[bidder.username] = (submission, sealed)
            self.say(
                f"{bidder.name}：保证金 {yuan(section.deposit_fen)} 到账，密封投标文件（SM2 数字信封，"
                f"{len(sealed):,} 字节）已递交，回执 {submission.receipt_id}"
            )
        count = queries.get_section_for(manager.actor, section.pk).receipt_count
        self.say(f"招标人/代理机构只看到已递交数量：{count} 份")
        section.refresh_from_db()
        self.wait_until(section.bid_deadline, "投标截止")
        section.refresh_from_db()
        if section.status != "opening":
            raise DemoFailed(f"投标截止后标段状态为 {section.status}，应为开标中")
        self.say(f"投标截止，开标开始（截止后不再接受任何投标）：{count} 份投标文件")
        for bidder in bidders:
            submission, sealed = submissions[bidder.username]
            with self.step(f"{bidder.name}解密投标文件"):
                content_key = envelope.unwrap_content_key(sealed, private_key=bidder.key)
                result = bidbox.do_decrypt_with_content_key(
                    actor=bidder.actor, submission_id=submission.pk, content_key=content_key
                )
                if not result.ok:
                    error = result.error
                    raise DemoFailed(
                        f"{bidder.name}解密失败：{error.message_zh}（{error.code}）"
                        if error
                        else f"{bidder.name}解密失败"
                    )
            self.say(f"{bidder.name}使用本单位证书私钥解密成功，报价 {yuan(prices[bidder.username])}")
        with self.step("结束开标"):
            actions.do_close_opening(actor=manager.actor, section_id=section.pk)
        section.refresh_from_db()
        self.say(f"开标结束，开标记录公布；标段状态：{self._status(section)}")
        if section.status != "evaluating":
            raise DemoFailed(f"开标结束后标段状态为 {section.status}，应为评标中")
        record = section.evaluations.order_by("-pk").first()
        if record is None or record.gateway != "app":
            raise DemoFailed("评标委员会未能组建（专家抽取未成功），评标转为线下录入")
        return section

    def _status(self, section: Section) -> str:
        return queries.get_section_for(self.staff.actor, section.pk).status_label

    def _pay_deposit(self, section: Section, bidder: Party) -> None:
        deposit = finance.do_open_deposit_account(
            actor=bidder.actor, lot_ref=section.lot_ref, entity_id=bidder.entity_id
        )
        notice = bank.SimulatedBank().pay_in(
            virtual_account=deposit.virtual_account,
            amount_fen=section.deposit_fen,
            payer_account=BASIC_ACCOUNTS[bidder.username],
            payer_name=bidder.name,
        )
        finance.receive_bank_notice(bank_code=notice.bank_code, body=notice.body, signature=notice.signature)

    def _seal(self, section: Section, bidder: Party, price_fen: int) -> bytes:
        section.refresh_from_db()
        key = str(section.pk) if section.round == 1 else f"{section.pk}-r{section.round}"
        view = bidbox_queries.get_box_of_owner(("tender.section", key))
        if view is None:
            raise DemoFailed("投标箱未开设")
        plaintext = make_bid_document(
            price_fen=price_fen,
            section_code=section.code,
            bidder_uscc=SEED_USCC[bidder.username],
            bidder_name=bidder.name,
        )
        meta = BidMeta(
            project_code=view.project_code,
            section_code=view.section_code,
            bidder_id=SEED_USCC[bidder.username],
            deadline=view.deadline,
            file_name="投标文件.json",
            file_size=len(plaintext),
            extra=simulated_machine(SEED_USCC[bidder.username]),  # the bid tool's machine codes
        )
        return envelope.seal(
            plaintext,
            meta=meta,
            bidder_signer=signer_for(bidder.key),
            recipients=[
                Recipient("bidder", bidder.key.public_key),
                Recipient("opening", load_public_key(view.opening_key_pem.encode())),
            ],
            bidder_certificate=bidder.cert_der,
        )

    # -- the evaluation app ----------------------------------------------------------------------------------
    def _evaluate(self, section: Section) -> None:
        from yiwang.trading.tender.evaluation import actions as ev
        from yiwang.trading.tender.evaluation import queries as ev_queries

        ref = f"tender.section:{section.pk}" if section.round == 1 else f"tender.section:{section.pk}-r{section.round}"
        staff = self.staff.actor
        view = ev_queries.get_evaluation_for(staff, ref)
        with self.step("专家确认参加评标"):
            confirmed = 0
            for expert in self.experts.values():
                for task in experts_queries.list_my_tasks(expert.actor):
                    if task.draw_id == view.draw_id and task.may_answer and task.status == "notified":
                        experts.do_answer_seat(actor=expert.actor, seat_id=task.seat_id, accept=True)
                        confirmed += 1
        self.say(f"抽中的专家通过短信/站内通知确认参加：{confirmed} 人")
        seats = experts_queries.committee_for(SETUP, view.draw_id) if view.draw_id else []
        self.say(
            f"评标委员会随机抽取完成：{len(seats)} 名专家（回避投标人、招标人、代理机构），"
            f"评标时间 {stamp(view.meeting_start)}，专家名单定标前保密"
        )
        self.wait_until(view.meeting_start, "评标会议开始")
        with self.step("专家签到与开始评标"):
            for seat in seats:
                if seat.status != "checked_in":
                    ev.do_check_in_member(actor=staff, section_ref=ref, seat_id=seat.id)
            ev.do_convene_committee(actor=staff, section_ref=ref)
            members = self._members(ref)
            first = min(members, key=lambda m: m[1].ordinal)
            ev.do_set_chair(actor=staff, section_ref=ref, member_id=first[1].id)
        chair = first[0].actor
        self.say(f"{len(members)} 名评委全部签到，评标开始，推选{first[1].label}为评标委员会主任")
        for _ in range(8):  # the stages, in order; bounded
            view = ev_queries.get_evaluation_for(staff, ref)
            stage = view.status
            if stage in ("qualification", "compliance"):
                with self.step(f"{view.status_label}"):
                    for expert, _member in members:
                        mine = ev_queries.get_evaluation_for(expert.actor, ref)
                        checks = [c.code for c in mine.checks.get(stage, ())]
                        verdicts = {str(b.id): {c: {"ok": True} for c in checks} for b in mine.bids if b.status == "in"}
                        ev.do_save_review_sheet(
                            actor=expert.actor, section_ref=ref, stage=stage, verdicts=verdicts, submit=True
                        )
                    ev.do_close_stage(actor=chair, section_ref=ref, stage=stage)
                self.say(f"{view.status_label}：全体评委逐项审查，{len(view.bids)} 份投标均通过")
            elif stage == "pricing":
                with self.step("价格核对"):
                    ev.do_close_stage(actor=chair, section_ref=ref, stage=stage)
                self.say("价格核对完成（无算术修正；异常低价筛查未触发）")
            elif stage == "clarification":
                raise DemoFailed("出现异常低价澄清，演示数据不应触发")
            elif stage == "scoring":
                with self.step("详细评审（打分）"):
                    for i, (expert, _member) in enumerate(members):
                        mine = ev_queries.get_evaluation_for(expert.actor, ref)
                        items = {it.code: it for it in mine.items if it.code in mine.my_items}
                        sheet = {}
                        for j, bid in enumerate(b for b in mine.bids if b.status == "in"):
                            sheet[str(bid.id)] = {
                                code: str(max(item.max_points * (90 - 4 * j - (i % 3)) // 100, 0))
                                for code, item in items.items()
                            }
                        if sheet and items:
                            ev.do_save_score_sheet(actor=expert.actor, section_ref=ref, scores=sheet, submit=True)
                    ev.do_close_stage(actor=chair, section_ref=ref, stage=stage)
                self.say("详细评审：各评委独立打分（技术、商务），价格分按公式计算，汇总排序")
            elif stage == "signing":
                with self.step("签署评标报告"):
                    for expert, _member in members:
                        mine = ev_queries.get_evaluation_for(expert.actor, ref)
                        message = ca_queries.document_signing_input("sm3", sm3(canonical_json(mine.report)))
                        ev.do_sign_report(
                            actor=expert.actor,
                            section_ref=ref,
                            signature=signer_for(expert.key).sign(message),
                            certificate=expert.cert_der,
                        )
                    ev.do_finalise_report(actor=staff, section_ref=ref)
                self.say(f"评标报告生成，{len(members)} 名评委以个人证书签署（SM2/SM3），报告定稿")
            else:
                break
        view = ev_queries.get_evaluation_for(staff, ref)
        if view.status != "final":
            raise DemoFailed(f"评标未完成：{view.status_label}")
        ranked = sorted((b for b in view.bids if b.candidate_rank), key=lambda b: b.candidate_rank)
        for bid in ranked:
            self.say(f"  第{bid.candidate_rank}名：{bid.name}，得分 {bid.total}，报价 {yuan(bid.offered_price_fen)}")
        poll = self.clock.now() + timedelta(seconds=30) / self.acceleration + timedelta(milliseconds=50)
        for _ in range(20):
            self.wait_until(poll, "平台读取评标结果")
            section.refresh_from_db()
            if section.status != "evaluating":
                break
            poll = self.clock.now() + timedelta(seconds=1)
        if section.status != "evaluated":
            raise DemoFailed(f"读取评标结果后标段状态为 {section.status}，应为评标完成")
        self.say(f"平台读取签署完成的评标报告，标段状态：{self._status(section)}")

    def _members(self, ref: str) -> list[tuple[Party, Any]]:
        from yiwang.trading.tender.evaluation import queries as ev_queries

        out = []
        for expert in self.experts.values():
            try:
                me = ev_queries.get_evaluation_for(expert.actor, ref).me
            except YiwangError:  # not on this committee: the evaluation does not exist for them
                continue
            if me is not None:
                out.append((expert, me))
        view = ev_queries.get_evaluation_for(self.staff.actor, ref)
        if len(out) != len(view.members):
            raise DemoFailed("评标委员会中有非演示专家，演示无法代其评审")
        return sorted(out, key=lambda m: m[1].ordinal)

    def _award_and_contract(self, section: Section, manager: Party) -> None:
        with self.step("定标并发出中标通知书"):
            award = actions.do_award_section(actor=manager.actor, section_id=section.pk)
        winner = next(p for p in self.parties.values() if p.entity_id == award.entity_id)
        self.say(f"定标：中标人 {winner.name}，中标价 {yuan(award.price_fen)}，中标通知书 {award.letter_number}")
        with self.step("签订并公开合同"):
            contract = actions.do_sign_contract(
                actor=manager.actor,
                section_id=section.pk,
                amount_fen=award.price_fen,
                code=f"HT-{section.code[-8:]}",
                document=(io.BytesIO(PDF + b"contract"), "合同.pdf"),
            )
        section.refresh_from_db()
        self.say(
            f"合同签订并公开：合同金额 {yuan(contract.amount_fen)}"
            + ("（逾期，已标记）" if contract.late else "（在法定期限内）")
            + f"；标段状态：{self._status(section)}"
        )
        if section.status not in ("contracted", "performing", "completed"):
            raise DemoFailed(f"合同签订后标段状态为 {section.status}")


def run(
    *,
    out: Callable[[str], None] = print,
    realtime: bool = False,
    acceleration: int = ACCELERATION,
    ca_dir: Path | str | None = None,
) -> Report:
    """Run both procedures; the report's ``ok`` is False (and ``error`` says why) when a step failed."""
    return Demo(out=out, clock=DemoClock(realtime=realtime), acceleration=acceleration, ca_dir=ca_dir).run()
