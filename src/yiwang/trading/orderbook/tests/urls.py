"""The project's URLs with the orderbook's API router and pages mounted (see tests/settings.py; temporary)."""

import importlib

from django.urls import include, path

from yiwang.trading.orderbook.api import router

importlib.import_module("yiwang.config.api").api.add_router("/orderbook", router)
_project = importlib.import_module("yiwang.config.urls")  # after the router is added: the API's URLs include it

urlpatterns = [path("orderbook/", include("yiwang.trading.orderbook.urls")), *_project.urlpatterns]
