"""Pure rules of the identity context (no Django)."""
