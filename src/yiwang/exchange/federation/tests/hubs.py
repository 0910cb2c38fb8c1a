"""Yiwang hubs as separate server processes on loopback, for the multi-process federation test and the
propagation benchmark: each hub has its own data directory (its own SQLite database and platform key), runs
gunicorn (the site) and ``yiwang clock`` (which relays messages to the peers), and is registered as a peer of
the others from their identity files. Standard library only (the benchmark imports it without Django).

One data directory is migrated; the others start as copies of it, made before any platform key exists, so every
hub still makes its own key when the reference data are loaded. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIGRATE_SECONDS = 600
BOOT_SECONDS = 120
COMMAND_SECONDS = 180

SETTINGS = """from yiwang.config.settings import *  # noqa: F403

# retry a dead peer at least every {cap} s; wait long for an answer (the machine may be shared and slow)
YIWANG_FEDERATION = {{"BACKOFF_CAP_SECONDS": {cap}, "TIMEOUT_SECONDS": 30}}
"""

PUBLISH = """
import time
from yiwang.kernel.actors import Actor
from yiwang.services.notices import actions
from yiwang.services.notices.tests.support import TENDER_FIELDS
for n, title in {titles!r}:
    notice = actions.do_publish_notice(actor=Actor.system("test"), owner=f"tender.section:{{n}}",
        notice_type="tender_notice", category="works", region_code="310112", title=title,
        body_html="<p>本招标项目已批准建设，现公开招标。</p>", fields=dict(TENDER_FIELDS), publisher_entity_id=77)
    print("NOTICE", notice.pk)
    time.sleep({pause})
"""

WITHDRAW = """
from yiwang.kernel.actors import Actor
from yiwang.services.notices import actions
actions.do_withdraw_notice(actor=Actor.system("test"), notice_id={notice_id}, reason="项目取消")
"""

REGISTER = """
from yiwang.kernel.actors import Actor
from yiwang.registry import actions
entity = actions.do_register_entity(actor=Actor.system("test"), data={{"kind": "legal_person", "uscc": {uscc!r},
    "contact_name": "刘敏", "contact_phone": "13812345678", "roles": ["bidder"]}})
print("ENTITY", entity.pk)
"""

QUALIFY = """
from yiwang.kernel.actors import Actor
from yiwang.registry import actions, queries
entity = queries.find_entity_by_uscc({uscc!r})
actions.do_add_qualification(actor=Actor.system("test"), entity_id=entity.id, data={data!r})
"""

QUALIFICATIONS = """
from yiwang.registry import queries
entity = queries.find_entity_by_uscc({uscc!r})
for q in (queries.list_valid_qualifications(entity.id) if entity else []):
    print("QUALIFICATION", q.certificate_no)
