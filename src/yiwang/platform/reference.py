"""Reference data loaders: shipped data (regions, holidays, the six lists, expert specialties …) that every
installation needs before anyone acts.

A context registers one idempotent loader in its ``AppConfig.ready`` (a port: declared here, implemented by the
contexts above). ``yiwang seed-reference`` and the test suite run them all, in registration order, which follows
``INSTALLED_APPS`` (the catalogue first). A loader returns how many rows it wrote; running it again writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

_loaders: dict[str, Callable[[], int]] = {}


def register_loader(name: str, load: Callable[[], int]) -> None:
    _loaders[name] = load


def loaders() -> list[tuple[str, Callable[[], int]]]:
    return list(_loaders.items())


def ensure_all() -> dict[str, int]:
    """Run every registered loader; return rows written per loader."""
    return {name: load() for name, load in _loaders.items()}
