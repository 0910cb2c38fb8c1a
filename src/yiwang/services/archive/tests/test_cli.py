"""``yiwang archive`` (export, list, sweep, verify) and verification with no database at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiwang.services.archive.models import ArchiveVersion
from yiwang.services.archive.package.format import MANIFEST_PATH
from yiwang.services.archive.tests import support

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[4]


def run(*args: str) -> str:
    out = StringIO()
    call_command("archive", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def exported(project, tmp_path) -> tuple[Path, Path]:
    package = tmp_path / "archive.zip"
    text = run("export", project.ref, "--category", "gp", "--reason", "项目结束", "--out", str(package))
    assert text.startswith("archived tender.project:12 as version 1: 3 items, 6 witness entries")
    return package, support.published_keys(tmp_path / "keys.json")


def test_export_stores_and_writes_the_package(exported):
    package, _ = exported
    version = ArchiveVersion.objects.get()
    assert version.created_by == "system:archive-cli"
    assert version.reason == "项目结束"
    import hashlib

    assert hashlib.sha256(package.read_bytes()).hexdigest() == version.package_sha256


def test_verify_list_and_json(exported, tmp_path):
    package, keys = exported
    assert run("verify", str(package), "--keys", str(keys)).startswith("OK: project tender.project:12")
    report = json.loads(run("verify", str(package), "--keys", str(keys), "--json"))
    assert report["ok"] is True
    assert report["entries_checked"] == 6
    assert report["keys_source"] == "given"
    listing = run("list", "--project", "tender.project:")
    assert "tender.project:12" in listing
    assert "v1" in listing
    files = support.members(package)
    files[MANIFEST_PATH] = files[MANIFEST_PATH].replace(b'"years": 15', b'"years": 2')
    bad = support.rewrite(tmp_path / "x", tmp_path / "bad.zip", files)
    with pytest.raises(CommandError, match=r"archive\.manifest_signature_invalid"):
        run("verify", str(bad), "--keys", str(keys))


def test_no_store_and_reproduce(exported, project, tmp_path):
    package, _ = exported
    text = run("export", project.ref, "--category", "gp", "--no-store", "--out", str(tmp_path / "n.zip"))
    assert "(not recorded)" in text
    assert ArchiveVersion.objects.count() == 1
    assert run("export", project.ref, "--reproduce", "1", "--out", str(tmp_path / "r.zip")).startswith(
        "version 1 reproduced byte for byte"
    )
    assert (tmp_path / "r.zip").read_bytes() == package.read_bytes()
    with pytest.raises(CommandError, match="--no-store needs --out"):
        run("export", project.ref, "--no-store")
    with pytest.raises(CommandError, match=r"archive\.project_ref_invalid"):
        run("export", "项目")


def test_sweep(exported, clock):
    assert run("sweep").startswith("0 version(s)")
    clock.advance(timedelta(days=366 * 16))
    assert run("sweep").startswith("1 version(s)")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment in which the database cannot be reached at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YIWANG_", "DJANGO_"))}
    paths = [str(SRC), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env.update(
        YIWANG_PROFILE="production",
        YIWANG_DATABASE_URL="postgres://nobody:nothing@127.0.0.1:9/no_such_database",
        YIWANG_SECRET_KEY="offline-verification-only",
        YIWANG_DATA_DIR=str(tmp_path / "offline-data"),
        PYTHONPATH=os.pathsep.join(paths),
        **extra,
    )
    return env


def _python(env: dict[str, str], code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


YIWANG = "import sys; from yiwang.cli import main; main(sys.argv[1:])"
PURE = (
    "import sys; from yiwang.services.archive.package.__main__ import main; rc = main(sys.argv[1:]); "
    "assert 'django' not in sys.modules, 'Django was imported'; sys.exit(rc)"
)


@pytest.mark.slow
def test_an_exported_archive_verifies_offline_without_a_database(exported, tmp_path):
    package, keys = exported
    env = _env(tmp_path, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "yiwang.config.settings"))
    control = _python(env, YIWANG, "archive", "list")  # the database really is out of reach here
    assert control.returncode != 0
    assert "no_such_database" in control.stderr or "connect" in control.stderr.lower()

    done = _python(env, YIWANG, "archive", "verify", str(package), "--keys", str(keys))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: project tender.project:12")

    files = support.members(package)
    name = next(n for n in files if n.startswith("items/") and n.endswith(".pdf"))
    files[name] = files[name][:-2] + b"X\n"
    tampered = support.rewrite(tmp_path / "x", tmp_path / "tampered.zip", files)
    done = _python(env, YIWANG, "archive", "verify", str(tampered), "--keys", str(keys))
    assert done.returncode != 0
    assert "archive.file_modified" in done.stderr


@pytest.mark.slow
def test_the_pure_verifier_needs_neither_django_nor_settings(exported, tmp_path):
    package, keys = exported
    env = _env(tmp_path)
    done = _python(env, PURE, "verify", str(package), "--keys", str(keys))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK:")
    done = _python(env, PURE, "verify", str(package), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["keys_source"] == "embedded"
    files = support.members(package)
    del files[next(n for n in files if n.startswith("witness/proofs/"))]
    broken = support.rewrite(tmp_path / "x", tmp_path / "broken.zip", files)
    done = _python(env, PURE, "verify", str(broken), "--keys", str(keys))
    assert done.returncode == 1
    assert "archive.file_missing" in done.stderr
    assert "archive.proof_missing" in done.stderr
