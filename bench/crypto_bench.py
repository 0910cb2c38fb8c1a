"""Crypto kernel benchmark: SM2 per backend, ECDSA P-256, SM3/SHA-256, SM4-GCM/AES-GCM, and the sealed-bid
envelope on a 50 MB bid file (time and peak memory).

    .venv/bin/python bench/crypto_bench.py            # about a minute
    .venv/bin/python bench/crypto_bench.py --quick    # a few seconds, smaller numbers (smoke test)

Prints a Markdown report (machine, then one table). Every measurement is bounded by a time budget.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from yiwang.kernel.crypto import envelope, sm2
from yiwang.kernel.crypto.aead import AES_256_GCM, SM4_GCM
from yiwang.kernel.crypto.chunked import encrypt_chunked
from yiwang.kernel.crypto.envelope import BidMeta, Recipient
from yiwang.kernel.crypto.hashing import new_hasher
from yiwang.kernel.crypto.keys import generate_private_key
from yiwang.kernel.crypto.signatures import signer_for, verifier_for

MB = 1_000_000
MiB = 1 << 20


def machine() -> list[str]:
    model = "unknown"
    try:
        with Path("/proc/cpuinfo").open() as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("cryptography", "gmssl-pyx", "gmalg"))
    return [
        f"- CPU: {model}; nproc = {os.cpu_count()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()} "
        f"{platform.machine()}",
        f"- {versions}",
    ]


def rate(operation: Callable[[], object], budget: float, minimum: int = 3) -> float:
    """Operations per second, running ``operation`` for about ``budget`` seconds (at least ``minimum`` times)."""
    operation()  # warm up
    count, start = 0, time.perf_counter()
    while True:
        operation()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget and count >= minimum:
            return count / elapsed


def throughput(operation: Callable[[bytes], object], data: bytes, budget: float) -> float:
    """MB/s (10^6 bytes) of ``operation`` over ``data``."""
    return rate(lambda: operation(data), budget, minimum=2) * len(data) / MB


def best_of(runs: int, operation: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(operation: Callable[[], object]) -> int:
    """Peak bytes allocated by Python (tracemalloc) while ``operation`` runs."""
    tracemalloc.start()
    try:
        operation()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def sm2_rows(budget: float) -> list[tuple[str, str, str]]:
    rows = []
    message = b"bid receipt " * 8
    results = {}
    for name in sm2.BACKEND_NAMES:
        key = generate_private_key("sm2", sm2_backend=name)
        signer = signer_for(key, sm2_backend=name)
        signature = signer.sign(message)
        verifier = verifier_for(key.public_key, sm2_backend=name)
        sign_rate = rate(lambda signer=signer: signer.sign(message), budget)
        verify_rate = rate(lambda verifier=verifier, signature=signature: verifier.verify(message, signature), budget)
        results[name] = (sign_rate, verify_rate)
        rows.append((f"SM2 sign (sm2-sm3, Z_A incl.), {name}", f"{sign_rate:,.0f} /s", ""))
        rows.append((f"SM2 verify, {name}", f"{verify_rate:,.0f} /s", ""))
    fast, pure = results["gmssl-pyx"], results["gmalg"]
    rows.append(("SM2 gmssl-pyx ÷ gmalg", f"sign ×{fast[0] / pure[0]:.0f}, verify ×{fast[1] / pure[1]:.0f}", ""))
    point = generate_private_key("sm2").public_key.point
    for name in sm2.BACKEND_NAMES:
        backend = sm2.select_sm2_backend(name)
        wraps = rate(lambda backend=backend: sm2.sm2_encrypt(backend, point, b"k" * 16), budget)
        rows.append((f"SM2 encrypt a 16-byte content key, {name}", f"{wraps:,.0f} /s", ""))
    return rows


def ecdsa_rows(budget: float) -> list[tuple[str, str, str]]:
    key = generate_private_key("ec-p256")
    signer, verifier = signer_for(key), verifier_for(key.public_key)
    message = b"bid receipt " * 8
    signature = signer.sign(message)
    return [
        ("ECDSA P-256 sign (cryptography)", f"{rate(lambda: signer.sign(message), budget):,.0f} /s", ""),
        ("ECDSA P-256 verify", f"{rate(lambda: verifier.verify(message, signature), budget):,.0f} /s", ""),
    ]


def stream_rows(budget: float, size: int) -> list[tuple[str, str, str]]:
    data = os.urandom(size)
    rows = []
    for name in ("sm3", "sha256"):

        def digest(blob: bytes, name: str = name) -> bytes:
            hasher = new_hasher(name)
            hasher.update(blob)
            return hasher.digest()

        rows.append((f"{name.upper()} ({size // MiB} MiB buffer)", f"{throughput(digest, data, budget):,.0f} MB/s", ""))
    for cipher in (SM4_GCM, AES_256_GCM):
        key = cipher.generate_key()
        one_shot = throughput(lambda blob, cipher=cipher, key=key: cipher.encrypt(key, blob), data, budget)
        chunked = throughput(lambda blob, cipher=cipher, key=key: encrypt_chunked(cipher, key, blob), data, budget)
        rows.append((f"{cipher.name.upper()} encrypt, one shot", f"{one_shot:,.0f} MB/s", ""))
        rows.append((f"{cipher.name.upper()} encrypt, 64 KiB chunks", f"{chunked:,.0f} MB/s", ""))
    return rows


def envelope_rows(size: int, runs: int) -> list[tuple[str, str, str]]:
    bidder = generate_private_key("sm2")
    opening_public, shares = envelope.new_opening_key(3, 5)
    recipients = [Recipient("bidder", bidder.public_key), Recipient("opening", opening_public)]
    meta = BidMeta("E3101000001000001", "E3101000001000001001", "91310000MA1FL8XQ30",
                   datetime(2026, 3, 20, 1, 30, tzinfo=UTC), "投标文件.pdf", size)  # fmt: skip
    data = os.urandom(size)
    label = f"{size / MB:.0f} MB"
    rows = []
    with tempfile.TemporaryDirectory(prefix="yw-crypto-bench-") as tmp:
        plain_path, sealed_path, out_path = Path(tmp, "bid.pdf"), Path(tmp, "bid.ywe"), Path(tmp, "bid.out")
        plain_path.write_bytes(data)

        def seal_files() -> None:
            with plain_path.open("rb") as plain, sealed_path.open("wb") as out:
                envelope.seal_to(out, plain, meta=meta, bidder_signer=signer_for(bidder), recipients=recipients)

        def inspect_file() -> None:
            with sealed_path.open("rb") as blob:
                envelope.inspect(blob)

        def open_files() -> None:
            with sealed_path.open("rb") as blob, out_path.open("wb") as out:
                envelope.open_to(out, blob, private_key=bidder)

        def open_shares() -> None:
            with sealed_path.open("rb") as blob, out_path.open("wb") as out:
                envelope.open_with_shares_to(out, blob, shares[:3])

        for name, operation in (("seal (file → file)", seal_files), ("inspect, no key (file)", inspect_file),
                                ("open, bidder key (file → file)", open_files),
                                ("open with 3 of 5 shares (file → file)", open_shares)):  # fmt: skip
            seconds = best_of(runs, operation)
            peak = peak_memory(operation)
            rows.append((f"Envelope {label}: {name}", f"{seconds:.2f} s ({size / MB / seconds:,.0f} MB/s)",
                         f"{peak / MiB:.1f} MiB"))  # fmt: skip
        assert out_path.read_bytes() == data

        sealed = sealed_path.read_bytes()

        def seal_bytes() -> bytes:
            return envelope.seal(data, meta=meta, bidder_signer=signer_for(bidder), recipients=recipients)

        def open_bytes() -> bytes:
            return envelope.open(sealed, private_key=bidder)

        for name, operation in (("seal (bytes → bytes)", seal_bytes), ("open (bytes → bytes)", open_bytes)):
            seconds = best_of(runs, operation)
            peak = peak_memory(operation)
            rows.append((f"Envelope {label}: {name}", f"{seconds:.2f} s", f"{peak / MiB:.1f} MiB"))
        rows.append((f"Envelope {label}: size overhead", f"{len(sealed) - size:,} bytes", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short budgets and a 5 MB envelope (smoke test)")
    args = parser.parse_args()
    budget = 0.3 if args.quick else 2.0
    envelope_size = 5 * MB if args.quick else 50 * MB
    stream_size = 4 * MiB if args.quick else 32 * MiB
    runs = 1 if args.quick else 3

    started = time.perf_counter()
    rows = [*sm2_rows(budget), *ecdsa_rows(budget), *stream_rows(budget, stream_size),
            *envelope_rows(envelope_size, runs)]  # fmt: skip
    print("## Crypto kernel benchmark\n")
    print(f"Command: `.venv/bin/python bench/crypto_bench.py{' --quick' if args.quick else ''}`\n")
    print("\n".join(machine()))
    print(f"- SM2 backend selected by default: {sm2.select_sm2_backend().name}\n")
    print("| Measurement | Result | Peak Python memory |")
    print("|---|---|---|")
    for name, result, memory in rows:
        print(f"| {name} | {result} | {memory} |")
    print(f"\nTotal benchmark time {time.perf_counter() - started:.0f} s. Rates are single-threaded; "
          f"times are the best of {runs}; memory is the tracemalloc peak of one extra run.")  # fmt: skip


if __name__ == "__main__":
    main()
