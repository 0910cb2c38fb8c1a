"""Building a project's package from the database: collectors, witness entries and proofs, keys, signature.

:func:`built_package` gathers everything into a temporary directory and writes the ZIP there (one chunk of any
file in memory at a time), checks the result with the offline verifier, and yields it; the files are removed
when the ``with`` block ends. It reads only (the one exception: it signs a tree head when no signed head covers
the project's entries yet — a statement about the log, not an action) and never runs inside a transaction of
its own, so a large package never holds a database lock.

The same inputs give the same bytes: items in path order, the entries in seq order, proofs against one head
(the latest signed one, or the one of ``head_size``), ``created_at``/``created_by`` as given, fixed ZIP
timestamps. A signature (SM2 signatures are randomised) is reused when an archive version was already made from
an identical manifest, which makes a re-export of unchanged inputs byte-identical.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from yiwang.catalog import queries as catalog
from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.errors import Conflict, ServiceUnavailable, YiwangError
from yiwang.platform.audit import heads
from yiwang.platform.audit import queries as witness
from yiwang.platform.audit.archive import EntryProof, entry_to_json
from yiwang.platform.audit.merkle import TreeHead
from yiwang.platform.keys import platform_signer, public_keys_document
from yiwang.platform.keys.document import KeyRing
from yiwang.services.archive.collectors import ArchiveItem, registered_collectors
from yiwang.services.archive.domain import errors
from yiwang.services.archive.domain.refs import ProjectRef
from yiwang.services.archive.domain.retention import RetentionRule, retention_until, retention_years, rule_ids_for
from yiwang.services.archive.package.format import (
    ENTRIES_PATH,
    HEAD_PATH,
    ITEM_KIND,
    ITEMS_DIR,
    JSON_TYPE,
    JSONL_TYPE,
    KEYS_PATH,
    FileFacts,
    ItemFacts,
    Manifest,
    ManifestSignature,
    dumps,
    is_hex,
    json_line,
    payload_mentions,
    proof_path,
    safe_segment,
    signing_bytes,
)
from yiwang.services.archive.package.verify import verify_package
from yiwang.services.archive.package.writer import (
    DigestMismatch,
    Digests,
    Member,
    digests_of,
    digests_of_stream,
    write_package,
)

log = logging.getLogger("yiwang.archive")

MAX_ENTRIES_PER_OBJECT = 50_000
MAX_KEY = 200
MAX_TITLE = 200

SignatureSource = Callable[[bytes, str], bytes | None]
"""``(manifest bytes, their SHA-256) -> manifest.sig bytes`` to reuse, or ``None`` to sign afresh."""


# retention -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    years: int
    until: datetime
    rules: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {"years": self.years, "until": iso_utc(self.until), "rules": list(self.rules)}


def retention_for(category: str, created_at: datetime) -> Retention:
    """The retention of an archive of a ``category`` project created at ``created_at``, from the catalogue in
    effect then (``catalog.rule_not_listed`` when a rule is missing)."""
    values = [catalog.rule(rule_id, on=created_at) for rule_id in rule_ids_for(category)]
    years = retention_years([RetentionRule(v.rule_id, v.value, v.unit, v.source, v.version) for v in values])
    calendar = catalog.workday_calendar()

    def is_workday(day: Any) -> bool | None:
        return calendar.is_workday(day) if calendar.is_loaded(day.year) else None

    until = retention_until(created_at, years, is_workday=is_workday)
    return Retention(years=years, until=until, rules=tuple(v.as_json() for v in values))


# collecting ------------------------------------------------------------------------------------------------


@dataclass
class _Item:
    collector: str
    item: ArchiveItem
    facts: FileFacts
    witness_refs: tuple[tuple[str, str], ...]
    witnessed_by: int | None = None

    def member(self) -> Member:
        if self.item.data is not None:
            return Member.of_bytes(self.facts, self.item.data, compress=False)
        assert self.item.opener is not None
        return Member(self.facts, self.item.opener, compress=False)


def _bad(name: str, detail: str) -> ServiceUnavailable:
    return errors.collector_failed(name, detail)


def _refs(name: str, value: Any) -> tuple[tuple[str, str], ...]:
    try:
        pairs = tuple((str(t), str(i)) for t, i in value)
    except (TypeError, ValueError):
        raise _bad(name, "witness_refs are (type, id) pairs") from None
    if not all(0 < len(t) <= 100 and 0 < len(i) <= 100 for t, i in pairs):
        raise _bad(name, "witness_refs are (type, id) pairs of 1-100 characters")
    return tuple(sorted(set(pairs)))


def _prepare(name: str, item: Any) -> _Item:
    if not isinstance(item, ArchiveItem):
        raise _bad(name, f"yielded {type(item).__name__}, not an ArchiveItem")
    if not (isinstance(item.key, str) and 0 < len(item.key) <= MAX_KEY):
        raise _bad(name, "an item key is 1-200 characters")
    if not isinstance(item.kind, str) or not ITEM_KIND.match(item.kind):
        raise _bad(name, f"item {item.key}: kind is a lower-case word")
    if not (isinstance(item.title, str) and len(item.title.strip()) > 0) or not item.filename:
        raise _bad(name, f"item {item.key}: a title and a file name are required")
    if (item.data is None) == (item.opener is None):
        raise _bad(name, f"item {item.key}: give either data or opener")
    try:
        canonical_json(dict(item.metadata))
    except (TypeError, ValueError):
        raise _bad(name, f"item {item.key}: metadata must be JSON") from None
    path = f"{ITEMS_DIR}{safe_segment(name)}/{safe_segment(item.key)}/{safe_segment(item.filename)}"
    declared = (item.size, item.sha256, item.sm3)
    if item.data is not None:
        found = digests_of(item.data)
    elif None in declared:
        with item.opener() as stream:  # type: ignore[misc]
            found = digests_of_stream(stream)
    else:
        found = None
    if found is not None:
        if any(v is not None for v in declared) and declared != (found.size, found.sha256, found.sm3):
            raise _bad(name, f"item {item.key}: the data does not match the digests given")
        size, sha256, sm3 = found.size, found.sha256, found.sm3
    else:
        size, sha256, sm3 = declared  # type: ignore[assignment]
        if not (isinstance(size, int) and size >= 0 and is_hex(sha256) and is_hex(sm3)):
            raise _bad(name, f"item {item.key}: size, sha256 and sm3 (lower-case hex)")
    media_type = str(item.media_type or "application/octet-stream")[:100]
    facts = FileFacts(path=path, media_type=media_type, size=size, sha256=sha256, sm3=sm3)
    return _Item(collector=name, item=item, facts=facts, witness_refs=_refs(name, item.witness_refs))


def collect(project_ref: ProjectRef) -> list[_Item]:
    """Every item every registered collector gives for the project, by path; a failing collector refuses
    the whole archive (``archive.collector_failed``): a silently incomplete archive is worse than none."""
    out: dict[str, _Item] = {}
    for name, fn in registered_collectors():
        try:
            produced = list(fn(str(project_ref)))
        except YiwangError:
            raise
        except Exception as exc:
            log.exception("archive collector %s failed for %s", name, project_ref)
            raise _bad(name, f"{type(exc).__name__}: {exc}"[:300]) from exc
        for item in produced:
            prepared = _prepare(name, item)
            if prepared.facts.path in out:
                raise _bad(name, f"two items share the path {prepared.facts.path}")
            out[prepared.facts.path] = prepared
    return [out[path] for path in sorted(out)]


# witness ---------------------------------------------------------------------------------------------------


@dataclass
class _Witness:
    refs: set[tuple[str, str]]
    seqs: list[int] = field(default_factory=list)
    about: dict[tuple[str, str], list[tuple[int, str]]] = field(default_factory=dict)  # ref → (seq, payload)


def _entries_about(refs: set[tuple[str, str]], upto: int | None = None) -> _Witness:
    found = _Witness(refs=refs)
    seqs: set[int] = set()
    for ref in sorted(refs):
        views = witness.entries_about(ref, limit=MAX_ENTRIES_PER_OBJECT + 1)
        if len(views) > MAX_ENTRIES_PER_OBJECT:
            raise errors.too_many_entries(f"{ref[0]}:{ref[1]}", MAX_ENTRIES_PER_OBJECT)
        if upto is not None:
            views = [v for v in views if v.seq <= upto]
        found.about[ref] = [(v.seq, v.payload_text) for v in views]
        seqs.update(v.seq for v in views)
    found.seqs = sorted(seqs)
    return found


def _attest(items: Sequence[_Item], found: _Witness) -> None:
    """Name, for each item claiming a witnessed digest, the first entry about its objects that records it."""
    for prepared in items:
        if not prepared.item.witnessed_digest:
            continue
        digests = {prepared.facts.sha256, prepared.facts.sm3}
        candidates = sorted(
            seq
            for ref in prepared.witness_refs
            for seq, payload in found.about.get(ref, [])
            if payload_mentions(payload, digests)
        )
        if not candidates:
            raise errors.digest_not_witnessed(prepared.facts.path, f"{prepared.collector}: {prepared.item.key}")
        prepared.witnessed_by = candidates[0]


def _head_differs() -> Conflict:
    return Conflict(
        "archive.head_differs",
        "同一大小的两个签名树头根哈希不同：见证日志可能已被篡改，请运行 yiwang witness verify",
        "two signed tree heads of the same size have different roots: run `yiwang witness verify`",
    )


def choose_head(max_seq: int, head_size: int | None = None) -> TreeHead:
    """The head to prove against: the one of ``head_size``, else the latest signed head if it covers
    ``max_seq``, else a head signed now."""
    if head_size is not None:
        signed = heads.head_of_size(head_size)
        if signed is None or head_size < max_seq:
            raise Conflict(
                "archive.head_unavailable",
                "没有该大小的签名树头，或它未覆盖项目的全部见证条目",
                "no signed tree head of that size, or it does not cover every witness entry of the project",
                {"head_size": head_size, "needed": max_seq},
            )
        return signed.head
    latest = heads.latest_head()
    if latest is not None and latest.head.tree_size >= max(max_seq, 1):
        return latest.head
    return heads.sign_head().head


# building --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildRequest:
    project_ref: ProjectRef
    category: str
    title: str
    created_at: datetime
    created_by: str
    retention: Retention
    head_size: int | None = None  # prove against this signed head; entries after it are left out
    only_paths: frozenset[str] | None = None  # keep only these items (reproducing a recorded version)


@dataclass(frozen=True)
class BuiltPackage:
    path: Path
    manifest: Manifest
    manifest_bytes: bytes
    manifest_sha256: str
    signature_bytes: bytes
    head: TreeHead

    def open(self) -> BinaryIO:
        return self.path.open("rb")

    def digests(self) -> Digests:
        """Size, SHA-256 and SM3 of the whole package (one more pass: storing it computes them too)."""
        with self.open() as stream:
            return digests_of_stream(stream)


def _sign(manifest_bytes: bytes, manifest_sha256: str) -> bytes:
    signer = platform_signer()
    signature = signer.sign(signing_bytes(manifest_bytes))
    return ManifestSignature(
        key_id=signer.public_key.key_id,
        algorithm=signer.algorithm,
        manifest_sha256=manifest_sha256,
        signature=signature,
    ).to_bytes()


def _file(directory: Path, path: str, media_type: str, data: bytes) -> tuple[FileFacts, Member]:
    target = directory / path.replace("/", "__")
    target.write_bytes(data)
    facts = FileFacts(path=path, media_type=media_type, **_digest_kwargs(data))
    return facts, Member(facts, partial(target.open, "rb"), compress=True)


def _digest_kwargs(data: bytes) -> dict[str, Any]:
    d = digests_of(data)
    return {"size": d.size, "sha256": d.sha256, "sm3": d.sm3}


def _write_witness(directory: Path, seqs: Sequence[int], head: TreeHead) -> list[tuple[FileFacts, Member]]:
    """Prove every entry against ``head``; write entries.jsonl and one proof file per entry.

    Several heads may be signed for one tree size (two exports at once each signing one): they share the root,
    so an audit path proves against any of them, and every proof names ``head``."""
    members: list[tuple[FileFacts, Member]] = []
    entries_file = directory / "entries.jsonl"
    same_tree = (head.tree_size, head.root_hash, head.hash_alg)
    with entries_file.open("wb") as lines:
        for seq in seqs:
            proof: EntryProof = heads.prove_entry(seq, head.tree_size)
            if (proof.head.tree_size, proof.head.root_hash, proof.head.hash_alg) != same_tree:
                raise _head_differs()
            proof = replace(proof, head=head)
            lines.write(json_line(entry_to_json(proof.entry)))
            members.append(_file(directory, proof_path(seq), JSON_TYPE, dumps(proof.to_json())))
    with entries_file.open("rb") as stream:
        d = digests_of_stream(stream)
    facts = FileFacts(path=ENTRIES_PATH, media_type=JSONL_TYPE, size=d.size, sha256=d.sha256, sm3=d.sm3)
    members.append((facts, Member(facts, partial(entries_file.open, "rb"), compress=True)))
    return members


def _reused_signature(manifest_bytes: bytes, manifest_sha256: str) -> bytes | None:
    from yiwang.services.archive.models import ArchiveVersion

    text = (
        ArchiveVersion.objects.filter(manifest_sha256=manifest_sha256)
        .order_by("pk")
        .values_list("signature_text", flat=True)
        .first()
    )
    return text.encode("utf-8") if text else None


@contextmanager
def built_package(
    request: BuildRequest, *, signature_source: SignatureSource | None = _reused_signature, self_check: bool = True
) -> Iterator[BuiltPackage]:
    """Build the package of ``request`` in a temporary directory and yield it (removed afterwards)."""
    items = collect(request.project_ref)
    if request.only_paths is not None:
        items = [p for p in items if p.facts.path in request.only_paths]
    refs = {request.project_ref.pair}
    for prepared in items:
        refs.update(prepared.witness_refs)
    found = _entries_about(refs, upto=request.head_size)
    if not items and not found.seqs:
        raise errors.nothing_to_archive(str(request.project_ref))
    _attest(items, found)
    max_seq = found.seqs[-1] if found.seqs else 0
    chosen = choose_head(max_seq, request.head_size)
    with tempfile.TemporaryDirectory(prefix="yiwang-archive-") as tmp:
        directory = Path(tmp)
        head = chosen
        witness_members = _write_witness(directory, found.seqs, head)
        keys_document = public_keys_document()
        fixed = [
            _file(directory, KEYS_PATH, JSON_TYPE, dumps(keys_document)),
            _file(directory, HEAD_PATH, JSON_TYPE, dumps(head.to_json())),
        ]
        files = [facts for facts, _ in fixed + witness_members]
        manifest = Manifest(
            project_ref=str(request.project_ref),
            category=request.category,
            title=request.title,
            created_at=iso_utc(request.created_at),
            created_by=request.created_by,
            retention=request.retention.to_json(),
            tree_size=head.tree_size,
            root_hash=head.root_hash.hex(),
            entry_count=len(found.seqs),
            object_refs=tuple(sorted(refs)),
            files=tuple(files),
            items=tuple(
                ItemFacts(
                    file=p.facts,
                    collector=p.collector,
                    key=p.item.key,
                    kind=p.item.kind,
                    title=" ".join(p.item.title.split())[:MAX_TITLE],
                    witness_refs=p.witness_refs,
                    witnessed_by=p.witnessed_by,
                    metadata=dict(p.item.metadata),
                )
                for p in items
            ),
        )
        manifest_bytes = manifest.to_bytes()
        manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
        reused = signature_source(manifest_bytes, manifest_sha256) if signature_source is not None else None
        signature_bytes = reused or _sign(manifest_bytes, manifest_sha256)
        members = [member for _, member in fixed + witness_members] + [p.member() for p in items]
        package = directory / "package.zip"
        try:
            with package.open("wb") as out:
                write_package(out, manifest_bytes, signature_bytes, members)
        except DigestMismatch as exc:
            raise errors.item_corrupted(exc.path, str(exc)) from None
        if self_check:
            report = verify_package(package, keys=KeyRing.from_document(keys_document))
            if not report.ok:
                log.error("archive package of %s failed its own check: %s", request.project_ref, report.describe())
                raise ServiceUnavailable(
                    "archive.self_check_failed",
                    "生成的档案包未通过自检，未保存",
                    f"the package failed its own verification: {report.reason}",
                    {"problems": [p.describe() for p in report.problems[:10]]},
                )
        yield BuiltPackage(
            path=package,
            manifest=manifest,
            manifest_bytes=manifest_bytes,
            manifest_sha256=manifest_sha256,
            signature_bytes=signature_bytes,
            head=head,
        )