"""

SETUP = """
from yiwang.cli import main
main({argv!r})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Hub:
    label: str
    code: str
    name: str
    root: Path
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "hub.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("YIWANG_", "DJANGO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="federation_hub_settings",
            PYTHONPATH=os.pathsep.join(p for p in [str(self.root.parent), os.environ.get("PYTHONPATH", "")] if p),
            YIWANG_DATA_DIR=str(self.data),
            YIWANG_PLATFORM_CODE=self.code,
            YIWANG_PLATFORM_NAME=self.name,
            YIWANG_PUBLIC_URL=self.url,
        )
        return env

    def command(self, *args: str, script: str | None = None, timeout: float = COMMAND_SECONDS) -> str:
        argv = [sys.executable, "-m", "yiwang.cli", *args]
        if script is not None:
            argv += ["-c", script]
        done = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise AssertionError(f"{self.label}: {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        return done.stdout

    def spawn(self, *args: str) -> subprocess.Popen:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, *args], env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start(self) -> None:
        self.processes = [
            self.spawn(
                "-m",
                "gunicorn",
                "yiwang.config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--no-control-socket",
            ),
            self.spawn("-m", "yiwang.cli", "clock"),
        ]
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise AssertionError(f"{self.label} exited early; see {self.log}")
            try:
                if self.get("/api/v1/federation/identity")["code"] == self.code:
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"{self.label} did not start within {BOOT_SECONDS} s; see {self.log}")

    def kill(self, signum: int = signal.SIGKILL) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signum)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        self.processes = []

    def get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(self.url + path + query, timeout=30) as answer:  # noqa: S310 (loopback)
            return json.loads(answer.read())

    def search(self, text: str) -> list[dict]:
        return self.get("/api/v1/search", q=text, kind="federation_notice", size="50")["hits"]

    def publish(self, titles: list[tuple[int, str]], *, pause: float = 0.0) -> list[int]:
        script = PUBLISH.format(titles=titles, pause=pause)
        out = self.command("shell", script=script, timeout=COMMAND_SECONDS + pause * len(titles))
        return [int(line.split()[1]) for line in out.splitlines() if line.startswith("NOTICE ")]

    def register_entity(self, uscc: str) -> int:
        """Register an organisation on this hub (from the registry's authoritative demo source)."""
        out = self.command("shell", script=REGISTER.format(uscc=uscc))
        return next(int(line.split()[1]) for line in out.splitlines() if line.startswith("ENTITY "))

    def add_qualification(self, uscc: str, data: dict[str, Any]) -> None:
        self.command("shell", script=QUALIFY.format(uscc=uscc, data=data))

    def qualifications(self, uscc: str) -> list[str]:
        """The certificate numbers of the organisation's qualifications in force, as this hub's registry has them."""
        out = self.command("shell", script=QUALIFICATIONS.format(uscc=uscc))
        return [line.split()[1] for line in out.splitlines() if line.startswith("QUALIFICATION ")]

    def withdraw(self, notice_id: int) -> None:
        self.command("shell", script=WITHDRAW.format(notice_id=notice_id))

    def status(self) -> dict[str, dict]:
        return {row["code"]: row for row in json.loads(self.command("federation", "status"))}


def _run_setup(hubs: list[Hub], argv_of: Callable[[Hub], list[str]]) -> None:
    setups = []
    for hub in hubs:
        with hub.log.open("ab") as out:
            setups.append(
                subprocess.Popen(
                    [sys.executable, "-c", SETUP.format(argv=argv_of(hub))],
                    env=hub.env(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    for hub, setup in zip(hubs, setups, strict=True):
        try:
            code = setup.wait(timeout=MIGRATE_SECONDS)
        except subprocess.TimeoutExpired:
            setup.kill()
            setup.wait(timeout=15)
            code = -1
        if code != 0:
            raise AssertionError(f"{hub.label}: setup failed; see {hub.log}")


@contextlib.contextmanager
def running_hubs(
    root: Path, specs: list[tuple[str, str, str]], *, backoff_cap: int = 2, peered: bool = True
) -> Iterator[list[Hub]]:
    """Start one hub per ``(label, PLATFORM_CODE, name)``, each a peer of every other (``peered=False``: none
    yet, see ``peer_all``); stop them all at the end."""
    (root / "federation_hub_settings.py").write_text(SETTINGS.format(cap=backoff_cap), encoding="utf-8")
    hubs = [Hub(label, code, name, root / f"hub{i}") for i, (label, code, name) in enumerate(specs)]
    try:
        first = hubs[0]
        first.data.mkdir(parents=True)
        _run_setup([first], lambda hub: ["migrate", "--no-input"])
        if (first.data / "keys").exists():
            raise AssertionError("migrate made a platform key: the hubs' data directories cannot be copied")
        for hub in hubs[1:]:
            shutil.copytree(first.data, hub.data)
            (hub.data / "secret_key").unlink(missing_ok=True)  # each hub makes its own
        _run_setup(
            hubs,
            lambda hub: ["seed-reference"],
        )
        for hub in hubs:
            hub.command("federation", "identity", "--out", str(hub.root / "identity.json"))
        if peered:
            peer_all(hubs)
        for hub in hubs:
            hub.start()
        yield hubs
    finally:
        for hub in hubs:
            hub.kill()


def peer_all(hubs: list[Hub]) -> None:
    """Register every hub as a peer of every other, from their identity files (running or not)."""
    for hub in hubs:
        others = [str(other.root / "identity.json") for other in hubs if other is not hub]
        hub.command("federation", "add-peer", *others)


def wait_for(what: str, check: Callable[[], Any], hubs: list[Hub], seconds: float) -> Any:
    """Poll ``check`` until it returns something true, at most ``seconds``."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    logs = ", ".join(str(h.log) for h in hubs)
    raise AssertionError(f"{what}: not within {seconds} s (last: {last!r}); logs: {logs}")
