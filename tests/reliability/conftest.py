"""The reliability suite (``make test-reliability``; ``.ci/run`` runs it on PostgreSQL): processes killed on purpose
(the server during bid uploads, an auction burst, an order burst and bank notices — the clock too —, a federation
hub mid-transfer), the whole API fuzzed from its OpenAPI document, every write refused to an anonymous caller, every
role against every page and operation (the authorization matrix), and CSRF/XSS/IDOR probes against the pages. The
default tier (``make test``) leaves this folder out (``--ignore``: generating the fuzz tests costs time even when
they are deselected); every test here also carries the ``reliability`` marker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

# The settings of a server process started by a kill -9 test: the project's, on the test database this process set up.
SERVER_SETTINGS = """from yiwang.config.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = {name!r}  # noqa: F405 - the test database the test process set up
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def server_settings(settings, tmp_path: Path) -> Path:
    """A folder with ``kill9_settings.py`` for ``Server`` (tests/reliability/test_bid_submission_survives_kill9.py),
    and fast password hashing for the accounts the test makes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    folder = tmp_path / "settings"
    folder.mkdir()
    (folder / "kill9_settings.py").write_text(SERVER_SETTINGS.format(name=str(connection.settings_dict["NAME"])))
    return folder
