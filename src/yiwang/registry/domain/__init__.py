"""Pure rules of the registry context (no Django)."""
