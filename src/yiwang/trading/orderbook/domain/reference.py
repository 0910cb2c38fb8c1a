"""The reference book for the side-by-side benchmark (markets.md §2.2, the anchor design measured there).

A dict of price → ``deque`` of orders per side plus a ``heapq`` of prices (lazy: a price stays in the heap
after its level empties and is skipped when it comes to the top), lazy cancel (a cancelled order stays in
its queue with zero quantity). Limit and IOC orders, cancel; no accounts, no checks. It exists only to be
measured against :class:`~yiwang.trading.orderbook.domain.engine.MarketEngine` on the same commands, and
to cross-check that both produce the same trades. Like any book it reports its fills (a list of tuples the
caller drains), so the comparison is between two books that say what they did.
"""

from __future__ import annotations

import heapq
from collections import deque


class ReferenceBook:
    def __init__(self) -> None:
        self.bid_levels: dict[int, deque] = {}
        self.ask_levels: dict[int, deque] = {}
        self.bid_heap: list[int] = []  # negated prices
        self.ask_heap: list[int] = []
        self.orders: dict[int, list] = {}  # oid → [oid, side, price, open]
        self.trades = 0
        self.traded_qty = 0
        self.fills: list[tuple[int, int, int, int]] = []  # (maker, taker, price, quantity), drained by the caller

    def _best_ask(self) -> int | None:
        heap = self.ask_heap
        levels = self.ask_levels
        while heap:
            price = heap[0]
            level = levels.get(price)
            if level is not None:
                while level and not level[0][3]:
                    level.popleft()
                if level:
                    return price
                del levels[price]
            heapq.heappop(heap)
        return None

    def _best_bid(self) -> int | None:
        heap = self.bid_heap
        levels = self.bid_levels
        while heap:
            price = -heap[0]
            level = levels.get(price)
            if level is not None:
                while level and not level[0][3]:
                    level.popleft()
                if level:
                    return price
                del levels[price]
            heapq.heappop(heap)
        return None

    def limit(self, oid: int, side: int, price: int, qty: int, ioc: bool = False) -> int:
        """Enter an order (side 0 = buy, 1 = sell); returns the quantity filled."""
        filled = 0
        if side == 0:
            while qty:
                best = self._best_ask()
                if best is None or best > price:
                    break
                level = self.ask_levels[best]
                while qty and level:
                    m = level[0]
                    if not m[3]:
                        level.popleft()
                        continue
                    q = m[3] if m[3] <= qty else qty
                    m[3] -= q
                    qty -= q
                    filled += q
                    self.trades += 1
                    self.traded_qty += q
                    self.fills.append((m[0], oid, best, q))
                    if not m[3]:
                        level.popleft()
                        del self.orders[m[0]]
        else:
            while qty:
                best = self._best_bid()
                if best is None or best < price:
                    break
                level = self.bid_levels[best]
                while qty and level:
                    m = level[0]
                    if not m[3]:
                        level.popleft()
                        continue
                    q = m[3] if m[3] <= qty else qty
                    m[3] -= q
                    qty -= q
                    filled += q
                    self.trades += 1
                    self.traded_qty += q
                    self.fills.append((m[0], oid, best, q))
                    if not m[3]:
                        level.popleft()
                        del self.orders[m[0]]
        if qty and not ioc:
            o = [oid, side, price, qty]
            self.orders[oid] = o
            if side == 0:
                level = self.bid_levels.get(price)
                if level is None:
                    level = self.bid_levels[price] = deque()
                    heapq.heappush(self.bid_heap, -price)
                level.append(o)
            else:
                level = self.ask_levels.get(price)
                if level is None:
                    level = self.ask_levels[price] = deque()
                    heapq.heappush(self.ask_heap, price)
                level.append(o)
        return filled

    def cancel(self, oid: int) -> bool:
        o = self.orders.pop(oid, None)
        if o is None:
            return False
        o[3] = 0
        return True
