"""Schemas shared by every API: the error body and the standard error responses to declare."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = {}


# Declare these on every operation (``response={200: X, **ERRORS}``); 422 is always possible.
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
UPDATE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut, 412: ErrorOut, 428: ErrorOut}
CREATE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
