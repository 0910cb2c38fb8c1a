"""The bid tool's authoring fingerprints and the uploader's address (《招标投标法实施条例》第40条, 财政部令第87号
第37条): what the bid box keeps from an envelope's signed ``meta.extra`` and from the request.

Pure Python: no Django here.

**Keys** (all optional; a bid tool that does not know a value leaves the key out):

=============================  ===================================================================================
``tool.machine.mac``           network adapter MAC addresses, up to 8, separated by ``,`` (``3C-7C-3F-1A-2B-4D``,
                               ``3c:7c:3f:1a:2b:4d`` or ``3c7c3f1a2b4d``) → ``3C-7C-3F-1A-2B-4D``
``tool.machine.cpu``           processor id (e.g. ``BFEBFBFF000906EA``): 8–64 letters/digits after removing
                               spaces, ``-`` and ``:``, upper case
``tool.machine.disk``          system disk serial number: 4–64 printable ASCII characters, trimmed, upper case,
                               inner spaces removed
``tool.machine.board``         main board serial number: as the disk
``tool.file_creation_id``      the id the bid tool gave the bid file when it was created (a GUID or similar):
                               8–128 of ``[A-Za-z0-9._:-]`` after removing ``{}``, lower case
``tool.dongle_serial``         serial of the CA lock / encryption dongle used: 4–64 of ``[A-Za-z0-9-]``, upper case
=============================  ===================================================================================

**Bad values are dropped with a note, never refused.** A fingerprint is not a condition for a bid to be valid
(the law makes shared machine codes a presumption of collusion, not a ground to refuse an upload), and refusing
would only teach a bid tool to leave the keys out. Each dropped value gives a note with a stable code:

- ``bidbox.fingerprint_malformed`` — the value does not have the key's form;
- ``bidbox.fingerprint_placeholder`` — a value every machine of a kind carries (``00-00-00-00-00-00``, the
  broadcast MAC, ``To be filled by O.E.M.``, ``Default string``, one repeated character …), which would make
  every bidder look like every other;
- ``bidbox.fingerprint_too_many`` — more MAC addresses than kept (the first 8 are kept).

Other ``extra`` keys (tool name and version …) are not kept here. The envelope keeps them all, signed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAC = "tool.machine.mac"
CPU = "tool.machine.cpu"
DISK = "tool.machine.disk"
BOARD = "tool.machine.board"
FILE_CREATION_ID = "tool.file_creation_id"
DONGLE = "tool.dongle_serial"

KEYS: tuple[str, ...] = (MAC, CPU, DISK, BOARD, FILE_CREATION_ID, DONGLE)
MAX_MACS = 8

MALFORMED = "bidbox.fingerprint_malformed"
PLACEHOLDER = "bidbox.fingerprint_placeholder"
TOO_MANY = "bidbox.fingerprint_too_many"

_MAC_HEX = re.compile(r"^[0-9A-Fa-f]{12}$")
_MAC_SEPARATED = re.compile(r"^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
_ALNUM = re.compile(r"^[A-Z0-9]+$")
_SERIAL = re.compile(r"^[\x21-\x7e]+$")
_CREATION = re.compile(r"^[a-z0-9._:-]+$")
_DONGLE = re.compile(r"^[A-Z0-9-]+$")

# Serial numbers firmware writes when the maker did not set one (compared upper case, without spaces).
_PLACEHOLDER_SERIALS = frozenset(
    s.upper().replace(" ", "")
    for s in (
        "To be filled by O.E.M.",
        "To Be Filled By O.E.M.",
        "Default string",
        "System Serial Number",
        "Base Board Serial Number",
        "Not Specified",
        "Not Applicable",
        "None",
        "Null",
        "N/A",
        "NA",
        "OEM",
        "Unknown",
        "Invalid",
        "123456789",
        "0123456789",
        "1234567890",
        "Chassis Serial Number",
        "Serial",
    )
)


@dataclass(frozen=True)
class FingerprintNote:
    key: str
    code: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "code": self.code, "reason": self.reason}


@dataclass(frozen=True)
class ToolFingerprints:
    """The kept values per key (each a list, in the envelope's order, without repeats) and the notes."""

    values: dict[str, list[str]] = field(default_factory=dict)
    notes: tuple[FingerprintNote, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"values": {k: list(v) for k, v in self.values.items()}, "notes": [n.to_json() for n in self.notes]}


def _one_repeated(text: str) -> bool:
    return len(set(text.replace("-", "").replace(":", ""))) <= 1


def _mac(value: str) -> str:
    text = value.strip()
    if _MAC_HEX.match(text):
        digits = text
    elif _MAC_SEPARATED.match(text):
        digits = re.sub(r"[-:]", "", text)
    else:
        raise ValueError("a MAC address is six bytes in hex (3C-7C-3F-1A-2B-4D)")
    digits = digits.upper()
    if _one_repeated(digits):
        raise LookupError("an all-zero or broadcast MAC address")
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2))


