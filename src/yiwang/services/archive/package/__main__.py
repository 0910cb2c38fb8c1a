"""``python -m yiwang.services.archive.package verify FILE [--keys keys.json] [--json]`` — without Django.

Exit status: 0 the package verifies, 1 it does not, 2 the command itself was misused (unreadable keys file).
``yiwang archive verify`` is the same check as a management command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from yiwang.kernel.errors import YiwangError
from yiwang.platform.keys.document import KeyRing
from yiwang.services.archive.package.verify import verify_package


def load_keys(path: str) -> KeyRing:
    """The keys document at ``path`` (``keys.document_malformed`` / ``OSError``)."""
    return KeyRing.from_text(Path(path).read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m yiwang.services.archive.package")
    sub = parser.add_subparsers(dest="verb", required=True)
    verify = sub.add_parser("verify", help="verify an archive package offline")
    verify.add_argument("file")
    verify.add_argument("--keys", help="the platform's published public keys document")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--require-witnessed", action="store_true", help="fail items that claim no witnessed digest")
    args = parser.parse_args(argv)
    try:
        ring = load_keys(args.keys) if args.keys else None
    except (OSError, YiwangError) as exc:
        sys.stderr.write(f"cannot use the keys document {args.keys}: {exc}\n")
        return 2
    report = verify_package(args.file, keys=ring, require_witnessed=args.require_witnessed)
    if args.json:  # a machine reads standard output either way
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        (sys.stdout if report.ok else sys.stderr).write(report.describe() + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
