"""Showing a refused action on a page: the error's message, in the page's language, goes next to the field it names."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language

from yiwang.kernel.errors import YiwangError


def coded_message(code: str, message_zh: str, message_en: str | None = None) -> str:
    """A refusal's message in the page's language with its stable code: "message（code）" (Chinese, or when no
    English is given), "message (code)" under the English switch."""
    if message_en and (get_language() or "").startswith("en"):
        return f"{message_en} ({code})"
    return f"{message_zh}（{code}）"


def error_text(exc: YiwangError) -> str:
    """A refused action as a page shows it, in the page's language, with its stable code."""
    return coded_message(exc.code, exc.message_zh, exc.message_en)


def message_of(exc: YiwangError) -> str:
    """A refused action's message alone, in the page's language (flash messages)."""
    return exc.message_en if (get_language() or "").startswith("en") else exc.message_zh


def add_action_error(form: forms.Form, exc: YiwangError) -> None:
    """Attach ``exc`` to the form field named in ``exc.details["field"]`` (or to the form as a whole), in the
    page's language."""
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, error_text(exc))
