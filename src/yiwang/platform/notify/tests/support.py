"""The notify tests' actor resolver: the shared test resolver (bearer tokens and the ``X-Test-Actor`` page header
name actors in :data:`ACTORS`)."""

from __future__ import annotations

from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
