"""Pure rules of the trading statistics: periods, the trade facts and the indicator formulas (no Django)."""
