"""Row locks of the identity context: ``select_for_update`` querysets, always ordered by pk (deadlock-free)."""
