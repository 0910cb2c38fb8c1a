"""The one import point for the matching engine: the compiled build of ``engine.py`` when it is current, else
``engine.py`` itself.

``tools/build_native.py`` compiles a copy of ``engine.py`` (with the C types of ``engine.pxd``) with Cython
into the extension module ``_engine_native`` beside it, and writes into that copy the digest of the two
source files it was compiled from (:func:`source_digest`). Here, at import, the compiled module is used only
if its digest equals the digest of the ``engine.py`` and ``engine.pxd`` on disk now: a build left behind by an
older source is never used (a warning says to run the build), so the two can never silently disagree. Without a
build (no C compiler) the interpreted module runs, silently: it is the same logic.

``YIWANG_REQUIRE_NATIVE=1`` turns both fallbacks into an ``ImportError`` (CI and production builds).

Everything else the engine module defines (constants, :func:`~.engine.refusal`, errors) is the same in both;
import it from :mod:`.engine`. What differs is the class: use :data:`MarketEngine` and :data:`apply` from here.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from yiwang.trading.orderbook.domain import engine as interpreted

HERE = Path(__file__).resolve().parent
SOURCES = ("engine.py", "engine.pxd")  # what the compiled module is built from, in this order
NATIVE_MODULE = "yiwang.trading.orderbook.domain._engine_native"


class NativeEngineStale(RuntimeWarning):
    """The compiled engine was built from another source than the one on disk: the interpreted one runs."""


def source_digest(directory: Path = HERE) -> str:
    """SHA-256 over the sources the compiled module is built from (each file's length, then its bytes)."""
    h = hashlib.sha256()
    for name in SOURCES:
        data = (directory / name).read_bytes()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def pick(native_name: str = NATIVE_MODULE, directory: Path = HERE, require: bool | None = None) -> ModuleType:
    """The engine module to use: the compiled one if it imports and was built from the current sources."""
    if require is None:
        require = os.environ.get("YIWANG_REQUIRE_NATIVE", "") not in ("", "0")
    try:
        native = importlib.import_module(native_name)
    except ImportError as exc:
        if require:
            raise ImportError(
                "YIWANG_REQUIRE_NATIVE is set but the compiled matching engine is not built: "
                "run `.venv/bin/python tools/build_native.py --require`"
            ) from exc
        return interpreted
    built_from = getattr(native, "NATIVE_SOURCE_DIGEST", None)
    current = source_digest(directory)
    if built_from != current:
        message = (
            "the compiled matching engine (_engine_native) was built from another version of engine.py / "
            "engine.pxd: using the interpreted engine. Run `.venv/bin/python tools/build_native.py` to rebuild it."
        )
        if require:
            raise ImportError(message)
        warnings.warn(message, NativeEngineStale, stacklevel=2)
        return interpreted
    return native


_module = pick()

MarketEngine: Any = _module.MarketEngine
apply = _module.apply
IMPLEMENTATION: str = _module.IMPLEMENTATION  # "compiled" or "interpreted"


def module() -> ModuleType:
    """The engine module in use (for tests and the benchmark)."""
    return _module
