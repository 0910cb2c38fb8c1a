"""The bidder's side of the fingerprints (a stand-in for what a bid-making tool writes into ``meta.extra``).

A bid tool records the machine it runs on and the bid file's own creation id in the envelope's signed metadata
(``domain/fingerprints.py`` lists the keys and their forms). :func:`machine_fingerprints` reads what an ordinary
process may read on this machine: the MAC address of a network adapter and, where the firmware exposes them
readably, the board and product serials. Values the machine does not give are left out.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from yiwang.kernel.crypto import sm3
from yiwang.services.bidbox.domain import fingerprints as fp

_DMI = Path("/sys/class/dmi/id")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="ignore").strip()
    except OSError:
        return ""


def machine_fingerprints() -> dict[str, str]:
    """This machine's codes as ``meta.extra`` entries (only those the bid box would keep)."""
    out: dict[str, str] = {}
    node = uuid.getnode()
    if not node & (1 << 40):  # the multicast bit marks a random number, not an adapter's address
        out[fp.MAC] = "-".join(f"{(node >> s) & 0xFF:02X}" for s in range(40, -8, -8))
    board = _read(_DMI / "board_serial")
    if board:
        out[fp.BOARD] = board
    disk = next((s for s in (_read(p) for p in sorted(Path("/sys/block").glob("*/device/serial"))) if s), "")
    if disk:
        out[fp.DISK] = disk
    kept = fp.normalise(out).values
    return {key: ",".join(values) for key, values in kept.items()}


def new_file_creation_id() -> str:
    """The id a bid tool gives a bid file when it creates it (kept with the file, copied with it)."""
    return str(uuid.uuid4())


def simulated_machine(seed: str) -> dict[str, str]:
    """Machine codes of a simulated bidder's computer (demos, test support, benchmarks): one machine per ``seed``
    (e.g. the bidder's USCC), a locally administered MAC and a disk serial, the same on every run."""
    digest = sm3(seed.encode("utf-8")).hex().upper()
    mac = "-".join(["02", *(digest[i : i + 2] for i in range(0, 10, 2))])
    return {fp.MAC: mac, fp.DISK: f"SIM-{digest[10:22]}"}
