"""综合交易系统 integrated trading: tender (tendering and procurement), auction, orderbook (carbon market)."""
