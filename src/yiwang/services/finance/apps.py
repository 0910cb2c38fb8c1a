from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "yiwang.services.finance"
    label = "finance"
    verbose_name = "金融服务 Finance"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.services.finance import jobs

        register_due_job("finance.bank_inbox", jobs.process_bank_inbox, every_seconds=1)
        register_due_job("finance.refunds", jobs.run_refunds, every_seconds=5)
        register_due_job("finance.guarantees", jobs.run_guarantees, every_seconds=5)
        register_due_job("finance.settlements", jobs.run_settlements, every_seconds=5)
        register_due_job("finance.invoices", jobs.run_invoices, every_seconds=10)
