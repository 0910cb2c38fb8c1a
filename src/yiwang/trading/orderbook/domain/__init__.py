"""Pure rules of the carbon-allowance market: the matching engine, market data and the repo arithmetic.

No Django here: the engine takes time as input and is fed only by the sequenced command log, so replaying
the log gives the same state, byte for byte (``MarketEngine.state_hash``).
"""
