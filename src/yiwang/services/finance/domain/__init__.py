"""Pure rules of the finance context: the ledger's vocabulary, deposit requirements and caps, refund
policies and interest, fees and bank-notice parsing. Standard library and :mod:`yiwang.kernel` only."""
