from django.apps import AppConfig


class TenderConfig(AppConfig):
    name = "yiwang.trading.tender"
    label = "tender"
    verbose_name = "招标投标与政府采购 Tendering and procurement"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.search.sources import register_source
        from yiwang.services.archive.collectors import register_collector
        from yiwang.services.bidbox.hooks import register_summary_parser
        from yiwang.trading.tender import bidformat, collectors, jobs, search

        register_due_job("tender.advance_sections", jobs.advance_due_sections, every_seconds=1)
        register_summary_parser(bidformat.OWNER_CONTEXT, bidformat.parse_summary)
        register_collector("tender", collectors.project_records)
        register_source("tender.projects", kinds=(search.KIND,), documents=search.all_project_documents)
