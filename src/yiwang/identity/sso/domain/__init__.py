"""Pure rules of the single sign-on context (no Django)."""
