"""Pure auction engine: rule sets as data, one single-writer state machine per lot (no Django here)."""
