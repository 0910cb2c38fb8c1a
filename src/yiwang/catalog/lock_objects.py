"""Row locks of the catalog context: ``select_for_update`` querysets, always ordered by pk (deadlock-free)."""
