"""Errors that carry a machine-readable code and a message in Chinese and English.

Every refusal in Yiwang is one of these. The code is stable (clients switch on it); the two messages are for
people. ``details`` holds structured facts (the field, the expected check digit, the rule id and its source …).
The API turns an error into ``{code, message_zh, message_en, details}`` with the HTTP status of its class.

Pure Python: no Django here.
"""

from __future__ import annotations

from typing import Any


class YiwangError(Exception):
    """Base of every expected refusal. Subclasses fix the HTTP status the API answers with."""

    status: int = 400

    def __init__(self, code: str, message_zh: str, message_en: str, details: dict[str, Any] | None = None):
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.details: dict[str, Any] = dict(details or {})

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }

    def at(self, field: str) -> YiwangError:
        """Return the same error located at ``field`` (used at the edge, where the field name is known)."""
        self.details.setdefault("field", field)
        return self


class InvalidInput(YiwangError):
    """The input is malformed or fails a check (check digit, length, code table …)."""

    status = 422


class RuleViolation(YiwangError):
    """A rule from the rules catalogue forbids the act. ``details`` names the rule id and its source."""

    status = 422


class NotFound(YiwangError):
    status = 404


class Conflict(YiwangError):
    """The act conflicts with existing state (duplicate registration, wrong state for this transition …)."""

    status = 409


class NotAuthenticated(YiwangError):
    status = 401


class PermissionDenied(YiwangError):
    status = 403


class PreconditionFailed(YiwangError):
    """An ``If-Match`` did not match the current version (someone else changed the object first)."""

    status = 412


class PreconditionRequired(YiwangError):
    """An update came without ``If-Match``; updates must say which version they change."""

    status = 428


class RateLimited(YiwangError):
    status = 429


class ServiceUnavailable(YiwangError):
    """A dependency (database, broker, peer hub) is not reachable now; the client may retry."""

    status = 503
