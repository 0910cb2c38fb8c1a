"""电子档案 Archive: per-project electronic archives as self-verifying packages (docs/archive.md).

Other contexts plug in through the collector port (:mod:`.collectors`): ``register_collector(name, fn)`` in their
``AppConfig.ready``. The package format, its writer and its offline verifier (:mod:`.package`) are pure Python.
"""
