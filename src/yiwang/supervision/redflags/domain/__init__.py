"""The red-flag engine's pure core: snapshot frames, indicators, screens, the OCDS reader, scoring and the alert
workflow. Polars and NumPy only; no Django, Ninja or pydantic (import-linter checks it)."""
