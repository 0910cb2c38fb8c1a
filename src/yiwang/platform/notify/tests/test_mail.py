"""The e-mail port: queued in the action's transaction, delivered after commit, retried, never twice at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from yiwang.kernel.clock import ManualClock
from yiwang.platform import testing
from yiwang.platform.clock import use_clock
from yiwang.platform.notify import actions, jobs
from yiwang.platform.notify.models import MailStatus, OutboxMail
from yiwang.platform.notify.ports import OutgoingMail

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class FailingSender:
    calls = 0

    def send(self, mail: OutgoingMail) -> str:
        FailingSender.calls += 1
        raise ConnectionError("smtp down")


class SlowSender:
    sent: list[str] = []

    def send(self, mail: OutgoingMail) -> str:
        time.sleep(0.3)
        SlowSender.sent.append(mail.message_id)
        return "slow-ok"


def test_a_message_with_an_address_queues_a_mail_and_its_task(clock, system, alice, logged_mail):
    message = actions.do_send_message(
        actor=system, recipient=alice.ref, title="新公告：道路工程", body="详见公告", link="/notices/3/",
        email="alice@example.org",
    )  # fmt: skip
    (mail,) = OutboxMail.objects.all()
    assert (mail.status, mail.to_address, mail.subject, mail.message_id) == (
        MailStatus.QUEUED,
        "alice@example.org",
        "新公告：道路工程",
        mail.message_id,
    )
    assert mail.message == message
    assert "/notices/3/" in mail.body_text
    assert logged_mail == []  # nothing is sent inside the transaction
    (task,) = DBTaskResult.objects.filter(task_path__endswith="deliver_mail_task")
    assert task.args_kwargs == {"args": [mail.pk], "kwargs": {}}

    base = testing.base()
    assert task.task.call(mail.pk) == "sent"  # what the worker runs
    assert [m.to for m in logged_mail] == ["alice@example.org"]
    assert logged_mail[0].message_id == mail.message_id
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.sent_at) == (MailStatus.SENT, 1, clock.now())
    assert [e.fields.action for e in base.entries()] == ["notify.record_mail_delivery"]
    # idempotent: the clock job or a second run of the task sends nothing more
    assert actions.deliver_mail(mail.pk) == "skipped"
    assert jobs.deliver_due_mail(clock.now()) == 0
    assert len(logged_mail) == 1


def test_failures_are_retried_with_back_off_then_given_up(clock, system, settings):
    settings.YIWANG_NOTIFY_EMAIL_SENDER = "yiwang.platform.notify.tests.test_mail.FailingSender"
    settings.YIWANG_NOTIFY_MAIL_MAX_ATTEMPTS = 3
    FailingSender.calls = 0
    mail = actions.do_queue_mail(actor=system, to="ops@example.org", subject="测试", body_text="正文", key="k1")
    assert actions.do_queue_mail(actor=system, to="ops@example.org", subject="测试", body_text="正文", key="k1") is None

    assert jobs.deliver_due_mail(clock.now()) == 0
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.QUEUED, 1, "ConnectionError: smtp down")
    assert mail.next_attempt_at == clock.now() + timedelta(seconds=60)
    jobs.deliver_due_mail(clock.now() + timedelta(seconds=30))  # not yet due
    assert FailingSender.calls == 1

    clock.advance(timedelta(seconds=61))
    jobs.deliver_due_mail(clock.now())
    mail.refresh_from_db()
    assert (mail.attempts, mail.next_attempt_at) == (2, clock.now() + timedelta(seconds=300))
    clock.advance(timedelta(seconds=301))
    jobs.deliver_due_mail(clock.now())
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, FailingSender.calls) == (MailStatus.FAILED, 3, 3)
    clock.advance(timedelta(days=1))
    assert jobs.deliver_due_mail(clock.now()) == 0
    assert FailingSender.calls == 3


def test_a_mail_left_half_sent_by_a_crash_is_offered_again_after_its_lease(clock, system, logged_mail):
    mail = actions.do_queue_mail(actor=system, to="a@example.org", subject="租约", body_text="x", key="lease")
    assert actions._claim(mail.pk, clock.now())  # a runner took it and died
    assert actions.deliver_mail(mail.pk) == "skipped"
    clock.advance(actions.LEASE + timedelta(seconds=1))
    assert jobs.deliver_due_mail(clock.now()) == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (MailStatus.SENT, 2)
    assert len(logged_mail) == 1


def test_bad_mail_is_refused(clock, system):
    from yiwang.kernel.errors import InvalidInput

    before = testing.log_state()
    for kwargs, code in [
        ({"to": "nobody", "subject": "s", "body_text": "", "key": "a"}, "notify.email_invalid"),
        ({"to": "a@example.org", "subject": "", "body_text": "", "key": "a"}, "notify.subject_invalid"),
        ({"to": "a@example.org", "subject": "s", "body_text": "", "key": ""}, "notify.key_invalid"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            actions.do_queue_mail(actor=system, **kwargs)
        assert refused.value.code == code
    assert testing.log_state() == before
    assert not OutboxMail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_send_a_mail_once(settings, system):
    settings.YIWANG_NOTIFY_EMAIL_SENDER = "yiwang.platform.notify.tests.test_mail.SlowSender"
    SlowSender.sent = []
    clock = ManualClock(T0)
    with use_clock(clock):
        mail = actions.do_queue_mail(actor=system, to="a@example.org", subject="并发", body_text="x", key="race")
    outcomes: list[str] = []

    def run() -> None:
        with use_clock(clock):
            try:
                outcomes.append(actions.deliver_mail(mail.pk))
            finally:
                connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]
    assert len(SlowSender.sent) == 1
    assert OutboxMail.objects.get(pk=mail.pk).attempts == 1
