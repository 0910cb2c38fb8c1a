"""The trust layer's part of ``yiwang witness verify``: entry signatures, the stored tree, the signed heads.

:class:`TrustCheck` watches the entries as the chain check walks them (one pass over the log) and remembers the
first problem it sees; :meth:`TrustCheck.finish` then checks what only the end can tell. Problems, each with
the entry (or tree size) it concerns:

* ``entry_signature_invalid`` — a signature that does not verify with its key (or is not base64);
* ``unknown_key`` — an entry signed by a key the platform never registered;
* ``entry_unsigned`` — with entry signing on, an entry without a signature after the first signed one (a
  signature stripped off; entries from before signing was switched on are not affected);
* ``tree_node_missing`` / ``tree_node_mismatch`` — a stored node absent or different from the one the entries
  give (``first_bad_seq``: the last entry under that node);
* ``tree_node_beyond_size`` — a node covering entries the tree does not have yet;
* ``frontier_mismatch`` / ``tree_beyond_log`` — the head row's right edge or tree size is wrong;
* ``tree_head_root_mismatch`` / ``tree_head_signature_invalid`` — a signed head whose root is not the root of
  the entries at its size, or whose signature does not verify.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import reduce

from django.db.models import Q

from yiwang.kernel.errors import InvalidInput
from yiwang.platform.audit.archive import entry_signature_ok
from yiwang.platform.audit.format import StoredEntry
from yiwang.platform.audit.heads import head_from_row
from yiwang.platform.audit.merkle import SHA256, Frontier, NodeKey, NodeStoreError, entry_leaf_hash
from yiwang.platform.audit.models import SignedTreeHead, WitnessHead, WitnessNode
from yiwang.platform.audit.tree import split_frontier
from yiwang.platform.keys.document import KeyRing

COMPARE_EVERY = 4096  # nodes collected before they are compared with the stored ones


@dataclass
class Problem:
    seq: int
    reason: str
    detail: str = ""


@dataclass
class TrustCheck:
    head: WitnessHead
    ring: KeyRing | None  # None: signatures are not checked
    require_signatures: bool
    check_tree: bool = True
    problem: Problem | None = None
    signatures_checked: int = 0
    heads_checked: int = 0
    _seen_signed: bool = False
    _frontier: Frontier = field(default_factory=Frontier)
    _pending: dict[NodeKey, bytes] = field(default_factory=dict)
    _head_sizes: set[int] = field(default_factory=set)
    _roots: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.check_tree:
            self._head_sizes = set(
                SignedTreeHead.objects.filter(tree_size__lte=self.head.tree_size).values_list("tree_size", flat=True)
            )
            if 0 in self._head_sizes:
                self._roots[0] = SHA256.empty_root()

    def _note(self, seq: int, reason: str, detail: str = "") -> None:
        if self.problem is None:
            self.problem = Problem(seq, reason, detail)

    # -- the walk ------------------------------------------------------------------------------------------

    def watch(self, entries: Iterable[StoredEntry]) -> Iterator[StoredEntry]:
        for entry in entries:
            self._signature(entry)
            if self.check_tree and entry.fields.seq <= self.head.tree_size and self.problem is None:
                self._leaf(entry)
            yield entry

    def _signature(self, entry: StoredEntry) -> None:
        seq = entry.fields.seq
        if not entry.signature and not entry.key_id:
            if self.require_signatures and self._seen_signed:
                self._note(seq, "entry_unsigned", "signed entries came before this one")
            return
        self._seen_signed = True
        if self.ring is None:
            return
        if entry.key_id not in self.ring:
            self._note(seq, "unknown_key", f"key {entry.key_id[:80]!r} is not a registered platform key")
        elif entry_signature_ok(entry, self.ring.verify):
            self.signatures_checked += 1
        else:
            self._note(seq, "entry_signature_invalid", f"signature by {entry.key_id[:24]}… does not verify")

    def _leaf(self, entry: StoredEntry) -> None:
        try:
            leaf = entry_leaf_hash(entry.entry_hash)
        except InvalidInput:  # a malformed hash: the chain check names it (hash_mismatch)
            self.check_tree = False
            return
        for level, index, value in self._frontier.append(leaf):
            if level > 0:
                self._pending[level, index] = value
        if self._frontier.size in self._head_sizes:
            self._roots[self._frontier.size] = self._frontier.root()
        if len(self._pending) >= COMPARE_EVERY:
            self._compare()

    def _compare(self) -> None:
        pending, self._pending = self._pending, {}
        if not pending or self.problem is not None:
            return
        by_level: dict[int, list[int]] = {}
        for level, index in pending:
            by_level.setdefault(level, []).append(index)
        where = reduce(
            operator.or_,
            (Q(level=level, index__gte=min(ix), index__lte=max(ix)) for level, ix in by_level.items()),
        )
        stored = {
            (level, index): bytes(value)
            for level, index, value in WitnessNode.objects.filter(where).values_list("level", "index", "hash")
        }
        for (level, index), value in sorted(pending.items(), key=lambda kv: ((kv[0][1] + 1) << kv[0][0], kv[0])):
            last_seq = (index + 1) << level
            have = stored.get((level, index))
            if have is None:
                self._note(last_seq, "tree_node_missing", f"node (level {level}, index {index}) is not stored")
                return
            if have != value:
                self._note(last_seq, "tree_node_mismatch", f"node (level {level}, index {index}) differs")
                return

    # -- after the walk -------------------------------------------------------------------------------------

    def finish(self) -> Problem | None:
        if self.check_tree:
            self._compare()
            if self.problem is None:
                self._check_head_row()
            if self.problem is None:
                self._check_strays()
            if self.problem is None:
                self._check_signed_heads()
        return self.problem

    def _check_head_row(self) -> None:
        head = self.head
        if head.tree_size > head.seq:
            self._note(head.seq + 1, "tree_beyond_log", f"tree size {head.tree_size} > log size {head.seq}")
            return
        try:
            stored = split_frontier(head.frontier, head.tree_size)
        except NodeStoreError as exc:
            self._note(head.tree_size, "frontier_mismatch", str(exc))
            return
        if self._frontier.size != head.tree_size or stored != self._frontier.hashes:
            self._note(head.tree_size, "frontier_mismatch", "the head's right edge is not the entries' right edge")

    def _strays(self, tree_size: int) -> tuple[int, int] | None:
        where = reduce(operator.or_, (Q(level=level, index__gte=tree_size >> level) for level in range(1, 64)))
        return WitnessNode.objects.filter(where).order_by("level", "index").values_list("level", "index").first()

    def _check_strays(self) -> None:
        stray = self._strays(self.head.tree_size)
        if stray is not None:
            # appended since the head was read? Then the current head covers it.
            now = WitnessHead.objects.filter(pk=1).values_list("tree_size", flat=True).first() or 0
            stray = self._strays(max(now, self.head.tree_size))
        if stray is not None:
            level, index = stray
            self._note(
                self.head.tree_size + 1,
                "tree_node_beyond_size",
                f"node (level {level}, index {index}) covers entries beyond the tree's {self.head.tree_size}",
            )

    def _check_signed_heads(self) -> None:
        rows = SignedTreeHead.objects.filter(tree_size__lte=self.head.tree_size).order_by("id")
        for row in rows.iterator(chunk_size=2000):
            try:
                head = head_from_row(row)
            except ValueError as exc:
                self._note(row.tree_size, "tree_head_signature_invalid", f"signed head #{row.pk}: {exc}")
                return
            if self._roots.get(row.tree_size) != head.root_hash:
                self._note(row.tree_size, "tree_head_root_mismatch", f"signed head #{row.pk} has another root")
                return
            if self.ring is not None:
                if not head.verify_signature(self.ring.verify_head):
                    self._note(row.tree_size, "tree_head_signature_invalid", f"signed head #{row.pk}")
                    return
                self.heads_checked += 1
