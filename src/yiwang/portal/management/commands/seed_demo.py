"""``yiwang seed-demo``: load the demonstration organisations, accounts and market entities (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from yiwang.catalog.reference import ensure_reference_data
from yiwang.platform.reference import ensure_all
from yiwang.portal.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load demo data (organisations, staff, regulators, experts, market entities, a sub-platform client)"

    def handle(self, *args, **options) -> None:
        ensure_reference_data()
        ensure_all()
        report = load_demo()
        if not report.created:
            self.stdout.write("demo data already loaded (account 'admin' exists); nothing to do")
            return
        self.stdout.write(self.style.SUCCESS(f"demo data loaded. Accounts (password for all: {DEMO_PASSWORD}):"))
        for account in report.accounts:
            self.stdout.write(f"  {account.username:<14} {account.display_name}  —  {account.what}")
        self.stdout.write(f"sub-platform API client: client_id={report.client_id} client_secret={report.client_secret}")
        self.stdout.write("open http://127.0.0.1:8000/ and sign in with any account above")
