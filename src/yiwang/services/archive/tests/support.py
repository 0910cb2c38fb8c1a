"""Test helpers of the archive: actors without the identity context, a project with stored documents and
witnessed actions, package surgery for the tamper tests."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.actions import action
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.platform.storage import actions as storage
from yiwang.platform.storage.queries import Owner

SYSTEM = Actor.system("test")
PROJECT = "tender.project:12"
PROJECT_OWNER = Owner("tender.project", "12")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def person(name: str, *grants: RoleGrant) -> Actor:
    return Actor(ActorKind.ACCOUNT, name, f"测试用户{name}", tuple(grants))


def staff(name: str = "staff", region: str = "310000") -> Actor:
    return person(name, RoleGrant(Role.STAFF, region=region))


def regulator(name: str = "reg", region: str = "310000") -> Actor:
    return person(name, RoleGrant(Role.REGULATOR, region=region))


def auditor(name: str = "audit", region: str = "310000") -> Actor:
    return person(name, RoleGrant(Role.AUDITOR, region=region))


def bidder(name: str = "bidder") -> Actor:
    return person(name, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=1))


def store(actor: Actor, title: str, data: bytes, filename: str, owner: Owner = PROJECT_OWNER, kind: str = "attachment"):
    return storage.do_store_document(
        actor=actor, owner=owner, title=title, kind=kind, stream=io.BytesIO(data), filename=filename
    )


def touch_project(actor: Actor, what: str, ref: tuple[str, str] = ("tender.project", "12")) -> None:
    """A witnessed action about the project object itself (what the tender context will do)."""
    with action(actor, "tender.record_step") as act:
        act.witness(ref, {"step": what})


@dataclass(frozen=True)
class Project:
    ref: str
    documents: list


def make_project(actor: Actor) -> Project:
    """Two documents (one with a second version) owned by the project, and three steps witnessed on it."""
    touch_project(actor, "立项")
    notice = store(actor, "招标公告", PDF + b"% notice\n", "招标公告.pdf")
    rules = store(actor, "评标办法", "评标办法：综合评估法\n".encode(), "评标办法.txt")
    storage.do_add_version(
        actor=actor,
        document=rules.document,
        stream=io.BytesIO("评标办法：综合评估法（修订）\n".encode()),
        filename="评标办法.txt",
    )
    touch_project(actor, "开标")
    touch_project(actor, "定标")
    return Project(ref=PROJECT, documents=[notice.document, rules.document])


# -- package surgery -------------------------------------------------------------------------------------------------


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def rewrite(path: Path, out: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (name → bytes, in this order) as a new ZIP at ``out``."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out


def package_of(version, out: Path) -> Path:
    """Copy the stored package of an archive version to ``out``."""
    from yiwang.platform.storage.queries import open_version
    from yiwang.services.archive.queries import package_version

    with open_version(package_version(version.archive_id, version.number)) as src:
        out.write_bytes(src.read())
    return out


def published_keys(out: Path) -> Path:
    """The platform's published keys document, as an auditor would download it."""
    from yiwang.platform.keys import public_keys_document
    from yiwang.services.archive.package.format import dumps

    out.write_bytes(dumps(public_keys_document()))
    return out


def forger():
    """A key of someone else, and the signer made from it."""
    from yiwang.kernel.crypto import generate_private_key, signer_for

    return signer_for(generate_private_key("sm2"))


def resign(files: dict[str, bytes], signer, *, embed: bool = True) -> dict[str, bytes]:
    """Re-list every file in the manifest (new sizes and digests), sign it with ``signer`` and (``embed``) add
    the forger's key to the embedded keys document — what a forger who edited the package would do."""
    import hashlib
    from dataclasses import replace
    from datetime import UTC, datetime

    from yiwang.platform.keys.document import KeyRecord, KeyRing, build_document
    from yiwang.services.archive.package.format import (
        KEYS_PATH,
        Manifest,
        ManifestSignature,
        dumps,
        loads,
        signing_bytes,
    )
    from yiwang.services.archive.package.writer import facts_of

    files = dict(files)
    if embed:
        doc = loads(files[KEYS_PATH])
        record = KeyRecord(
            key_id=signer.public_key.key_id,
            kind="sm2",
            algorithm="sm2-sm3",
            public_key_pem=signer.public_key.to_pem().decode("ascii"),
            valid_from=datetime(2020, 1, 1, tzinfo=UTC),
        )
        ring = KeyRing.from_document(doc)
        files[KEYS_PATH] = dumps(
            build_document(
                [*ring.records.values(), record],
                platform_code=doc["platform"]["code"],
                platform_name=doc["platform"]["name"],
            )
        )
    manifest = Manifest.from_bytes(files["manifest.json"])

    def refreshed(facts):
        fresh = facts_of(facts.path, facts.media_type, files[facts.path])
        return replace(facts, size=fresh.size, sha256=fresh.sha256, sm3=fresh.sm3)

    manifest = replace(
        manifest,
        files=tuple(refreshed(f) for f in manifest.files),
        items=tuple(replace(i, file=refreshed(i.file)) for i in manifest.items),
    )
    data = manifest.to_bytes()
    files["manifest.json"] = data
    files["manifest.sig"] = ManifestSignature(
        key_id=signer.public_key.key_id,
        algorithm=signer.algorithm,
        manifest_sha256=hashlib.sha256(data).hexdigest(),
        signature=signer.sign(signing_bytes(data)),
    ).to_bytes()
    return files
