"""The clock: which time counts, due jobs at their intervals, failures contained, one leader at a time."""

from __future__ import annotations

import logging
import signal
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from yiwang.kernel.clock import ManualClock, SystemClock
from yiwang.platform import clock as platform_clock
from yiwang.platform.clock import due_jobs, get_clock, now, register_due_job, runner, use_clock
from yiwang.platform.testing import postgres_only


@pytest.fixture
def jobs(monkeypatch):
    """An empty job registry for the test (the registered platform jobs are restored afterwards)."""
    monkeypatch.setattr(platform_clock, "_jobs", {})
    return platform_clock._jobs


class Ticker:
    """A fake monotonic clock for ``runner.tick``."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_now_comes_from_the_configured_clock_unless_a_test_overrides_it():
    assert isinstance(get_clock(), SystemClock)
    manual = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))
    with use_clock(manual):
        assert now() == datetime(2030, 1, 1, tzinfo=UTC)
        inner = ManualClock(datetime(2031, 1, 1, tzinfo=UTC))
        with use_clock(inner):
            assert now().year == 2031
        assert now().year == 2030
    assert now().tzinfo is not None
    assert now().year >= 2026


def test_jobs_run_at_their_intervals(jobs, clock):
    runs: dict[str, list[datetime]] = {"fast": [], "slow": []}
    register_due_job("fast", lambda moment: runs["fast"].append(moment) or 1, every_seconds=1)
    register_due_job("slow", lambda moment: runs["slow"].append(moment) or 2, every_seconds=5)
    assert [j.name for j in due_jobs()] == ["fast", "slow"]
    ticker, last_run, handled = Ticker(), {}, 0
    for _ in range(11):  # t = 0 … 10 s
        handled += runner.tick(last_run, monotonic=ticker)
        ticker.t += 1
    assert len(runs["fast"]) == 11
    assert len(runs["slow"]) == 3  # t = 0, 5, 10
    assert handled == 11 * 1 + 3 * 2
    assert runs["fast"][0] == clock.now()  # jobs are told the platform's time, not the machine's


def test_a_job_is_not_run_before_its_interval_has_passed(jobs, clock):
    runs = []
    register_due_job("every-3", lambda moment: runs.append(moment) or 0, every_seconds=3)
    ticker, last_run = Ticker(), {}
    for step in (0, 1, 2.9, 3, 5.9, 6):
        ticker.t = 1000 + step
        runner.tick(last_run, monotonic=ticker)
    assert len(runs) == 3  # at 0, 3 and 6


def test_a_failing_job_is_logged_and_does_not_stop_the_others(jobs, clock, caplog):
    runs = []

    def broken(moment):
        raise RuntimeError("the job broke")

    register_due_job("a-broken", broken, every_seconds=1)
    register_due_job("b-fine", lambda moment: runs.append(moment) or 1, every_seconds=1)
    ticker, last_run = Ticker(), {}
    with caplog.at_level(logging.ERROR, logger="yiwang.clock"):
        assert runner.tick(last_run, monotonic=ticker) == 1
        ticker.t += 1
        assert runner.tick(last_run, monotonic=ticker) == 1  # the broken job is tried again, and fails again
    assert len(runs) == 2
    failures = [r for r in caplog.records if "a-broken" in r.getMessage()]
    assert len(failures) == 2
    assert all(r.exc_info for r in failures)


@pytest.mark.django_db
def test_clock_once_runs_every_job_once(jobs, clock):
    runs = []
    register_due_job("one", lambda moment: runs.append("one") or 1)
    register_due_job("two", lambda moment: runs.append("two") or 2, every_seconds=3600)
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    out = StringIO()
    call_command("clock", "--once", stdout=out)
    assert runs == ["one", "two"]
    assert out.getvalue().strip() == "clock stopped; 3 due item(s) handled"
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


@pytest.mark.django_db
def test_clock_runs_ticks_until_told_to_stop(jobs, clock):
    runs = []
    register_due_job("each", lambda moment: runs.append(1) or 1, every_seconds=0)
    assert runner.run(ticks=3, interval=0) == 3
    assert runner.run(ticks=None, interval=0, should_stop=lambda: len(runs) >= 5) == 2
    assert len(runs) == 5


@pytest.mark.django_db
def test_the_platform_registers_its_jobs():
    assert "platform.purge_idempotency_records" in {job.name for job in due_jobs()}


@pytest.mark.django_db
def test_one_of_two_clocks_leads(jobs, clock):
    """Two runners on one database: the second fires nothing while the first leads, and takes over when the
    first stops (advisory lock on PostgreSQL, a file lock beside the SQLite database)."""
    runs = []
    register_due_job("job", lambda moment: runs.append(1) or 1, every_seconds=0)
    first, second = runner.Leadership(), runner.Leadership()
    try:
        assert first.check() is True
        assert first.check() is True  # stays the leader
        assert second.check() is False
        assert runner.run(ticks=2, interval=0, leadership=second) == 0
        assert runs == []
        first.release()
        assert runner.run(ticks=2, interval=0, leadership=second) == 2
        assert len(runs) == 2
        assert first.check() is False
    finally:
        first.release()
        second.release()
    # a runner with its own leadership gives it up when it stops
    assert runner.run(ticks=1, interval=0) == 1
    assert runner.run(ticks=1, interval=0) == 1


@postgres_only
@pytest.mark.django_db
def test_a_leader_whose_session_died_steps_down(jobs, clock, caplog):
    leader, other = runner.Leadership(), runner.Leadership()
    try:
        assert leader.check() is True
        assert other.check() is False
        pid = leader._conn.info.backend_pid
        with connection.cursor() as cur:
            # pg_terminate_backend only signals the backend: wait (bounded) until it has gone, and its lock with it
            cur.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cur.fetchone()[0] is True
        assert other.check() is True  # the lock went with the session
        with caplog.at_level(logging.ERROR, logger="yiwang.clock"):
            assert leader.check() is False  # notices its session is gone …
        assert leader.check() is False  # … and cannot lead while the other does
    finally:
        leader.release()
        other.release()
