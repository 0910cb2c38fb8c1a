"""The sealed-bid envelope v1: both opening paths, receipts, the documented layout, and every refusal."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.crypto import envelope, sm2
from yiwang.kernel.crypto.envelope import BidMeta, Recipient
from yiwang.kernel.crypto.errors import (
    AlgorithmUnsupported,
    CryptoError,
    EmptyPlaintext,
    EnvelopeMalformed,
    EnvelopeTampered,
    EnvelopeTruncated,
    EnvelopeVersion,
    KeyCheckFailed,
    KeyInvalid,
    MetaInvalid,
    ReceiptExists,
    ReceiptInvalid,
    ReceiptMissing,
    RecipientsInvalid,
    ShareDuplicate,
    ShareInvalid,
    ShareSetMismatch,
    SharesInsufficient,
    SignatureInvalid,
    SizeMismatch,
    TooLarge,
    WrongKey,
)
from yiwang.kernel.crypto.hashing import sha256, sm3
from yiwang.kernel.crypto.keys import generate_private_key
from yiwang.kernel.crypto.shamir import Share
from yiwang.kernel.crypto.signatures import signer_for

DEADLINE = datetime(2026, 3, 20, 1, 30, tzinfo=UTC)  # 09:30 Shanghai
RECEIVED = datetime(2026, 3, 19, 7, 12, 5, 123456, tzinfo=UTC)


def meta_for(data: bytes, **changes) -> BidMeta:
    fields = {
        "project_code": "E3101000001000001",
        "section_code": "E3101000001000001001",
        "bidder_id": "91310000MA1FL8XQ30",
        "deadline": DEADLINE,
        "file_name": "投标文件（商务标）.pdf",
        "file_size": len(data),
        "extra": {"bid_tool": "yiwang-bidder 1.0"},
    }
    fields.update(changes)
    return BidMeta(**fields)


@dataclasses.dataclass
class Party:
    bidder: object
    opening_public: object
    shares: list[Share]
    platform: object

    def recipients(self) -> list[Recipient]:
        return [Recipient("bidder", self.bidder.public_key), Recipient("opening", self.opening_public)]

    def seal(self, data: bytes, **kwargs) -> bytes:
        kwargs.setdefault("meta", meta_for(data))
        kwargs.setdefault("bidder_signer", signer_for(self.bidder))
        kwargs.setdefault("recipients", self.recipients())
        return envelope.seal(data, **kwargs)


@pytest.fixture(scope="module")
def party() -> Party:
    opening_public, shares = envelope.new_opening_key(3, 5)
    return Party(generate_private_key("sm2"), opening_public, shares, generate_private_key("sm2"))


@pytest.fixture(scope="module")
def sealed(party: Party) -> tuple[bytes, bytes]:
    data = bytes(range(256)) * 1000 + b"tail"
    return data, party.seal(data, chunk_size=4096)


def sections(blob: bytes) -> dict[str, tuple[int, int]]:
    """tag → (offset of the body, length), read the way docs/trust/envelope.md describes."""
    assert blob[:8] == envelope.MAGIC
    assert blob[8:10] == b"\x00\x01"
    out, position = {}, 10
    while position < len(blob):
        tag = blob[position : position + 4].decode("ascii")
        length = int.from_bytes(blob[position + 4 : position + 12], "big")
        out[tag] = (position + 12, length)
        position += 12 + length
    assert position == len(blob)
    return out


def body(blob: bytes, tag: str) -> bytes:
    offset, length = sections(blob)[tag]
    return blob[offset : offset + length]


def flip(blob: bytes, position: int) -> bytes:
    damaged = bytearray(blob)
    damaged[position] ^= 0x01
    return bytes(damaged)


# --- the happy paths ---------------------------------------------------------------------------------------------


def test_seal_inspect_open_and_open_with_shares(party: Party, sealed: tuple[bytes, bytes]) -> None:
    data, blob = sealed
    info = envelope.inspect(blob)
    assert info.meta == meta_for(data)
    assert info.plaintext_sm3 == sm3(data).hex()
    assert info.plaintext_sha256 == sha256(data).hex()
    assert info.plaintext_size == len(data)
    assert info.aead == "sm4-gcm"
    assert info.chunk_size == 4096
    assert [entry.role for entry in info.recipients] == ["bidder", "opening"]
    assert info.recipient("opening")[0].key_id == party.opening_public.key_id
    assert info.signer_public_key == party.bidder.public_key
    assert info.signer_algorithm == "sm2-sm3"
    assert info.sm2_uid == sm2.DEFAULT_UID
    assert info.receipt is None
    assert info.envelope_sm3 == sm3(blob).hex()
    assert info.sealed_size == len(blob)
    assert envelope.open(blob, private_key=party.bidder) == data
    assert envelope.open_with_shares(blob, party.shares[2:]) == data
    assert envelope.open_with_shares(blob, [party.shares[4].to_text(), party.shares[0], party.shares[1]]) == data
    assert data not in blob


def test_layout_matches_the_spec(party: Party, sealed: tuple[bytes, bytes]) -> None:
    """A third-party verifier following docs/trust/envelope.md, written from the spec, not from the code."""
    data, blob = sealed
    parts = sections(blob)
    assert list(parts) == ["HEAD", "DATA", "TAIL", "BSIG"]
    head, tail = json.loads(body(blob, "HEAD")), json.loads(body(blob, "TAIL"))
    assert head["format"] == "yiwang-sealed-bid"
    assert head["version"] == 1
    assert head["meta"]["deadline"] == "2026-03-20T01:30:00.000000Z"
    assert head["meta"]["file_name"] == "投标文件（商务标）.pdf"
    assert head["content"]["ciphertext_size"] == parts["DATA"][1] == len(data) + 16 * -(-len(data) // 4096)
    assert tail["header_sm3"] == sm3(body(blob, "HEAD")).hex()
    assert tail["ciphertext_sm3"] == sm3(body(blob, "DATA")).hex()
    assert tail["plaintext_sm3"] == sm3(data).hex()
    assert body(blob, "HEAD") == json.dumps(head, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    signed = b"yiwang-sealed-bid/v1 bidder-signature\x00" + body(blob, "TAIL")
    sm2.sm2_verify(sm2.select_sm2_backend("gmalg"), party.bidder.public_key.point, signed, body(blob, "BSIG"))
    # The content key: SM2Cipher DER (C1C3C2) in the bidder's entry, committed to by key_check.
    wrapped = base64.b64decode(head["recipients"][0]["wrapped_key"])
    cek = sm2.sm2_decrypt(sm2.select_sm2_backend("gmalg"), party.bidder.to_bytes(), sm2.ciphertext_from_der(wrapped))
    assert head["content"]["key_check"] == sm3(b"yiwang-sealed-bid/v1 key-check\x00" + cek)[:16].hex()
    # Chunks: SM4-GCM, nonce = prefix ‖ counter ‖ last-flag, associated data = SM3(HEAD), decrypted here with
    # plain cryptography calls rather than the kernel's chunk layer.
    prefix, aad, step = bytes.fromhex(head["content"]["nonce_prefix"]), bytes.fromhex(tail["header_sm3"]), 4096 + 16
    ciphertext, recovered = body(blob, "DATA"), b""
    count = len(ciphertext) // step + (1 if len(ciphertext) % step else 0)
    for index in range(count):
        piece = ciphertext[index * step : (index + 1) * step]
        nonce = prefix + index.to_bytes(4, "big") + (b"\x01" if index == count - 1 else b"\x00")
        decryptor = Cipher(algorithms.SM4(cek), modes.GCM(nonce, piece[-16:])).decryptor()
        decryptor.authenticate_additional_data(aad)
        recovered += decryptor.update(piece[:-16]) + decryptor.finalize()
    assert recovered == data
    assert envelope.inspect(blob).envelope_sm3 == sm3(blob).hex()


@pytest.mark.parametrize(("backend_seal", "backend_open"), [("gmssl-pyx", "gmalg"), ("gmalg", "gmssl-pyx")])
def test_backends_interoperate(party: Party, backend_seal: str, backend_open: str) -> None:
    data = b"cross-backend bid" * 50
    blob = party.seal(data, sm2_backend=backend_seal)
    assert envelope.open(blob, private_key=party.bidder, sm2_backend=backend_open) == data
    assert envelope.open_with_shares(blob, party.shares[:3], sm2_backend=backend_open) == data


@pytest.mark.parametrize("bidder_kind", ["ec-p256", "rsa"])
@pytest.mark.parametrize("aead", ["sm4-gcm", "aes-256-gcm"])
def test_other_key_kinds_and_ciphers(bidder_kind: str, aead: str) -> None:
    bidder = generate_private_key(bidder_kind, rsa_bits=2048)
    opening_public, shares = envelope.new_opening_key(2, 3, kind="ec-p256")
    data = b"x" * 70_000
    blob = envelope.seal(
        data,
        meta=meta_for(data),
        bidder_signer=signer_for(bidder),
        recipients=[Recipient("bidder", bidder.public_key), Recipient("opening", opening_public)],
        aead=aead,
    )
    info = envelope.inspect(blob)
    assert info.aead == aead
    assert info.sm2_uid is None
    assert envelope.open(blob, private_key=bidder) == data
    assert envelope.open_with_shares(blob, shares[1:]) == data
    recovered = envelope.recover_opening_key(shares[:2], public_key=opening_public)
    assert envelope.open(blob, private_key=recovered) == data


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size=st.integers(min_value=1, max_value=400),
    chunk_size=st.sampled_from([16, 17, 64, 100]),
    codes=st.tuples(*[st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20)] * 3),
    file_name=st.text(
        st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/\\"), min_size=1, max_size=40
    ),
    extra=st.dictionaries(
        st.text("abcdefgh_", min_size=1, max_size=8),
        st.text(st.characters(blacklist_characters="\x00"), max_size=30),
        max_size=4,
    ),
    deadline=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)),
    data=st.data(),
)
def test_round_trip_any_size_and_metadata(party, size, chunk_size, codes, file_name, extra, deadline, data) -> None:
    size = data.draw(st.sampled_from([size, chunk_size * (size % 4 + 1), chunk_size * (size % 4 + 1) - 1]))
    plaintext = data.draw(st.binary(min_size=size, max_size=size))
    meta = BidMeta(codes[0], codes[1], codes[2], deadline, file_name, size, extra)
    blob = party.seal(plaintext, meta=meta, chunk_size=chunk_size)
    info = envelope.inspect(blob)
    assert info.meta == meta
    assert envelope.open(blob, private_key=party.bidder) == plaintext


def test_files_and_streams_in_constant_memory(party: Party, tmp_path: Path) -> None:
    size = 6 * 1024 * 1024 + 5
    source = tmp_path / "bid.pdf"
    with source.open("wb") as handle:
        for index in range(size // 65536 + 1):
            handle.write(index.to_bytes(4, "big") * 16384)
        handle.truncate(size)
    sealed_path, opened_path = tmp_path / "bid.ywe", tmp_path / "bid.out"
    tracemalloc.start()
    try:
        with source.open("rb") as plain, sealed_path.open("wb") as out:
            info = envelope.seal_to(
                out, plain, meta=meta_for(b"", file_size=size), bidder_signer=signer_for(party.bidder),
                recipients=party.recipients(),
            )  # fmt: skip
        with sealed_path.open("rb") as blob, opened_path.open("wb") as out:
            opened = envelope.open_to(out, blob, private_key=party.bidder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, peak  # well under the 6 MiB file, let alone two or three copies of it
    assert opened.envelope_sm3 == info.envelope_sm3
    assert opened_path.read_bytes() == source.read_bytes()
    with sealed_path.open("rb") as blob:
        assert envelope.inspect(blob).plaintext_sm3 == sm3(source.read_bytes()).hex()


# --- the receipt ---------------------------------------------------------------------------------------------------


def test_receipt_is_added_without_touching_the_bidder_signature(party: Party, sealed: tuple[bytes, bytes]) -> None:
    data, blob = sealed
    with_receipt = envelope.add_receipt(
        blob, receipt_signer=signer_for(party.platform), received_at=RECEIVED, receipt_id="HZ-2026-000123"
    )
    assert with_receipt.startswith(blob)
    receipt = envelope.verify_receipt(with_receipt, platform_key=party.platform.public_key)
    assert receipt.envelope_sm3 == sm3(blob).hex()
    assert receipt.received_at == RECEIVED
    assert receipt.receipt_id == "HZ-2026-000123"
    info = envelope.inspect(with_receipt)
    assert info.receipt == receipt
    assert info.envelope_sm3 == envelope.inspect(blob).envelope_sm3
    assert envelope.open(with_receipt, private_key=party.bidder) == data
    assert list(sections(with_receipt)) == ["HEAD", "DATA", "TAIL", "BSIG", "RCPT", "RSIG"]

    with pytest.raises(ReceiptExists) as caught:
        envelope.add_receipt(with_receipt, receipt_signer=signer_for(party.platform), received_at=RECEIVED,
                             receipt_id="again")  # fmt: skip
    assert caught.value.status == 409
    with pytest.raises(ReceiptInvalid):
        envelope.verify_receipt(with_receipt, platform_key=party.bidder.public_key)
    with pytest.raises(ReceiptMissing):
        envelope.verify_receipt(blob)
    offset, _ = sections(with_receipt)["RSIG"]
    with pytest.raises(ReceiptInvalid):
        envelope.inspect(flip(with_receipt, offset + 10))
    # A receipt taken from another envelope does not fit this one.
    other = party.seal(b"another bid")
    moved = other + with_receipt[len(blob) :]
    with pytest.raises(ReceiptInvalid) as caught:
        envelope.inspect(moved)
    assert caught.value.details["reason"] == "the receipt is for another envelope"


def test_receipt_parameters_are_checked(party: Party, sealed: tuple[bytes, bytes]) -> None:
    _, blob = sealed
    info = envelope.inspect(blob)
    for bad in ({"received_at": datetime(2026, 3, 1)}, {"receipt_id": ""}, {"receipt_id": "a\nb"}):
        arguments = {"receipt_signer": signer_for(party.platform), "received_at": RECEIVED, "receipt_id": "R1"}
        arguments.update(bad)
        with pytest.raises(MetaInvalid):
            envelope.make_receipt(info, **arguments)


# --- refusals ------------------------------------------------------------------------------------------------------


def test_empty_and_oversized_files_are_refused_before_anything_is_written(party: Party) -> None:
    out = io.BytesIO()
    with pytest.raises(EmptyPlaintext) as caught:
        envelope.seal_to(out, b"", meta=meta_for(b""), bidder_signer=signer_for(party.bidder),
                         recipients=party.recipients())  # fmt: skip
    assert caught.value.code == "crypto.empty_plaintext"
    assert caught.value.status == 422
    with pytest.raises(EmptyPlaintext):
        envelope.seal_to(out, io.BytesIO(b""), meta=meta_for(b""), bidder_signer=signer_for(party.bidder),
                         recipients=party.recipients())  # fmt: skip
    with pytest.raises(TooLarge) as caught:
        envelope.seal_to(out, b"x" * 1001, meta=meta_for(b"x" * 1001), bidder_signer=signer_for(party.bidder),
                         recipients=party.recipients(), max_size=1000)  # fmt: skip
    assert caught.value.details == {"size": 1001, "limit": 1000}
    with pytest.raises(TooLarge):  # a stream declared too large is refused before it is read
        envelope.seal_to(out, io.BytesIO(), meta=meta_for(b"", file_size=10**12),
                         bidder_signer=signer_for(party.bidder), recipients=party.recipients())  # fmt: skip
    with pytest.raises(SizeMismatch):
        envelope.seal_to(out, b"abc", meta=meta_for(b"abcd"), bidder_signer=signer_for(party.bidder),
                         recipients=party.recipients())  # fmt: skip
    assert out.getvalue() == b""


def test_a_stream_of_the_wrong_length_is_refused(party: Party) -> None:
    for actual, declared in ((b"short", 10), (b"longer than declared", 5)):
        with pytest.raises(SizeMismatch):
            envelope.seal(io.BytesIO(actual), meta=meta_for(b"", file_size=declared),
                          bidder_signer=signer_for(party.bidder), recipients=party.recipients())  # fmt: skip


def test_an_envelope_too_large_for_the_procedure_is_refused_on_receipt(sealed: tuple[bytes, bytes]) -> None:
    data, blob = sealed
    with pytest.raises(TooLarge):
        envelope.inspect(blob, max_size=len(data) - 1)


def test_bad_metadata_and_recipients(party: Party) -> None:
    for changes in (
        {"project_code": ""},
        {"bidder_id": "x" * 129},
        {"section_code": "a\x00b"},
        {"deadline": datetime(2026, 3, 20, 9, 30)},
        {"file_name": "../etc/passwd"},
        {"file_name": "C:\\bid.pdf"},
        {"file_size": -1},
        {"file_size": True},
        {"extra": {str(i): "v" for i in range(33)}},
        {"extra": {"k": "v" * 1025}},
        {"file_name": "bid\ud800.pdf"},  # a lone surrogate cannot be written as UTF-8
        {"extra": {"k": "\udfff"}},
        {"extra": {"键": "extra keys are ASCII identifiers"}},
        {"file_size": 1 << 53},
    ):
        with pytest.raises(MetaInvalid) as caught:
            meta_for(b"data", **changes)
        assert caught.value.details["field"] == next(iter(changes))
    bidder, opening = party.recipients()
    other_opening = Recipient("opening", generate_private_key("sm2").public_key)
    for recipients in ([bidder], [opening], [bidder, opening, other_opening], [bidder, bidder, opening],
                       [Recipient("auditor", party.platform.public_key), bidder, opening]):  # fmt: skip
        with pytest.raises(RecipientsInvalid):
            party.seal(b"data", recipients=recipients)
    with pytest.raises(AlgorithmUnsupported):
        party.seal(b"data", aead="des-cbc")
    with pytest.raises(MetaInvalid):
        envelope.seal(b"data", meta={"file_size": 4}, bidder_signer=signer_for(party.bidder),  # type: ignore[arg-type]
                      recipients=party.recipients())  # fmt: skip


def test_truncated_envelopes(sealed: tuple[bytes, bytes]) -> None:
    _, blob = sealed
    parts = sections(blob)
    cuts = {0, 1, 7, 9, 10, 15, parts["HEAD"][0] + 3, parts["DATA"][0] - 1, parts["DATA"][0] + 5000,
            parts["TAIL"][0] - 6, parts["TAIL"][0] + 2, parts["BSIG"][0], len(blob) - 1}  # fmt: skip
    for cut in sorted(cuts):
        with pytest.raises(EnvelopeTruncated) as caught:
            envelope.inspect(blob[:cut])
        assert caught.value.code == "crypto.envelope_truncated"


def test_tampering_anywhere_is_detected(party: Party, sealed: tuple[bytes, bytes]) -> None:
    _, blob = sealed
    parts = sections(blob)
    data_offset, data_length = parts["DATA"]
    for position in (data_offset, data_offset + data_length // 2, data_offset + data_length - 1):
        damaged = flip(blob, position)
        with pytest.raises(EnvelopeTampered) as caught:
            envelope.inspect(damaged)
        assert caught.value.details["section"] == "DATA"
        with pytest.raises(EnvelopeTampered) as caught:
            envelope.open(damaged, private_key=party.bidder)
        assert "chunk" in caught.value.details  # the AEAD tag of that chunk failed
    head_offset, _head_length = parts["HEAD"]
    # A changed character inside the header JSON (here: in the file name) breaks the header digest.
    name_at = blob.index("商务标".encode(), head_offset)
    with pytest.raises(EnvelopeTampered):
        envelope.inspect(flip(blob, name_at + 1))
    tail_offset, _ = parts["TAIL"]
    digit_at = blob.index(b'"plaintext_size":', tail_offset) + len(b'"plaintext_size":')
    tampered_tail = blob[:digit_at] + bytes([blob[digit_at] ^ 0x01]) + blob[digit_at + 1 :]
    with pytest.raises((SignatureInvalid, EnvelopeTampered)):
        envelope.inspect(tampered_tail)
    sig_offset, sig_length = parts["BSIG"]
    with pytest.raises(SignatureInvalid) as caught:
        envelope.inspect(flip(blob, sig_offset + sig_length - 2))
    assert caught.value.details["section"] == "BSIG"
    with pytest.raises(SignatureInvalid):
        envelope.open(flip(blob, sig_offset + sig_length - 2), private_key=party.bidder)


def test_a_resealed_header_cannot_reuse_the_ciphertext(party: Party) -> None:
    """An attacker copies a bid's wrapped keys and ciphertext under a header of their own (another bidder id),
    with a fresh TAIL signed by their own key. The container checks pass — the envelope is *theirs* now, which the
    caller sees from the signer key — but the chunks were sealed with the original header digest as associated
    data, so they no longer decrypt."""
    data = b"price: 1,000,000" * 10
    blob = party.seal(data, chunk_size=64)
    head = json.loads(body(blob, "HEAD"))
    attacker = generate_private_key("sm2")
    head["meta"]["bidder_id"] = "91110000MA00000000"
    head["signer"] = {
        "algorithm": "sm2-sm3",
        "public_key": base64.b64encode(attacker.public_key.to_der()).decode(),
        "key_id": attacker.public_key.key_id,
        "sm2_uid": sm2.DEFAULT_UID.hex(),
    }
    new_head = canonical_json(head)
    tail = json.loads(body(blob, "TAIL"))
    tail["header_sm3"] = sm3(new_head).hex()
    new_tail = canonical_json(tail)
    signature = signer_for(attacker).sign(b"yiwang-sealed-bid/v1 bidder-signature\x00" + new_tail)

    def section(tag: bytes, content: bytes) -> bytes:
        return tag + len(content).to_bytes(8, "big") + content

    forged = (
        blob[:10] + section(b"HEAD", new_head) + section(b"DATA", body(blob, "DATA"))
        + section(b"TAIL", new_tail) + section(b"BSIG", signature)
    )  # fmt: skip
    assert envelope.inspect(forged).signer_public_key == attacker.public_key
    with pytest.raises(EnvelopeTampered) as caught:
        envelope.open(forged, private_key=party.bidder)
    assert caught.value.details["chunk"] == 0
    with pytest.raises(EnvelopeTampered):
        envelope.open_with_shares(forged, party.shares[:3])


def test_version_magic_and_trailing_data(sealed: tuple[bytes, bytes]) -> None:
    _, blob = sealed
    with pytest.raises(EnvelopeVersion) as caught:
        envelope.inspect(blob[:8] + b"\x00\x02" + blob[10:])
    assert caught.value.details == {"version": 2, "supported": [1]}
    with pytest.raises(EnvelopeMalformed):
        envelope.inspect(b"%PDF-1.7\n" + blob[9:])
    with pytest.raises(EnvelopeMalformed):
        envelope.inspect(blob + b"\x00")
    with pytest.raises(EnvelopeMalformed):
        envelope.inspect(blob + b"JUNK" + (0).to_bytes(8, "big"))
    with pytest.raises(EnvelopeMalformed):  # a section that claims to be huge
        envelope.inspect(blob[:10] + b"HEAD" + (1 << 40).to_bytes(8, "big") + blob[22:])


def test_header_json_is_strict(party: Party, sealed: tuple[bytes, bytes]) -> None:
    _, blob = sealed
    head_offset, head_length = sections(blob)["HEAD"]
    head = json.loads(body(blob, "HEAD"))

    def with_head(value: dict, raw: bytes | None = None) -> bytes:
        new = raw if raw is not None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                     separators=(",", ":")).encode()  # fmt: skip
        return blob[: head_offset - 8] + len(new).to_bytes(8, "big") + new + blob[head_offset + head_length :]

    with pytest.raises(EnvelopeMalformed):  # not canonical (spaces)
        envelope.inspect(with_head(head, json.dumps(head, ensure_ascii=False, sort_keys=True).encode()))
    for mutate in (
        lambda h: h.update(extra_field=1),
        lambda h: h.update(version=2),
        lambda h: h["content"].update(aead="rc4"),
        lambda h: h["content"].update(chunk_size=8),
        lambda h: h["content"].update(ciphertext_size=h["content"]["ciphertext_size"] + 16),
        lambda h: h["meta"].update(deadline="2026-03-20 01:30"),
        lambda h: h["recipients"][0].update(role="auditor"),
        lambda h: h["recipients"].pop(),
        lambda h: h["signer"].update(public_key="AAAA"),
        lambda h: h["signer"].update(key_id="sm3:" + "0" * 64),
    ):
        changed = json.loads(json.dumps(head))
        mutate(changed)
        with pytest.raises((EnvelopeMalformed, EnvelopeVersion)):
            envelope.inspect(with_head(changed))
    changed = json.loads(json.dumps(head))
    changed["meta"]["file_size"] = 0
    with pytest.raises(EmptyPlaintext):
        envelope.inspect(with_head(changed))


def test_wrong_keys_and_wrong_shares(party: Party, sealed: tuple[bytes, bytes]) -> None:
    _, blob = sealed
    with pytest.raises(WrongKey) as caught:
        envelope.open(blob, private_key=generate_private_key("sm2"))
    assert caught.value.code == "crypto.wrong_key"
    with pytest.raises(WrongKey):  # the platform's receipt key is not a recipient either
        envelope.open(blob, private_key=party.platform)
    with pytest.raises(SharesInsufficient) as caught:
        envelope.open_with_shares(blob, party.shares[:2])
    assert caught.value.details == {"given": 2, "needed": 3}
    with pytest.raises(ShareDuplicate):
        envelope.open_with_shares(blob, [party.shares[0], party.shares[0], party.shares[1]])
    _, foreign = envelope.new_opening_key(3, 5)
    with pytest.raises(ShareSetMismatch):
        envelope.open_with_shares(blob, foreign[:3])
    with pytest.raises(ShareSetMismatch):
        envelope.open_with_shares(blob, [*party.shares[:2], foreign[2]])
    corrupted = bytearray(party.shares[2].to_bytes())
    corrupted[30] ^= 0x01
    with pytest.raises(ShareInvalid):
        envelope.open_with_shares(blob, [party.shares[0], party.shares[1], bytes(corrupted)])
    forged = Share.from_bytes(dataclasses.replace(party.shares[2], value=bytes(32)).to_bytes())
    with pytest.raises(ShareInvalid):
        envelope.open_with_shares(blob, [party.shares[0], party.shares[1], forged])
    with pytest.raises(ShareSetMismatch):
        envelope.recover_opening_key(foreign[:3], public_key=party.opening_public)


def test_the_opening_ceremony_never_returns_the_private_key() -> None:
    public, shares = envelope.new_opening_key(2, 3)
    assert public.kind == "sm2"
    assert len(shares) == 3
    assert {share.set_id for share in shares} == {bytes.fromhex(public.key_id[4:])[:16]}
    assert all(isinstance(share, Share) and share.threshold == 2 for share in shares)
    assert envelope.recover_opening_key(shares[1:], public_key=public).public_key == public
    with pytest.raises(AlgorithmUnsupported):
        envelope.new_opening_key(2, 3, kind="rsa")


@dataclasses.dataclass(frozen=True)
class _LyingSigner:
    """Claims one public key, signs with another private key (a misconfigured token)."""

    real: object
    claimed: object
    algorithm: str = "sm2-sm3"
    sm2_uid: bytes = sm2.DEFAULT_UID

    @property
    def public_key(self):
        return self.claimed

    def sign(self, message: bytes) -> bytes:
        return signer_for(self.real).sign(message)


def test_a_signer_that_does_not_hold_its_key_is_caught_when_sealing(party: Party, sealed) -> None:
    liar = _LyingSigner(generate_private_key("sm2"), party.bidder.public_key)
    with pytest.raises(SignatureInvalid):
        party.seal(b"data", bidder_signer=liar)
    info = envelope.inspect(sealed[1])
    with pytest.raises(SignatureInvalid):
        envelope.make_receipt(info, receipt_signer=liar, received_at=RECEIVED, receipt_id="R1")


def test_bidder_certificate_is_carried_and_must_match(party: Party) -> None:
    bidder = generate_private_key("ec-p256")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "投标人 Bidder Co.")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(bidder.public_key.key)
        .serial_number(7).not_valid_before(now).not_valid_after(now + timedelta(days=365))
        .sign(bidder.key, hashes.SHA256())
    ).public_bytes(serialization.Encoding.DER)  # fmt: skip
    data = b"bid with certificate"
    recipients = [Recipient("bidder", bidder.public_key), Recipient("opening", party.opening_public)]
    blob = envelope.seal(data, meta=meta_for(data), bidder_signer=signer_for(bidder), recipients=recipients,
                         bidder_certificate=certificate)  # fmt: skip
    assert envelope.inspect(blob).certificate == certificate
    with pytest.raises(KeyInvalid):
        envelope.seal(data, meta=meta_for(data), bidder_signer=signer_for(party.bidder), recipients=recipients,
                      bidder_certificate=certificate)  # fmt: skip
    with pytest.raises(KeyInvalid):
        envelope.seal(data, meta=meta_for(data), bidder_signer=signer_for(bidder), recipients=recipients,
                      bidder_certificate=b"not a certificate")  # fmt: skip


def test_every_refusal_is_a_coded_crypto_error(party: Party, sealed: tuple[bytes, bytes]) -> None:
    _, blob = sealed
    for attempt in (lambda: envelope.inspect(blob[:100]), lambda: envelope.open_with_shares(blob, [])):
        with pytest.raises(CryptoError) as caught:
            attempt()
        error = caught.value.as_dict()
        assert error["code"].startswith("crypto.")
        assert error["message_zh"]
        assert error["message_en"]


def test_online_opening_with_a_returned_content_key(party: Party, sealed: tuple[bytes, bytes]) -> None:
    """The bidder's token unwraps the content key on the bidder's side; the platform decrypts with it."""
    data, blob = sealed
    content_key = envelope.unwrap_content_key(blob, private_key=party.bidder)
    assert len(content_key) == 16
    assert envelope.open_with_content_key(blob, content_key) == data
    out = io.BytesIO()
    with pytest.raises(WrongKey) as caught:
        envelope.open_with_content_key_to(out, blob, bytes(16))
    assert caught.value.details["reason"] == "the content key does not open this envelope"
    assert out.getvalue() == b""  # nothing written
    with pytest.raises(WrongKey):
        envelope.open_with_content_key(blob, content_key + b"\x00")
    first_chunk = sections(blob)["DATA"][0] + 3
    with pytest.raises(EnvelopeTampered):  # right key, damaged data: reported as tampering, not as a wrong key
        envelope.open_with_content_key(flip(blob, first_chunk), content_key)
    with pytest.raises(WrongKey):  # a wrong key is refused by the key check before any data is read
        envelope.open_with_content_key(flip(blob, first_chunk), bytes(16))
    with pytest.raises(WrongKey):
        envelope.unwrap_content_key(blob, private_key=party.platform)


def test_a_bidder_who_wraps_a_wrong_key_to_the_opening_key_is_caught_and_it_is_attributable(
    party: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dishonest sealing tool could wrap garbage to the platform's opening key, then "lose" the bidder key so the
    fallback fails too. The key check value signed by the bidder shows the fault was in the sealed envelope."""
    honest_wrap = envelope.wrap_key

    def dishonest_wrap(recipient, cek, **kwargs):
        if recipient == party.opening_public:
            cek = bytes(len(cek))
        return honest_wrap(recipient, cek, **kwargs)

    monkeypatch.setattr(envelope, "wrap_key", dishonest_wrap)
    data = b"a bid whose fallback was sabotaged"
    blob = party.seal(data)
    monkeypatch.undo()
    assert envelope.inspect(blob).signer_public_key == party.bidder.public_key  # signed by the bidder
    assert envelope.open(blob, private_key=party.bidder) == data
    with pytest.raises(KeyCheckFailed) as caught:
        envelope.open_with_shares(blob, party.shares[:3])
    assert caught.value.code == "crypto.key_check_failed"
    assert caught.value.details["role"] == "opening"