def _cpu(value: str) -> str:
    text = re.sub(r"[\s:-]", "", value).upper()
    if not (8 <= len(text) <= 64 and _ALNUM.match(text)):
        raise ValueError("a processor id is 8 to 64 letters or digits")
    if _one_repeated(text):
        raise LookupError("a processor id of one repeated character")
    return text


def _serial(value: str) -> str:
    text = re.sub(r"\s+", "", value).upper()
    if not (4 <= len(text) <= 64 and _SERIAL.match(text)):
        raise ValueError("a serial number is 4 to 64 printable ASCII characters")
    if text in _PLACEHOLDER_SERIALS or _one_repeated(text):
        raise LookupError("a placeholder serial number written by the firmware")
    return text


def _creation_id(value: str) -> str:
    text = value.strip().strip("{}").lower()
    if not (8 <= len(text) <= 128 and _CREATION.match(text)):
        raise ValueError("a file-creation id is 8 to 128 of letters, digits, '.', '_', ':' or '-'")
    if _one_repeated(text):
        raise LookupError("a file-creation id of one repeated character")
    return text


def _dongle(value: str) -> str:
    text = value.strip().upper()
    if not (4 <= len(text) <= 64 and _DONGLE.match(text)):
        raise ValueError("a dongle serial is 4 to 64 letters, digits or '-'")
    if _one_repeated(text):
        raise LookupError("a dongle serial of one repeated character")
    return text


_NORMALISERS = {CPU: _cpu, DISK: _serial, BOARD: _serial, FILE_CREATION_ID: _creation_id, DONGLE: _dongle}


def normalise(extra: Mapping[str, Any]) -> ToolFingerprints:
    """The kept fingerprints of an envelope's ``meta.extra`` (see the module's docstring)."""
    values: dict[str, list[str]] = {}
    notes: list[FingerprintNote] = []

    def keep(key: str, raw: Any, fn: Any) -> None:
        try:
            value = fn(raw)
        except ValueError as exc:
            notes.append(FingerprintNote(key, MALFORMED, str(exc)))
        except LookupError as exc:
            notes.append(FingerprintNote(key, PLACEHOLDER, str(exc)))
        else:
            if value not in values.setdefault(key, []):
                values[key].append(value)

    for key in KEYS:
        raw = extra.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if not isinstance(raw, str):
            notes.append(FingerprintNote(key, MALFORMED, "not text"))
            continue
        if key == MAC:
            items = [p for p in raw.split(",") if p.strip()]
            if len(items) > MAX_MACS:
                notes.append(FingerprintNote(key, TOO_MANY, f"{len(items)} addresses, the first {MAX_MACS} kept"))
            for item in items[:MAX_MACS]:
                keep(key, item, _mac)
        else:
            keep(key, raw, _NORMALISERS[key])
    return ToolFingerprints(values={k: v for k, v in values.items() if v}, notes=tuple(notes))


# -- the uploader's address ------------------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class UploadAddress:
    ip: str  # "" when nothing valid was found
    source: str  # "remote_addr" | "x_forwarded_for" | ""
    note: str = ""


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Trusted proxies as networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``); a bad entry raises ``ValueError``."""
    return tuple(ipaddress.ip_network(str(e).strip(), strict=False) for e in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "1.2.3.4:5678"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Any, proxies: Sequence[Network]) -> bool:
    return any(address.version == n.version and address in n for n in proxies)


def upload_address(remote_addr: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> UploadAddress:
    """The uploader's address: ``REMOTE_ADDR``, unless it is a trusted proxy — then the right-most address of
    ``X-Forwarded-For`` that is not itself a trusted proxy (the left part of the header is written by the client
    and cannot be believed). An invalid entry met on the way stops the walk at the last trusted hop, noted."""
    remote = _address(remote_addr or "")
    if remote is None:
        return UploadAddress("", "", "no valid REMOTE_ADDR")
    if not proxies or not _trusted(remote, proxies) or not forwarded_for:
        return UploadAddress(remote.compressed, "remote_addr")
    hops = [h for h in (forwarded_for or "").split(",") if h.strip()]
    last = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return UploadAddress(last.compressed, "x_forwarded_for" if last != remote else "remote_addr", "bad hop")
        if not _trusted(address, proxies):
            return UploadAddress(address.compressed, "x_forwarded_for")
        last = address
    return UploadAddress(last.compressed, "x_forwarded_for" if last != remote else "remote_addr")
