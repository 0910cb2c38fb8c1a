"""Background tasks of the notify app (django-tasks; the database backend stores them with the action)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_mail_task(mail_id: int) -> str:
    """Deliver one queued e-mail (idempotent: a mail already sent or held by another runner is skipped)."""
    from yiwang.platform.notify.actions import deliver_mail

    return deliver_mail(mail_id)
