"""The reliability suite (``make test-reliability``; ``.ci/run`` runs it on PostgreSQL): processes killed on purpose
(the server during bid uploads, an auction burst, an order burst and bank notices — the clock too —, a federation
hub mid-transfer), the whole API fuzzed from its OpenAPI document, every write refused to an anonymous caller, every
role against every page and operation (the authorization matrix), and CSRF/XSS/IDOR probes against the pages. The
default tier (``make test``) leaves this folder out (``--ignore``: generating the fuzz tests costs time even when
they are deselected); every test here also carries the ``reliability`` marker."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.reliability)
