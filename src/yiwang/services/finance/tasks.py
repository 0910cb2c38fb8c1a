"""Background tasks of finance (django-tasks; stored with the action that enqueues them on the database
backend, so an acknowledged fee never loses its invoice). Every task is idempotent."""

from __future__ import annotations

from django_tasks import task


@task()
def issue_invoice_task(invoice_id: int) -> bool:
    """Issue a pending e-invoice through the invoice port (once, however often it runs)."""
    from yiwang.services.finance import invoice_actions

    return invoice_actions.issue_invoice(invoice_id)
