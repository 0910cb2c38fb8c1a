"""Pure rules of the exchange: dataset definitions, record validation, JSON Schemas, digests, quality scores."""
