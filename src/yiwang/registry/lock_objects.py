"""Row locks of the registry context: ``select_for_update`` querysets, always ordered by pk (deadlock-free)."""
