"""分平台数据交换 sub-platform exchange: push API (national data-spec datasets, signed), pull feed and
reconciliation, data quality (数据质量考核), portal pages. See docs/exchange.md."""
