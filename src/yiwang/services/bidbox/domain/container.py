"""Reading the bidder-signed parts of an envelope that :func:`yiwang.kernel.crypto.envelope.inspect` has already
accepted: the ``TAIL`` body and the ``BSIG`` signature (``docs/trust/envelope.md`` §4, §5.3, §5.4).

The identity context verifies a certificate *together with a signature made by its key*; the bidder's signature
over ``"yiwang-sealed-bid/v1 bidder-signature" ‖ 0x00 ‖ TAIL`` is exactly that, so the submission check hands
those bytes to it. The ``DATA`` body is skipped with a seek, never read.

Pure Python: no Django here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from yiwang.kernel.crypto.envelope import BIDDER_SIGNATURE_CONTEXT, MAGIC
from yiwang.kernel.crypto.errors import EnvelopeMalformed

_HEADER = 12
_SMALL = {"HEAD": 1 << 20, "TAIL": 1 << 16, "BSIG": 1 << 13}


@dataclass(frozen=True)
class SignedParts:
    tail: bytes
    signature: bytes

    @property
    def signed_message(self) -> bytes:
        """What the bidder signed: the context string and the ``TAIL`` body."""
        return BIDDER_SIGNATURE_CONTEXT + self.tail


def _read(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EnvelopeMalformed(reason="truncated while reading the signed parts")
    return data


def _section(stream: BinaryIO, tag: str) -> int:
    if _read(stream, 4) != tag.encode("ascii"):
        raise EnvelopeMalformed(reason="unexpected section", expected=tag)
    length = int.from_bytes(_read(stream, 8), "big")
    if tag in _SMALL and length > _SMALL[tag]:
        raise EnvelopeMalformed(section=tag, reason="section too long")
    return length


def signed_parts(stream: BinaryIO) -> SignedParts:
    """The ``TAIL`` body and the ``BSIG`` signature of the envelope in ``stream`` (read from its start)."""
    stream.seek(0)
    if _read(stream, len(MAGIC) + 2)[: len(MAGIC)] != MAGIC:
        raise EnvelopeMalformed(reason="not a Yiwang sealed-bid envelope")
    stream.seek(_section(stream, "HEAD"), 1)
    stream.seek(_section(stream, "DATA"), 1)
    tail = _read(stream, _section(stream, "TAIL"))
    signature = _read(stream, _section(stream, "BSIG"))
    stream.seek(0)
    return SignedParts(tail=tail, signature=signature)
