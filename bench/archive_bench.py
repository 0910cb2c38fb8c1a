"""Benchmark: building, storing and verifying a project's archive package (services/archive).

A project gets ``--docs`` documents of ``--doc-kib`` KiB (each uploaded, so each with its witness entries) and one
document of ``--big-mib`` MiB; ``--steps`` more witnessed actions are recorded on the project itself. Then:

- ``archive``: ``do_create_archive`` (collect, prove every entry, write the ZIP, self-check, store, record);
- ``verify``: the offline verifier on the stored package, with the published keys;
- memory: the peak of Python allocations (tracemalloc) during each phase — it must not grow with the big file,
  since every file is streamed one chunk at a time — and the process's peak resident size.

It runs on a fresh SQLite database in a temporary data directory (or on the database of YIWANG_DATABASE_URL under
``tools/pg-test-server run --``), with the settings module of DJANGO_SETTINGS_MODULE (which must install
``yiwang.services.archive``).

    .venv/bin/python bench/archive_bench.py --docs 200 --doc-kib 64 --big-mib 256
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class _Zeros(io.RawIOBase):
    """``size`` bytes of a repeating pattern, read in chunks (a big upload without a big buffer)."""

    def __init__(self, size: int):
        self.left = size
        self.block = (b"%PDF-1.4\n" + bytes(range(256)) * 64)[: 1 << 16]

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        n = min(len(b), self.left, len(self.block))
        b[:n] = self.block[:n]
        self.left -= n
        return n


def _setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    if "YIWANG_DATABASE_URL" not in os.environ:
        os.environ["YIWANG_DATA_DIR"] = tempfile.mkdtemp(prefix="yw-archive-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.platform.reference import ensure_all

    ensure_reference_data()
    ensure_all()


def _phase(name: str, fn, trace: bool):  # type: ignore[no-untyped-def]
    if trace:  # tracemalloc slows allocation-heavy code down: timings are taken without it
        tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    memory = ""
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory = f"   peak Python allocations {peak / 2**20:7.1f} MiB"
    print(f"{name:<10} {elapsed:8.2f} s{memory}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--doc-kib", type=int, default=64)
    parser.add_argument("--big-mib", type=int, default=128, help="at most 200 (the tender_document limit)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--trace", action="store_true", help="measure Python allocations (slower)")
    args = parser.parse_args()
    _setup()

    from django.db import connection

    from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
    from yiwang.platform.actions import action
    from yiwang.platform.keys import public_keys_document
    from yiwang.platform.keys.document import KeyRing
    from yiwang.platform.storage import actions as storage
    from yiwang.platform.storage.queries import Owner, open_version
    from yiwang.services.archive import actions, queries
    from yiwang.services.archive.package.verify import verify_package

    staff = Actor(ActorKind.ACCOUNT, "bench", "基准测试", (RoleGrant(Role.STAFF, region="310000"),))
    owner = Owner("tender.project", "1")
    started = time.perf_counter()
    for n in range(args.docs):
        body = (f"文件 {n}\n".encode() * (args.doc_kib * 64))[: args.doc_kib * 1024]
        storage.do_store_document(
            actor=staff, owner=owner, title=f"文件{n}", kind="attachment", stream=io.BytesIO(body), filename=f"{n}.txt"
        )
    storage.do_store_document(
        actor=staff,
        owner=owner,
        title="大文件",
        kind="tender_document",
        stream=io.BufferedReader(_Zeros(args.big_mib << 20), 1 << 20),
        filename="big.pdf",
    )
    for n in range(args.steps):
        with action(staff, "tender.record_step") as act:
            act.witness(("tender.project", "1"), {"step": n})
    print(
        f"{connection.vendor}: {args.docs} documents of {args.doc_kib} KiB, one of {args.big_mib} MiB, "
        f"{args.steps} steps (setup {time.perf_counter() - started:.1f} s)"
    )

    version = _phase(
        "archive",
        lambda: actions.do_create_archive(actor=staff, project_ref="tender.project:1", reason="基准"),
        args.trace,
    )
    print(
        f"           package {version.package_size / 2**20:.1f} MiB, {version.item_count} items, "
        f"{version.entry_count} witness entries"
    )
    path = Path(tempfile.mkdtemp()) / "package.zip"
    with open_version(queries.package_version(version.archive_id, version.number)) as src, path.open("wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    ring = KeyRing.from_document(public_keys_document())
    report = _phase("verify", lambda: verify_package(path, keys=ring), args.trace)
    assert report.ok, report.describe()
    print(f"peak resident size of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
