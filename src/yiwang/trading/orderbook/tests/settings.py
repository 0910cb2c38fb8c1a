"""Settings for running the orderbook's tests before the lead wires the app into ``yiwang.config`` (the shared
settings, API root and URLs): the project's settings plus this app, and a URL configuration that mounts its
router and pages. Use ``pytest --ds=yiwang.trading.orderbook.tests.settings``.

Temporary and test-only: the configuration is the one module above every tier, so it is loaded by name here
(not imported statically) and this file goes away once ``yiwang.config`` lists the app."""

import importlib

_project = importlib.import_module("yiwang.config.settings")
globals().update({k: v for k, v in vars(_project).items() if k.isupper()})

INSTALLED_APPS = [*_project.INSTALLED_APPS, "yiwang.trading.orderbook"]
ROOT_URLCONF = "yiwang.trading.orderbook.tests.urls"
