"""The six lists (1+6+N) and the reference data beside them: regions, code tables, holidays, rules."""
