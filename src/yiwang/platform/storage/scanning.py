"""The virus-scan port: every upload is shown to a :class:`VirusScanner` before it is stored.

Adapters are chosen by ``YIWANG_STORAGE["VIRUS_SCANNER"]``:

- :class:`NoVirusScanner` (default): accepts everything. Deployments plug in their engine (ClamAV's clamd
  ``INSTREAM``, a vendor's HTTP scanner …) as another adapter.
- :class:`EicarTestScanner`: finds the EICAR anti-virus test string anywhere in the file, so the refusal path
  can be tested without a real engine.

A scanner that cannot answer raises :class:`ScannerUnavailable`; the upload is then refused (nothing is
stored unscanned).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from django.utils.module_loading import import_string

from yiwang.platform.storage.conf import storage_settings

CHUNK = 1 << 20


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""  # what was found (engine's name for it)
    engine: str = ""


class ScannerUnavailable(Exception):
    """The engine did not answer (down, timed out); the upload must be refused and retried later."""


class VirusScanner(Protocol):
    name: str

    def scan(self, stream: BinaryIO, *, size: int) -> ScanResult:
        """Read ``stream`` (``size`` bytes, from its start) and judge it."""
        ...


class NoVirusScanner:
    name = "none"

    def scan(self, stream: BinaryIO, *, size: int) -> ScanResult:
        return ScanResult(clean=True, engine=self.name)


def eicar_test_bytes() -> bytes:
    """The 68-byte EICAR test file. Kept reversed in the source so that no scanner flags this module."""
    return "".join(reversed("*H+H$!ELIF-TSET-SURIVITNA-DRADNATS-RACIE$}7)CC7)^P(45XZP\\4[PA@%P!O5X")).encode("ascii")


class EicarTestScanner:
    """Detects the EICAR test string anywhere in the stream (read in chunks that overlap by its length)."""

    name = "eicar-test"
    SIGNATURE = "EICAR-Test-File"

    def scan(self, stream: BinaryIO, *, size: int) -> ScanResult:
        needle = eicar_test_bytes()
        carry = b""
        while chunk := stream.read(CHUNK):
            window = carry + chunk
            if needle in window:
                return ScanResult(clean=False, signature=self.SIGNATURE, engine=self.name)
            carry = window[-(len(needle) - 1) :]
        return ScanResult(clean=True, engine=self.name)


class UnavailableScanner:
    """A scanner that is always down (tests of the refusal when the engine cannot answer)."""

    name = "unavailable"

    def scan(self, stream: BinaryIO, *, size: int) -> ScanResult:
        raise ScannerUnavailable("the test scanner is always down")


_instances: dict[str, VirusScanner] = {}
_override = threading.local()


def get_virus_scanner() -> VirusScanner:
    override = getattr(_override, "scanner", None)
    if override is not None:
        return override
    path = storage_settings().virus_scanner
    scanner = _instances.get(path)
    if scanner is None:
        scanner = _instances[path] = import_string(path)()
    return scanner


@contextlib.contextmanager
def use_virus_scanner(scanner: VirusScanner) -> Iterator[VirusScanner]:
    """Use ``scanner`` in this thread (tests)."""
    previous = getattr(_override, "scanner", None)
    _override.scanner = scanner
    try:
        yield scanner
    finally:
        _override.scanner = previous
