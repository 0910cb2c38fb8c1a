"""Declared file names: made safe to store and to send back, and put into a ``Content-Disposition`` header.

A declared name is only a label. It never becomes a path (blobs are stored under their digest), but it is
shown to people and offered to browsers as the download name, so it is cleaned:

- only the last path component is kept (``../../etc/passwd`` → ``passwd``, ``C:\\招标\\文件.pdf`` → ``文件.pdf``);
- control and format characters are removed (including the bidi overrides that make ``fdp.exe`` look like
  ``exe.pdf``), Unicode is normalised to NFC, runs of white space become one space;
- characters Windows refuses in names (``<>:"|?*``) become ``_``, leading dots and trailing dots/spaces go,
  reserved device names (``CON``, ``NUL``, ``COM1`` …) get a ``_`` prefix;
- the result is cut to :data:`MAX_FILENAME_BYTES` bytes of UTF-8, keeping the extension.

Pure Python: no Django here.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME_BYTES = 255  # what common file systems accept for one name
MAX_EXTENSION_CHARS = 16
_RESERVED = re.compile(r"[<>:\"|?*]")
_SPACES = re.compile(r"\s+")
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)


def sanitize_filename(name: str) -> str:
    """The cleaned name, or ``""`` when nothing usable remains (the caller refuses that)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters, Cf: format characters (bidi overrides, zero-width …), Co/Cs: private use, surrogates
    name = re.sub(r"[\t\n\r]", " ", name)
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Co", "Cs"})
    name = _SPACES.sub(" ", _RESERVED.sub("_", name)).strip()
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return ""
    stem = name.split(".", 1)[0].upper()
    if stem in _WINDOWS_DEVICES:
        name = f"_{name}"
    return _clip(name)


def _clip(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > MAX_EXTENSION_CHARS:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
    clipped = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(". ")
    return f"{clipped}{suffix}"


def ascii_fallback(name: str) -> str:
    """An ASCII-only stand-in for old clients: non-ASCII letters become ``_`` (the extension survives)."""
    out = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in name)
    return out or "download"


def content_disposition(name: str, *, attachment: bool = True) -> str:
    """``Content-Disposition`` per RFC 6266 with an RFC 5987 ``filename*`` for UTF-8 (Chinese) names.

    Both parameters are sent: clients that understand ``filename*`` use the UTF-8 name, the others fall back
    to the ASCII ``filename``."""
    disposition = "attachment" if attachment else "inline"
    fallback = ascii_fallback(name)
    if fallback == name:
        return f'{disposition}; filename="{name}"'
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
