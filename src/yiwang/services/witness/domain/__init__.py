"""Pure rules of on-site witness records."""
