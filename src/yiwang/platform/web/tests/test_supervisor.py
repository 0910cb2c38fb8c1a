"""The supervisor behind ``yiwang run``, with small Python children: prefixed output, restarts with backoff,
giving up, graceful stop, SIGKILL after the timeout, and no orphans."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from yiwang.platform.supervisor import ChildSpec, Supervisor, is_loopback_bind

from .processes import Output, alive, group_members, wait_until

PY = sys.executable


def child(name: str, code: str) -> ChildSpec:
    return ChildSpec(name, [PY, "-c", textwrap.dedent(code)])


SLEEPER = """
import os, time
print("up", os.getpid(), flush=True)
time.sleep(60)
"""


def run_in_thread(supervisor: Supervisor) -> tuple[threading.Thread, dict]:
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", supervisor.run()))
    thread.start()
    return thread, result


def test_output_is_prefixed_line_by_line_and_a_stop_ends_every_child():
    out = io.StringIO()
    sup = Supervisor(
        [child("alpha", SLEEPER), child("b", 'print("一行\\n两行", flush=True)\nimport time; time.sleep(60)')], out=out
    )
    thread, result = run_in_thread(sup)
    assert wait_until(lambda: "alpha  | up" in out.getvalue() and "b      | 两行" in out.getvalue(), 15)
    pids = [c.proc.pid for c in sup.children]
    sup.stop()
    thread.join(timeout=15)
    assert result == {"code": 0}
    assert not any(alive(pid) for pid in pids)
    text = out.getvalue()
    assert "yiwang | started alpha (pid" in text
    assert "b      | 一行" in text
    assert "yiwang | stopping alpha, b" in text
    assert text.rstrip().endswith("yiwang | stopped")


def test_a_child_that_dies_is_restarted_with_backoff():
    out = io.StringIO()
    flaky = child("flaky", 'import os; print("run", os.getpid(), flush=True); raise SystemExit(3)')
    sup = Supervisor([flaky, child("steady", SLEEPER)], out=out, backoff=(0.1, 0.4), max_failures=100)
    thread, result = run_in_thread(sup)
    assert wait_until(lambda: out.getvalue().count("flaky exited unexpectedly (code 3)") >= 4, 20)
    steady_pid = sup.children[1].proc.pid
    sup.stop()
    thread.join(timeout=15)
    assert result == {"code": 0}
    text = out.getvalue()
    assert "restarting in 0.1 s" in text
    assert "restarting in 0.2 s" in text
    assert "restarting in 0.4 s" in text
    assert len(set(sup.children[0].pids)) >= 4  # a new process each time
    assert sup.children[1].pids == [steady_pid]  # the others were left alone
    assert not alive(steady_pid)


def test_repeated_failures_give_up_and_stop_everything():
    out = io.StringIO()
    sup = Supervisor(
        [child("broken", "raise SystemExit(2)"), child("steady", SLEEPER)],
        out=out,
        backoff=(0.05, 0.05),
        max_failures=3,
        failure_window=30,
    )
    began = time.monotonic()
    assert sup.run() == 1
    assert time.monotonic() - began < 15
    text = out.getvalue()
    assert "broken exited (code 2) 3 times within 30 s; giving up and stopping everything" in text
    assert text.rstrip().endswith("stopped after repeated failures")
    assert not alive(sup.children[1].pids[0])


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout_with_its_own_children():
    stubborn = """
    import os, signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    deaf = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    grandchild = subprocess.Popen([sys.executable, "-c", deaf])
    print("grandchild", grandchild.pid, flush=True)
    time.sleep(60)
    """
    out = io.StringIO()
    sup = Supervisor([child("stubborn", stubborn)], out=out, stop_timeout=0.5)
    thread, result = run_in_thread(sup)
    assert wait_until(lambda: "grandchild" in out.getvalue(), 15)
    grandchild = int(out.getvalue().split("grandchild ")[1].split()[0])
    pgid = sup.children[0].proc.pid
    assert group_members({pgid}) == {pgid, grandchild}
    sup.stop()
    thread.join(timeout=15)
    assert result == {"code": 0}
    assert "stubborn did not stop within 0 s; killing it" in out.getvalue()
    assert wait_until(lambda: not group_members({pgid}), 5), "the grandchild was left behind"


def test_sigterm_and_ctrl_c_stop_the_group_and_exit_0(tmp_path):
    """The supervisor in a process of its own, as `yiwang run` runs it: SIGINT stops it cleanly."""
    script = tmp_path / "sup.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        from yiwang.platform.supervisor import ChildSpec, Supervisor
        sleeper = {SLEEPER!r}
        sys.exit(Supervisor([ChildSpec("one", [sys.executable, "-c", sleeper]),
                             ChildSpec("two", [sys.executable, "-c", sleeper])]).run())
        """)
    )
    for signum in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen([PY, str(script)], stdout=subprocess.PIPE, text=True)
        out = Output(proc)
        pids = [int(out.wait_for(rf"^{name}\s+\| up (\d+)", 20).group(1)) for name in ("one", "two")]
        proc.send_signal(signum)
        assert proc.wait(timeout=15) == 0
        out.wait_for(r"yiwang \| stopped$", 5)
        out.close()
        assert wait_until(lambda pids=pids: not any(alive(p) for p in pids), 5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_children_do_not_outlive_a_killed_supervisor(tmp_path):
    script = tmp_path / "sup.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        from yiwang.platform.supervisor import ChildSpec, Supervisor
        Supervisor([ChildSpec("one", [sys.executable, "-c", {SLEEPER!r}])]).run()
        """)
    )
    proc = subprocess.Popen([PY, str(script)], stdout=subprocess.PIPE, text=True)
    out = Output(proc)
    pid = int(out.wait_for(r"^one\s+\| up (\d+)", 20).group(1))
    proc.kill()
    proc.wait(timeout=5)
    out.close()
    assert wait_until(lambda: not alive(pid), 5), "the child outlived its supervisor"


@pytest.mark.parametrize(
    ("bind", "local"),
    [
        ("127.0.0.1:8000", True),
        ("127.0.0.2:80", True),
        ("localhost:8000", True),
        ("[::1]:8000", True),
        ("unix:/tmp/yiwang.sock", True),
        ("0.0.0.0:8000", False),
        ("[::]:8000", False),
        ("192.168.1.5:8000", False),
        ("example.org:80", False),
        (":8000", False),
    ],
)
def test_loopback_binds(bind, local):
    assert is_loopback_bind(bind) is local
