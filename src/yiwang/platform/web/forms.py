"""Showing a refused action on a form: the error's Chinese message goes next to the field it names."""

from __future__ import annotations

from django import forms

from yiwang.kernel.errors import YiwangError


def add_action_error(form: forms.Form, exc: YiwangError) -> None:
    """Attach ``exc`` to the form field named in ``exc.details["field"]`` (or to the form as a whole)."""
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, f"{exc.message_zh}（{exc.code}）")
