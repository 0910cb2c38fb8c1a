"""Technical apps with no business rules: witness log, outbox feed, API plumbing, web shell, clock."""
