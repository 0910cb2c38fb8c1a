"""Every operation of the OpenAPI document, fuzzed by schemathesis in process (WSGI, the real database): generated
valid and invalid input must never produce a server error, and every status code returned must be one the
operation documents. The caller is a staff administrator and regulator over the whole platform region, so the
requests reach the actions instead of stopping at the permission checks (the authorization matrix covers who may
call what)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from yiwang.identity import actions as identity
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api import auth
from yiwang.platform.api.testing import ACTORS

GRANTS = (RoleGrant(Role.STAFF, region="310000", admin=True), RoleGrant(Role.REGULATOR, region="310000"))
EXAMPLES = 6


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx, value) -> bytes:
    """OCDS imports take JSON Lines: one generated value per line."""
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item, ensure_ascii=False).encode() + b"\n" for item in items)


def _as_a_server(app):
    """Drive the WSGI app as a server must (PEP 3333): read the whole body, then close it, which is when Django
    closes the request's uploaded files. Schemathesis's in-process client leaves that to the caller."""

    def served(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return served


def _load() -> schemathesis.schemas.BaseSchema:
    from yiwang.config.api import api

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
    loaded.app = _as_a_server(get_wsgi_application())
    return loaded


schema = _load()


@pytest.fixture
def in_process(db) -> Iterator[None]:
    """Requests run in this thread on the test's own connection: keep Django from closing it after each one
    (what its test client does too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzzer(settings, in_process) -> Iterator[str]:
    """A real account (rows such as signing challenges refer to it) acting with platform-wide grants."""
    account = identity.do_create_account(
        actor=Actor.anonymous(), username="fuzzer", display_name="可靠性测试员", password="Reliability-Suite-2026"
    )
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()
    ACTORS["fuzzer"] = Actor(ActorKind.ACCOUNT, str(account.pk), account.display_name, GRANTS)
    yield "Bearer fuzzer"
    ACTORS.pop("fuzzer", None)
    auth.resolver.cache_clear()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error_and_only_documented_status_codes(case, fuzzer):
    case.call_and_validate(
        headers={"Authorization": fuzzer},
        checks=[not_a_server_error, status_code_conformance],
    )


# -- the authorization matrix: who may change anything at all ---------------------------------------------------------

writes = schema.include(method=["POST", "PUT", "PATCH", "DELETE"])


@writes.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_an_anonymous_caller_changes_nothing(case, in_process):
    """Every POST, PUT, PATCH and DELETE refuses a caller without credentials, whatever the input (the OAuth2
    token endpoint and the signed machine endpoints included: without a valid client or signature they refuse)."""
    response = case.call()
    assert not 200 <= response.status_code < 300, f"{case.method} {case.formatted_path}: {response.status_code}"
    assert response.status_code < 500
