"""Pure rules of the catalog context (no Django)."""
