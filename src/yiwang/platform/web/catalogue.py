"""Message catalogues without gettext's tools: read a ``.po`` file, write the ``.mo`` file Django loads.

``python -m yiwang.platform.web.catalogue`` recompiles every ``locale/*/LC_MESSAGES/django.po`` under the
``yiwang`` package (run it after editing a ``.po``; a test fails while a committed ``.mo`` is out of date).
Supported: ``msgctxt``, ``msgid``, ``msgstr``, multi-line strings and C escapes; entries marked ``fuzzy`` and
untranslated ones are left out, as msgfmt does. Plural entries are not used by the project and are refused.
"""

from __future__ import annotations

import ast
import struct
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]  # src/yiwang


class CatalogueError(ValueError):
    pass


def parse_po(text: str) -> dict[str, str]:
    """The translations of a ``.po`` text as {key: translation}; a key with a context is ``context\\x04msgid``."""
    messages: dict[str, str] = {}
    entry: dict[str, str] = {}
    field = ""
    fuzzy = False

    def finish() -> None:
        nonlocal entry, fuzzy, field
        if "msgid" in entry:
            key = entry["msgid"] if "msgctxt" not in entry else f"{entry['msgctxt']}\x04{entry['msgid']}"
            value = entry.get("msgstr", "")
            if value and (not fuzzy or key == ""):
                messages[key] = value
        entry, fuzzy, field = {}, False, ""

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if "msgid" in entry:
                finish()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if not field:
                raise CatalogueError(f"line {number}: a string outside an entry")
            entry[field] += _string(line, number)
            continue
        if keyword in ("msgid_plural",) or keyword.startswith("msgstr["):
            raise CatalogueError(f"line {number}: plural forms are not supported")
        if keyword not in ("msgctxt", "msgid", "msgstr"):
            raise CatalogueError(f"line {number}: unknown keyword {keyword!r}")
        if keyword in ("msgctxt", "msgid") and "msgstr" in entry:
            finish()
        field = keyword
        entry[field] = _string(rest.strip(), number)
    finish()
    return messages


def _string(token: str, number: int) -> str:
    if len(token) < 2 or not (token.startswith('"') and token.endswith('"')):
        raise CatalogueError(f"line {number}: expected a quoted string")
    try:
        return ast.literal_eval(token)
    except (SyntaxError, ValueError) as exc:
        raise CatalogueError(f"line {number}: {exc}") from exc


def mo_bytes(messages: dict[str, str]) -> bytes:
    """The GNU ``.mo`` image of ``messages`` (keys sorted, no hash table), byte for byte reproducible."""
    keys = sorted(messages)
    ids = [k.encode("utf-8") for k in keys]
    strs = [messages[k].encode("utf-8") for k in keys]
    count = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + count * 8
    data_start = strs_table + count * 8
    offsets: list[tuple[int, int]] = []
    data = b""
    for blob in ids + strs:
        offsets.append((len(blob), data_start + len(data)))
        data += blob + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, ids_table, strs_table, 0, data_start)
    tables = b"".join(struct.pack("<2I", length, offset) for length, offset in offsets)
    return header + tables + data


def catalogues(root: Path = PACKAGE) -> list[Path]:
    return sorted(root.glob("**/locale/*/LC_MESSAGES/django.po"))


def compile_all(root: Path = PACKAGE) -> list[Path]:
    """Write every ``.mo`` whose content differs from its ``.po``; the paths written."""
    written = []
    for po in catalogues(root):
        image = mo_bytes(parse_po(po.read_text(encoding="utf-8")))
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != image:
            mo.write_bytes(image)
            written.append(mo)
    return written


if __name__ == "__main__":  # pragma: no cover - a developer's command
    for path in compile_all():
        sys.stdout.write(f"compiled {path.relative_to(PACKAGE.parent)}\n")
