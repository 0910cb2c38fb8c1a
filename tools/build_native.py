"""Compile the carbon matching engine (``trading/orderbook/domain/engine.py`` + ``engine.pxd``) with Cython.

One source of logic: the build copies ``engine.py`` and ``engine.pxd`` unchanged into a temporary directory as
``_engine_native.py`` / ``.pxd``, appends one line to the copy — ``NATIVE_SOURCE_DIGEST``, the digest of the two
sources (``engines.source_digest``) — and compiles it into the extension module
``yiwang.trading.orderbook.domain._engine_native`` in place, beside ``engine.py``. At import, ``engines.py`` uses
it only while that digest still matches the sources on disk.

    .venv/bin/python tools/build_native.py            # build if needed; no compiler or Cython: say so, exit 0
    .venv/bin/python tools/build_native.py --require  # exit 1 when it cannot build (CI)
    .venv/bin/python tools/build_native.py --force    # rebuild even when up to date
    .venv/bin/python tools/build_native.py --clean    # remove the compiled module

Up to date = the built module reports the current digest (checked in a child process, ≈ 0.2 s of CPU).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE_DIR = SRC / "yiwang" / "trading" / "orderbook" / "domain"
MODULE = "yiwang.trading.orderbook.domain._engine_native"
STEM = "_engine_native"

# Cython directives: the same semantics as the interpreted source (Python division and integer overflow
# checks stay on: prices, quantities and money are Python ints unless engine.pxd types them and says why).
DIRECTIVES = {
    "language_level": 3,
    "binding": False,
    "embedsignature": False,
    "infer_types": None,  # infer only what is safe (never an int that could overflow)
    "annotation_typing": False,  # the annotations of engine.py are documentation, not C types
}


def say(message: str) -> None:
    sys.stdout.write(f"build_native: {message}\n")
    sys.stdout.flush()


def built_files() -> list[Path]:
    return sorted(PACKAGE_DIR.glob(STEM + ".*.so")) + sorted(PACKAGE_DIR.glob(STEM + ".*.pyd"))


def current_digest() -> str:
    sys.path.insert(0, str(SRC))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a stale build warns on import: that is why we are here
        os.environ["YIWANG_REQUIRE_NATIVE"] = ""
        from yiwang.trading.orderbook.domain.engines import source_digest
    return source_digest(PACKAGE_DIR)


def built_digest() -> str | None:
    """The digest the built module reports, or None (absent, or it does not import)."""
    if not built_files():
        return None
    probe = f"import {MODULE} as m; print(m.NATIVE_SOURCE_DIGEST)"
    env = dict(os.environ, PYTHONPATH=str(SRC), YIWANG_REQUIRE_NATIVE="")
    try:
        out = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def compiler() -> str | None:
    """The C compiler setuptools would use, if it is on PATH, and Python's headers are there."""
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        return None
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return None
    return cc


def build(digest: str) -> None:
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    with tempfile.TemporaryDirectory(prefix="yiwang-native-") as tmp:
        work = Path(tmp)
        # the package tree (empty __init__ files) so that Cython names the module and finds its .pxd
        parts = MODULE.split(".")[:-1]
        pkg = work.joinpath(*parts)
        pkg.mkdir(parents=True)
        for depth in range(1, len(parts) + 1):
            work.joinpath(*parts[:depth], "__init__.py").touch()
        source = (PACKAGE_DIR / "engine.py").read_text(encoding="utf-8")
        (pkg / f"{STEM}.py").write_text(
            source + f'\n\nNATIVE_SOURCE_DIGEST = "{digest}"  # added by tools/build_native.py\n', encoding="utf-8"
        )
        shutil.copyfile(PACKAGE_DIR / "engine.pxd", pkg / f"{STEM}.pxd")
        ext = Extension(MODULE, [str(pkg / f"{STEM}.py")], extra_compile_args=["-O2"])
        modules = cythonize(
            [ext], compiler_directives=DIRECTIVES, quiet=True, build_dir=str(work / "c"), include_path=[str(work)]
        )
        dist = Distribution({"name": "yiwang-native", "ext_modules": modules})
        cmd = build_ext(dist)
        cmd.build_lib = str(SRC)
        cmd.build_temp = str(work / "tmp")
        cmd.inplace = False
        cmd.ensure_finalized()
        for old in built_files():
            old.unlink()
        cmd.run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--require", action="store_true", help="fail (exit 1) when the module cannot be built")
    parser.add_argument("--force", action="store_true", help="rebuild even when the module is up to date")
    parser.add_argument("--clean", action="store_true", help="remove the compiled module and stop")
    args = parser.parse_args()
    if args.clean:
        for old in built_files():
            old.unlink()
            say(f"removed {old.relative_to(ROOT)}")
        return 0
    digest = current_digest()
    if not args.force and built_digest() == digest:
        say(f"up to date ({digest[:12]}): the compiled engine is used")
        return 0
    fallback = "the interpreted engine will run (same logic, slower)"
    try:
        import Cython  # noqa: F401
        import setuptools  # noqa: F401
    except ImportError:
        say(f"Cython or setuptools is not installed: not built; {fallback}")
        return 1 if args.require else 0
    if compiler() is None:
        say(f"no C compiler (or no Python headers) found: not built; {fallback}")
        return 1 if args.require else 0
    say(f"compiling engine.py + engine.pxd ({digest[:12]}) with Cython …")
    try:
        build(digest)
    except Exception as exc:  # a compiler error: report it, keep the fallback unless required
        say(f"build failed: {exc}; {fallback}")
        return 1 if args.require else 0
    if built_digest() != digest:
        say(f"the built module does not import or reports another digest; {fallback}")
        return 1 if args.require else 0
    say(f"built {', '.join(str(p.relative_to(ROOT)) for p in built_files())}: the compiled engine is used")
    return 0


if __name__ == "__main__":
    sys.exit(main())
