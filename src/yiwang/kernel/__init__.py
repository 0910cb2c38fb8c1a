"""The kernel: pure Python shared by every context (money, identifiers, clock, calendars, errors).

Nothing here imports Django; import-linter enforces it.
"""
