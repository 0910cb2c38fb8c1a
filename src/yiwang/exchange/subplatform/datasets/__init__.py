"""The dataset definition table (``datasets.json``): the one source of the national data-spec datasets,
their fields, code sets, keys and parents. Loaded by :mod:`yiwang.exchange.subplatform.domain.datasets`."""
