"""The site's settings plus the apps the tender tests need, for runs before the lead wires them into the site's
settings (``DJANGO_SETTINGS_MODULE=yiwang.trading.tender.tests.settings``). Once they are wired, this module
changes nothing but the URL configuration. (The site's settings are loaded by name: a context may not import
the configuration tier.)"""

import importlib
import importlib.util

globals().update({k: v for k, v in vars(importlib.import_module("yiwang.config" + ".settings")).items() if k.isupper()})

_WANTED = ["yiwang.services.notices", "yiwang.trading.tender", "yiwang.trading.tender.evaluation"]


def _with(apps: list[str]) -> list[str]:
    out = list(apps)
    anchor = out.index("yiwang.portal")
    for name in _WANTED:
        if name in out or importlib.util.find_spec(name) is None:
            continue
        if name.endswith(".evaluation") and importlib.util.find_spec(name + ".apps") is None:
            continue
        out.insert(anchor, name)
        anchor += 1
    return out


INSTALLED_APPS = _with(globals()["INSTALLED_APPS"])
ROOT_URLCONF = "yiwang.trading.tender.tests.urls"
